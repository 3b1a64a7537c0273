// SPDX-License-Identifier: MIT
// graph conv2d of an input Shape<64,3,28,28> (3 channels) with a weight Shape<32,1,5,5> (1 input channel):
// the static_assert names both shapes and the groups. The ok twin gives the input 1 channel.
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
#ifdef GRAFT_SHOULD_FAIL
    auto x = g.input<float, 64, 3, 28, 28>("x");
#else
    auto x = g.input<float, 64, 1, 28, 28>("x");
#endif
    auto w = g.param<float, 32, 1, 5, 5>("w", graft::init::zeros());
    auto y = graft::conv2d<graft::Conv2dOptions{.same = true}>(x, w);
    return static_cast<int>(y.id());
}
