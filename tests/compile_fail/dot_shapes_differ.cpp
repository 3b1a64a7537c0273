// SPDX-License-Identifier: MIT
// dot of Shape<3> and Shape<4>: the operands must have the same shape; the error names both.
#include <graft/tensor/linalg.hpp>

int main() {
    graft::Tensor<double, graft::Shape<3>> a;
#ifdef GRAFT_SHOULD_FAIL
    graft::Tensor<double, graft::Shape<4>> b;
#else
    graft::Tensor<double, graft::Shape<3>> b;
#endif
    return static_cast<int>(graft::dot(a, b));
}
