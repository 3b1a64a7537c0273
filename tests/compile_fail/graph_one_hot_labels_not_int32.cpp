// SPDX-License-Identifier: MIT
// one_hot<10> of a double Var: labels must be int32; the error names the label type (double) and the
// one expected (int). The ok twin's labels are int32.
#include <cstdint>
#include <graft/graph.hpp>

int main() {
    graft::Graph g;
#ifdef GRAFT_SHOULD_FAIL
    auto labels = g.input<double, 64>("labels");
#else
    auto labels = g.input<std::int32_t, 64>("labels");
#endif
    auto y = graft::one_hot<10>(labels);
    return static_cast<int>(y.id());
}
