// SPDX-License-Identifier: MIT
// graph matmul of Var Shape<64,784> by Var Shape<100,10>: the inner dims 784 and 100 differ; the
// static_assert names both shapes. The ok twin multiplies by Shape<784,10>.
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
    auto x = g.input<float, 64, 784>("x");
#ifdef GRAFT_SHOULD_FAIL
    auto w = g.param<float, 100, 10>("w", graft::init::zeros());
#else
    auto w = g.param<float, 784, 10>("w", graft::init::zeros());
#endif
    auto y = graft::matmul(x, w);
    return static_cast<int>(y.id());
}
