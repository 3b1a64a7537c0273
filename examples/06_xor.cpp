// SPDX-License-Identifier: MIT
// examples/06_xor.cpp: a two-layer perceptron learns XOR, the function no single linear layer can represent.
//   logits = Linear<8, 1>(tanh(Linear<2, 8>(x))),   loss = binary_cross_entropy_with_logits(logits, t)
// The four input pairs form one batch; Adam trains on it until the loss is below 0.01, then the program
// prints the four predictions sigmoid(logits). A second, forward-only program at batch 1 shares the
// trained parameters (one ParamStore, several programs) and classifies a single pair. With --dot DIR it also
// writes the training graph before and after the reverse sweep and after the passes (teaching.hpp).
#include <graft/graft.hpp>

#include "teaching.hpp"

#include <cstdio>
#include <memory>

using graft::Shape;
using graft::Tensor;
namespace nn = graft::nn;

int main(int argc, char** argv) {
    const teaching::Pictures pics("06_xor", argc, argv);
    const Tensor<double, Shape<4, 2>> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    const Tensor<double, Shape<4, 1>> T{{0}, {1}, {1}, {0}};

    // the model, written once as a function of its input so the batch-1 program can reuse it
    graft::Graph g;
    nn::Linear<2, 8, double> hidden(g, "hidden", /*seed=*/3);
    nn::Linear<8, 1, double> out(g, "out", /*seed=*/4);
    auto model = [&](const auto& x) { return nn::chain(x, hidden, nn::Tanh{}, out); };

    auto x = g.input<double, 4, 2>("x");
    auto t = g.input<double, 4, 1>("t");
    auto logits = model(x);
    auto loss = nn::binary_cross_entropy_with_logits(logits, t);
    auto prob = sigmoid(logits);
    pics.forward(g, {loss.id(), prob.id()}, "XOR: loss and sigmoid(logits) of a 2-8-1 perceptron");
    const auto first_bwd = static_cast<graft::NodeId>(g.size());
    auto grads = nn::param_grads(loss, hidden, out);
    pics.backward(g, grads.outputs(loss, prob), first_bwd, "XOR: forward + the reverse sweep to the 4 parameters (blue)");
    pics.after_passes(g, grads.outputs(loss, prob), "XOR training graph after passes::standard()");

    graft::Machine train(graft::compile(g, grads.outputs(loss, prob)));
    nn::Adam opt(train, grads, {.lr = 0.05});
    train.let(x, X);
    train.let(t, T);

    int step = 0;
    for (;; ++step) {
        train.run();
        const double l = train.value(loss).item();
        if (step % 10 == 0) std::printf("step %4d  loss %.4f\n", step, l);
        if (l < 0.01 || step == 5000) break;
        opt.step();
    }
    std::printf("step %4d  loss %.4f  (below 0.01: %s)\n\n", step, train.value(loss).item(), train.value(loss).item() < 0.01 ? "yes" : "no");

    const auto p = train.value(prob);
    std::printf(" x1  x2 | xor | prediction\n");
    for (std::size_t i = 0; i < 4; ++i)
        std::printf("  %g   %g |  %g  |   %.3f\n", X(i, 0), X(i, 1), T(i, 0), p(i, 0));

    // inference at batch 1: another program over the same graph, sharing the trained parameters
    auto one = g.input<double, 1, 2>("one");
    auto one_prob = sigmoid(model(one));
    graft::Machine serve(graft::compile(g, one_prob), train.shared_params());
    serve.let(one, Tensor<double, Shape<1, 2>>{{1, 0}});
    serve.run();
    std::printf("\nbatch-1 program, same parameters: xor(1, 0) ~ %.3f\n", serve.value(one_prob)(0, 0));
    return train.value(loss).item() < 0.01 ? 0 : 1;
}
