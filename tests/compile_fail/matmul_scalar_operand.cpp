// SPDX-License-Identifier: MIT
// matmul of a rank-0 Shape<> by Shape<3>: NumPy refuses scalars in matmul, and so does graft.
#include <graft/tensor/linalg.hpp>

int main() {
#ifdef GRAFT_SHOULD_FAIL
    graft::Tensor<float, graft::Shape<>> a;
#else
    graft::Tensor<float, graft::Shape<3>> a;
#endif
    graft::Tensor<float, graft::Shape<3>> b;
    auto c = graft::matmul(a, b);
    return static_cast<int>(c.size());
}
