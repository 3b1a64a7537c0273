// SPDX-License-Identifier: MIT
// tests/passes/simplify_test.cpp: passes::simplify, one test per rule family — golden text before and
// after, the report's counts, idempotence and equal values (support/pass_check.hpp) — plus the cases
// that must not fire (a constant that broadcasts x, a non-constant operand, x*0 without assume_finite,
// exp(log x)) and gradients through simplified graphs.
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
Attrs dims_attr(Dims d) {
    Attrs a;
    a.ints = std::move(d);
    return a;
}
Attrs all_axes(bool keepdims = false) {
    Attrs a;
    a.all_axes = true;
    a.keepdims = keepdims;
    return a;
}
Attrs axis_attr(std::int64_t axis, bool keepdims = false) {
    Attrs a;
    a.axis = axis;
    a.keepdims = keepdims;
    return a;
}
const double inf = std::numeric_limits<double>::infinity();
}  // namespace

// ---------------------------------------------------------------------------------------- identities

TEST_CASE("simplify: x*1, 1*x and mul_scalar(x, 1) become x", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId ones = filled(g, {2, 3}, 1.0f);
    const NodeId ones_row = filled(g, {3}, 1.0f);  // broadcasts into x's shape: the result is still x's type
    const NodeId a = ir::mul(g, x, ones);
    const NodeId b = ir::mul(g, ones_row, x);
    const NodeId c = ir::mul_scalar(g, x, 1.0);
    const NodeId y = ir::add(g, ir::add(g, a, b), c);
    check_rewrite(g, passes::simplify(),
                  {.outputs = {y},
                   .before = "%0 = input \"x\" f32[2,3]\n"
                             "%1 = constant f32[2,3] [1, 1, 1, 1, 1, 1]\n"
                             "%2 = constant f32[3] [1, 1, 1]\n"
                             "%3 = mul %0 %1 f32[2,3]\n"
                             "%4 = mul %2 %0 f32[2,3]\n"
                             "%5 = mul_scalar %0 {c=1} f32[2,3]\n"
                             "%6 = add %3 %4 f32[2,3]\n"
                             "%7 = add %6 %5 f32[2,3]\n",
                   .after = "%0 = input \"x\" f32[2,3]\n"
                            "%1 = add %0 %0 f32[2,3]\n"
                            "%2 = add %1 %0 f32[2,3]\n",
                   .rewrites = {{"mul_by_one", 3}}});
}

TEST_CASE("simplify: x*1 where the ones broadcast x keeps only the broadcast", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId y = g.add(OpKind::exp, {ir::mul(g, x, filled(g, {2, 3}, 1.0f))});
    check_rewrite(g, passes::simplify(),
                  {.outputs = {y},
                   .before = "%0 = input \"x\" f32[3]\n"
                             "%1 = constant f32[2,3] [1, 1, 1, 1, 1, 1]\n"
                             "%2 = mul %0 %1 f32[2,3]\n"
                             "%3 = exp %2 f32[2,3]\n",
                   .after = "%0 = input \"x\" f32[3]\n"
                            "%1 = broadcast_to %0 f32[2,3]\n"
                            "%2 = exp %1 f32[2,3]\n",
                   .rewrites = {{"mul_by_one", 1}}});
}

TEST_CASE("simplify: x*c is left alone unless every element of a constant c is 1", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId ones = g.input("ones", DType::f32, {2, 3});  // ones at run time, but not a constant
    const float almost[3] = {1, 1, 2};
    const NodeId c = g.constant(DType::f32, {3}, almost);
    const NodeId a = ir::mul(g, x, ones);
    const NodeId b = ir::mul(g, x, c);
    const NodeId s = ir::mul_scalar(g, x, 1.0000001);
    check_untouched(g, {a, b, s}, passes::simplify());
}

