// SPDX-License-Identifier: MIT
// max_pool2d<5> of a Shape<8,3,4,4> Var: a 5x5 window does not fit a 4x4 image; the error names the
// input's shape and the window (kernel, stride, padding). The ok twin takes max_pool2d<2>.
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
    auto x = g.input<float, 8, 3, 4, 4>("x");
#ifdef GRAFT_SHOULD_FAIL
    auto y = graft::max_pool2d<5>(x);
#else
    auto y = graft::max_pool2d<2>(x);
#endif
    return static_cast<int>(y.id());
}
