// SPDX-License-Identifier: MIT
// graph concat<1> of Var Shape<2,3> and Var Shape<3,4>: axis 0 differs (2 vs 3), so they do not join
// along axis 1. The ok twin concatenates Shape<2,4>.
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
    auto a = g.input<float, 2, 3>("a");
#ifdef GRAFT_SHOULD_FAIL
    auto b = g.input<float, 3, 4>("b");
#else
    auto b = g.input<float, 2, 4>("b");
#endif
    auto y = graft::concat<1>(a, b);
    return static_cast<int>(y.id());
}