TEST_CASE("simplify: x+0, 0+x and add_scalar(x, 0) become x", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId zeros = filled(g, {2, 3}, 0.0f);
    const NodeId zero = g.scalar_constant(DType::f32, 0.0);
    const NodeId a = ir::add(g, x, zeros);
    const NodeId b = ir::add(g, zero, x);
    const NodeId c = ir::add_scalar(g, x, 0.0);
    const NodeId y = ir::mul(g, ir::mul(g, a, b), c);
    check_rewrite(g, passes::simplify(),
                  {.outputs = {y},
                   .before = "%0 = input \"x\" f32[2,3]\n"
                             "%1 = constant f32[2,3] [0, 0, 0, 0, 0, 0]\n"
                             "%2 = constant f32[] 0\n"
                             "%3 = add %0 %1 f32[2,3]\n"
                             "%4 = add %2 %0 f32[2,3]\n"
                             "%5 = add_scalar %0 {c=0} f32[2,3]\n"
                             "%6 = mul %3 %4 f32[2,3]\n"
                             "%7 = mul %6 %5 f32[2,3]\n",
                   .after = "%0 = input \"x\" f32[2,3]\n"
                            "%1 = mul %0 %0 f32[2,3]\n"
                            "%2 = mul %1 %0 f32[2,3]\n",
                   .rewrites = {{"add_zero", 3}}});
}

TEST_CASE("simplify: x+0 -> x keeps a -0 that x + 0 would make +0 (documented, equal as values)", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {1});
    const NodeId y = ir::add(g, x, filled(g, {1}, 0.0f));
    Feed feed;
    feed["x"] = {{1}, {-0.0}};
    const auto r = run_both(g, {y}, feed, passes::simplify());
    CHECK_FALSE(std::signbit(r.plain[0].v[0]));  // -0 + 0 = +0 in IEEE round-to-nearest
    CHECK(std::signbit(r.rewritten[0].v[0]));
    CHECK(r.plain[0].v[0] == r.rewritten[0].v[0]);
}

TEST_CASE("simplify: x-0, x/1, div_scalar(x, 1) and pow_scalar(x, 1) become x", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId zero = g.scalar_constant(DType::f32, 0.0);
    const NodeId ones = filled(g, {3}, 1.0f);
    const NodeId a = ir::sub(g, x, zero);
    const NodeId b = ir::div(g, x, ones);
    const NodeId c = g.add(OpKind::div_scalar, {x}, scalar_c(1.0));
    const NodeId d = ir::pow_scalar(g, x, 1.0);
    const NodeId ab = ir::mul(g, a, b);
    const NodeId cd = ir::mul(g, c, d);
    const NodeId y = ir::mul(g, ab, cd);
    check_rewrite(g, passes::simplify(),
                  {.outputs = {y},
                   .before = "%0 = input \"x\" f32[2,3]\n"
                             "%1 = constant f32[] 0\n"
                             "%2 = constant f32[3] [1, 1, 1]\n"
                             "%3 = sub %0 %1 f32[2,3]\n"
                             "%4 = div %0 %2 f32[2,3]\n"
                             "%5 = div_scalar %0 {c=1} f32[2,3]\n"
                             "%6 = pow_scalar %0 {c=1} f32[2,3]\n"
                             "%7 = mul %3 %4 f32[2,3]\n"
                             "%8 = mul %5 %6 f32[2,3]\n"
                             "%9 = mul %7 %8 f32[2,3]\n",
                   .after = "%0 = input \"x\" f32[2,3]\n"
                            "%1 = mul %0 %0 f32[2,3]\n"
                            "%2 = mul %0 %0 f32[2,3]\n"
                            "%3 = mul %1 %2 f32[2,3]\n",
                   .rewrites = {{"sub_zero", 1}, {"div_by_one", 2}, {"pow_one", 1}}});
}

TEST_CASE("simplify: 0-x, 1/x, x+1e-30, pow(x, 2) and rsub_scalar(x, 0) keep their op", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId zero = g.scalar_constant(DType::f32, 0.0);
    const NodeId one = g.scalar_constant(DType::f32, 1.0);
    const NodeId a = ir::sub(g, zero, x);
    const NodeId b = ir::div(g, one, x);
    const NodeId c = ir::add_scalar(g, x, 1e-30);
    const NodeId d = ir::pow_scalar(g, x, 2.0);
    const NodeId e = g.add(OpKind::rsub_scalar, {x}, scalar_c(0.0));  // 0 - x, not x - 0
    check_untouched(g, {a, b, c, d, e}, passes::simplify());
}

// ---------------------------------------------------------------------------------------- x*0, x-x

