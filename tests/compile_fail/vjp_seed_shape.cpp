// SPDX-License-Identifier: MIT
// vjp_of(y, seed, w) with y Shape<64,10> and a seed Shape<10,64>: the seed must be shaped like the
// output; the error names both shapes. The ok twin's seed is Shape<64,10>.
#include <graft/autodiff/grad.hpp>
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
    auto x = g.input<float, 64, 784>("x");
    auto w = g.param<float, 784, 10>("w", graft::init::zeros());
    auto y = graft::matmul(x, w);
#ifdef GRAFT_SHOULD_FAIL
    auto seed = g.input<float, 10, 64>("seed");
#else
    auto seed = g.input<float, 64, 10>("seed");
#endif
    auto gw = graft::vjp_of(y, seed, w);
    return static_cast<int>(gw.id());
}
