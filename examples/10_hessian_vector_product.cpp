// SPDX-License-Identifier: MIT
// examples/10_hessian_vector_product.cpp: higher-order gradients, grad() of a grad().
//   f(x) = sum(x^3)/3 + x0*x1,   x in R^3
//   g(x) = grad f = x^2 + [x1, x0, 0]                       (elementwise square)
//   H(x) = diag(2x) + [[0,1,0],[1,0,0],[0,0,0]]             (not diagonal: the x0*x1 term couples x0 and x1)
// grad() returns ordinary graph nodes, and every VJP rule is built from differentiable ops, so the reverse
// sweep can be differentiated again. The Hessian-vector product is the gradient of the scalar g·v:
//   Hv = grad(sum(g * v), x)        (d/dx (g(x)·v) = H(x) v, since v does not depend on x)
// Why this costs about two gradients and never forms H: the first grad() appends a reverse sweep about as
// large as the forward graph. g·v is one scalar, so the second grad() is one more reverse sweep, this time
// over the forward graph *and* the first sweep: a constant multiple of the cost of f, whatever n is. It
// produces the n numbers of Hv directly; the n x n matrix H never exists. The full H needs n HVPs (one per
// unit vector), which is what makes it expensive for large n, and why optimizers that need curvature
// (Newton-CG, Hessian-free training) use HVPs instead.
#include <graft/graft.hpp>

#include "teaching.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>

using graft::Shape;
using graft::Tensor;
using Vec = Tensor<double, Shape<3>>;

namespace {
void print_vec(const char* label, const Vec& t) {
    std::printf("%-30s", label);
    for (std::size_t i = 0; i < 3; ++i) std::printf(" %12.8f", t[i] + 0.0);  // + 0.0 prints -0 as 0
    std::printf("\n");
}
}  // namespace

int main(int argc, char** argv) {
    const teaching::Pictures pics("10_hessian_vector_product", argc, argv);
    graft::Graph g;
    auto x = g.input<double, 3>("x");
    auto v = g.input<double, 3>("v");  // the direction: an input, so one program serves every v
    auto x0 = slice<0, 0, 1>(x);
    auto x1 = slice<0, 1, 2>(x);
    auto f = (sum(pow(x, 3.0)) / 3.0 + sum(x0 * x1)).named("f");
    pics.forward(g, {f.id()}, "f = sum(x^3)/3 + x0*x1");
    const auto n_forward = g.size();

    const auto first_bwd = static_cast<graft::NodeId>(g.size());
    auto gx = graft::grad(f, x).named("g");                 // first order: a Var<double, Shape<3>>
    const auto n_first = g.size();
    auto hv = graft::grad(sum(gx * v), x).named("Hv");      // second order: grad of (g · v)
    pics.backward(g, {f.id(), gx.id(), hv.id()}, first_bwd, "f, g = grad(f, x) and Hv = grad(g·v, x) (blue)");
    pics.after_passes(g, {f.id(), gx.id(), hv.id()}, "f, g and Hv after passes::standard()");
    std::printf("graph nodes: forward %zu, first grad() added %zu, second grad() added %zu\n", n_forward,
                n_first - n_forward, g.size() - n_first);
    std::printf("instructions: f alone %zu, f and g %zu, f, g and Hv %zu\n", graft::compile(g, f).instruction_count(),
                graft::compile(g, f, gx).instruction_count(), graft::compile(g, f, gx, hv).instruction_count());

    graft::Machine m(graft::compile(g, f, gx, hv));
    const Vec X{1.0, -2.0, 0.5}, V{0.5, 1.0, -2.0};
    m.let(x, X);
    m.let(v, V);
    m.run();
    std::printf("\nat x = [1, -2, 0.5], v = [0.5, 1, -2]:\n");
    std::printf("%-30s %12.8f\n", "f", m.value(f).item());
    print_vec("g = grad(f, x)", m.value(gx).to_tensor());
    print_vec("x^2 + [x1, x0, 0] (by hand)", Vec{X[0] * X[0] + X[1], X[1] * X[1] + X[0], X[2] * X[2]});
    const Vec HV = m.value(hv).to_tensor();
    print_vec("Hv = grad(sum(g * v), x)", HV);
    print_vec("2x*v + [v1, v0, 0] (by hand)", Vec{2 * X[0] * V[0] + V[1], 2 * X[1] * V[1] + V[0], 2 * X[2] * V[2]});

    // The full Hessian: column j is H e_j, one run of the same program per unit vector.
    std::printf("\nH, column j = Hv at v = e_j (three runs):       by hand, diag(2x) + [[0,1,0],[1,0,0],[0,0,0]]:\n");
    double H[3][3];
    for (std::size_t j = 0; j < 3; ++j) {
        Vec e{0.0, 0.0, 0.0};
        e[j] = 1.0;
        m.let(v, e);
        m.run();
        const Vec col = m.value(hv).to_tensor();
        for (std::size_t i = 0; i < 3; ++i) H[i][j] = col[i] + 0.0;
    }
    const double want[3][3] = {{2 * X[0], 1, 0}, {1, 2 * X[1], 0}, {0, 0, 2 * X[2]}};
    for (std::size_t i = 0; i < 3; ++i)
        std::printf("  %6.2f %6.2f %6.2f                                 %6.2f %6.2f %6.2f\n", H[i][0], H[i][1], H[i][2],
                    want[i][0], want[i][1], want[i][2]);

    // A finite-difference check of Hv: the same program run at x + eps v and x - eps v gives g at both points,
    // and (g(x + eps v) - g(x - eps v)) / 2 eps -> H v. (g is quadratic here, so the central difference is
    // exact up to rounding.)
    const double eps = 1e-4;
    Vec xp, xm;
    for (std::size_t i = 0; i < 3; ++i) {
        xp[i] = X[i] + eps * V[i];
        xm[i] = X[i] - eps * V[i];
    }
    m.let(v, V);
    m.let(x, xp);
    m.run();
    const Vec gp = m.value(gx).to_tensor();
    m.let(x, xm);
    m.run();
    const Vec gm = m.value(gx).to_tensor();
    Vec fd;
    double worst = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        fd[i] = (gp[i] - gm[i]) / (2 * eps);
        worst = std::max(worst, std::fabs(fd[i] - HV[i]));
    }
    std::printf("\n");
    print_vec("(g(x+eps v) - g(x-eps v))/2eps", fd);
    print_vec("Hv", HV);
    std::printf("agree to 1e-6: %s\n", worst < 1e-6 ? "yes" : "no");
}