namespace {
/// x*0 (zeros broadcasting into x), mul_scalar(x, 0) and 0*x.
struct TimesZero {
    Graph g;
    NodeId x, a, b, c;
    TimesZero() {
        x = g.input("x", DType::f32, {2, 3});
        const NodeId zeros = filled(g, {3}, 0.0f);
        a = ir::mul(g, x, zeros);
        b = ir::mul_scalar(g, x, 0.0);
        c = ir::mul(g, zeros, x);
    }
};
}  // namespace

TEST_CASE("simplify: x*0 becomes zeros of the result's type only under assume_finite", "[passes][simplify]") {
    TimesZero t;
    passes::PassOptions finite;
    finite.assume_finite = true;
    check_rewrite(t.g, passes::simplify(),
                  {.outputs = {t.a, t.b, t.c},
                   .before = "%0 = input \"x\" f32[2,3]\n"
                             "%1 = constant f32[3] [0, 0, 0]\n"
                             "%2 = mul %0 %1 f32[2,3]\n"
                             "%3 = mul_scalar %0 {c=0} f32[2,3]\n"
                             "%4 = mul %1 %0 f32[2,3]\n",
                   .after = "%0 = constant f32[] 0\n"
                            "%1 = broadcast_to %0 f32[2,3]\n"
                            "%2 = constant f32[] 0\n"
                            "%3 = broadcast_to %2 f32[2,3]\n"
                            "%4 = constant f32[] 0\n"
                            "%5 = broadcast_to %4 f32[2,3]\n",
                   .rewrites = {{"mul_by_zero", 3}},
                   .options = finite,
                   .bit_exact = false});  // x*0 is -0 for negative x, the zeros are +0
}

TEST_CASE("simplify: x*0 is kept by default because inf*0 and nan*0 are nan", "[passes][simplify]") {
    TimesZero t;
    check_untouched(t.g, {t.a, t.b, t.c}, passes::simplify());
    Feed feed;
    feed["x"] = {{2, 3}, {inf, -inf, std::nan(""), 1, -2, 0}};
    CompileOptions opt;
    opt.pipeline = passes::standard();  // the default pipeline, default options
    const auto got = run_graph(t.g, std::vector<NodeId>{t.a, t.b, t.c}, feed, opt);
    for (const auto& v : got) {
        CHECK(std::isnan(v.v[0]));
        CHECK(std::isnan(v.v[1]));
        CHECK(std::isnan(v.v[2]));
        CHECK(v.v[3] == 0.0);
    }
}

TEST_CASE("simplify: x-x becomes zeros only under assume_finite (inf-inf is nan)", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId y = g.add(OpKind::exp, {ir::sub(g, x, x)});
    passes::PassOptions finite;
    finite.assume_finite = true;
    check_rewrite(g, passes::simplify(),
                  {.outputs = {y},
                   .before = "%0 = input \"x\" f32[3]\n"
                             "%1 = sub %0 %0 f32[3]\n"
                             "%2 = exp %1 f32[3]\n",
                   .after = "%0 = constant f32[] 0\n"
                            "%1 = broadcast_to %0 f32[3]\n"
                            "%2 = exp %1 f32[3]\n",
                   .rewrites = {{"sub_self", 1}},
                   .options = finite});
    check_untouched(g, {y}, passes::simplify());
    Feed feed;
    feed["x"] = {{3}, {inf, 1, -inf}};
    const auto r = run_both(g, {y}, feed, passes::simplify());
    CHECK(std::isnan(r.rewritten[0].v[0]));
    CHECK(r.rewritten[0].v[1] == 1.0);
}

// ---------------------------------------------------------------------------------------- negations

