// SPDX-License-Identifier: MIT
// examples/05_linear_regression.cpp: fit y = X w + b by gradient descent and recover w and b.
// The whole training loop of graft in its smallest form:
//   1. build the model and its loss as a graph (a Linear layer, nn::mse),
//   2. append the reverse sweep with nn::param_grads and compile loss + gradients to one tape,
//   3. bind the data once, then loop: run() computes loss and gradients, step() updates the parameters.
// The data are synthetic (seeded, so the output is the same on every run): 256 points with 3 features,
// y = X w_true + b_true plus a little noise. Plain SGD on the mean squared error recovers w_true and b_true
// to within the noise, about 1e-4. With --dot DIR it also writes the graph before and after the reverse
// sweep and after the passes (teaching.hpp).
#include <graft/graft.hpp>

#include "teaching.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

using graft::Shape;
using graft::Tensor;

int main(int argc, char** argv) {
    const teaching::Pictures pics("05_linear_regression", argc, argv);
    constexpr std::size_t N = 256, F = 3;
    const double w_true[F] = {2.0, -3.5, 0.5};
    const double b_true = 1.25;

    // synthetic data: X uniform in [-1, 1), y = X w_true + b_true + N(0, 0.001)
    const auto X = graft::uniform<double, Shape<N, F>>(-1.0, 1.0, 2024);
    const auto noise = graft::normal<double, Shape<N, 1>>(0.0, 0.001, 7);
    Tensor<double, Shape<N, 1>> Y;
    for (std::size_t i = 0; i < N; ++i) {
        double y = b_true + noise(i, 0);
        for (std::size_t j = 0; j < F; ++j) y += X(i, j) * w_true[j];
        Y(i, 0) = y;
    }

    // 1. the model: one Linear layer (weight [3, 1], bias [1]) and the mean squared error
    graft::Graph g;
    auto x = g.input<double, N, F>("x");
    auto y = g.input<double, N, 1>("y");
    graft::nn::Linear<F, 1, double> fc(g, "fc", /*seed=*/1);
    auto loss = graft::nn::mse(fc(x), y);
    pics.forward(g, {loss.id()}, "loss = mse(x W + b, y)");

    // 2. gradients as graph nodes, compiled with the loss into one program
    const auto first_bwd = static_cast<graft::NodeId>(g.size());
    auto grads = graft::nn::param_grads(loss, fc);
    pics.backward(g, grads.outputs(loss), first_bwd, "loss and dloss/dW, dloss/db (reverse sweep in blue)");
    pics.after_passes(g, grads.outputs(loss), "loss and its gradients after passes::standard()");
    graft::Machine m(graft::compile(g, grads.outputs(loss)));
    graft::nn::SGD opt(m, grads, {.lr = 0.5});

    // 3. full-batch gradient descent: the data are bound once
    m.let(x, X);
    m.let(y, Y);
    for (int step = 0; step <= 100; ++step) {
        m.run();
        if (step % 10 == 0) std::printf("step %3d  loss %.3e\n", step, m.value(loss).item());
        opt.step();
    }

    // the parameters live in the machine's ParamStore
    const auto w = m.param(fc.weight);
    const auto b = m.param(fc.bias);
    std::printf("\n          true    learned   |error|\n");
    double worst = 0;
    for (std::size_t j = 0; j < F; ++j) {
        const double err = std::fabs(w(j, 0) - w_true[j]);
        worst = std::max(worst, err);
        std::printf("w[%zu]  %8.4f  %8.4f   %.1e\n", j, w_true[j], w(j, 0), err);
    }
    const double berr = std::fabs(b(0) - b_true);
    worst = std::max(worst, berr);
    std::printf("b     %8.4f  %8.4f   %.1e\n", b_true, b(0), berr);
    std::printf("\nrecovered to 1e-3: %s\n", worst < 1e-3 ? "yes" : "no");
    return worst < 1e-3 ? 0 : 1;
}
