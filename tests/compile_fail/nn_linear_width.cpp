// SPDX-License-Identifier: MIT
// The tutorial 08 exercise: fc2 as nn::Linear<200, 128> after fc1 = nn::Linear<784, 256> gets a [64, 256]
// input; the error names the input's shape and fc2's weight shape. The ok twin's fc2 is Linear<256, 128>.
#include <graft/graph.hpp>
#include <graft/nn/layers/linear.hpp>

int main() {
    graft::Graph g;
    auto x = g.input<float, 64, 784>("x");
    graft::nn::Linear<784, 256> fc1(g, "fc1", 1);
#ifdef GRAFT_SHOULD_FAIL
    graft::nn::Linear<200, 128> fc2(g, "fc2", 2);
#else
    graft::nn::Linear<256, 128> fc2(g, "fc2", 2);
#endif
    auto y = fc2(graft::relu(fc1(x)));
    return static_cast<int>(y.id());
}