TEST_CASE("simplify: neg(neg(x)) becomes x, along a chain of negations", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId n1 = ir::neg(g, x);
    const NodeId n2 = ir::neg(g, n1);
    const NodeId n3 = ir::neg(g, n2);
    const NodeId n4 = ir::neg(g, n3);
    const NodeId y1 = g.add(OpKind::exp, {n3});
    const NodeId y2 = g.add(OpKind::tanh, {n4});
    check_rewrite(g, passes::simplify(),
                  {.outputs = {y1, y2},
                   .before = "%0 = input \"x\" f32[3]\n"
                             "%1 = neg %0 f32[3]\n"
                             "%2 = neg %1 f32[3]\n"
                             "%3 = neg %2 f32[3]\n"
                             "%4 = neg %3 f32[3]\n"
                             "%5 = exp %3 f32[3]\n"
                             "%6 = tanh %4 f32[3]\n",
                   .after = "%0 = input \"x\" f32[3]\n"
                            "%1 = neg %0 f32[3]\n"
                            "%2 = exp %1 f32[3]\n"
                            "%3 = tanh %0 f32[3]\n",
                   .rewrites = {{"neg_neg", 2}}});
}

TEST_CASE("simplify: x-neg(y) -> x+y, x+neg(y) and neg(y)+x -> x-y, neg(x)*neg(y) -> x*y", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId y = g.input("y", DType::f32, {3});
    const NodeId ny = ir::neg(g, y);
    const NodeId a = ir::sub(g, x, ny);
    const NodeId b = ir::add(g, x, ny);
    const NodeId c = ir::add(g, ny, x);
    const NodeId d = ir::mul(g, ir::neg(g, x), ny);
    check_rewrite(g, passes::simplify(),
                  {.outputs = {a, b, c, d},
                   .before = "%0 = input \"x\" f32[2,3]\n"
                             "%1 = input \"y\" f32[3]\n"
                             "%2 = neg %1 f32[3]\n"
                             "%3 = sub %0 %2 f32[2,3]\n"
                             "%4 = add %0 %2 f32[2,3]\n"
                             "%5 = add %2 %0 f32[2,3]\n"
                             "%6 = neg %0 f32[2,3]\n"
                             "%7 = mul %6 %2 f32[2,3]\n",
                   .after = "%0 = input \"x\" f32[2,3]\n"
                            "%1 = input \"y\" f32[3]\n"
                            "%2 = add %0 %1 f32[2,3]\n"
                            "%3 = sub %0 %1 f32[2,3]\n"
                            "%4 = sub %0 %1 f32[2,3]\n"
                            "%5 = mul %0 %1 f32[2,3]\n",
                   .rewrites = {{"sub_neg", 1}, {"add_neg", 2}, {"neg_times_neg", 1}}});
}

TEST_CASE("simplify: a node a rule builds is simplified in the same run: neg(x)-neg(y) -> y-x", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId y = g.input("y", DType::f32, {3});
    const NodeId nx = ir::neg(g, x);
    const NodeId ny = ir::neg(g, y);
    const NodeId d = ir::sub(g, nx, ny);  // sub_neg gives neg(x) + y, which add_neg makes y - x
    check_rewrite(g, passes::simplify(),
                  {.outputs = {d},
                   .before = "%0 = input \"x\" f32[3]\n"
                             "%1 = input \"y\" f32[3]\n"
                             "%2 = neg %0 f32[3]\n"
                             "%3 = neg %1 f32[3]\n"
                             "%4 = sub %2 %3 f32[3]\n",
                   .after = "%0 = input \"x\" f32[3]\n"
                            "%1 = input \"y\" f32[3]\n"
                            "%2 = sub %1 %0 f32[3]\n",
                   .rewrites = {{"sub_neg", 1}, {"add_neg", 1}}});
}

TEST_CASE("simplify: neg(y)-x and neg(x)*y keep their negation", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId y = g.input("y", DType::f32, {3});
    const NodeId a = ir::sub(g, ir::neg(g, y), x);
    const NodeId b = ir::mul(g, ir::neg(g, x), y);
    check_untouched(g, {a, b}, passes::simplify());
}

// ---------------------------------------------------------------------------------------- log / exp

