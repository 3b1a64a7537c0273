// SPDX-License-Identifier: MIT
// slice<1, 2, 12> of a Shape<64,10> Var: [2, 12) runs past axis 1's 10 elements; the error names the
// shape, the axis and the bounds. The ok twin takes slice<1, 2, 10>.
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
    auto x = g.input<float, 64, 10>("x");
#ifdef GRAFT_SHOULD_FAIL
    auto y = graft::slice<1, 2, 12>(x);
#else
    auto y = graft::slice<1, 2, 10>(x);
#endif
    return static_cast<int>(y.id());
}
