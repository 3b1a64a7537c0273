// SPDX-License-Identifier: MIT
// tests/nn/optimizer_errors_test.cpp: what an optimizer refuses, at construction time, with a graft::Error
// naming the parameter and the value: negative, NaN and infinite hyper-parameters, betas outside [0, 1),
// Nesterov without momentum; step() before any run(); parameters without a gradient path; gradients
// that are not outputs of the compiled program; a parameter listed twice.
#include <catch2/catch.hpp>
#include <graft/nn.hpp>

#include <limits>
#include <string>

#include "nn/quadratic_problem.hpp"

using namespace graft;
using Catch::Contains;
using graft_test::QuadraticProblem;

namespace {
constexpr double nan_ = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_ = std::numeric_limits<double>::infinity();
}  // namespace

TEST_CASE("a negative, NaN or infinite learning rate is an error naming lr and the value", "[nn][optim][errors]") {
    QuadraticProblem<float> q;
    CHECK_THROWS_WITH(nn::SGD(*q.m, q.grads, {.lr = -0.1}), Contains("nn::SGD: lr") && Contains("found -0.1"));
    CHECK_THROWS_WITH(nn::SGD(*q.m, q.grads, {.lr = nan_}), Contains("nn::SGD: lr") && Contains("found nan"));
    CHECK_THROWS_WITH(nn::SGD(*q.m, q.grads, {.lr = inf_}), Contains("nn::SGD: lr") && Contains("found inf"));
    CHECK_THROWS_WITH(nn::Adam(*q.m, q.grads, {.lr = -1e-3}), Contains("nn::Adam: lr") && Contains("found -0.001"));
    CHECK_THROWS_WITH(nn::AdamW(*q.m, q.grads, {.lr = nan_}), Contains("nn::AdamW: lr") && Contains("nan"));
    CHECK_THROWS_WITH(nn::RMSprop(*q.m, q.grads, {.lr = -inf_}), Contains("nn::RMSprop: lr") && Contains("found -inf"));
    CHECK_THROWS_WITH(nn::Adagrad(*q.m, q.grads, {.lr = -2}), Contains("nn::Adagrad: lr") && Contains("found -2"));
    CHECK_THROWS_AS(nn::SGD(*q.m, q.grads, {.lr = -0.1}), graft::Error);
    CHECK_NOTHROW(nn::SGD(*q.m, q.grads, {.lr = 0.0}));  // zero is allowed (PyTorch allows it too)
}

TEST_CASE("a tiny negative value is printed exactly, not rounded to -0.000000", "[nn][optim][errors]") {
    QuadraticProblem<float> q;
    CHECK_THROWS_WITH(nn::Adam(*q.m, q.grads, {.eps = -1e-9}), Contains("nn::Adam: eps") && Contains("found -1e-09"));
}

TEST_CASE("momentum, dampening and weight decay out of range are errors naming them", "[nn][optim][errors]") {
    QuadraticProblem<double> q;
    CHECK_THROWS_WITH(nn::SGD(*q.m, q.grads, {.momentum = -0.5}), Contains("nn::SGD: momentum") && Contains("found -0.5"));
    CHECK_THROWS_WITH(nn::SGD(*q.m, q.grads, {.momentum = nan_}), Contains("nn::SGD: momentum") && Contains("nan"));
    CHECK_THROWS_WITH(nn::SGD(*q.m, q.grads, {.momentum = inf_}), Contains("nn::SGD: momentum") && Contains("inf"));
    CHECK_THROWS_WITH(nn::SGD(*q.m, q.grads, {.momentum = 0.9, .dampening = 1.5}), Contains("nn::SGD: dampening") && Contains("found 1.5"));
    CHECK_THROWS_WITH(nn::SGD(*q.m, q.grads, {.weight_decay = -1e-4}), Contains("nn::SGD: weight_decay") && Contains("found -1e-04"));
    CHECK_THROWS_WITH(nn::Adam(*q.m, q.grads, {.weight_decay = -0.1}), Contains("nn::Adam: weight_decay") && Contains("found -0.1"));
    CHECK_THROWS_WITH(nn::AdamW(*q.m, q.grads, {.weight_decay = nan_}), Contains("nn::AdamW: weight_decay") && Contains("nan"));
    CHECK_THROWS_WITH(nn::RMSprop(*q.m, q.grads, {.weight_decay = -1}), Contains("nn::RMSprop: weight_decay") && Contains("found -1"));
    CHECK_THROWS_WITH(nn::RMSprop(*q.m, q.grads, {.momentum = -0.9}), Contains("nn::RMSprop: momentum") && Contains("found -0.9"));
    CHECK_THROWS_WITH(nn::RMSprop(*q.m, q.grads, {.alpha = -0.1}), Contains("nn::RMSprop: alpha") && Contains("found -0.1"));
    CHECK_THROWS_WITH(nn::RMSprop(*q.m, q.grads, {.alpha = 1.5}), Contains("nn::RMSprop: alpha") && Contains("found 1.5"));
    CHECK_THROWS_WITH(nn::Adagrad(*q.m, q.grads, {.weight_decay = -1}), Contains("nn::Adagrad: weight_decay") && Contains("found -1"));
    CHECK_THROWS_WITH(nn::Adagrad(*q.m, q.grads, {.lr_decay = -0.5}), Contains("nn::Adagrad: lr_decay") && Contains("found -0.5"));
    CHECK_THROWS_WITH(nn::Adagrad(*q.m, q.grads, {.initial_accumulator_value = -1}),
                      Contains("nn::Adagrad: initial_accumulator_value") && Contains("found -1"));
}

