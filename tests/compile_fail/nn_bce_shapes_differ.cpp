// SPDX-License-Identifier: MIT
// nn::binary_cross_entropy_with_logits of logits Shape<64,1> against targets Shape<64>: the shapes
// differ (no broadcasting); the error names both. The ok twin's targets are Shape<64,1>.
#include <graft/graph.hpp>
#include <graft/nn/losses.hpp>

int main() {
    graft::Graph g;
    auto logits = g.input<float, 64, 1>("logits");
#ifdef GRAFT_SHOULD_FAIL
    auto targets = g.input<float, 64>("targets");
#else
    auto targets = g.input<float, 64, 1>("targets");
#endif
    auto loss = graft::nn::binary_cross_entropy_with_logits(logits, targets);
    return static_cast<int>(loss.id());
}
