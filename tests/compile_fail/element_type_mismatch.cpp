// SPDX-License-Identifier: MIT
// A float tensor plus a double tensor of the same shape: graft never promotes silently; the error names both types.
#include <graft/tensor/elementwise.hpp>

int main() {
    graft::Tensor<float, graft::Shape<2, 3>> a;
#ifdef GRAFT_SHOULD_FAIL
    graft::Tensor<double, graft::Shape<2, 3>> b;
#else
    graft::Tensor<float, graft::Shape<2, 3>> b;
#endif
    auto c = a + b;
    return static_cast<int>(c.size());
}
