// SPDX-License-Identifier: MIT
// grad() of a Shape<64,10> output: the loss must have one element (else vjp_of with a seed); the error
// names the output's shape. The ok twin differentiates sum() of it.
#include <graft/autodiff/grad.hpp>
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
    auto x = g.input<float, 64, 784>("x");
    auto w = g.param<float, 784, 10>("w", graft::init::zeros());
#ifdef GRAFT_SHOULD_FAIL
    auto loss = graft::matmul(x, w);
#else
    auto loss = graft::sum(graft::matmul(x, w));
#endif
    auto gw = graft::grad(loss, w);
    return static_cast<int>(gw.id());
}
