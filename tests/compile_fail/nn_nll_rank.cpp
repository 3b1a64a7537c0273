// SPDX-License-Identifier: MIT
// nn::nll of log-probabilities Shape<64,10,2>: they must be [batch, classes] (rank 2); the error names
// the shape and the rank 2. The ok twin passes Shape<64,10>.
#include <cstdint>
#include <graft/graph.hpp>
#include <graft/nn/losses.hpp>

int main() {
    graft::Graph g;
#ifdef GRAFT_SHOULD_FAIL
    auto log_probs = g.input<float, 64, 10, 2>("log_probs");
#else
    auto log_probs = g.input<float, 64, 10>("log_probs");
#endif
    auto labels = g.input<std::int32_t, 64>("labels");
    auto loss = graft::nn::nll(log_probs, labels);
    return static_cast<int>(loss.id());
}
