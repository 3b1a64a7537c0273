// SPDX-License-Identifier: MIT
// tests/passes/stability_test.cpp: passes::stability, one test per rule — golden text before and after,
// the report's counts, idempotence and equal values on ordinary inputs (support/pass_check.hpp); then,
// on inputs where the unrewritten formula loses precision or overflows in float, that the graph compiled
// with the pass is accurate and the one compiled without it is not; cases that must not fire; gradients.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <graft/autodiff.hpp>
#include <graft/exec.hpp>
#include <graft/graph.hpp>
#include <graft/passes.hpp>
#include <graft/tensor.hpp>

#include "support/pass_check.hpp"

using namespace graft;
using namespace graft_test;
using graft_test::scalar_c;

namespace {
/// `got` is within relative `rel` of `want` (false for inf and nan).
bool accurate(double got, double want, double rel = 1e-5) { return std::isfinite(got) && std::fabs(got - want) <= rel * std::fabs(want); }
/// x as a float holds it (the feed rounds inputs to f32).
double f32(double x) { return static_cast<double>(static_cast<float>(x)); }
}  // namespace

// ---------------------------------------------------------------------------------------- log1p

TEST_CASE("stability: log(1+x), log(x+1) and log(add_scalar(x, 1)) become log1p(x)", "[passes][stability]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId ones = filled(g, {2, 3}, 1.0f);
    const NodeId one = g.scalar_constant(DType::f32, 1.0);
    const NodeId a = g.add(OpKind::log, {ir::add(g, ones, x)});
    const NodeId b = g.add(OpKind::log, {ir::add(g, x, one)});
    const NodeId c = g.add(OpKind::log, {ir::add_scalar(g, x, 1.0)});
    check_rewrite(g, passes::stability(),
                  {.outputs = {a, b, c},
                   .before = "%0 = input \"x\" f32[2,3]\n"
                             "%1 = constant f32[2,3] [1, 1, 1, 1, 1, 1]\n"
                             "%2 = constant f32[] 1\n"
                             "%3 = add %1 %0 f32[2,3]\n"
                             "%4 = log %3 f32[2,3]\n"
                             "%5 = add %0 %2 f32[2,3]\n"
                             "%6 = log %5 f32[2,3]\n"
                             "%7 = add_scalar %0 {c=1} f32[2,3]\n"
                             "%8 = log %7 f32[2,3]\n",
                   .after = "%0 = input \"x\" f32[2,3]\n"
                            "%1 = log1p %0 f32[2,3]\n"
                            "%2 = log1p %0 f32[2,3]\n"
                            "%3 = log1p %0 f32[2,3]\n",
                   .rewrites = {{"log1p", 3}},
                   .lo = 0.0,
                   .hi = 1.0,
                   .bit_exact = false});
}

TEST_CASE("stability: log1p(x) is accurate where log(1+x) rounds 1+x to 1", "[passes][stability]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId y = g.add(OpKind::log, {ir::add_scalar(g, x, 1.0)});
    Feed feed;
    feed["x"] = {{3}, {1e-10, 1e-8, 0.5}};
    const auto r = run_both(g, {y}, feed, passes::stability());
    CHECK(r.plain[0].v[0] == 0.0);  // 1 + 1e-10 is 1 in float
    CHECK_FALSE(accurate(r.plain[0].v[1], std::log1p(f32(1e-8)), 1e-2));
    CHECK(accurate(r.rewritten[0].v[0], std::log1p(f32(1e-10))));
    CHECK(accurate(r.rewritten[0].v[1], std::log1p(f32(1e-8))));
    CHECK(accurate(r.rewritten[0].v[2], std::log1p(0.5)));
}

TEST_CASE("stability: log(1+x) stays when the ones broadcast x, the constant is not 1, or not a constant", "[passes][stability]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId y = g.input("y", DType::f32, {3});
    const NodeId a = g.add(OpKind::log, {ir::add(g, filled(g, {2, 3}, 1.0f), x)});  // [2,3]: not log1p(x[3])
    const NodeId b = g.add(OpKind::log, {ir::add_scalar(g, x, 2.0)});
    const NodeId c = g.add(OpKind::log, {ir::add(g, x, y)});
    const NodeId d = g.add(OpKind::log, {ir::sub(g, filled(g, {3}, 1.0f), x)});
    check_untouched(g, {a, b, c, d}, passes::stability());
}

// ---------------------------------------------------------------------------------------- expm1

