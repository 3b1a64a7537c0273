// SPDX-License-Identifier: MIT
// t(1) on a rank-2 tensor: element access takes exactly one index per dimension.
#include <graft/tensor/tensor.hpp>

int main() {
    graft::Tensor<float, graft::Shape<2, 3>> t;
#ifdef GRAFT_SHOULD_FAIL
    return static_cast<int>(t(1));
#else
    return static_cast<int>(t(1, 2));
#endif
}
