// SPDX-License-Identifier: MIT
// tests/exec/anomaly_test.cpp: Machine::set_anomaly_check. Off (the default), NaN and infinities flow through
// as IEEE arithmetic says; on, run() throws graft::Error at the first instruction whose output holds one,
// naming the instruction index, the node, its op, name, dtype and shape, the element and the step, and it
// refuses non-finite inputs and params before the first instruction. Finite runs give bit-identical results
// with the check on or off.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include <graft/autodiff.hpp>
#include <graft/exec.hpp>
#include <graft/graph.hpp>
#include <graft/passes.hpp>

#include "support/files.hpp"

using namespace graft;
using Catch::Matchers::Contains;

namespace {

CompileOptions anomaly_no_passes() {
    CompileOptions o;
    o.pipeline = passes::none();
    return o;
}

}  // namespace

TEST_CASE("anomaly mode names the instruction that made a NaN: log(0 - x) for a positive x", "[exec][anomaly]") {
    Graph g;
    auto x = g.input<float, 2, 3>("x");
    auto y = log(0.0f - x).named("logneg");
    auto s = sum(y);
    Machine m(compile(g, anomaly_no_passes(), y, s));
    const Tensor<float, Shape<2, 3>> ok{{-1, -2, -3}, {-4, -5, -6}};
    const Tensor<float, Shape<2, 3>> bad{{-1, -2, -3}, {-4, 5, -6}};  // log(-5) is NaN
    m.set_anomaly_check(true);
    CHECK(m.anomaly_check());
    m.let(x, ok);
    m.run();
    m.run();
    CHECK(m.steps() == 2);
    m.let(x, bad);
    const std::string msg = graft_test::error_of([&] { m.run(); });
    CHECK_THAT(msg, Contains("graft::Error: Machine::run (anomaly check): expected finite values from every instruction, found NaN "
                             "at element 4 [1,1] of the output of instruction #1 %"));
    CHECK_THAT(msg, Contains(" = log \"logneg\" f32[2,3], in step 2 (run() call 3); its inputs were finite: %"));
    CHECK(m.steps() == 2);  // the failed run is not a step
    // the instruction index and node are those of the log in dump()
    const std::string dump = m.program().dump();
    CHECK_THAT(dump, Contains("#1 %" + std::to_string(y.id()) + " = log"));
    CHECK_THAT(msg, Contains("#1 %" + std::to_string(y.id()) + " = log"));
}

TEST_CASE("anomaly mode is off by default: the NaN and infinities flow through", "[exec][anomaly]") {
    Graph g;
    auto x = g.input<double, 4>("x");
    auto y = log(0.0 - x);
    Machine m(compile(g, anomaly_no_passes(), y));
    CHECK_FALSE(m.anomaly_check());
    m.let(x, Tensor<double, Shape<4>>{-1.0, 0.0, 1.0, -2.0});
    m.run();
    CHECK(m.value(y)[0] == 0.0);
    CHECK(m.value(y)[1] == -std::numeric_limits<double>::infinity());  // 0 - 0 = +0: log(+0) = -inf
    CHECK(std::isnan(m.value(y)[2]));
}

TEST_CASE("anomaly mode catches an overflow to infinity: exp(x) for x = 1000", "[exec][anomaly]") {
    Graph g;
    auto x = g.input<double, 3>("x");
    auto y = exp(x) * 2.0;
    Machine m(compile(g, anomaly_no_passes(), y));
    m.set_anomaly_check(true);
    m.let(x, Tensor<double, Shape<3>>{1.0, 1000.0, 2.0});
    CHECK_THAT(graft_test::error_of([&] { m.run(); }), Contains("found +inf at element 1 of the output of instruction #0 %" + std::to_string(y.id() - 1) +
                                             " = exp f64[3], in step 0 (run() call 1)"));
}