TEST_CASE("simplify: log(exp(x)) becomes x; exp(log(x)) is left alone", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {4});
    const NodeId a = g.add(OpKind::log, {g.add(OpKind::exp, {x})});
    const NodeId b = g.add(OpKind::exp, {g.add(OpKind::log, {x})});
    check_rewrite(g, passes::simplify(),
                  {.outputs = {a, b},
                   .before = "%0 = input \"x\" f32[4]\n"
                             "%1 = exp %0 f32[4]\n"
                             "%2 = log %1 f32[4]\n"
                             "%3 = log %0 f32[4]\n"
                             "%4 = exp %3 f32[4]\n",
                   .after = "%0 = input \"x\" f32[4]\n"
                            "%1 = log %0 f32[4]\n"
                            "%2 = exp %1 f32[4]\n",
                   .rewrites = {{"log_exp", 1}},
                   .lo = 0.1,
                   .hi = 3.0,
                   .bit_exact = false});
    Graph h;  // exp(log(x)) alone: nothing to do
    const NodeId hx = h.input("x", DType::f32, {4});
    check_untouched(h, {h.add(OpKind::exp, {h.add(OpKind::log, {hx})})}, passes::simplify());
}

TEST_CASE("simplify: log(exp(x)) -> x removes the overflow of exp; exp(log(x)) is nan for x < 0", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {4});
    const NodeId a = g.add(OpKind::log, {g.add(OpKind::exp, {x})});
    const NodeId b = g.add(OpKind::exp, {g.add(OpKind::log, {x})});
    Feed feed;
    feed["x"] = {{4}, {100.0, -200.0, -1.0, 2.0}};
    const auto r = run_both(g, {a, b}, feed, passes::simplify());
    // log(exp(x)): exact after the rewrite, wrong before it for x beyond exp's range
    CHECK(r.rewritten[0].v == std::vector<double>{100.0, -200.0, -1.0, 2.0});
    CHECK_FALSE(std::fabs(r.plain[0].v[0] - 100.0) < 1.0);
    CHECK_FALSE(std::fabs(r.plain[0].v[1] + 200.0) < 1.0);
    // exp(log(x)) is not x for x < 0, so it stays (and is nan both ways)
    CHECK(std::isnan(r.plain[1].v[2]));
    CHECK(std::isnan(r.rewritten[1].v[2]));
}

// ---------------------------------------------------------------------------------------- scalar chains

TEST_CASE("simplify: chains of mul_scalar and of add_scalar become one op, or x", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId a = ir::mul_scalar(g, ir::mul_scalar(g, x, 2.0), 3.0);
    const NodeId b = ir::mul_scalar(g, ir::mul_scalar(g, x, 4.0), 0.25);
    const NodeId c = ir::add_scalar(g, ir::add_scalar(g, ir::add_scalar(g, x, 1.0), 2.0), -3.0);
    const NodeId d = ir::add_scalar(g, ir::add_scalar(g, x, 0.5), 0.25);
    check_rewrite(g, passes::simplify(),
                  {.outputs = {a, b, c, d},
                   .before = "%0 = input \"x\" f32[3]\n"
                             "%1 = mul_scalar %0 {c=2} f32[3]\n"
                             "%2 = mul_scalar %1 {c=3} f32[3]\n"
                             "%3 = mul_scalar %0 {c=4} f32[3]\n"
                             "%4 = mul_scalar %3 {c=0.25} f32[3]\n"
                             "%5 = add_scalar %0 {c=1} f32[3]\n"
                             "%6 = add_scalar %5 {c=2} f32[3]\n"
                             "%7 = add_scalar %6 {c=-3} f32[3]\n"
                             "%8 = add_scalar %0 {c=0.5} f32[3]\n"
                             "%9 = add_scalar %8 {c=0.25} f32[3]\n",
                   .after = "%0 = input \"x\" f32[3]\n"
                            "%1 = mul_scalar %0 {c=6} f32[3]\n"
                            "%2 = add_scalar %0 {c=0.75} f32[3]\n",
                   .rewrites = {{"mul_scalar_chain", 2}, {"add_scalar_chain", 3}},
                   .bit_exact = false});
}

