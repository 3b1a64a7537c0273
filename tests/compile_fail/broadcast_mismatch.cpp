// SPDX-License-Identifier: MIT
// Shape<2,3> + Shape<4,3>: the leading dims 2 and 4 differ and neither is 1; the error names both shapes.
#include <graft/tensor/elementwise.hpp>

int main() {
    graft::Tensor<float, graft::Shape<2, 3>> a;
#ifdef GRAFT_SHOULD_FAIL
    graft::Tensor<float, graft::Shape<4, 3>> b;
#else
    graft::Tensor<float, graft::Shape<1, 3>> b;
#endif
    auto c = a + b;
    return static_cast<int>(c.size());
}
