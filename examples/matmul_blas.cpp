// SPDX-License-Identifier: MIT
// examples/matmul_blas.cpp: the seed's 2x3 times 3x2 product, three ways through the one BLAS seam.
// matmul(a, b) is a cblas_sgemm (an Eigen product under GRAFT_NO_BLAS); transposed(x) hands the GEMM a
// transpose flag instead of copying; blas::gemm is the seam itself, writing into a buffer you own.
#include <graft/tensor.hpp>

#include <iostream>

int main() {
    using graft::Shape;
    using graft::Tensor;
    const Tensor<float, Shape<2, 3>> a{{1, 2, 3}, {4, 5, 6}};
    const Tensor<float, Shape<3, 2>> b{{7, 8}, {9, 10}, {11, 12}};

    const auto c = graft::matmul(a, b);                   // Tensor<float, Shape<2, 2>>
    std::cout << "a @ b         = " << c << '\n';         // [[58, 64], [139, 154]]

    // Stored transposed (bt is 2x3), multiplied as b: no copy, CblasTrans on the second operand.
    const Tensor<float, Shape<2, 3>> bt = b.transpose();
    std::cout << "a @ (bt)^T    = " << graft::matmul(a, graft::transposed(bt)) << '\n';  // [[58, 64], [139, 154]]

    // Both sides transposed: (b^T a^T)^T = a b, so b^T a^T is c transposed.
    const auto ct = graft::matmul(graft::transposed(b), graft::transposed(a));
    std::cout << "b^T @ a^T     = " << ct << '\n';        // [[58, 139], [64, 154]]

    // The seam directly: C = 1 * A B + 0 * C, row-major, into a preallocated tensor, on Eigen's product.
    Tensor<float, Shape<2, 2>> out;
    graft::blas::gemm<float>(false, false, 2, 2, 3, 1.0f, a.data(), 3, b.data(), 2, 0.0f, out.data(), 2,
                             graft::blas::Backend::eigen);
    std::cout << "gemm (eigen)  = " << out << '\n';       // [[58, 64], [139, 154]]
    std::cout << "same result   = " << std::boolalpha << graft::array_equal(c, out) << '\n';  // true
}