TEST_CASE("simplify: scalar chains whose combined constant over- or underflows the type stay two ops", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId a = ir::mul_scalar(g, ir::mul_scalar(g, x, 1e30), 1e30);    // 1e60 is inf in float: 0*inf = nan
    const NodeId b = ir::mul_scalar(g, ir::mul_scalar(g, x, 1e-30), 1e-30);  // 1e-60 is 0 in float
    const NodeId c = ir::add_scalar(g, ir::add_scalar(g, x, 3e38), 3e38);    // 6e38 is inf in float
    check_untouched(g, {a, b, c}, passes::simplify());

    Graph h;  // the same constants are fine in double
    const NodeId xd = h.input("x", DType::f64, {3});
    const NodeId ad = ir::mul_scalar(h, ir::mul_scalar(h, xd, 1e30), 1e30);
    std::vector<NodeId> outs{ad};
    const auto report = run_alone(h, outs, passes::simplify());
    CHECK(report.rewrites == std::map<std::string, std::size_t>{{"mul_scalar_chain", 1}});
    CHECK(print(h) == "%0 = input \"x\" f64[3]\n%1 = mul_scalar %0 {c=1.0000000000000001e+60} f64[3]\n");  // 1e30*1e30 in double
}

// ---------------------------------------------------------------------------------------- shape ops

TEST_CASE("simplify: transposes compose, and vanish when the permutation is the identity", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3, 4});
    const NodeId a = ir::transpose(g, ir::transpose(g, x, {1, 2, 0}), {2, 0, 1});  // identity
    const NodeId b = ir::transpose(g, ir::transpose(g, x, {1, 0, 2}), {0, 2, 1});  // = transpose(x, [1,2,0])
    const NodeId c = ir::transpose(g, x, {0, 1, 2});
    check_rewrite(g, passes::simplify(),
                  {.outputs = {a, b, c},
                   .before = "%0 = input \"x\" f32[2,3,4]\n"
                             "%1 = transpose %0 {perm=[1,2,0]} f32[3,4,2]\n"
                             "%2 = transpose %1 {perm=[2,0,1]} f32[2,3,4]\n"
                             "%3 = transpose %0 {perm=[1,0,2]} f32[3,2,4]\n"
                             "%4 = transpose %3 {perm=[0,2,1]} f32[3,4,2]\n"
                             "%5 = transpose %0 {perm=[0,1,2]} f32[2,3,4]\n",
                   .after = "%0 = input \"x\" f32[2,3,4]\n"
                            "%1 = transpose %0 {perm=[1,2,0]} f32[3,4,2]\n",
                   .rewrites = {{"transpose_transpose", 2}, {"transpose_identity", 1}}});
}

TEST_CASE("simplify: reshape chains collapse, a reshape to x's own dims is x", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId flat = ir::reshape(g, x, {6});
    const NodeId a = ir::reshape(g, flat, {3, 2});
    const NodeId b = ir::reshape(g, flat, {2, 3});
    const NodeId c = g.add(OpKind::reshape, {x}, dims_attr({2, 3}));
    check_rewrite(g, passes::simplify(),
                  {.outputs = {a, b, c},
                   .before = "%0 = input \"x\" f32[2,3]\n"
                             "%1 = reshape %0 f32[6]\n"
                             "%2 = reshape %1 f32[3,2]\n"
                             "%3 = reshape %1 f32[2,3]\n"
                             "%4 = reshape %0 f32[2,3]\n",
                   .after = "%0 = input \"x\" f32[2,3]\n"
                            "%1 = reshape %0 f32[3,2]\n",
                   .rewrites = {{"reshape_reshape", 2}, {"reshape_to_self", 1}}});
}

TEST_CASE("simplify: broadcast_to chains collapse, a broadcast_to x's own dims is x", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId a = g.add(OpKind::broadcast_to, {x}, dims_attr({3}));
    const NodeId b = ir::broadcast_to(g, ir::broadcast_to(g, x, {2, 3}), {4, 2, 3});
    check_rewrite(g, passes::simplify(),
                  {.outputs = {a, b},
                   .before = "%0 = input \"x\" f32[3]\n"
                             "%1 = broadcast_to %0 f32[3]\n"
                             "%2 = broadcast_to %0 f32[2,3]\n"
                             "%3 = broadcast_to %2 f32[4,2,3]\n",
                   .after = "%0 = input \"x\" f32[3]\n"
                            "%1 = broadcast_to %0 f32[4,2,3]\n",
                   .rewrites = {{"broadcast_to_self", 1}, {"broadcast_broadcast", 1}}});
}

// ---------------------------------------------------------------------------------------- sums of broadcasts

