// SPDX-License-Identifier: MIT
// examples/02_first_graph.cpp: the seed's first Gorgonia program, z = x + y on two 2x2 matrices, in graft.
// Gorgonia's workflow — NewGraph, NewMatrix, Add, Let, NewTapeMachine, RunAll, Value — maps line by line;
// the one difference is that values are bound on the Machine, not on graph nodes, so the graph stays
// a pure description that several machines (and programs) can share.
#include <graft/graft.hpp>

#include "teaching.hpp"

#include <iostream>
#include <string>
#include <vector>

using graft::Shape;
using graft::Tensor;

int main(int argc, char** argv) {
    // --dot DIR writes the pictures of the graph (teaching.hpp)
    const teaching::Pictures pics("02_first_graph", argc, argv);
    // g := gorgonia.NewGraph()
    graft::Graph g;

    // x := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 2), gorgonia.WithName("x"))
    // y := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 2), gorgonia.WithName("y"))
    // The shape is part of the type: x is a graft::Var<double, Shape<2, 2>>.
    auto x = g.input<double, 2, 2>("x");
    auto y = g.input<double, 2, 2>("y");

    // z, _ := gorgonia.Add(x, y)       — no error to check: a shape mismatch would not compile.
    auto z = x + y;

    // The graph is data: one node per line, the form the tests compare.
    std::cout << "graph:\n" << graft::print(g);

    // machine := gorgonia.NewTapeMachine(g)
    // compile() lowers the part of the graph that z needs to a flat tape; the Machine runs it.
    graft::Machine machine(graft::compile(g, z));

    // gorgonia.Let(x, tensor.New(tensor.WithBacking([]float64{1, 2, 3, 4}), tensor.WithShape(2, 2)))
    // gorgonia.Let(y, tensor.New(tensor.WithBacking([]float64{5, 6, 7, 8}), tensor.WithShape(2, 2)))
    // let() checks at compile time that the tensor's shape is the Var's shape.
    machine.let(x, Tensor<double, Shape<2, 2>>::from_range(std::vector<double>{1, 2, 3, 4}));
    machine.let(y, Tensor<double, Shape<2, 2>>{{5, 6}, {7, 8}});  // or nested rows

    // machine.RunAll()
    machine.run();

    // fmt.Printf("Result: %v\n", z.Value())       // Gorgonia prints [[6 8] [10 12]]
    std::cout << "Result: " << machine.value(z) << '\n';  // Result: [[6, 8], [10, 12]]

    // defer machine.Close()  — nothing to close: the Machine frees its arena when it goes out of scope.

    // The compiled tape, with each value's place in the machine's arena.
    std::cout << machine.program().dump();

    // With --dot DIR: DIR/02_first_graph.forward.dot and .passes.dot (and .svg when Graphviz is installed).
    pics.forward(g, {z.id()}, "z = x + y");
    pics.after_passes(g, {z.id()}, "z = x + y, after passes::standard()");
}
