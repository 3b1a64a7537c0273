// SPDX-License-Identifier: MIT
// tests/support/files.hpp: whole-file reads and writes for tests, and the message of a graft::Error.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include <graft/core/error.hpp>

namespace graft_test {

/// The whole file as bytes ("" when it cannot be opened).
inline std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Writes `bytes` to `path`, replacing it (plainly: tests use it to plant inputs, not to save data).
inline void spit(const std::filesystem::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// The message of the graft::Error that `f` throws, or a note that it threw none (other exceptions
/// propagate, so Catch reports them).
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const graft::Error& e) {
        return e.what();
    }
    return "(no graft::Error was thrown)";
}

}  // namespace graft_test