TEST_CASE("stability: exp(x)-1 and add_scalar(exp(x), -1) become expm1(x)", "[passes][stability]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId e = g.add(OpKind::exp, {x});
    const NodeId a = ir::sub(g, e, filled(g, {3}, 1.0f));
    const NodeId b = ir::add_scalar(g, e, -1.0);
    check_rewrite(g, passes::stability(),
                  {.outputs = {a, b},
                   .before = "%0 = input \"x\" f32[3]\n"
                             "%1 = exp %0 f32[3]\n"
                             "%2 = constant f32[3] [1, 1, 1]\n"
                             "%3 = sub %1 %2 f32[3]\n"
                             "%4 = add_scalar %1 {c=-1} f32[3]\n",
                   .after = "%0 = input \"x\" f32[3]\n"
                            "%1 = expm1 %0 f32[3]\n"
                            "%2 = expm1 %0 f32[3]\n",
                   .rewrites = {{"expm1", 2}},
                   .bit_exact = false});
}

TEST_CASE("stability: expm1(x) is accurate where exp(x)-1 cancels to 0", "[passes][stability]") {
    Graph g;
    auto x = g.input<float, 3>("x");
    auto y = exp(x) - 1.0f;  // the typed front writes add_scalar(exp(x), -1)
    CompileOptions plain;
    Machine m0(compile(g, plain, y));
    Machine m1(compile(g, with_pass(passes::stability()), y));
    const Tensor<float, Shape<3>> xv{1e-10f, -1e-9f, 2.0f};
    m0.let(x, xv);
    m1.let(x, xv);
    m0.run();
    m1.run();
    CHECK_FALSE(accurate(m0.value(y)(0), std::expm1(double(xv(0))), 1e-2));  // exp(1e-10) is 1 in float
    CHECK_FALSE(accurate(m0.value(y)(1), std::expm1(double(xv(1))), 1e-2));
    CHECK(accurate(m1.value(y)(0), std::expm1(double(xv(0)))));
    CHECK(accurate(m1.value(y)(1), std::expm1(double(xv(1)))));
    CHECK(accurate(m1.value(y)(2), std::expm1(2.0)));
}

TEST_CASE("stability: 1-exp(x), exp(x)-2, exp(x[3])-ones[2,3] and tanh(x)-1 keep their form", "[passes][stability]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId e = g.add(OpKind::exp, {x});
    const NodeId a = ir::sub(g, filled(g, {3}, 1.0f), e);
    const NodeId b = ir::add_scalar(g, e, -2.0);
    const NodeId c = ir::sub(g, e, filled(g, {2, 3}, 1.0f));
    const NodeId d = ir::add_scalar(g, g.add(OpKind::tanh, {x}), -1.0);
    check_untouched(g, {a, b, c, d}, passes::stability());
}

// ---------------------------------------------------------------------------------------- log_softmax

TEST_CASE("stability: log(softmax(x, axis)) becomes log_softmax(x, axis)", "[passes][stability]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId a = g.add(OpKind::log, {ir::softmax(g, x, 1)});
    const NodeId b = g.add(OpKind::log, {ir::softmax(g, x, 0)});
    check_rewrite(g, passes::stability(),
                  {.outputs = {a, b},
                   .before = "%0 = input \"x\" f32[2,3]\n"
                             "%1 = softmax %0 {axis=1} f32[2,3]\n"
                             "%2 = log %1 f32[2,3]\n"
                             "%3 = softmax %0 {axis=0} f32[2,3]\n"
                             "%4 = log %3 f32[2,3]\n",
                   .after = "%0 = input \"x\" f32[2,3]\n"
                            "%1 = log_softmax %0 {axis=1} f32[2,3]\n"
                            "%2 = log_softmax %0 {axis=0} f32[2,3]\n",
                   .rewrites = {{"log_softmax", 2}},
                   .lo = -4.0,
                   .hi = 4.0,
                   .bit_exact = false});
}

TEST_CASE("stability: log_softmax stays finite for logits of +-1e4 where log(softmax) does not", "[passes][stability]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId y = g.add(OpKind::log, {ir::softmax(g, x, 1)});
    Feed feed;
    feed["x"] = {{2, 3}, {1e4, -1e4, 0.0, 1.0, 2.0, 3.0}};
    const auto r = run_both(g, {y}, feed, passes::stability());
    const std::vector<double> want0{0.0, -2e4, -1e4};
    for (std::size_t j = 0; j < 3; ++j) {
        INFO("element " << j);
        CHECK(std::isfinite(r.rewritten[0].v[j]));
        CHECK(std::fabs(r.rewritten[0].v[j] - want0[j]) <= 1e-3);
    }
    CHECK_FALSE(accurate(r.plain[0].v[1], -2e4, 1e-2));  // softmax underflows to 0 (or a subnormal) first
    CHECK_FALSE(accurate(r.plain[0].v[2], -1e4, 1e-2));
    // the ordinary row agrees both ways
    for (std::size_t j = 3; j < 6; ++j) CHECK(r.rewritten[0].v[j] == Approx(r.plain[0].v[j]).epsilon(1e-5));
}

