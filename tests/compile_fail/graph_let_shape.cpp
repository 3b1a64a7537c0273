// SPDX-License-Identifier: MIT
// Machine::let binds a Var<float, Shape<2,3>> with a Tensor<float, Shape<3,2>>: the shapes differ, a
// compile error naming both. The ok twin binds a Tensor<float, Shape<2,3>>.
#include <graft/exec.hpp>
#include <graft/graph.hpp>
#include <graft/tensor.hpp>

int main() {
    graft::Graph g;
    auto x = g.input<float, 2, 3>("x");
    graft::Machine m(graft::compile(g, x));
#ifdef GRAFT_SHOULD_FAIL
    graft::Tensor<float, graft::Shape<3, 2>> t;
#else
    graft::Tensor<float, graft::Shape<2, 3>> t;
#endif
    m.let(x, t);
    return 0;
}
