// SPDX-License-Identifier: MIT
// tests/core/shape_test.cpp: Shape<Dims...>: rank, size, dims, strides and names.
// The result-shape rules (broadcast, matmul, reshape, transpose, reductions) are in shape_rules_test.cpp.
#include <catch2/catch.hpp>
#include <graft/core.hpp>

#include <array>
#include <cstddef>
#include <vector>

using namespace graft;

TEST_CASE("Shape<2,3,4> has rank 3, size 24 and row-major strides 12,4,1", "[core][shape]") {
    using S = Shape<2, 3, 4>;
    STATIC_REQUIRE(S::rank == 3);
    STATIC_REQUIRE(S::size == 24);
    STATIC_REQUIRE(S::strides == std::array<std::size_t, 3>{12, 4, 1});
    CHECK(S::name() == "Shape<2,3,4>");
}

TEST_CASE("Shape<> is a rank-0 scalar holding one element", "[core][shape]") {
    using S = Shape<>;
    STATIC_REQUIRE(S::rank == 0);
    STATIC_REQUIRE(S::size == 1);
    STATIC_REQUIRE(S::dims.empty());
    STATIC_REQUIRE(S::strides.empty());
    CHECK(S::name() == "Shape<>");
}

TEST_CASE("Shape<5> is a vector with unit stride", "[core][shape]") {
    using S = Shape<5>;
    STATIC_REQUIRE(S::rank == 1);
    STATIC_REQUIRE(S::size == 5);
    STATIC_REQUIRE(S::strides == std::array<std::size_t, 1>{1});
    CHECK(S::name() == "Shape<5>");
}

TEST_CASE("a rank-4 shape has strides that are products of the inner dims", "[core][shape]") {
    using S = Shape<2, 3, 4, 5>;
    STATIC_REQUIRE(S::size == 120);
    STATIC_REQUIRE(S::dims == std::array<std::size_t, 4>{2, 3, 4, 5});
    STATIC_REQUIRE(S::strides == std::array<std::size_t, 4>{60, 20, 5, 1});
}

TEST_CASE("a zero-size dim makes the size 0 but keeps the strides of the other dims", "[core][shape]") {
    STATIC_REQUIRE(Shape<0, 3>::size == 0);
    STATIC_REQUIRE(Shape<0, 3>::strides == std::array<std::size_t, 2>{3, 1});
    STATIC_REQUIRE(Shape<3, 0>::size == 0);
    STATIC_REQUIRE(Shape<3, 0>::strides == std::array<std::size_t, 2>{0, 1});
    STATIC_REQUIRE(Shape<0>::size == 0);
    CHECK(Shape<0, 3>::name() == "Shape<0,3>");
}

TEST_CASE("size-1 dims count in the rank but not in the size", "[core][shape]") {
    using S = Shape<1, 4, 1>;
    STATIC_REQUIRE(S::rank == 3);
    STATIC_REQUIRE(S::size == 4);
    STATIC_REQUIRE(S::strides == std::array<std::size_t, 3>{4, 1, 1});
}

TEST_CASE("dim<I>() returns each dim at compile time", "[core][shape]") {
    using S = Shape<7, 8, 9>;
    STATIC_REQUIRE(S::dim<0>() == 7);
    STATIC_REQUIRE(S::dim<1>() == 8);
    STATIC_REQUIRE(S::dim<2>() == 9);
}

TEST_CASE("name() spells the dims without spaces, as errors print them", "[core][shape]") {
    CHECK(Shape<64, 784>::name() == "Shape<64,784>");
    CHECK(Shape<1, 1, 1>::name() == "Shape<1,1,1>");
    CHECK(Shape<18446744073709551615ULL>::name() == "Shape<18446744073709551615>");
}

TEST_CASE("shape_string spells runtime dims the same way as Shape::name()", "[core][shape]") {
    const std::vector<std::size_t> d{64, 784};
    CHECK(shape_string(d) == Shape<64, 784>::name());
    CHECK(shape_string(std::vector<std::size_t>{}) == "Shape<>");
    CHECK(shape_string(std::vector<std::size_t>{0}) == "Shape<0>");
}

TEST_CASE("is_shape and the ShapeType concept accept Shape types only", "[core][shape]") {
    STATIC_REQUIRE(is_shape<Shape<>>::value);
    STATIC_REQUIRE(is_shape<Shape<2, 3>>::value);
    STATIC_REQUIRE_FALSE(is_shape<int>::value);
    STATIC_REQUIRE_FALSE(is_shape<std::array<std::size_t, 2>>::value);
    STATIC_REQUIRE(ShapeType<Shape<1>>);
    STATIC_REQUIRE_FALSE(ShapeType<float>);
}

TEST_CASE("a shape's properties are usable in constant expressions", "[core][shape]") {
    constexpr std::size_t n = Shape<3, 4>::size;
    std::array<int, n> buf{};
    CHECK(buf.size() == 12);
    STATIC_REQUIRE(Shape<std::size_t{1} << 32, std::size_t{1} << 31>::size == std::size_t{1} << 63);
}
