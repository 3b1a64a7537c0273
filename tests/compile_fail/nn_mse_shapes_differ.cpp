// SPDX-License-Identifier: MIT
// nn::mse of a prediction Shape<64,10> against a target Shape<64,1>: the shapes differ (mse does not
// broadcast); the error names both. The ok twin's target is Shape<64,10>.
#include <graft/graph.hpp>
#include <graft/nn/losses.hpp>

int main() {
    graft::Graph g;
    auto pred = g.input<float, 64, 10>("pred");
#ifdef GRAFT_SHOULD_FAIL
    auto target = g.input<float, 64, 1>("target");
#else
    auto target = g.input<float, 64, 10>("target");
#endif
    auto loss = graft::nn::mse(pred, target);
    return static_cast<int>(loss.id());
}
