// SPDX-License-Identifier: MIT
// tests/core/shape_rules_test.cpp: the compile-time result shapes (broadcast, matmul, reshape, transpose,
// permute, reductions) and the named predicates the typed API static_asserts on.
// Expected shapes follow NumPy (np.broadcast_shapes, np.matmul, .T, np.transpose, np.sum(axis, keepdims)).
#include <catch2/catch.hpp>
#include <graft/core.hpp>

#include <type_traits>

using namespace graft;

template <class A, class B>
inline constexpr bool same = std::is_same_v<A, B>;

// ------------------------------------------------------------------ broadcasting

TEST_CASE("broadcast of Shape<3,1> and Shape<1,4> is Shape<3,4>", "[core][shape_rules]") {
    STATIC_REQUIRE(same<broadcast_t<Shape<3, 1>, Shape<1, 4>>, Shape<3, 4>>);
    STATIC_REQUIRE(same<broadcast_t<Shape<1, 4>, Shape<3, 1>>, Shape<3, 4>>);
}

TEST_CASE("broadcasting against a rank-0 scalar keeps the other shape", "[core][shape_rules]") {
    STATIC_REQUIRE(same<broadcast_t<Shape<2, 3>, Shape<>>, Shape<2, 3>>);
    STATIC_REQUIRE(same<broadcast_t<Shape<>, Shape<2, 3>>, Shape<2, 3>>);
    STATIC_REQUIRE(same<broadcast_t<Shape<>, Shape<>>, Shape<>>);
    STATIC_REQUIRE(same<broadcast_t<Shape<>, Shape<0>>, Shape<0>>);
}

TEST_CASE("a shorter shape is aligned from the right (row and column vectors)", "[core][shape_rules]") {
    STATIC_REQUIRE(same<broadcast_t<Shape<2, 3>, Shape<3>>, Shape<2, 3>>);
    STATIC_REQUIRE(same<broadcast_t<Shape<2, 3>, Shape<1, 3>>, Shape<2, 3>>);
    STATIC_REQUIRE(same<broadcast_t<Shape<2, 3>, Shape<2, 1>>, Shape<2, 3>>);
    STATIC_REQUIRE(same<broadcast_t<Shape<4, 1, 3>, Shape<5, 1>>, Shape<4, 5, 3>>);
}

TEST_CASE("rank-4 broadcasting combines size-1 dims from both sides", "[core][shape_rules]") {
    STATIC_REQUIRE(same<broadcast_t<Shape<2, 1, 4, 1>, Shape<3, 1, 5>>, Shape<2, 3, 4, 5>>);
    STATIC_REQUIRE(same<broadcast_t<Shape<3, 1, 5>, Shape<2, 1, 4, 1>>, Shape<2, 3, 4, 5>>);
    STATIC_REQUIRE(same<broadcast_t<Shape<1, 1, 1, 1>, Shape<1>>, Shape<1, 1, 1, 1>>);
}

TEST_CASE("a zero-size dim broadcasts against 1 and stays 0", "[core][shape_rules]") {
    STATIC_REQUIRE(same<broadcast_t<Shape<0, 3>, Shape<3>>, Shape<0, 3>>);
    STATIC_REQUIRE(same<broadcast_t<Shape<0, 3>, Shape<1, 3>>, Shape<0, 3>>);
    STATIC_REQUIRE(same<broadcast_t<Shape<1>, Shape<0>>, Shape<0>>);
    STATIC_REQUIRE(same<broadcast_t<Shape<2, 0>, Shape<2, 1>>, Shape<2, 0>>);
    STATIC_REQUIRE_FALSE(broadcast_shapes_compatible<Shape<0>, Shape<2>>::value);
}

TEST_CASE("broadcast_shapes_compatible is false when a dim differs and neither is 1", "[core][shape_rules]") {
    STATIC_REQUIRE(broadcast_shapes_compatible<Shape<2, 3>, Shape<1, 3>>::value);
    STATIC_REQUIRE_FALSE(broadcast_shapes_compatible<Shape<2, 3>, Shape<4, 3>>::value);
    STATIC_REQUIRE_FALSE(broadcast_shapes_compatible<Shape<3>, Shape<2, 4>>::value);
    STATIC_REQUIRE_FALSE(broadcast_shapes_compatible<Shape<2, 1, 3>, Shape<5, 4>>::value);
}

