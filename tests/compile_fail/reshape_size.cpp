// SPDX-License-Identifier: MIT
// Reshaping Shape<2,3> (6 elements) to Shape<4,2> (8 elements); the error names both shapes.
#include <graft/tensor/tensor.hpp>

int main() {
    graft::Tensor<float, graft::Shape<2, 3>> a;
#ifdef GRAFT_SHOULD_FAIL
    auto b = a.reshape<4, 2>();
#else
    auto b = a.reshape<3, 2>();
#endif
    return static_cast<int>(b.size());
}