// ---------------------------------------------------------------------------------------- log_sigmoid

TEST_CASE("stability: log(sigmoid(x)) becomes neg(softplus(neg(x))), without a double negation", "[passes][stability]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId a = g.add(OpKind::log, {g.add(OpKind::sigmoid, {x})});
    const NodeId b = g.add(OpKind::log, {g.add(OpKind::sigmoid, {ir::neg(g, x)})});
    check_rewrite(g, passes::stability(),
                  {.outputs = {a, b},
                   .before = "%0 = input \"x\" f32[3]\n"
                             "%1 = sigmoid %0 f32[3]\n"
                             "%2 = log %1 f32[3]\n"
                             "%3 = neg %0 f32[3]\n"
                             "%4 = sigmoid %3 f32[3]\n"
                             "%5 = log %4 f32[3]\n",
                   .after = "%0 = input \"x\" f32[3]\n"
                            "%1 = neg %0 f32[3]\n"
                            "%2 = softplus %1 f32[3]\n"
                            "%3 = neg %2 f32[3]\n"
                            "%4 = softplus %0 f32[3]\n"
                            "%5 = neg %4 f32[3]\n",
                   .rewrites = {{"log_sigmoid", 2}},
                   .lo = -5.0,
                   .hi = 5.0,
                   .bit_exact = false});
}

TEST_CASE("stability: -softplus(-x) is -200 at x = -200 where log(sigmoid(x)) is -inf", "[passes][stability]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId y = g.add(OpKind::log, {g.add(OpKind::sigmoid, {x})});
    Feed feed;
    feed["x"] = {{3}, {-200.0, 0.0, 30.0}};
    const auto r = run_both(g, {y}, feed, passes::stability());
    CHECK(r.plain[0].v[0] == -std::numeric_limits<double>::infinity());
    CHECK(accurate(r.rewritten[0].v[0], -200.0));
    CHECK(accurate(r.rewritten[0].v[1], std::log(0.5)));
    CHECK(r.rewritten[0].v[2] == Approx(-std::log1p(std::exp(-30.0))).margin(1e-12));
}

// ---------------------------------------------------------------------------------------- one_minus_sigmoid

TEST_CASE("stability: 1-sigmoid(x) and rsub_scalar(sigmoid(x), 1) become sigmoid(neg(x))", "[passes][stability]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId one = g.scalar_constant(DType::f32, 1.0);
    const NodeId s = g.add(OpKind::sigmoid, {x});
    const NodeId a = ir::sub(g, one, s);
    const NodeId b = ir::rsub_scalar(g, s, 1.0);
    const NodeId c = ir::rsub_scalar(g, g.add(OpKind::sigmoid, {ir::neg(g, x)}), 1.0);  // 1 - sigmoid(-x) = sigmoid(x)
    check_rewrite(g, passes::stability(),
                  {.outputs = {a, b, c},
                   .before = "%0 = input \"x\" f32[3]\n"
                             "%1 = constant f32[] 1\n"
                             "%2 = sigmoid %0 f32[3]\n"
                             "%3 = sub %1 %2 f32[3]\n"
                             "%4 = rsub_scalar %2 {c=1} f32[3]\n"
                             "%5 = neg %0 f32[3]\n"
                             "%6 = sigmoid %5 f32[3]\n"
                             "%7 = rsub_scalar %6 {c=1} f32[3]\n",
                   .after = "%0 = input \"x\" f32[3]\n"
                            "%1 = neg %0 f32[3]\n"
                            "%2 = sigmoid %1 f32[3]\n"
                            "%3 = neg %0 f32[3]\n"
                            "%4 = sigmoid %3 f32[3]\n"
                            "%5 = sigmoid %0 f32[3]\n",
                   .rewrites = {{"one_minus_sigmoid", 3}},
                   .lo = -5.0,
                   .hi = 5.0,
                   .bit_exact = false});
}

TEST_CASE("stability: sigmoid(-x) keeps the 2e-9 that 1-sigmoid(x) rounds away at x = 20", "[passes][stability]") {
    Graph g;
    auto x = g.input<float, 2>("x");
    auto y = 1.0f - sigmoid(x);  // rsub_scalar
    CompileOptions plain;
    Machine m0(compile(g, plain, y));
    Machine m1(compile(g, with_pass(passes::stability()), y));
    const Tensor<float, Shape<2>> xv{20.0f, -3.0f};
    m0.let(x, xv);
    m1.let(x, xv);
    m0.run();
    m1.run();
    const double want = 1.0 / (1.0 + std::exp(20.0));  // 2.06e-9
    CHECK_FALSE(accurate(m0.value(y)(0), want, 1e-2));
    CHECK(accurate(m1.value(y)(0), want));
    CHECK(m1.value(y)(1) == Approx(1.0 / (1.0 + std::exp(-3.0))).epsilon(1e-6));
}

