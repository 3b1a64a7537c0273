// SPDX-License-Identifier: MIT
// matmul of Shape<2,3> by Shape<4,5>: the inner dims 3 and 4 differ; the error names both shapes.
#include <graft/tensor.hpp>

int main() {
    graft::Tensor<float, graft::Shape<2, 3>> a;
#ifdef GRAFT_SHOULD_FAIL
    graft::Tensor<float, graft::Shape<4, 5>> b;
#else
    graft::Tensor<float, graft::Shape<3, 5>> b;
#endif
    auto c = graft::matmul(a, b);
    return static_cast<int>(c.size());
}
