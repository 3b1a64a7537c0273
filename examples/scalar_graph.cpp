// SPDX-License-Identifier: MIT
// examples/scalar_graph.cpp: the seed's scalar graph, z = x + y with x = 2 and y = 2.5, in graft.
// A scalar is a rank-0 value, Shape<>: the same Graph, compile and Machine steps as for matrices.
// The compiled program is reused: bind new values and run again, nothing is rebuilt or reallocated.
#include <graft/graft.hpp>

#include "teaching.hpp"

#include <iostream>
#include <string>

using graft::Shape;
using graft::Tensor;

int main(int argc, char** argv) {
    // --dot DIR writes the pictures of the graph (teaching.hpp)
    const teaching::Pictures pics("scalar_graph", argc, argv);
    // g := gorgonia.NewGraph()
    graft::Graph g;

    // x := gorgonia.NewScalar(g, gorgonia.Float64, gorgonia.WithName("x"))
    // y := gorgonia.NewScalar(g, gorgonia.Float64, gorgonia.WithName("y"))
    auto x = g.input<double>("x");  // graft::Var<double, Shape<>>
    auto y = g.input<double>("y");

    // z, _ := gorgonia.Add(x, y)
    auto z = x + y;
    z.named("z");  // names show in print(), DOT pictures and error messages

    std::cout << graft::print(g);
    // %0 = input "x" f64[]
    // %1 = input "y" f64[]
    // %2 = add "z" %0 %1 f64[]

    // machine := gorgonia.NewTapeMachine(g)
    graft::Machine m(graft::compile(g, z));

    // gorgonia.Let(x, 2.0); gorgonia.Let(y, 2.5)
    // A rank-0 Tensor is made from its value.
    m.let(x, Tensor<double, Shape<>>(2.0));
    m.let(y, Tensor<double, Shape<>>(2.5));

    // machine.RunAll(); fmt.Printf("%v", z.Value())
    m.run();
    std::cout << "z = " << m.value(z) << '\n';  // z = 4.5

    // Run the same program again with new bindings (Gorgonia: machine.Reset(), Let, RunAll).
    m.let(x, Tensor<double, Shape<>>(10.0));
    m.run();
    std::cout << "z = " << m.value(z) << " after let(x, 10)\n";  // z = 12.5 after let(x, 10)
    std::cout << "run() called " << m.steps() << " times\n";      // run() called 2 times

    // The value of a rank-0 view is also available as a plain number.
    const double z_value = m.value(z).item();
    std::cout << "z.item() = " << z_value << '\n';  // z.item() = 12.5

    pics.forward(g, {z.id()}, "z = x + y (scalars)");
    pics.after_passes(g, {z.id()}, "z = x + y (scalars), after passes::standard()");
}