TEST_CASE("stability: sigmoid(x)-1, ones[2,3]-sigmoid(x[3]), 2-sigmoid(x) and 1-tanh(x) keep their form", "[passes][stability]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId s = g.add(OpKind::sigmoid, {x});
    const NodeId a = ir::add_scalar(g, s, -1.0);
    const NodeId b = ir::sub(g, filled(g, {2, 3}, 1.0f), s);
    const NodeId c = g.add(OpKind::rsub_scalar, {s}, scalar_c(2.0));
    const NodeId d = ir::rsub_scalar(g, g.add(OpKind::tanh, {x}), 1.0);
    check_untouched(g, {a, b, c, d}, passes::stability());
}

// ---------------------------------------------------------------------------------------- gradients, pipeline

namespace {
/// A loss holding every pattern the pass rewrites, in the typed front's spelling.
struct AllPatterns {
    Graph g;
    Var<float, Shape<2, 3>> p = g.param<float, 2, 3>("p", init::uniform(-1, 1, 7));
    Var<float, Shape<>> loss = sum(log(1.0f + square(p))) + sum(exp(p) - 1.0f) + sum(log(softmax(p))) +
                               sum(log(sigmoid(p))) + sum(1.0f - sigmoid(p));
};
}  // namespace

TEST_CASE("stability: every rule fires on a typed loss and its gradient equals the unrewritten one", "[passes][stability][grad]") {
    AllPatterns t;
    auto gp = grad(t.loss, t.p);
    CompileOptions plain;
    Machine m0(compile(t.g, plain, t.loss, gp));
    Machine m1(compile(t.g, with_pass(passes::stability()), t.loss, gp));
    CompileOptions std_opt;
    std_opt.pipeline = passes::standard();
    Machine m2(compile(t.g, std_opt, t.loss, gp));
    const auto& rep = m1.program().pass_reports().at(0);
    CHECK(rep.name == "stability");
    for (const char* kind : {"log1p", "expm1", "log_softmax", "log_sigmoid", "one_minus_sigmoid"}) {
        INFO(kind);
        CHECK(rep.rewrites.count(kind) == 1);
    }
    CHECK(rep.rewrites.at("log1p") == 1);
    CHECK(rep.rewrites.at("expm1") == 1);
    CHECK(rep.rewrites.at("log_softmax") == 1);
    CHECK(rep.rewrites.at("log_sigmoid") == 1);
    CHECK(rep.rewrites.at("one_minus_sigmoid") >= 2);  // the forward's, and sigmoid's VJP g*y*(1-y)
    m0.run();
    m1.run();
    m2.run();
    CHECK(m1.value(t.loss)() == Approx(m0.value(t.loss)()).epsilon(1e-5));
    CHECK(m2.value(t.loss)() == Approx(m0.value(t.loss)()).epsilon(1e-5));
    CHECK(allclose(m1.value(gp), m0.value(gp), 1e-5, 1e-6));
    CHECK(allclose(m2.value(gp), m0.value(gp), 1e-5, 1e-6));
}

TEST_CASE("stability: the reverse sweep's 1-sigmoid is rewritten too: d sigmoid(x) at 20 is 2e-9, not 0", "[passes][stability][grad]") {
    Graph g;
    auto p = g.param<float, 1>("p", init::constant(20.0));
    auto loss = sum(sigmoid(p));
    auto gp = grad(loss, p);
    CompileOptions plain;
    Machine m0(compile(g, plain, gp));
    Machine m1(compile(g, with_pass(passes::stability()), gp));
    m0.run();
    m1.run();
    const double want = std::exp(-20.0) / ((1.0 + std::exp(-20.0)) * (1.0 + std::exp(-20.0)));  // σ(20)σ(-20)
    CHECK_FALSE(accurate(m0.value(gp)(0), want, 1e-2));  // σ(20) rounds to 1 in float, so y*(1-y) is 0
    CHECK(accurate(m1.value(gp)(0), want, 1e-4));
}

TEST_CASE("stability runs first in each round of the standard pipeline, then simplify", "[passes][stability]") {
    AllPatterns t;
    CompileOptions opt;
    opt.pipeline = passes::standard();
    const Program prog = compile(t.g, opt, t.loss);
    const auto& reports = prog.pass_reports();
    REQUIRE(reports.size() >= 5);
    CHECK(reports[1].name == "stability");
    CHECK(reports[1].total_rewrites() == 5);
    CHECK(reports[2].name == "simplify");
    // no stability rewrite is left for a later round
    for (std::size_t i = 5; i < reports.size(); ++i)
        if (reports[i].name == "stability") CHECK(reports[i].rewrites.empty());
}
