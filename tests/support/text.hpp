// SPDX-License-Identifier: MIT
// tests/support/text.hpp: cat(...), string building for test labels and messages.
// Appends piece by piece: with GCC 12 at -O2/-O3, `"literal" + std::string&&` (and string&& + string&&)
// trip a false -Wrestrict (GCC PR 105329), which -Werror turns into a build failure.
#pragma once

#include <string>
#include <string_view>

namespace graft_test {

/// Concatenation of strings, string_views, C strings and chars: cat("x", std::to_string(k)).
template <class... P>
std::string cat(const P&... pieces) {
    std::string s;
    ((s += pieces), ...);
    return s;
}

}  // namespace graft_test
