// SPDX-License-Identifier: MIT
// transposed() of a rank-3 Shape<2,3,4>: only a matrix can be handed to matmul as a transpose flag.
#include <graft/tensor/linalg.hpp>

int main() {
#ifdef GRAFT_SHOULD_FAIL
    graft::Tensor<float, graft::Shape<2, 3, 4>> a;
    graft::Tensor<float, graft::Shape<2, 5>> b;
#else
    graft::Tensor<float, graft::Shape<2, 4>> a;
    graft::Tensor<float, graft::Shape<2, 5>> b;
#endif
    auto c = graft::matmul(graft::transposed(a), b);
    return static_cast<int>(c.size());
}