TEST_CASE("betas outside 0 <= beta < 1 are errors naming beta1 or beta2", "[nn][optim][errors]") {
    QuadraticProblem<float> q;
    CHECK_THROWS_WITH(nn::Adam(*q.m, q.grads, {.beta1 = 1.0}), Contains("nn::Adam: beta1") && Contains("[0, 1)") && Contains("found 1"));
    CHECK_THROWS_WITH(nn::Adam(*q.m, q.grads, {.beta1 = -0.1}), Contains("nn::Adam: beta1") && Contains("found -0.1"));
    CHECK_THROWS_WITH(nn::Adam(*q.m, q.grads, {.beta1 = nan_}), Contains("nn::Adam: beta1") && Contains("nan"));
    CHECK_THROWS_WITH(nn::Adam(*q.m, q.grads, {.beta2 = 1.0}), Contains("nn::Adam: beta2") && Contains("found 1"));
    CHECK_THROWS_WITH(nn::AdamW(*q.m, q.grads, {.beta2 = 1.5}), Contains("nn::AdamW: beta2") && Contains("found 1.5"));
    CHECK_THROWS_WITH(nn::AdamW(*q.m, q.grads, {.beta2 = inf_}), Contains("nn::AdamW: beta2") && Contains("inf"));
    CHECK_NOTHROW(nn::Adam(*q.m, q.grads, {.beta1 = 0.0, .beta2 = 0.0}));
}

TEST_CASE("a negative or NaN eps is an error naming eps", "[nn][optim][errors]") {
    QuadraticProblem<float> q;
    CHECK_THROWS_WITH(nn::Adam(*q.m, q.grads, {.eps = -1e-8}), Contains("nn::Adam: eps") && Contains("found -1e-08"));
    CHECK_THROWS_WITH(nn::RMSprop(*q.m, q.grads, {.eps = nan_}), Contains("nn::RMSprop: eps") && Contains("nan"));
    CHECK_THROWS_WITH(nn::Adagrad(*q.m, q.grads, {.eps = -1}), Contains("nn::Adagrad: eps") && Contains("found -1"));
    // eps = 0 would turn an exactly-zero gradient into 0 / 0 = NaN (found by the bad-input inventory)
    CHECK_THROWS_WITH(nn::Adam(*q.m, q.grads, {.eps = 0.0}), Contains("nn::Adam: eps: expected a finite value > 0") && Contains("found 0"));
}

