// SPDX-License-Identifier: MIT
// tests/package/add_subdirectory/main.cpp: a user that vendors graft's SOURCE tree (add_subdirectory);
// the pkg-config test compiles it too. It includes one room's umbrella (tensor.hpp), find_package/ the
// whole library. One small matmul through the BLAS seam, checked by hand; nonzero exit if wrong.
#include <graft/tensor.hpp>

#include <iostream>

int main() {
    const graft::Tensor<float, graft::Shape<2, 3>> a{{1, 2, 3}, {4, 5, 6}};
    const graft::Tensor<float, graft::Shape<3, 2>> b{{7, 8}, {9, 10}, {11, 12}};
    const graft::Tensor<float, graft::Shape<2, 2>> expected{{58, 64}, {139, 154}};
    const auto c = graft::matmul(a, graft::transposed(b.transpose()));  // a transpose flag, no copy
    std::cout << "graft " << graft::version << " (" << graft::blas::backend_name(graft::blas::Backend::automatic)
              << "): " << c << '\n';
    return graft::array_equal(c, expected) ? 0 : 1;
}
