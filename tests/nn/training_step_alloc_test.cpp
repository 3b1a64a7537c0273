// SPDX-License-Identifier: MIT
// tests/nn/training_step_alloc_test.cpp: a whole training step — bind the batch, run forward and backward,
// update with the optimizer — allocates nothing after the first step (DESIGN: "running a step allocates
// nothing"). This file is the one translation unit of graft_tests_nn that replaces the global operator
// new with the counting versions of tests/support/alloc_counter.hpp.
#include <catch2/catch.hpp>
#include <graft/nn.hpp>

#include <cmath>
#include <cstdint>
#include <memory>

#include "support/alloc_counter.hpp"
#include "support/reference.hpp"

using namespace graft;

namespace {

/// An MLP 784-64-10 on batches of 16, with its program and an optimizer made by `make_opt`.
struct AllocMlp {
    Graph g;
    Var<float, Shape<16, 784>> x = g.input<float, 16, 784>("x");
    Var<std::int32_t, Shape<16>> y = g.input<std::int32_t, 16>("y");
    nn::Linear<784, 64> fc1{g, "fc1", 1};
    nn::Linear<64, 10> fc2{g, "fc2", 2};
    Var<float, Shape<>> loss = nn::cross_entropy(nn::chain(x, fc1, nn::ReLU{}, fc2), y);
    nn::ParamGrads grads = nn::param_grads(loss, fc1, fc2);
    Machine m{compile(g, grads.outputs(loss))};
    Tensor<float, Shape<16, 784>> xs[2];
    Tensor<std::int32_t, Shape<16>> ys[2];
    AllocMlp() {
        for (int b = 0; b < 2; ++b) {
            graft_test::randomize(xs[b], 100 + b, 0.0, 1.0);
            graft_test::randomize(ys[b], 200 + b, 0, 9);
        }
    }
};

/// Allocations made by `steps` training steps after a warm-up step; the loss must also go down.
template <class Opt, class Options>
std::size_t allocations_of_training(Options o, int steps = 5) {
    AllocMlp net;
    Opt opt(net.m, net.grads, o);
    net.m.let(net.x, net.xs[0]);
    net.m.let(net.y, net.ys[0]);
    net.m.run();
    opt.step();  // warm-up step
    const float first = net.m.value(net.loss).item();

    const auto before = graft_test::allocations();
    for (int s = 0; s < steps; ++s) {
        net.m.let(net.x, net.xs[s % 2]);  // alternate two batches: a real loop binds new data
        net.m.let(net.y, net.ys[s % 2]);
        net.m.run();
        opt.step();
    }
    const auto made = graft_test::allocations() - before;

    net.m.let(net.x, net.xs[0]);
    net.m.let(net.y, net.ys[0]);
    net.m.run();
    const float last = net.m.value(net.loss).item();
    INFO("loss " << first << " -> " << last);
    CHECK(std::isfinite(last));
    CHECK(last < first);  // the steps did train: counting zero allocations of a no-op proves nothing
    return made;
}

}  // namespace

TEST_CASE("an MLP training step with Adam allocates nothing after the first step", "[nn][alloc]") {
    CHECK(allocations_of_training<nn::Adam>(nn::AdamOptions{.lr = 1e-3}) == 0);
}

TEST_CASE("training steps with every optimizer, clipping and a schedule allocate nothing after the first", "[nn][alloc]") {
    CHECK(allocations_of_training<nn::SGD>(nn::SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true}) == 0);
    CHECK(allocations_of_training<nn::AdamW>(nn::AdamOptions{.lr = 1e-3, .weight_decay = 1e-2}) == 0);
    CHECK(allocations_of_training<nn::RMSprop>(nn::RMSpropOptions{.lr = 1e-3, .momentum = 0.5, .centered = true}) == 0);
    CHECK(allocations_of_training<nn::Adagrad>(nn::AdagradOptions{.lr = 0.01, .lr_decay = 0.01}) == 0);

    AllocMlp net;
    nn::SGD opt(net.m, net.grads, {.lr = 0.1});
    opt.schedule = nn::LinearWarmup{.warmup_steps = 3, .after = nn::CosineAnnealingLR{.base = 0.1, .t_max = 10}};
    net.m.let(net.x, net.xs[0]);
    net.m.let(net.y, net.ys[0]);
    net.m.run();
    opt.step();
    const auto before = graft_test::allocations();
    for (int s = 0; s < 5; ++s) {
        net.m.run();
        opt.clip_grad_norm(0.5);
        opt.step();
    }
    CHECK(graft_test::allocations() - before == 0);
}
