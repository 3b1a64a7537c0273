// SPDX-License-Identifier: MIT
// tests/nn/bad_input_test.cpp: bad hyper-parameters and values in training beyond optimizer_errors_test.cpp:
// an infinite or zero max_norm, NaN and infinite gradients given to clip_grad_norm, schedules that yield a
// NaN or negative learning rate mid-run (caught at that step, nothing half-applied), NaN dropout and batch-norm
// options, eps = 0 (refused: it turned a zero gradient into NaN parameters), and out-of-range class labels
// (documented: they contribute nothing to the loss; see docs/reliability.md).
#include <catch2/catch.hpp>
#include <graft/nn.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "nn/quadratic_problem.hpp"
#include "support/files.hpp"

using namespace graft;
using Catch::Matchers::Contains;
using graft_test::error_of;
using graft_test::QuadraticProblem;

namespace {
constexpr double badin_nan = std::numeric_limits<double>::quiet_NaN();
constexpr double badin_inf = std::numeric_limits<double>::infinity();

bool badin_all_finite(const std::vector<double>& v) {
    for (double x : v)
        if (!std::isfinite(x)) return false;
    return true;
}

/// True when optimizer Opt with options `o` refuses them with a graft::Error naming eps, or takes one step
/// of the quadratic problem (whose element 8 has a zero gradient) and leaves every parameter finite.
template <class Opt, class Options>
bool badin_eps0_keeps_finite(Options o) {
    QuadraticProblem<double> q;
    try {
        Opt opt(*q.m, q.grads, o);
        q.m->run();
        opt.step();
    } catch (const Error& e) {
        return std::string(e.what()).find("eps") != std::string::npos;
    }
    return badin_all_finite(q.params());
}
}  // namespace

TEST_CASE("bad input: clip_grad_norm refuses an infinite max_norm; max_norm 0 zeroes the gradients", "[nn][bad-input]") {
    QuadraticProblem<double> q;
    nn::SGD opt(*q.m, q.grads, {.lr = 0.1});
    q.m->run();
    const auto g = q.gradients();
    CHECK_THAT(error_of([&] { (void)opt.clip_grad_norm(badin_inf); }),
               Contains("nn::SGD: max_norm: expected a finite value in [0, inf), found inf"));
    CHECK(q.gradients() == g);  // the refused call changed nothing
    const double norm = opt.clip_grad_norm(0.0);
    CHECK(norm > 0);
    for (double v : q.gradients()) CHECK(v == 0.0);
}

TEST_CASE("bad input: clip_grad_norm of NaN or infinite gradients returns a non-finite norm for the caller to check",
          "[nn][bad-input]") {
    {
        QuadraticProblem<double> q;
        nn::SGD opt(*q.m, q.grads, {.lr = 0.1});
        q.m->param(q.w).data()[0] = static_cast<double>(badin_nan);  // gradient c + a * p is NaN there
        q.m->run();
        const auto g = q.gradients();
        CHECK(std::isnan(opt.clip_grad_norm(1.0)));
        const auto after = q.gradients();
        REQUIRE(after.size() == g.size());
        CHECK(std::isnan(after[0]));
        for (std::size_t i = 1; i < g.size(); ++i) CHECK(after[i] == g[i]);  // NaN norm: nothing scaled
    }
    {
        QuadraticProblem<double> q;
        nn::SGD opt(*q.m, q.grads, {.lr = 0.1});
        q.m->param(q.w).data()[0] = badin_inf;  // gradient +inf there
        q.m->run();
        CHECK(opt.clip_grad_norm(1.0) == badin_inf);
        const auto after = q.gradients();
        CHECK(std::isnan(after[0]));  // inf * (1 / inf) = inf * 0 = NaN, as PyTorch's clip_grad_norm_
        for (std::size_t i = 1; i < after.size(); ++i) CHECK(after[i] == 0.0);
    }
}

TEST_CASE("bad input: a schedule that yields NaN or a negative lr is caught at that step, nothing half-applied",
          "[nn][bad-input]") {
    SECTION("StepLR with gamma NaN: the first decay gives NaN") {
        QuadraticProblem<double> q;
        nn::SGD opt(*q.m, q.grads, {.lr = 0.1});
        opt.schedule = nn::StepLR{.base = 0.1, .step_size = 1, .gamma = badin_nan};
        q.m->run();
        opt.step();  // step 0: gamma^0 = 1
        q.m->run();
        const auto before = q.params();
        CHECK_THAT(error_of([&] { opt.step(); }), Contains("nn::SGD: lr: expected a finite value in [0, inf), found nan"));
        CHECK(q.params() == before);
        CHECK(opt.steps() == 1);
    }
    SECTION("StepLR with a negative base") {
        QuadraticProblem<double> q;
        nn::Adam opt(*q.m, q.grads);
        opt.schedule = nn::StepLR{.base = -0.1, .step_size = 10};
        q.m->run();
        CHECK_THAT(error_of([&] { opt.step(); }), Contains("nn::Adam: lr") && Contains("found -0.1"));
        CHECK(opt.steps() == 0);
    }
    SECTION("CosineAnnealingLR with a negative eta_min: lr 0.1, then 0, then -0.1") {
        QuadraticProblem<double> q;
        nn::SGD opt(*q.m, q.grads, {.lr = 0.1});
        opt.schedule = nn::CosineAnnealingLR{.base = 0.1, .t_max = 2, .eta_min = -0.1};
        for (int k = 0; k < 2; ++k) {
            q.m->run();
            opt.step();
        }
        q.m->run();
        const auto before = q.params();
        CHECK_THAT(error_of([&] { opt.step(); }), Contains("nn::SGD: lr") && Contains("found -0.1"));
        CHECK(q.params() == before);
        CHECK(opt.steps() == 2);
    }
}