TEST_CASE("anomaly mode refuses a NaN bound as an input and a NaN in a param before running", "[exec][anomaly]") {
    Graph g;
    auto x = g.input<float, 2, 2>("x");
    auto w = g.param<float, 2, 2>("w", init::constant(0.5));
    auto y = matmul(x, w);
    Machine m(compile(g, y));
    m.set_anomaly_check(true);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    m.let(x, Tensor<float, Shape<2, 2>>{{1, 2}, {nan, 4}});
    CHECK(graft_test::error_of([&] { m.run(); }) ==
          "graft::Error: Machine::run (anomaly check): expected finite inputs and parameters, found NaN at element 2 [1,0] of input "
          "\"x\" f32[2,2], as bound with let(), in step 0 (run() call 1)");
    m.let(x, Tensor<float, Shape<2, 2>>{{1, 2}, {3, 4}});
    m.param(w)(0, 1) = -std::numeric_limits<float>::infinity();  // a diverged optimizer update, say
    CHECK(graft_test::error_of([&] { m.run(); }) ==
          "graft::Error: Machine::run (anomaly check): expected finite inputs and parameters, found -inf at element 1 [0,1] of param "
          "\"w\" f32[2,2], as the ParamStore holds it, in step 0 (run() call 1)");
    m.param(w)(0, 1) = 0.5f;
    m.run();
    CHECK(m.value(y)(1, 1) == Approx(3.5f));
}

TEST_CASE("anomaly mode finds a gradient that is infinite: d sqrt(x)/dx at x = 0 in the backward pass", "[exec][anomaly]") {
    Graph g;
    auto x = g.input<double, 3>("x");
    auto y = sum(sqrt(x));
    auto gx = grad(y, x);
    Machine m(compile(g, anomaly_no_passes(), y, gx));
    m.let(x, Tensor<double, Shape<3>>{4.0, 1.0, 9.0});
    m.set_anomaly_check(true);
    m.run();
    CHECK(m.value(gx)[0] == Approx(0.25));
    m.let(x, Tensor<double, Shape<3>>{4.0, 0.0, 9.0});
    const std::string msg = graft_test::error_of([&] { m.run(); });
    // the forward pass is finite (sqrt(0) = 0); the first infinity is in the VJP, 0.5 / sqrt(x)
    CHECK_THAT(msg, Contains("found +inf at element 1 of the output of instruction #"));
    CHECK_THAT(msg, Contains("in step 1 (run() call 2)"));
    CHECK_THAT(msg, Contains(" f64[3]"));
}

TEST_CASE("anomaly mode names a fused instruction and the ops it stands for", "[exec][anomaly]") {
    Graph g;
    auto x = g.input<float, 8>("x");
    auto y = tanh(log(x * 2.0f + 1.0f));  // one elementwise chain: fused by passes::standard()
    Machine m(compile(g, CompileOptions{.pipeline = passes::standard()}, y));
    REQUIRE(m.program().instruction_count() == 1);
    m.set_anomaly_check(true);
    Tensor<float, Shape<8>> v;
    v.fill(1.0f);
    v[6] = -3.0f;  // log(-5)
    m.let(x, v);
    const std::string msg = graft_test::error_of([&] { m.run(); });
    CHECK_THAT(msg, Contains("found NaN at element 6 of the output of instruction #0 %"));
    CHECK_THAT(msg, Contains(" = fused f32[8] [") && Contains("log"));
}

TEST_CASE("anomaly mode on or off, a finite training step gives bit-identical results", "[exec][anomaly]") {
    Graph g;
    auto x = g.input<float, 8, 5>("x");
    auto w = g.param<float, 5, 3>("w", init::glorot_uniform(3));
    auto loss = mean(square(tanh(matmul(x, w))));
    auto gw = grad(loss, w);
    const Program p = compile(g, CompileOptions{.pipeline = passes::standard()}, loss, gw);
    Machine off(p), on(p);
    on.set_anomaly_check(true);
    Tensor<float, Shape<8, 5>> xv;
    for (std::size_t i = 0; i < xv.size(); ++i) xv.data()[i] = std::sin(0.7f * float(i));
    off.let(x, xv);
    on.let(x, xv);
    for (int step = 0; step < 3; ++step) {
        off.run();
        on.run();
        CHECK(off.value(loss).item() == on.value(loss).item());
        for (std::size_t i = 0; i < 15; ++i) CHECK(off.value(gw).data()[i] == on.value(gw).data()[i]);
    }
    // the check also composes with profiling and tracing
    on.set_profile(true);
    on.run();
    CHECK(on.profiled_runs() == 1);
}
