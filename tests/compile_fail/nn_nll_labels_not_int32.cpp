// SPDX-License-Identifier: MIT
// nn::cross_entropy with float labels: labels are int32 class indices; the error names the label type
// (float) and the one expected (int). The ok twin's labels are int32.
#include <cstdint>
#include <graft/graph.hpp>
#include <graft/nn/losses.hpp>

int main() {
    graft::Graph g;
    auto logits = g.input<float, 64, 10>("logits");
#ifdef GRAFT_SHOULD_FAIL
    auto labels = g.input<float, 64>("labels");
#else
    auto labels = g.input<std::int32_t, 64>("labels");
#endif
    auto loss = graft::nn::cross_entropy(logits, labels);
    return static_cast<int>(loss.id());
}
