// SPDX-License-Identifier: MIT
// examples/matrix_add.cpp: the seed program's 2x2 matrix addition, eagerly.
#include <graft/graft.hpp>

#include <iostream>

int main() {
    graft::Tensor<float, graft::Shape<2, 2>> x{{1, 2}, {3, 4}};
    graft::Tensor<float, graft::Shape<2, 2>> y{{5, 6}, {7, 8}};
    std::cout << x + y << '\n';  // [[6, 8], [10, 12]]
}
