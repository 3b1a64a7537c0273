// SPDX-License-Identifier: MIT
// examples/04_gradients_and_broadcasting.cpp: gradients of vector functions, and what broadcasting does to them.
//   Part 1: y = tanh(A x + b) with x in R^3, A a 2x3 matrix, b in R^2, and L = sum(y * y).
//           grad(L, x) is one reverse sweep; it equals A^T (dL/dy ⊙ (1 - y^2)) derived by hand. The full
//           2x3 Jacobian dy/dx takes one sweep per output (row by row); the product u^T (dy/dx) for one
//           vector u (a vector-Jacobian product, VJP) takes one sweep, and with u = dL/dy it is dL/dx.
//   Part 2: S = P + c with P a 4x3 matrix and c in R^3: c is broadcast over the 4 rows. Its gradient is
//           the incoming adjoint summed over the broadcast axis (unbroadcast): a `sum` over axis 0.
#include <graft/graft.hpp>

#include "teaching.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>

using graft::Shape;
using graft::Tensor;

namespace {
template <class T>
void print_vec(const char* label, const T& t, std::size_t n) {
    std::printf("%-24s", label);
    for (std::size_t i = 0; i < n; ++i) std::printf(" %12.8f", t[i]);
    std::printf("\n");
}
}  // namespace

