// SPDX-License-Identifier: MIT
// softmax<2> of a Shape<64,10> Var: axis 2 is out of range for rank 2; the error names the shape and
// the axis. The ok twin takes softmax<1>.
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
    auto x = g.input<float, 64, 10>("x");
#ifdef GRAFT_SHOULD_FAIL
    auto y = graft::softmax<2>(x);
#else
    auto y = graft::softmax<1>(x);
#endif
    return static_cast<int>(y.id());
}
