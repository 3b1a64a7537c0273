// SPDX-License-Identifier: MIT
// examples/12_anomaly_mode.cpp: where did the NaN come from? A loss -mean(log(x w)) is evaluated on three
// batches; the third holds a row whose x w is negative. Without anomaly mode the loss just becomes nan
// (the gradient, through 1/z, does not even notice). With Machine::set_anomaly_check(true), run() stops
// at the first instruction whose
// output is not finite and names it: instruction index and node (as dump() lists them), op, name, shape,
// the element, and the step. docs/reliability.md#anomaly-mode has the details.
#include <graft/graft.hpp>

#include "teaching.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>

using graft::Shape;
using graft::Tensor;

namespace {
void print_loss(const char* who, int step, double loss, double grad0) {
    std::printf("%s step %d: loss %s, dloss/dw[0] %s\n", who, step,
                std::isnan(loss) ? "nan" : std::to_string(loss).c_str(),
                std::isnan(grad0) ? "nan" : std::to_string(grad0).c_str());
}
}  // namespace

int main(int argc, char** argv) {
    const teaching::Pictures pics("12_anomaly_mode", argc, argv);  // --dot DIR: the graph pictures
    graft::Graph g;
    auto x = g.input<double, 4, 2>("x");
    auto w = g.param<double, 2, 1>("w", graft::init::constant(0.5));
    auto z = graft::matmul(x, w);          // [4, 1]
    auto y = graft::log(z).named("log_z");  // NaN as soon as an entry of z is negative
    auto loss = -graft::mean(y);
    pics.forward(g, {loss.id()}, "loss = -mean(log(x w))");
    const auto first_backward = static_cast<graft::NodeId>(g.size());
    auto gw = graft::grad(loss, w);
    pics.backward(g, {loss.id(), gw.id()}, first_backward, "the loss and its reverse sweep (blue)");

    // No passes, so that every op is its own instruction (with passes the log could be fused into a chain;
    // anomaly mode would then name the fused instruction and list its ops).
    graft::CompileOptions opt;
    opt.pipeline = graft::passes::none();
    const graft::Program program = graft::compile(g, opt, loss, gw);

    const Tensor<double, Shape<4, 2>> batches[3] = {
        {{1, 2}, {3, 4}, {0.5, 1}, {2, 1}},
        {{2, 2}, {1, 1}, {4, 0.5}, {1, 3}},
        {{1, 2}, {3, 4}, {-5, 1}, {2, 1}},  // row 2: x w = -2.5 + 0.5 = -2
    };

    std::cout << "-- without anomaly mode\n";
    graft::Machine plain(program);
    for (int step = 0; step < 3; ++step) {
        plain.let(x, batches[step]);
        plain.run();
        print_loss("plain", step, plain.value(loss).item(), plain.value(gw)(0, 0));
    }

    std::cout << "-- with anomaly mode\n";
    graft::Machine checked(program);
    checked.set_anomaly_check(true);
    try {
        for (int step = 0; step < 3; ++step) {
            checked.let(x, batches[step]);
            checked.run();
            print_loss("checked", step, checked.value(loss).item(), checked.value(gw)(0, 0));
        }
    } catch (const graft::Error& e) {
        std::cout << e.what() << "\n";
        std::cout << "completed steps: " << checked.steps() << "\n";
    }
    return 0;
}
