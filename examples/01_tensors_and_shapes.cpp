// SPDX-License-Identifier: MIT
// examples/01_tensors_and_shapes.cpp: a short tour of Tensor<T, Shape<...>>.
// Shapes are types: broadcasting, reductions and matmul compute their result shapes at compile time,
// and a shape mistake is a compile error that names both shapes (see the commented-out line below).
#include <graft/tensor.hpp>

#include <iostream>
#include <type_traits>

using graft::Shape;
using graft::Tensor;

int main() {
    std::cout << std::boolalpha;

    // A shape is a type; rank, size and strides are compile-time constants.
    using S = Shape<2, 3>;
    static_assert(S::rank == 2 && S::size == 6 && S::strides[0] == 3);
    std::cout << S::name() << ": rank " << S::rank << ", size " << S::size << '\n';  // Shape<2,3>: rank 2, size 6

    // Construction: nested lists (lengths checked), factories, reshape (sizes checked at compile time).
    const Tensor<float, S> x{{0, 1, 2}, {3, 4, 5}};
    const auto y = graft::arange<float, Shape<6>>().reshape<2, 3>();
    std::cout << "x           = " << x << '\n';                        // [[0, 1, 2], [3, 4, 5]]
    std::cout << "x(1, 2)     = " << x(1, 2) << '\n';                  // 5
    std::cout << "x == y      = " << graft::array_equal(x, y) << '\n';  // true

    // Broadcasting (NumPy rules): Shape<2,3> + Shape<3> is Shape<2,3>; Shape<2,1> * Shape<3> is Shape<2,3>.
    const Tensor<float, Shape<3>> row{10, 20, 30};
    const Tensor<float, Shape<2, 1>> col{{1}, {-1}};
    const auto outer = col * row;
    static_assert(std::is_same_v<decltype(outer)::shape_type, Shape<2, 3>>);
    std::cout << "x + row     = " << x + row << '\n';                  // [[10, 21, 32], [13, 24, 35]]
    std::cout << "col * row   = " << outer << '\n';                    // [[10, 20, 30], [-10, -20, -30]]

    // This line would not compile; uncomment it to see both shapes named in the error:
    // auto oops = x + Tensor<float, Shape<4>>{};  // does not compile
    //   error: static assertion failed: graft: broadcast: shapes are not compatible (each dim must match or be 1)
    //   note: 'graft::broadcast_shapes_compatible<graft::Shape<2, 3>, graft::Shape<4> >::value' evaluates to false

    // Reductions: over everything (a value) or over one axis (a tensor whose shape is known at compile time).
    const auto col_sums = graft::sum<0>(x);          // Shape<3>
    const auto row_means = graft::mean<1, true>(x);  // Shape<2,1>: the reduced axis kept as 1
    static_assert(std::is_same_v<decltype(col_sums)::shape_type, Shape<3>>);
    static_assert(std::is_same_v<decltype(row_means)::shape_type, Shape<2, 1>>);
    std::cout << "sum(x)      = " << graft::sum(x) << '\n';            // 15
    std::cout << "sum<0>(x)   = " << col_sums << '\n';                 // [3, 5, 7]
    std::cout << "mean<1>(x)  = " << row_means << '\n';                // [[1], [4]]
    std::cout << "x - mean    = " << x - row_means << '\n';            // [[-1, 0, 1], [-1, 0, 1]]

    // argmax along an axis gives int32 indices: the predicted class of each row of logits.
    const Tensor<float, Shape<2, 3>> logits{{0.1f, 2.5f, -1.0f}, {3.0f, 0.0f, 0.5f}};
    std::cout << "argmax<1>   = " << graft::argmax<1>(logits) << '\n';  // [1, 0]

    // transpose() reverses the dims; matmul follows NumPy: Shape<2,3> x Shape<3,2> -> Shape<2,2>.
    const auto xt = x.transpose();  // Shape<3,2>
    const auto gram = graft::matmul(x, xt);
    static_assert(std::is_same_v<decltype(gram)::shape_type, Shape<2, 2>>);
    std::cout << "x^T         = " << xt << '\n';                       // [[0, 3], [1, 4], [2, 5]]
    std::cout << "x @ x^T     = " << gram << '\n';                     // [[5, 14], [14, 50]]

    // Elementwise math runs vectorised through Eigen; allclose compares with NumPy's rule.
    const auto round_trip = graft::exp(graft::log(x + 1.0f)) - 1.0f;
    std::cout << "allclose    = " << graft::allclose(round_trip, x, 1e-5, 1e-5) << '\n';  // true
}
