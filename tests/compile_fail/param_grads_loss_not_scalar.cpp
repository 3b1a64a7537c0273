// SPDX-License-Identifier: MIT
// nn::param_grads of a Shape<64,10> output (the optimizer's gradients need a one-element loss); the
// error names the output's shape. The ok twin passes mean() of it.
#include <graft/graph.hpp>
#include <graft/nn/layers/linear.hpp>
#include <graft/nn/optim/optimizer.hpp>

int main() {
    graft::Graph g;
    auto x = g.input<float, 64, 784>("x");
    graft::nn::Linear<784, 10> fc(g, "fc", 1);
#ifdef GRAFT_SHOULD_FAIL
    auto loss = fc(x);
#else
    auto loss = graft::mean(fc(x));
#endif
    auto grads = graft::nn::param_grads(loss, fc);
    return static_cast<int>(grads.items.size());
}
