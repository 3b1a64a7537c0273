// SPDX-License-Identifier: MIT
// nn::cross_entropy of logits Shape<64,10> with labels Shape<32>: one label per row is needed; the error
// names the labels' shape and the expected Shape<64>. The ok twin has 64 labels.
#include <cstdint>
#include <graft/graph.hpp>
#include <graft/nn/losses.hpp>

int main() {
    graft::Graph g;
    auto logits = g.input<float, 64, 10>("logits");
#ifdef GRAFT_SHOULD_FAIL
    auto labels = g.input<std::int32_t, 32>("labels");
#else
    auto labels = g.input<std::int32_t, 64>("labels");
#endif
    auto loss = graft::nn::cross_entropy(logits, labels);
    return static_cast<int>(loss.id());
}
