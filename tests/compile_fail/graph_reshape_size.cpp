// SPDX-License-Identifier: MIT
// graph reshape of Var Shape<2,3> (6 elements) to Shape<4,2> (8 elements): sizes differ, both shapes named.
// The ok twin reshapes to Shape<3,2>.
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
    auto x = g.input<float, 2, 3>("x");
#ifdef GRAFT_SHOULD_FAIL
    auto y = graft::reshape<4, 2>(x);
#else
    auto y = graft::reshape<3, 2>(x);
#endif
    return static_cast<int>(y.id());
}
