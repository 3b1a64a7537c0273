// SPDX-License-Identifier: MIT
// examples/vector_ops.cpp: vectors the Gonum floats way: in-place add_to and axpy, then sum and dot.
// add_to(y, x) and axpy(alpha, x, y) update y in place and allocate nothing.
#include <graft/tensor.hpp>

#include <iostream>

int main() {
    using Vec = graft::Tensor<double, graft::Shape<6>>;

    Vec v;                                            // zeros
    const auto ramp = graft::arange<double, graft::Shape<6>>(1.0);  // 1, 2, ..., 6
    graft::add_to(v, ramp);                           // v += ramp       (floats.Add)
    std::cout << "v          = " << v << '\n';        // [1, 2, 3, 4, 5, 6]
    std::cout << "sum(v)     = " << graft::sum(v) << '\n';      // 21
    std::cout << "dot(v, v)  = " << graft::dot(v, v) << '\n';   // 91

    const auto ones = graft::ones<double, graft::Shape<6>>();
    graft::axpy(0.5, ones, v);                        // v += 0.5 * ones (floats.AddScaled)
    std::cout << "v + 0.5    = " << v << '\n';        // [1.5, 2.5, 3.5, 4.5, 5.5, 6.5]
    std::cout << "sum        = " << graft::sum(v) << '\n';      // 24
    std::cout << "dot(v, 1)  = " << graft::dot(v, ones) << '\n';  // 24

    // add_to broadcasts its right operand: a row added to every row of a matrix, in place.
    graft::Tensor<double, graft::Shape<2, 3>> m{{0, 0, 0}, {10, 10, 10}};
    const graft::Tensor<double, graft::Shape<3>> row{1, 2, 3};
    graft::add_to(m, row);
    std::cout << "m + row    = " << m << '\n';        // [[1, 2, 3], [11, 12, 13]]
}
