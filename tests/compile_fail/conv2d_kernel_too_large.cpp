// SPDX-License-Identifier: MIT
// graph conv2d of an input Shape<8,1,4,4> with a 5x5 kernel and no padding: the kernel does not fit; the
// static_assert names both shapes. The ok twin pads by 1 (6x6 holds 5x5).
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
    auto x = g.input<float, 8, 1, 4, 4>("x");
    auto w = g.param<float, 2, 1, 5, 5>("w", graft::init::zeros());
#ifdef GRAFT_SHOULD_FAIL
    auto y = graft::conv2d(x, w);
#else
    auto y = graft::conv2d<graft::Conv2dOptions{.pad_h = 1, .pad_w = 1}>(x, w);
#endif
    return static_cast<int>(y.id());
}
