// SPDX-License-Identifier: MIT
// tests/nn/tape_trace_test.cpp: Machine::set_trace, the teaching view of the tape: each run() prints every
// instruction with the values it read and wrote, forward and reverse sweep alike; big values are summarised;
// nullptr turns it off.
#include <catch2/catch.hpp>
#include <graft/nn.hpp>

#include <sstream>
#include <string>

using namespace graft;

TEST_CASE("set_trace prints each instruction with its inputs' and output's values", "[nn][trace]") {
    Graph g;
    auto x = g.input<double, 2>("x");
    auto y = g.input<double>("y");
    auto z = (x * y).named("z");
    auto total = sum(z);
    Machine m(compile(g, total));
    std::ostringstream trace;
    m.set_trace(&trace);
    m.let(x, Tensor<double, Shape<2>>{1.5, -2});
    m.let(y, Tensor<double, Shape<>>(3));
    m.run();
    CHECK(trace.str() ==
          "-- run 0\n"
          "#0 %2 = mul \"z\"\n"
          "     in  %0 \"x\" f64[2] [1.5, -2]\n"
          "     in  %1 \"y\" f64[] [3]\n"
          "     out %2 f64[2] [4.5, -6]\n"
          "#1 %3 = sum\n"
          "     in  %2 \"z\" f64[2] [4.5, -6]\n"
          "     out %3 f64[] [-1.5]\n");
    CHECK(m.value(total).item() == -1.5);  // tracing does not change what runs

    trace.str("");
    m.run();
    CHECK(trace.str().rfind("-- run 1\n", 0) == 0);

    trace.str("");
    m.set_trace(nullptr);
    m.run();
    CHECK(trace.str().empty());
}

TEST_CASE("the trace shows the reverse sweep's instructions after the forward ones", "[nn][trace]") {
    Graph g;
    auto x = g.input<double>("x");
    auto f = x * x;  // df/dx = 2x
    auto dx = grad(f, x);
    Machine m(compile(g, f, dx));
    std::ostringstream trace;
    m.set_trace(&trace);
    m.let(x, Tensor<double, Shape<>>(3));
    m.run();
    const std::string t = trace.str();
    INFO(t);
    CHECK(t.find("#0 %1 = mul\n     in  %0 \"x\" f64[] [3]\n     in  %0 \"x\" f64[] [3]\n     out %1 f64[] [9]\n") != std::string::npos);
    // the last instruction computes the adjoint of x: 6
    const auto last = t.rfind("     out %");
    REQUIRE(last != std::string::npos);
    CHECK(t.substr(last) == "     out %" + std::to_string(dx.id()) + " f64[] [6]\n");
    CHECK(m.value(dx).item() == 6.0);
}

TEST_CASE("the trace summarises values larger than max_elements", "[nn][trace]") {
    Graph g;
    auto x = g.input<float, 2, 5>("x");
    auto y = x * 2.0;
    Machine m(compile(g, y));
    std::ostringstream trace;
    m.set_trace(&trace, 3);
    m.let(x, Tensor<float, Shape<2, 5>>{{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}});
    m.run();
    CHECK(trace.str() ==
          "-- run 0\n"
          "#0 %1 = mul_scalar\n"
          "     in  %0 \"x\" f32[2,5] [0, 1, 2, ... (10 values)]\n"
          "     out %1 f32[2,5] [0, 2, 4, ... (10 values)]\n");
}
