// SPDX-License-Identifier: MIT
// matmul of Shape<2,3,4> by Shape<5,4,6>: the inner dims agree but the batch dims 2 and 5 do not broadcast.
#include <graft/tensor/linalg.hpp>

int main() {
    graft::Tensor<float, graft::Shape<2, 3, 4>> a;
#ifdef GRAFT_SHOULD_FAIL
    graft::Tensor<float, graft::Shape<5, 4, 6>> b;
#else
    graft::Tensor<float, graft::Shape<1, 4, 6>> b;
#endif
    auto c = graft::matmul(a, b);
    return static_cast<int>(c.size());
}
