// SPDX-License-Identifier: MIT
// Shape<2^32, 2^31, 2>: the element count 2^64 is one past what std::size_t holds (the twin has 2^63).
#include <graft/core/shape.hpp>

#include <cstddef>

int main() {
#ifdef GRAFT_SHOULD_FAIL
    using S = graft::Shape<std::size_t{1} << 32, std::size_t{1} << 31, 2>;
#else
    using S = graft::Shape<std::size_t{1} << 32, std::size_t{1} << 31, 1>;
#endif
    return static_cast<int>(S::rank);
}