int main(int argc, char** argv) {
    const teaching::Pictures pics("04_gradients_and_broadcasting", argc, argv);
    const Tensor<double, Shape<3>> X{0.5, -1.0, 2.0};
    const Tensor<double, Shape<2, 3>> Av{{0.2, -0.4, 0.1}, {0.3, 0.5, -0.2}};
    const Tensor<double, Shape<2>> Bv{0.1, -0.3};

    // ---- Part 1: a vector function and its gradient
    graft::Graph g;
    auto x = g.input<double, 3>("x");
    auto A = g.input<double, 2, 3>("A");
    auto b = g.input<double, 2>("b");
    auto z = (matmul(A, x) + b).named("z");  // [2,3] · [3] -> [2]
    auto y = tanh(z).named("y");
    auto L = sum(y * y).named("L");          // one element: grad() needs no seed
    std::cout << "The forward graph of L = sum(tanh(A x + b)^2):\n" << graft::print(g);
    pics.forward(g, {L.id()}, "L = sum(tanh(A x + b)^2)");

    const auto first_bwd = static_cast<graft::NodeId>(g.size());
    auto dx = graft::grad(L, x);  // Var<double, Shape<3>>: typed like x
    // The Jacobian dy/dx row by row: row i is the gradient of the one-element output y_i.
    auto J0 = graft::grad(sum(slice<0, 0, 1>(y)), x);
    auto J1 = graft::grad(sum(slice<0, 1, 2>(y)), x);
    // One VJP: u^T (dy/dx) for u = 2y (= dL/dy), in a single reverse sweep seeded with u instead of 1.
    auto vjp = graft::vjp_of(y, y * 2.0, x);
    pics.backward(g, {L.id(), dx.id(), J0.id(), J1.id(), vjp.id()}, first_bwd, "L, grad(L, x), the Jacobian rows and a VJP (blue)");
    pics.after_passes(g, {L.id(), dx.id(), J0.id(), J1.id(), vjp.id()}, "after passes::standard()");

    graft::Machine m(graft::compile(g, y, L, dx, J0, J1, vjp));
    m.let(x, X);
    m.let(A, Av);
    m.let(b, Bv);
    m.run();
    const auto Y = m.value(y);
    std::printf("\nforward at x = [0.5, -1, 2]:\n");
    print_vec("y = tanh(A x + b)", Y, 2);
    std::printf("%-24s %12.8f\n", "L = sum(y*y)", m.value(L).item());

    // By hand: dL/dy = 2y, dL/dz = dL/dy ⊙ (1 - y^2), dL/dx = A^T dL/dz.
    double dz[2], hand[3] = {0, 0, 0};
    for (std::size_t i = 0; i < 2; ++i) dz[i] = 2 * Y[i] * (1 - Y[i] * Y[i]);
    for (std::size_t j = 0; j < 3; ++j)
        for (std::size_t i = 0; i < 2; ++i) hand[j] += Av(i, j) * dz[i];
    std::printf("\ndL/dx, one reverse sweep:\n");
    print_vec("grad(L, x)", m.value(dx), 3);
    print_vec("A^T (2y * (1 - y^2))", hand, 3);

    // The Jacobian: J(i, j) = (1 - y_i^2) A(i, j). Two sweeps, one per output.
    std::printf("\nthe Jacobian dy/dx, one grad() per row, next to (1 - y_i^2) A(i, j):\n");
    const auto r0 = m.value(J0), r1 = m.value(J1);
    print_vec("row 0 = grad(y_0, x)", r0, 3);
    for (std::size_t j = 0; j < 3; ++j) hand[j] = (1 - Y[0] * Y[0]) * Av(0, j);
    print_vec("  by hand", hand, 3);
    print_vec("row 1 = grad(y_1, x)", r1, 3);
    for (std::size_t j = 0; j < 3; ++j) hand[j] = (1 - Y[1] * Y[1]) * Av(1, j);
    print_vec("  by hand", hand, 3);
    for (std::size_t j = 0; j < 3; ++j) hand[j] = 2 * Y[0] * r0[j] + 2 * Y[1] * r1[j];
    print_vec("J^T (2y) from the rows", hand, 3);
    print_vec("vjp_of(y, 2y, x)", m.value(vjp), 3);

    // ---- Part 2: broadcasting, and the sum that undoes it
    graft::Graph g2;
    auto P = g2.input<double, 4, 3>("P");
    auto c = g2.input<double, 3>("c");
    auto W = g2.input<double, 4, 3>("W");
    auto S = (P + c).named("S");           // [4,3] + [3]: c is added to each of the 4 rows
    auto L2 = sum(S * W).named("L2");       // dL2/dS = W, so the adjoint arriving at the add is W
    std::cout << "\nThe graph of L2 = sum((P + c) * W), c broadcast over the rows of P:\n" << graft::print(g2);
    const auto first_bwd2 = static_cast<graft::NodeId>(g2.size());
    auto [dP, dc] = graft::grad(L2, P, c);
    pics.write("broadcast", "L2 = sum((P + c) * W) and its reverse sweep (blue)", g2, {L2.id(), dP.id(), dc.id()}, first_bwd2);
    std::cout << "\ngrad(L2, P, c) appended:\n";
    for (graft::NodeId id = first_bwd2; id < g2.size(); ++id) std::cout << graft::print_node(g2, g2.node(id)) << '\n';
    std::cout << "Read from the seed down (grad returned %" << dP.id() << " as dL2/dP and %" << dc.id() << " as dL2/dc):\n"
              << "  %6..%8    the seed 1, broadcast to the shape of (P + c) * W\n"
              << "  %9        dL2/dS = seed * W, the adjoint of S = P + c; add hands it unchanged to P: dL2/dP\n"
              << "  %10       the mul rule's share for W: built but unused (W was not asked for), so compile() drops it\n"
              << "  %11       dL2/dc: the [4,3] adjoint summed over axis 0, the axis broadcasting added to c\n";

    Tensor<double, Shape<4, 3>> Pv, Wv;
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            Pv(i, j) = 0.1 * double(i) - 0.2 * double(j);
            Wv(i, j) = double(i + 1) + 0.5 * double(j);
        }
    graft::Machine m2(graft::compile(g2, L2, dP, dc));
    m2.let(P, Pv);
    m2.let(c, Tensor<double, Shape<3>>{1.0, 2.0, 3.0});
    m2.let(W, Wv);
    m2.run();
    double colsum[3] = {0, 0, 0};
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 3; ++j) colsum[j] += Wv(i, j);
    std::printf("\nW (= the adjoint dL2/dS):\n");
    for (std::size_t i = 0; i < 4; ++i) std::printf("  %5.1f %5.1f %5.1f\n", Wv(i, 0), Wv(i, 1), Wv(i, 2));
    std::printf("dL2/dc = grad          %5.1f %5.1f %5.1f\n", m2.value(dc)[0], m2.value(dc)[1], m2.value(dc)[2]);
    std::printf("column sums of W       %5.1f %5.1f %5.1f\n", colsum[0], colsum[1], colsum[2]);

    // Central differences in double, for both parts (every partial derivative of every input).
    const auto check1 = graft::gradcheck(
        [](auto xx, auto AA, auto bb) {
            auto yy = tanh(matmul(AA, xx) + bb);
            return sum(yy * yy);
        },
        X, Av, Bv);
    const auto check2 = graft::gradcheck([](auto PP, auto cc, auto WW) { return sum((PP + cc) * WW); }, Pv,
                                         Tensor<double, Shape<3>>{1.0, 2.0, 3.0}, Wv);
    std::printf("\ngradcheck agrees: part 1 %s (%zu partial derivatives), part 2 %s (%zu)\n", check1.ok ? "yes" : "no",
                check1.checked, check2.ok ? "yes" : "no", check2.checked);
}