TEST_CASE("broadcasts_to holds only when the source broadcasts to exactly the target", "[core][shape_rules]") {
    STATIC_REQUIRE(broadcasts_to<Shape<3>, Shape<2, 3>>::value);
    STATIC_REQUIRE(broadcasts_to<Shape<1, 3>, Shape<2, 3>>::value);
    STATIC_REQUIRE(broadcasts_to<Shape<2, 1>, Shape<2, 3>>::value);
    STATIC_REQUIRE(broadcasts_to<Shape<>, Shape<2, 3>>::value);
    STATIC_REQUIRE(broadcasts_to<Shape<2, 3>, Shape<2, 3>>::value);
    STATIC_REQUIRE(broadcasts_to<Shape<1>, Shape<0>>::value);
    STATIC_REQUIRE_FALSE(broadcasts_to<Shape<2, 3>, Shape<1, 3>>::value);  // would need the target to grow
    STATIC_REQUIRE_FALSE(broadcasts_to<Shape<2, 3>, Shape<3>>::value);     // higher rank than the target
    STATIC_REQUIRE_FALSE(broadcasts_to<Shape<3, 1>, Shape<1, 4>>::value);
    STATIC_REQUIRE_FALSE(broadcasts_to<Shape<4>, Shape<2, 3>>::value);
    STATIC_REQUIRE_FALSE(broadcasts_to<Shape<0>, Shape<1>>::value);
}

// ------------------------------------------------------------------ matmul

TEST_CASE("matmul of Shape<2,3> and Shape<3,5> is Shape<2,5>", "[core][shape_rules]") {
    STATIC_REQUIRE(same<matmul_t<Shape<2, 3>, Shape<3, 5>>, Shape<2, 5>>);
    STATIC_REQUIRE(same<matmul_t<Shape<1, 1>, Shape<1, 1>>, Shape<1, 1>>);
}

TEST_CASE("a rank-1 operand is a row on the left and a column on the right, and its dim is dropped", "[core][shape_rules]") {
    STATIC_REQUIRE(same<matmul_t<Shape<3>, Shape<3, 5>>, Shape<5>>);
    STATIC_REQUIRE(same<matmul_t<Shape<2, 3>, Shape<3>>, Shape<2>>);
    STATIC_REQUIRE(same<matmul_t<Shape<3>, Shape<3>>, Shape<>>);
    STATIC_REQUIRE(same<matmul_t<Shape<3>, Shape<7, 3, 5>>, Shape<7, 5>>);
    STATIC_REQUIRE(same<matmul_t<Shape<7, 2, 3>, Shape<3>>, Shape<7, 2>>);
}

TEST_CASE("matmul batch dims broadcast like elementwise dims", "[core][shape_rules]") {
    STATIC_REQUIRE(same<matmul_t<Shape<7, 2, 3>, Shape<3, 5>>, Shape<7, 2, 5>>);
    STATIC_REQUIRE(same<matmul_t<Shape<2, 3>, Shape<7, 3, 5>>, Shape<7, 2, 5>>);
    STATIC_REQUIRE(same<matmul_t<Shape<7, 2, 3>, Shape<7, 3, 5>>, Shape<7, 2, 5>>);
    STATIC_REQUIRE(same<matmul_t<Shape<4, 1, 2, 3>, Shape<5, 3, 6>>, Shape<4, 5, 2, 6>>);
    STATIC_REQUIRE(same<matmul_t<Shape<1, 2, 3>, Shape<6, 3, 4>>, Shape<6, 2, 4>>);
}

TEST_CASE("matmul with zero-size dims keeps them in the result", "[core][shape_rules]") {
    STATIC_REQUIRE(same<matmul_t<Shape<0, 3>, Shape<3, 4>>, Shape<0, 4>>);
    STATIC_REQUIRE(same<matmul_t<Shape<2, 0>, Shape<0, 4>>, Shape<2, 4>>);
    STATIC_REQUIRE(same<matmul_t<Shape<0, 2, 3>, Shape<3, 4>>, Shape<0, 2, 4>>);
}

TEST_CASE("the matmul predicates name each way two shapes can disagree", "[core][shape_rules]") {
    STATIC_REQUIRE(matmul_inner_dims_agree<Shape<2, 3>, Shape<3, 5>>::value);
    STATIC_REQUIRE_FALSE(matmul_inner_dims_agree<Shape<2, 3>, Shape<4, 5>>::value);
    STATIC_REQUIRE_FALSE(matmul_inner_dims_agree<Shape<3>, Shape<4>>::value);
    STATIC_REQUIRE_FALSE(matmul_inner_dims_agree<Shape<2, 3>, Shape<2>>::value);
    STATIC_REQUIRE(matmul_operands_have_rank<Shape<3>, Shape<3>>::value);
    STATIC_REQUIRE_FALSE(matmul_operands_have_rank<Shape<>, Shape<3>>::value);
    STATIC_REQUIRE_FALSE(matmul_operands_have_rank<Shape<3>, Shape<>>::value);
    STATIC_REQUIRE(matmul_batch_dims_broadcast<Shape<2, 1, 3, 4>, Shape<5, 4, 6>>::value);
    STATIC_REQUIRE_FALSE(matmul_batch_dims_broadcast<Shape<2, 3, 4>, Shape<5, 4, 6>>::value);
}