TEST_CASE("bad input: NaN dropout probability and NaN batch-norm options are errors naming them", "[nn][bad-input]") {
    CHECK(error_of([] { nn::Dropout d(badin_nan); }) == "graft::Error: nn::Dropout: expected a probability p in [0, 1), found nan");
    CHECK_THAT(error_of([] { nn::Dropout d(badin_inf); }), Contains("nn::Dropout: expected a probability p in [0, 1)"));
    Graph g;
    CHECK_THAT(error_of([&] { nn::BatchNorm2d<3> b(g, "bn1", {.eps = badin_nan}); }),
               Contains("nn::BatchNorm2d bn1: eps: expected a positive number, found nan"));
    CHECK_THAT(error_of([&] { nn::BatchNorm2d<3> b(g, "bn2", {.eps = -1e-5}); }), Contains("nn::BatchNorm2d bn2: eps: expected a positive number"));
    CHECK_THAT(error_of([&] { nn::BatchNorm2d<3> b(g, "bn3", {.momentum = badin_nan}); }),
               Contains("nn::BatchNorm2d bn3: momentum: expected a number in [0, 1], found nan"));
}

// eps = 0 used to be accepted by Adam, AdamW, RMSprop and Adagrad; an element whose gradient is exactly 0
// (element 8 of the quadratic problem; in practice a dead ReLU unit) was then updated by 0 / (0 + 0) and
// became NaN. Now eps must be > 0: the constructor refuses 0 with a graft::Error naming eps.
TEST_CASE("bad input: eps = 0 never turns a zero gradient into a NaN parameter", "[nn][bad-input]") {
    CHECK(badin_eps0_keeps_finite<nn::Adam>(nn::AdamOptions{.eps = 0.0}));
    CHECK(badin_eps0_keeps_finite<nn::AdamW>(nn::AdamOptions{.eps = 0.0}));
    CHECK(badin_eps0_keeps_finite<nn::RMSprop>(nn::RMSpropOptions{.eps = 0.0}));
    CHECK(badin_eps0_keeps_finite<nn::Adagrad>(nn::AdagradOptions{.eps = 0.0}));
}

// nll / cross_entropy pick each row's log-probability with one_hot, which refuses a label outside
// [0, classes) (PyTorch's rule). Until stop 16 it wrote a zero row, so labels {5, -1} gave a loss of
// exactly 0 and no gradient: a silent bug in the user's data loader. Now run() throws before any
// output is written, the step is not counted, and the same machine runs on once the labels are good.
TEST_CASE("bad input: cross_entropy with a label outside [0, classes) is a graft::Error naming the label", "[nn][bad-input]") {
    Graph g;
    auto logits = g.input<float, 2, 3>("logits");
    auto labels = g.input<std::int32_t, 2>("labels");
    auto loss = nn::cross_entropy(logits, labels);
    auto dlogits = grad(loss, logits);
    for (const auto& pipeline : {passes::none(), passes::standard()}) {
        Machine m(compile(g, {.pipeline = pipeline}, loss, dlogits));
        m.let(logits, Tensor<float, Shape<2, 3>>{{1, 2, 3}, {1, 2, 3}});
        m.let(labels, Tensor<std::int32_t, Shape<2>>{2, 3});
        CHECK_THAT(error_of([&] { m.run(); }), Contains("expected labels in [0, 3), found 3 at label index 1"));
        m.let(labels, Tensor<std::int32_t, Shape<2>>{-1, 0});
        CHECK_THAT(error_of([&] { m.run(); }), Contains("expected labels in [0, 3), found -1 at label index 0"));
        CHECK(m.steps() == 0);
        m.let(labels, Tensor<std::int32_t, Shape<2>>{2, 0});  // in range: log-softmax of the label's logit
        m.run();
        CHECK(m.steps() == 1);
        CHECK(m.value(loss).item() == Approx((-std::log(std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0))) -
                                              std::log(std::exp(1.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)))) / 2.0));
    }
}

TEST_CASE("bad input: LinearWarmup without an after schedule is a graft::Error at the first step, nothing applied",
          "[nn][bad-input]") {
    const nn::LinearWarmup empty{.warmup_steps = 3, .after = {}};
    CHECK_THAT(error_of([&] { (void)empty(0); }),
               Contains("nn::LinearWarmup: expected a schedule in `after` to hand over to, found an empty std::function"));
    QuadraticProblem<double> q;
    nn::SGD opt(*q.m, q.grads, {.lr = 0.1});
    opt.schedule = nn::LinearWarmup{.warmup_steps = 2, .after = {}};
    q.m->run();
    const auto before = q.params();
    CHECK_THROWS_AS(opt.step(), Error);
    CHECK(q.params() == before);
}