TEST_CASE("simplify: sum and mean of a broadcast become a scaled sum, or x itself", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId z = g.input("z", DType::f32, {2, 1});
    const NodeId bx = ir::broadcast_to(g, x, {4, 3});
    const NodeId s_all = g.add(OpKind::sum, {bx}, all_axes());
    const NodeId s_all_keep = g.add(OpKind::sum, {bx}, all_axes(true));
    const NodeId s_0 = g.add(OpKind::sum, {bx}, axis_attr(0));
    const NodeId m_all = g.add(OpKind::mean, {bx}, all_axes());
    const NodeId m_0 = g.add(OpKind::mean, {bx}, axis_attr(0));
    const NodeId bz = ir::broadcast_to(g, z, {2, 5});
    const NodeId s_1 = g.add(OpKind::sum, {bz}, axis_attr(1));
    const NodeId s_1_keep = g.add(OpKind::sum, {bz}, axis_attr(1, true));
    check_rewrite(g, passes::simplify(),
                  {.outputs = {s_all, s_all_keep, s_0, m_all, m_0, s_1, s_1_keep},
                   .before = "%0 = input \"x\" f32[3]\n"
                             "%1 = input \"z\" f32[2,1]\n"
                             "%2 = broadcast_to %0 f32[4,3]\n"
                             "%3 = sum %2 {all} f32[]\n"
                             "%4 = sum %2 {all, keepdims} f32[1,1]\n"
                             "%5 = sum %2 {axis=0} f32[3]\n"
                             "%6 = mean %2 {all} f32[]\n"
                             "%7 = mean %2 {axis=0} f32[3]\n"
                             "%8 = broadcast_to %1 f32[2,5]\n"
                             "%9 = sum %8 {axis=1} f32[2]\n"
                             "%10 = sum %8 {axis=1, keepdims} f32[2,1]\n",
                   .after = "%0 = input \"x\" f32[3]\n"
                            "%1 = input \"z\" f32[2,1]\n"
                            "%2 = sum %0 {all} f32[]\n"
                            "%3 = mul_scalar %2 {c=4} f32[]\n"
                            "%4 = sum %0 {all} f32[]\n"
                            "%5 = mul_scalar %4 {c=4} f32[]\n"
                            "%6 = reshape %5 f32[1,1]\n"
                            "%7 = mul_scalar %0 {c=4} f32[3]\n"
                            "%8 = mean %0 {all} f32[]\n"
                            "%9 = mul_scalar %1 {c=5} f32[2,1]\n"
                            "%10 = reshape %9 f32[2]\n"
                            "%11 = mul_scalar %1 {c=5} f32[2,1]\n",
                   .rewrites = {{"sum_of_broadcast", 5}, {"mean_of_broadcast", 2}},
                   .bit_exact = false});
}

TEST_CASE("simplify: the scale a sum of a broadcast adds merges with a scale already there", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId q = ir::mul_scalar(g, x, 0.25);
    const NodeId s = g.add(OpKind::sum, {ir::broadcast_to(g, q, {4, 3})}, axis_attr(0));  // 4 * (x * 0.25)
    check_rewrite(g, passes::simplify(),
                  {.outputs = {s},
                   .before = "%0 = input \"x\" f32[3]\n"
                             "%1 = mul_scalar %0 {c=0.25} f32[3]\n"
                             "%2 = broadcast_to %1 f32[4,3]\n"
                             "%3 = sum %2 {axis=0} f32[3]\n",
                   .after = "%0 = input \"x\" f32[3]\n",
                   .rewrites = {{"sum_of_broadcast", 1}},
                   .bit_exact = false});
}

TEST_CASE("simplify: a sum over an axis the broadcast did not add, or over one of two added axes, stays", "[passes][simplify]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId w = g.input("w", DType::f32, {1, 1});
    const NodeId a = g.add(OpKind::sum, {ir::broadcast_to(g, x, {4, 3})}, axis_attr(1));
    const NodeId b = g.add(OpKind::sum, {ir::broadcast_to(g, w, {2, 3})}, axis_attr(0));
    const NodeId c = g.add(OpKind::max, {ir::broadcast_to(g, x, {4, 3})}, all_axes());
    check_untouched(g, {a, b, c}, passes::simplify());
}

