// SPDX-License-Identifier: MIT
// a += b with a Shape<3> and b Shape<2,3>: b has the higher rank, so it cannot broadcast into a.
// Regression: the predicate compared arrays of different lengths and failed with an unrelated operator== error.
#include <graft/tensor/elementwise.hpp>

int main() {
    graft::Tensor<float, graft::Shape<3>> a;
#ifdef GRAFT_SHOULD_FAIL
    graft::Tensor<float, graft::Shape<2, 3>> b;
#else
    graft::Tensor<float, graft::Shape<1>> b;
#endif
    a += b;
    return static_cast<int>(a.size());
}