TEST_CASE("Nesterov momentum needs momentum > 0 and no dampening", "[nn][optim][errors]") {
    QuadraticProblem<float> q;
    CHECK_THROWS_WITH(nn::SGD(*q.m, q.grads, {.nesterov = true}), Contains("nn::SGD: nesterov") && Contains("momentum > 0"));
    CHECK_THROWS_WITH(nn::SGD(*q.m, q.grads, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                      Contains("nn::SGD: nesterov") && Contains("dampening 0.1"));
    CHECK_NOTHROW(nn::SGD(*q.m, q.grads, {.momentum = 0.9, .nesterov = true}));
}

TEST_CASE("a learning rate made invalid after construction is caught at step()", "[nn][optim][errors]") {
    QuadraticProblem<double> q;
    nn::SGD opt(*q.m, q.grads, {.lr = 0.1});
    q.m->run();
    const auto before = q.params();
    opt.lr = nan_;
    CHECK_THROWS_WITH(opt.step(), Contains("nn::SGD: lr") && Contains("nan"));
    opt.schedule = [](std::size_t) { return -1.0; };
    CHECK_THROWS_WITH(opt.step(), Contains("nn::SGD: lr") && Contains("found -1"));
    CHECK(q.params() == before);  // nothing half-applied
    CHECK(opt.steps() == 0);
}

TEST_CASE("step() before any run() of the machine is an error", "[nn][optim][errors]") {
    QuadraticProblem<float> q;
    nn::Adam opt(*q.m, q.grads);
    CHECK_THROWS_WITH(opt.step(), Contains("nn::Adam::step") && Contains("no run() yet"));
    const auto before = q.params();
    q.m->run();
    CHECK_NOTHROW(opt.step());
    CHECK(q.params() != before);
}

TEST_CASE("param_grads with a parameter the loss does not depend on is an error naming it", "[nn][optim][errors]") {
    Graph g;
    auto w = g.param<float, 3>("w", init::constant(1.0));
    auto unused = g.param<float, 3>("unused", init::zeros());
    auto loss = sum(w * w);
    CHECK_THROWS_WITH(nn::param_grads(loss, w, unused), Contains("param \"unused\"") && Contains("does not depend on it"));
    // a path through a comparison carries no gradient either
    auto gated = g.param<float, 3>("gated", init::zeros());
    auto loss2 = sum(w * greater(gated, w));
    CHECK_THROWS_WITH(nn::param_grads(loss2, w, gated), Contains("param \"gated\""));
    CHECK_NOTHROW(nn::param_grads(loss2, w));
}

TEST_CASE("param_grads accepts only param nodes, and at least one", "[nn][optim][errors]") {
    Graph g;
    auto x = g.input<float, 3>("x");
    auto w = g.param<float, 3>("w", init::zeros());
    auto loss = sum(x * w);
    CHECK_THROWS_WITH(nn::param_grads(loss, x), Contains("nn::param_grads") && Contains("param nodes") && Contains("input node %0"));
    CHECK_THROWS_WITH(nn::param_grads(loss, std::vector<NodeId>{}), Contains("at least one parameter"));
}

TEST_CASE("param_grads with the same parameter twice is an error naming it (it would be updated twice)", "[nn][optim][errors]") {
    Graph g;
    nn::Linear<3, 2> fc(g, "fc", 1);
    auto x = g.input<float, 4, 3>("x");
    auto loss = sum(fc(x));
    CHECK_THROWS_WITH(nn::param_grads(loss, fc, fc.weight), Contains("param \"fc.weight\"") && Contains("listed twice"));
    CHECK_NOTHROW(nn::param_grads(loss, fc));
}

TEST_CASE("param_grads collects Vars, layers and id lists, in order", "[nn][optim]") {
    Graph g;
    nn::Linear<3, 2> fc1(g, "fc1", 1);
    nn::Linear<2, 2> fc2(g, "fc2", 2, {.bias = false});
    auto extra = g.param<float, 2>("extra", init::zeros());
    auto x = g.input<float, 4, 3>("x");
    auto loss = sum(fc2(fc1(x)) * extra);
    const auto pg = nn::param_grads(loss, fc1, fc2.params(), extra);
    REQUIRE(pg.items.size() == 4);
    CHECK(pg.loss == loss.id());
    CHECK(pg.items[0].name == "fc1.weight");
    CHECK(pg.items[1].name == "fc1.bias");
    CHECK(pg.items[2].name == "fc2.weight");
    CHECK(pg.items[3].name == "extra");
    for (const auto& it : pg.items) {
        CHECK(g.node(it.grad).dims == g.node(it.param).dims);  // each gradient has its parameter's shape
        CHECK(g.node(it.grad).dtype == g.node(it.param).dtype);
    }
    const auto outs = pg.outputs(loss);
    REQUIRE(outs.size() == 5);
    CHECK(outs[0] == loss.id());
    CHECK(outs[4] == pg.items[3].grad);
}

TEST_CASE("an optimizer given gradients that are not outputs of the program is an error naming the param", "[nn][optim][errors]") {
    Graph g;
    auto w = g.param<float, 3>("w", init::constant(1.0));
    auto loss = sum(w * w);
    const auto grads = nn::param_grads(loss, w);
    Machine m(compile(g, loss));  // forgot grads.outputs(loss)
    CHECK_THROWS_WITH(nn::SGD(m, grads), Contains("nn::SGD: param \"w\"") && Contains("among the program's outputs") && Contains("not an output"));
}

TEST_CASE("an optimizer given gradients of another model is an error naming the param", "[nn][optim][errors]") {
    Graph g;
    auto w = g.param<float, 3>("w", init::constant(1.0));
    auto loss = sum(w * w);
    const auto grads = nn::param_grads(loss, w);
    Graph h;
    auto v = h.param<float, 3>("v", init::constant(1.0));
    auto loss_h = sum(v * v);
    const auto grads_h = nn::param_grads(loss_h, v);
    Machine m(compile(h, grads_h.outputs(loss_h)));
    CHECK_THROWS_WITH(nn::Adam(m, grads), Contains("nn::Adam: param \"w\"") && Contains("a parameter the machine holds"));
    CHECK_THROWS_WITH(nn::SGD(m, nn::ParamGrads{}), Contains("nn::SGD") && Contains("at least one parameter"));
}