// ------------------------------------------------------------------ reshape, transpose, permute

TEST_CASE("reshape_preserves_size compares element counts only", "[core][shape_rules]") {
    STATIC_REQUIRE(reshape_preserves_size<Shape<2, 3>, Shape<6>>::value);
    STATIC_REQUIRE(reshape_preserves_size<Shape<2, 3>, Shape<3, 1, 2>>::value);
    STATIC_REQUIRE(reshape_preserves_size<Shape<>, Shape<1, 1>>::value);
    STATIC_REQUIRE(reshape_preserves_size<Shape<0, 3>, Shape<3, 0>>::value);
    STATIC_REQUIRE_FALSE(reshape_preserves_size<Shape<2, 3>, Shape<4, 2>>::value);
    STATIC_REQUIRE_FALSE(reshape_preserves_size<Shape<>, Shape<0>>::value);
}

TEST_CASE("transpose_t reverses all dims, like NumPy's .T", "[core][shape_rules]") {
    STATIC_REQUIRE(same<transpose_t<Shape<2, 3>>, Shape<3, 2>>);
    STATIC_REQUIRE(same<transpose_t<Shape<2, 3, 4>>, Shape<4, 3, 2>>);
    STATIC_REQUIRE(same<transpose_t<Shape<2, 3, 4, 5>>, Shape<5, 4, 3, 2>>);
    STATIC_REQUIRE(same<transpose_t<Shape<5>>, Shape<5>>);
    STATIC_REQUIRE(same<transpose_t<Shape<>>, Shape<>>);
}

TEST_CASE("permute_t reorders dims by the given axes", "[core][shape_rules]") {
    STATIC_REQUIRE(same<permute_t<Shape<2, 3, 4>, 2, 0, 1>, Shape<4, 2, 3>>);
    STATIC_REQUIRE(same<permute_t<Shape<2, 3, 4>, 0, 1, 2>, Shape<2, 3, 4>>);
    STATIC_REQUIRE(same<permute_t<Shape<2, 3>, 1, 0>, Shape<3, 2>>);
    STATIC_REQUIRE(same<permute_t<Shape<>>, Shape<>>);
}

TEST_CASE("is_axis_permutation rejects repeats, missing axes and out-of-range axes", "[core][shape_rules]") {
    STATIC_REQUIRE(is_axis_permutation<Shape<2, 3, 4>, 1, 2, 0>::value);
    STATIC_REQUIRE_FALSE(is_axis_permutation<Shape<2, 3>, 0, 0>::value);
    STATIC_REQUIRE_FALSE(is_axis_permutation<Shape<2, 3>, 1>::value);
    STATIC_REQUIRE_FALSE(is_axis_permutation<Shape<2, 3>, 0, 1, 2>::value);
    STATIC_REQUIRE_FALSE(is_axis_permutation<Shape<2, 3>, 1, 2>::value);
}

// ------------------------------------------------------------------ reductions

TEST_CASE("reduce_t removes the axis, or keeps it as 1 with KeepDims", "[core][shape_rules]") {
    STATIC_REQUIRE(same<reduce_t<Shape<2, 3>, 0>, Shape<3>>);
    STATIC_REQUIRE(same<reduce_t<Shape<2, 3>, 1>, Shape<2>>);
    STATIC_REQUIRE(same<reduce_t<Shape<2, 3>, 0, true>, Shape<1, 3>>);
    STATIC_REQUIRE(same<reduce_t<Shape<2, 3>, 1, true>, Shape<2, 1>>);
    STATIC_REQUIRE(same<reduce_t<Shape<2, 3, 4>, 1>, Shape<2, 4>>);
    STATIC_REQUIRE(same<reduce_t<Shape<2, 3, 4>, 2, true>, Shape<2, 3, 1>>);
    STATIC_REQUIRE(same<reduce_t<Shape<5>, 0>, Shape<>>);
    STATIC_REQUIRE(same<reduce_t<Shape<5>, 0, true>, Shape<1>>);
    STATIC_REQUIRE(same<reduce_t<Shape<0, 3>, 0>, Shape<3>>);
}

TEST_CASE("axis_in_range is false past the last axis and for a scalar", "[core][shape_rules]") {
    STATIC_REQUIRE(axis_in_range<Shape<2, 3>, 1>::value);
    STATIC_REQUIRE_FALSE(axis_in_range<Shape<2, 3>, 2>::value);
    STATIC_REQUIRE_FALSE(axis_in_range<Shape<>, 0>::value);
}
