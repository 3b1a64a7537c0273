// SPDX-License-Identifier: MIT
// tests/core/shape_test.cpp: Shape<Dims...> and the compile-time shape rules.
#include <catch2/catch.hpp>
#include <graft/core.hpp>

using namespace graft;

TEST_CASE("Shape<2,3,4> has rank 3, size 24 and row-major strides 12,4,1", "[core][shape]") {
    using S = Shape<2, 3, 4>;
    STATIC_REQUIRE(S::rank == 3);
    STATIC_REQUIRE(S::size == 24);
    STATIC_REQUIRE(S::strides == std::array<std::size_t, 3>{12, 4, 1});
    CHECK(S::name() == "Shape<2,3,4>");
}
