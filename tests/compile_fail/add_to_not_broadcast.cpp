// SPDX-License-Identifier: MIT
// add_to(y, x) with y Shape<1,3> and x Shape<2,3>: the two broadcast together, but x does not fit into y.
#include <graft/tensor/linalg.hpp>

int main() {
    graft::Tensor<float, graft::Shape<1, 3>> y;
#ifdef GRAFT_SHOULD_FAIL
    graft::Tensor<float, graft::Shape<2, 3>> x;
#else
    graft::Tensor<float, graft::Shape<3>> x;
#endif
    graft::add_to(y, x);
    return static_cast<int>(y.size());
}
