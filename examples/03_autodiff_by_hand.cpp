// SPDX-License-Identifier: MIT
// examples/03_autodiff_by_hand.cpp: reverse-mode automatic differentiation, one step at a time.
//   f(x, y) = tanh(x*y + y)   at x = 0.5, y = -0.3
// grad() does not run anything: it walks the graph from f back to x and y and appends, for every node
// it passes, the nodes of that op's vector-Jacobian product (VJP). The gradients are then ordinary graph
// nodes, compiled with f into one tape. The program prints the graph before and after grad(), the traced
// tape (every instruction with the values it read and wrote), and each adjoint next to its value derived
// by hand with the chain rule.
#include <graft/graft.hpp>

#include "teaching.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>

using graft::Shape;
using graft::Tensor;

int main(int argc, char** argv) {
    // --dot DIR also writes the graph before and after grad() and after the passes (teaching.hpp)
    const teaching::Pictures pics("03_autodiff_by_hand", argc, argv);
    graft::Graph g;
    auto x = g.input<double>("x");  // rank-0 (scalar) inputs
    auto y = g.input<double>("y");
    auto u = (x * y).named("u");
    auto v = (u + y).named("v");
    auto f = tanh(v).named("f");

    std::cout << "The forward graph of f(x, y) = tanh(x*y + y):\n" << graft::print(g);
    pics.forward(g, {f.id()}, "f = tanh(x*y + y)");

    // grad() appends the reverse sweep. It visits f, v, u in reverse topological order; each visit adds
    // the VJP nodes of that op, fed with the node's adjoint (df/dnode), and sums adjoints that meet
    // (y is used twice, so df/dy is a sum of two contributions).
    const auto first_new = static_cast<graft::NodeId>(g.size());
    auto [dx, dy] = graft::grad(f, x, y);
    pics.backward(g, {f.id(), dx.id(), dy.id()}, first_new, "f = tanh(x*y + y) and its reverse sweep (blue)");
    pics.after_passes(g, {f.id(), dx.id(), dy.id()}, "f and its gradients after passes::standard()");
    std::cout << "\ngrad(f, x, y) appended the reverse sweep:\n";
    for (graft::NodeId id = first_new; id < g.size(); ++id) std::cout << graft::print_node(g, g.node(id)) << '\n';
    std::cout << "Read from the seed down (grad returned %" << dx.id() << " as df/dx and %" << dy.id() << " as df/dy):\n"
              << "  %5        df/df = 1, the seed\n"
              << "  %6, %7    1 - f^2: the VJP of tanh reuses the forward output f (%4)\n"
              << "  %8        df/dv = df/df * (1 - f^2); v = u + y hands it unchanged to u and to y\n"
              << "  %9        df/dx = df/du * y: the VJP of a product multiplies by the other operand\n"
              << "  %10       df/du * x, the share of df/dy that goes through u\n"
              << "  %11       df/dy = df/du * x + df/dv: y is used twice, so its two adjoints add\n";

    // Forward and reverse sweep are one tape. The trace prints every instruction as it runs.
    graft::Machine m(graft::compile(g, f, dx, dy));
    std::cout << "\nThe tape, traced at x = 0.5, y = -0.3:\n";
    m.set_trace(&std::cout);
    m.let(x, Tensor<double, Shape<>>(0.5));
    m.let(y, Tensor<double, Shape<>>(-0.3));
    m.run();
    m.set_trace(nullptr);

    // The same numbers by hand, with the chain rule.
    const double X = 0.5, Y = -0.3;
    const double U = X * Y, V = U + Y, F = std::tanh(V);
    const double dF_dV = 1 - F * F;      // tanh'(v) = 1 - tanh(v)^2
    const double dF_dU = dF_dV * 1;      // v = u + y: dv/du = 1
    const double dF_dX = dF_dU * Y;      // u = x * y: du/dx = y
    const double dF_dY = dF_dU * X + dF_dV * 1;  // y reaches f through u (du/dy = x) and through v (dv/dy = 1)
    std::printf("\n%-6s %18s %18s\n", "", "graft", "by hand");
    std::printf("%-6s %18.12f %18.12f\n", "f", m.value(f).item(), F);
    std::printf("%-6s %18.12f %18.12f   = df/du * y\n", "df/dx", m.value(dx).item(), dF_dX);
    std::printf("%-6s %18.12f %18.12f   = df/du * x + df/dv\n", "df/dy", m.value(dy).item(), dF_dY);

    // And a third opinion: central finite differences in double.
    const auto check = graft::gradcheck([](auto a, auto b) { return tanh(a * b + b); }, Tensor<double, Shape<>>(X), Tensor<double, Shape<>>(Y));
    std::printf("\ngradcheck (central differences) agrees: %s (%zu partial derivatives)\n", check.ok ? "yes" : "no", check.checked);
}
