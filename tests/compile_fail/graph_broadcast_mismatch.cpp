// SPDX-License-Identifier: MIT
// graph x + b with Var Shape<2,3> and Var Shape<4>: the trailing dims 3 and 4 neither match nor are 1.
// The ok twin adds a Shape<3> row.
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
    auto x = g.input<float, 2, 3>("x");
#ifdef GRAFT_SHOULD_FAIL
    auto b = g.input<float, 4>("b");
#else
    auto b = g.input<float, 3>("b");
#endif
    auto y = x + b;
    return static_cast<int>(y.id());
}
