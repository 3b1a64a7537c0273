// SPDX-License-Identifier: MIT
// examples/scalar_graph.cpp: the seed's scalar graph, z = x + y with x = 2 and y = 2.5, in graft.
// A scalar is a rank-0 value, Shape<>: the same Graph, compile and Machine steps as for matrices.
// The compiled program is reused: bind new values and run again, nothing is rebuilt or reallocated.
#include <graft/graft.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

using graft::Shape;
using graft::Tensor;

namespace {
// Writes the graph picture as <stem>.dot in the current directory and, when Graphviz is installed,
// renders <stem>.svg next to it (the SVG note goes to stderr so stdout stays the same everywhere).
void write_picture(const std::string& stem, const std::string& dot_text) {
    std::ofstream(stem + ".dot") << dot_text;
    std::cout << "wrote " << stem << ".dot\n";
    if (std::system("command -v dot > /dev/null 2>&1") == 0 &&
        std::system(("dot -Tsvg " + stem + ".dot -o " + stem + ".svg").c_str()) == 0)
        std::clog << "rendered " << stem << ".svg\n";
}
}  // namespace

int main() {
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

    write_picture("scalar_graph", graft::to_dot(g, {"z = x + y (scalars)", {z.id()}}));
}
