// SPDX-License-Identifier: MIT
// permute<0, 0, 1> of a Shape<2,3,4> Var: axis 0 twice and no axis 2, not a permutation; the error names
// the shape and the axes. The ok twin takes permute<2, 0, 1>.
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
    auto x = g.input<float, 2, 3, 4>("x");
#ifdef GRAFT_SHOULD_FAIL
    auto y = graft::permute<0, 0, 1>(x);
#else
    auto y = graft::permute<2, 0, 1>(x);
#endif
    return static_cast<int>(y.id());
}
