// SPDX-License-Identifier: MIT
// tests/nn/schedule_clip_test.cpp: learning-rate schedules (StepLR, CosineAnnealingLR, LinearWarmup) give
// their formulas' exact values and drive Optimizer::lr; clip_grad_norm returns the global L2 norm and
// scales the gradients, across every parameter, down to max_norm before the update uses them.
#include <catch2/catch.hpp>
#include <graft/nn.hpp>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "nn/quadratic_problem.hpp"

using namespace graft;
using Catch::Contains;
using graft_test::QuadraticData;
using graft_test::QuadraticProblem;

TEST_CASE("StepLR multiplies by gamma every step_size steps", "[nn][schedule]") {
    const nn::StepLR s{.base = 0.1, .step_size = 3, .gamma = 0.5};
    CHECK(s(0) == 0.1);
    CHECK(s(2) == 0.1);
    CHECK(s(3) == 0.05);
    CHECK(s(5) == 0.05);
    CHECK(s(6) == 0.025);
    CHECK(s(9) == 0.0125);
    const nn::StepLR d{.base = 1.0, .step_size = 2};  // gamma defaults to 0.1
    CHECK(d(1) == 1.0);
    CHECK(d(2) == Approx(0.1).epsilon(1e-15));
    CHECK(d(4) == Approx(0.01).epsilon(1e-15));
    CHECK_THROWS_WITH((nn::StepLR{.base = 0.1, .step_size = 0})(0), Contains("nn::StepLR") && Contains("step_size >= 1"));
}

TEST_CASE("CosineAnnealingLR follows half a cosine from base to eta_min, then stays at eta_min", "[nn][schedule]") {
    const nn::CosineAnnealingLR s{.base = 1.0, .t_max = 4};
    CHECK(s(0) == 1.0);
    CHECK(s(1) == Approx((1 + std::cos(std::numbers::pi / 4)) / 2).epsilon(1e-15));  // 0.8535533905932737
    CHECK(s(1) == Approx(0.8535533905932737).epsilon(1e-15));
    CHECK(s(2) == Approx(0.5).epsilon(1e-15));
    CHECK(s(3) == Approx(0.14644660940672624).epsilon(1e-14));
    CHECK(s(4) == 0.0);
    CHECK(s(100) == 0.0);
    const nn::CosineAnnealingLR m{.base = 0.5, .t_max = 2, .eta_min = 0.1};
    CHECK(m(0) == Approx(0.5).epsilon(1e-15));
    CHECK(m(1) == Approx(0.3).epsilon(1e-15));
    CHECK(m(2) == Approx(0.1).epsilon(1e-15));
    CHECK(m(7) == Approx(0.1).epsilon(1e-15));
    CHECK_THROWS_WITH((nn::CosineAnnealingLR{.base = 0.1, .t_max = 0})(0), Contains("nn::CosineAnnealingLR") && Contains("t_max >= 1"));
}

TEST_CASE("LinearWarmup ramps up to the wrapped schedule's start, then hands over to it", "[nn][schedule]") {
    const nn::LinearWarmup w{.warmup_steps = 4, .after = nn::StepLR{.base = 0.1, .step_size = 10}};
    CHECK(w(0) == Approx(0.025).epsilon(1e-15));
    CHECK(w(1) == Approx(0.05).epsilon(1e-15));
    CHECK(w(2) == Approx(0.075).epsilon(1e-15));
    CHECK(w(3) == Approx(0.1).epsilon(1e-15));
    CHECK(w(4) == 0.1);                                // after(0)
    CHECK(w(13) == 0.1);                               // after(9)
    CHECK(w(14) == Approx(0.01).epsilon(1e-15));       // after(10)
    const nn::LinearWarmup none{.warmup_steps = 0, .after = [](std::size_t t) { return 1.0 / double(t + 1); }};
    CHECK(none(0) == 1.0);
    CHECK(none(3) == 0.25);
}

TEST_CASE("an optimizer's schedule sets lr from the 0-based step index before each update", "[nn][schedule][optim]") {
    QuadraticProblem<double> q;
    nn::SGD opt(*q.m, q.grads, {.lr = 123.0});  // replaced by the schedule at the first step
    opt.schedule = nn::StepLR{.base = 0.1, .step_size = 2, .gamma = 0.5};
    std::vector<double> p(QuadraticData::p0.begin(), QuadraticData::p0.end());
    const double expected_lr[] = {0.1, 0.1, 0.05, 0.05, 0.025};
    for (double lr : expected_lr) {
        q.m->run();
        opt.step();
        CHECK(opt.lr == lr);
        for (std::size_t i = 0; i < QuadraticData::n; ++i) p[i] -= lr * QuadraticData::grad(i, p[i]);
    }
    const auto got = q.params();
    for (std::size_t i = 0; i < QuadraticData::n; ++i) CHECK(got[i] == Approx(p[i]).epsilon(1e-12).margin(1e-12));
}

TEMPLATE_TEST_CASE("clip_grad_norm returns the global norm and scales every gradient to max_norm", "[nn][clip]", float, double) {
    QuadraticProblem<TestType> q;
    nn::SGD opt(*q.m, q.grads, {.lr = 0.1});
    q.m->run();
    const auto g = q.gradients();
    double norm = 0;
    for (double v : g) norm += v * v;
    norm = std::sqrt(norm);
    REQUIRE(norm > 1.0);
    const double tol = std::is_same_v<TestType, float> ? 1e-6 : 1e-12;

    const double reported = opt.clip_grad_norm(0.5);
    CHECK(reported == Approx(norm).epsilon(tol));
    const auto clipped = q.gradients();
    double after = 0;
    for (std::size_t i = 0; i < g.size(); ++i) {
        CHECK(clipped[i] == Approx(g[i] * 0.5 / norm).epsilon(1e-5).margin(tol));  // same direction, new length
        after += clipped[i] * clipped[i];
    }
    CHECK(std::sqrt(after) == Approx(0.5).epsilon(1e-5));

    // the update uses the clipped gradients
    const auto before = q.params();
    opt.step();
    const auto got = q.params();
    for (std::size_t i = 0; i < g.size(); ++i) CHECK(got[i] == Approx(before[i] - 0.1 * clipped[i]).epsilon(tol).margin(tol));
}

TEST_CASE("clip_grad_norm leaves gradients below max_norm unchanged", "[nn][clip]") {
    QuadraticProblem<double> q;
    nn::Adam opt(*q.m, q.grads);
    q.m->run();
    const auto g = q.gradients();
    double norm = 0;
    for (double v : g) norm += v * v;
    norm = std::sqrt(norm);
    CHECK(opt.clip_grad_norm(norm * 2) == Approx(norm).epsilon(1e-12));
    CHECK(q.gradients() == g);
    CHECK(opt.clip_grad_norm(norm) == Approx(norm).epsilon(1e-12));  // exactly at the limit: unchanged
    CHECK(q.gradients() == g);
}

TEST_CASE("clip_grad_norm rejects a negative or NaN max_norm", "[nn][clip][errors]") {
    QuadraticProblem<double> q;
    nn::SGD opt(*q.m, q.grads);
    q.m->run();
    CHECK_THROWS_WITH(opt.clip_grad_norm(-1.0), Contains("nn::SGD: max_norm") && Contains("found -1"));
    CHECK_THROWS_WITH(opt.clip_grad_norm(std::numeric_limits<double>::quiet_NaN()), Contains("max_norm") && Contains("nan"));
}
