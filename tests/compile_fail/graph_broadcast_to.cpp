// SPDX-License-Identifier: MIT
// broadcast_to<Shape<64,4>> of a Shape<3> Var: 3 is neither 4 nor 1, so it does not broadcast; the
// error names both shapes. The ok twin broadcasts to Shape<64,3>.
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
    auto b = g.input<float, 3>("b");
#ifdef GRAFT_SHOULD_FAIL
    auto y = graft::broadcast_to<graft::Shape<64, 4>>(b);
#else
    auto y = graft::broadcast_to<graft::Shape<64, 3>>(b);
#endif
    return static_cast<int>(y.id());
}