TEST_CASE("simplify: a sum of a broadcast of a large tensor is the scaled sum of the tensor", "[passes][simplify]") {
    // 1000 copies of x summed one by one in float vs sum(x) * 1000: the rewrite rounds once
    Graph g;
    const NodeId x = g.input("x", DType::f32, {100});
    const NodeId y = g.add(OpKind::sum, {ir::broadcast_to(g, x, {1000, 100})}, all_axes());
    const Feed feed = make_feed(g, 5, 0.0, 1.0);
    const auto r = run_both(g, {y}, feed, passes::simplify());
    double exact = 0;
    for (double v : feed.at("x").v) exact += v;
    exact *= 1000;
    CHECK(r.rewritten[0].v[0] == Approx(exact).epsilon(1e-6));
    CHECK(r.plain[0].v[0] == Approx(exact).epsilon(1e-4));
}

// ---------------------------------------------------------------------------------------- pipeline and gradients

TEST_CASE("simplify runs in the standard pipeline; with assume_finite, x + (x-x)*0 is x after a fixed point", "[passes][simplify]") {
    Graph g;
    auto x = g.input<float, 3>("x");
    auto y = x + (x - x) * 0.0f;
    CompileOptions opt;
    opt.pipeline = passes::standard();
    opt.pipeline.options.assume_finite = true;
    Machine m(compile(g, opt, y));
    const auto& reports = m.program().pass_reports();
    REQUIRE(reports.size() >= 10);  // at least two rounds
    CHECK(reports[0].name == "dce");
    CHECK(reports[1].name == "stability");
    CHECK(reports[2].name == "simplify");
    CHECK(reports[3].name == "fold_constants");
    CHECK(reports[4].name == "cse");
    // round 1: x-x -> zeros, then zeros*0 -> zeros; fold_constants makes the zeros a constant;
    // round 2: x + 0 -> x
    CHECK(reports[2].rewrites == std::map<std::string, std::size_t>{{"mul_by_zero", 1}, {"sub_self", 1}});
    CHECK(reports[3].rewrites.count("folded") == 1);
    CHECK(reports[7].name == "simplify");
    CHECK(reports[7].rewrites == std::map<std::string, std::size_t>{{"add_zero", 1}});
    CHECK(m.program().instruction_count() == 1);  // the copy of x into the output
    m.let(x, Tensor<float, Shape<3>>{std::numeric_limits<float>::max(), 1, -2});
    m.run();
    CHECK(m.value(y)(0) == std::numeric_limits<float>::max());
    CHECK(m.value(y)(2) == -2.0f);
}

TEST_CASE("simplify: gradients through a simplified graph equal the unsimplified ones", "[passes][simplify][grad]") {
    Graph g;
    auto x = g.input<float, 4, 3>("x");
    auto w = g.param<float, 3, 2>("w", init::uniform(-1, 1, 11));
    auto b = g.param<float, 2>("b", init::uniform(-1, 1, 12));
    auto h = neg(neg(matmul(x, transpose(transpose(w))))) * 1.0f + 0.0f;
    auto r = (h - neg(broadcast_to<Shape<4, 2>>(b))) * 2.0f * 0.5f;
    auto loss = sum(square(r)) + mean(broadcast_to<Shape<5, 2>>(b)) + sum(reshape<6>(reshape<3, 2>(w)));
    auto [gw, gb] = grad(loss, w, b);
    CompileOptions plain;
    CompileOptions opt = with_pass(passes::simplify());
    Machine m0(compile(g, plain, loss, gw, gb));
    Machine m1(compile(g, opt, loss, gw, gb));
    const auto& rep = m1.program().pass_reports().at(0);
    CHECK(rep.name == "simplify");
    CHECK(rep.total_rewrites() >= 8);
    CHECK(m1.program().instruction_count() < m0.program().instruction_count());
    Tensor<float, Shape<4, 3>> xv;
    randomize(xv, 21);
    m0.let(x, xv);
    m1.let(x, xv);
    m0.run();
    m1.run();
    CHECK(m1.value(loss)() == Approx(m0.value(loss)()).epsilon(1e-5));
    CHECK(allclose(m1.value(gw), m0.value(gw), 1e-5, 1e-6));
    CHECK(allclose(m1.value(gb), m0.value(gb), 1e-5, 1e-6));
}
