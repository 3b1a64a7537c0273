// SPDX-License-Identifier: MIT
// sum over axis 2 of a Shape<2,3> (axes 0 and 1 only); the error names the shape and the axis.
#include <graft/tensor/reduce.hpp>

int main() {
    graft::Tensor<float, graft::Shape<2, 3>> a;
#ifdef GRAFT_SHOULD_FAIL
    auto s = graft::sum<2>(a);
#else
    auto s = graft::sum<1>(a);
#endif
    return static_cast<int>(s.size());
}
