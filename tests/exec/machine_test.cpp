// SPDX-License-Identifier: MIT
// tests/exec/machine_test.cpp: Machine and ParamStore: several machines per program, parameters shared
// by name and shape between programs and kept across runs, and every binding/reading mistake reported
// as a graft::Error that names what was expected and what was found.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <graft/exec.hpp>
#include <graft/graph.hpp>
#include <graft/tensor.hpp>

#include "support/reference.hpp"

using namespace graft;
using Catch::Matchers::Contains;

namespace {

template <class A, class B>
bool same_bits(const A& a, const B& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(*a.data())) == 0;
}

/// A small model: softmax(tanh(x W + b)), with x of batch N.
template <std::size_t N>
struct Model {
    Graph g;
    Var<float, Shape<N, 6>> x = g.input<float, N, 6>("x");
    Var<float, Shape<6, 4>> W = g.param<float, 6, 4>("W", init::glorot_uniform(9));
    Var<float, Shape<4>> b = g.param<float, 4>("b", init::uniform(-0.5, 0.5, 10));
    Var<float, Shape<N, 4>> y = softmax(tanh(matmul(x, W) + b));
};

}  // namespace

// -------------------------------------------------------------------- programs and machines
TEST_CASE("several Machines on one Program give identical results and keep separate arenas", "[exec][machine]") {
    Model<8> md;
    const Program p = compile(md.g, md.y);
    Machine m1(p), m2(p), m3(p, m1.shared_params());
    Tensor<float, Shape<8, 6>> xv, other;
    graft_test::randomize(xv, 1);
    graft_test::randomize(other, 2);
    for (Machine* m : {&m1, &m2, &m3}) {
        m->let(md.x, xv);
        m->run();
    }
    const auto y1 = m1.value(md.y).to_tensor();
    CHECK(same_bits(m2.value(md.y), y1));  // own ParamStore, same Init: same values
    CHECK(same_bits(m3.value(md.y), y1));  // shared ParamStore
    m2.let(md.x, other);
    m2.run();
    CHECK(!same_bits(m2.value(md.y), y1));
    CHECK(same_bits(m1.value(md.y), y1));  // m2's run did not touch m1's arena
    m1.run();
    CHECK(same_bits(m1.value(md.y), y1));  // and a rerun reproduces it bitwise
    CHECK(m1.steps() == 2);
}

TEST_CASE("two programs sharing one ParamStore see the same parameter values", "[exec][machine][params]") {
    Model<8> train;
    Model<2> eval;
    Machine mt(compile(train.g, train.y));
    Machine me(compile(eval.g, eval.y), mt.shared_params());
    CHECK(mt.params().size() == 2);
    CHECK(mt.param(train.W).data() == me.param(eval.W).data());
    CHECK(mt.param(train.b).data() == me.param(eval.b).data());

    mt.param(train.W)(0, 0) = 5.0f;  // an optimizer step, say
    CHECK(me.param(eval.W)(0, 0) == 5.0f);

    Tensor<float, Shape<8, 6>> xt;
    graft_test::randomize(xt, 3);
    Tensor<float, Shape<2, 6>> xe;
    std::memcpy(xe.data(), xt.data(), sizeof(float) * 12);  // the first two rows
    mt.let(train.x, xt);
    me.let(eval.x, xe);
    mt.run();
    me.run();
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 4; ++j) CHECK(me.value(eval.y)(i, j) == Approx(mt.value(train.y)(i, j)).epsilon(1e-6));
    const auto Wv = mt.param(train.W).to_tensor();
    const auto bv = mt.param(train.b).to_tensor();
    const auto want = tanh(matmul(xe, Wv) + bv);
    const auto ex = exp(want - max<1, true>(want));
    CHECK(allclose(me.value(eval.y), ex / sum<1, true>(ex), 1e-5, 1e-6));
}

TEST_CASE("params persist across runs and change only through the store", "[exec][machine][params]") {
    Model<3> md;
    Machine m(compile(md.g, md.y));
    Tensor<float, Shape<3, 6>> xv;
    graft_test::randomize(xv, 4);
    m.let(md.x, xv);
    const auto w0 = m.param(md.W).to_tensor();
    m.run();
    const auto y0 = m.value(md.y).to_tensor();
    m.run();
    CHECK(same_bits(m.param(md.W), w0));  // running never writes a parameter
    CHECK(same_bits(m.value(md.y), y0));
    for (auto& v : m.param(md.W).flat()) v *= -1.0f;
    std::memset(m.params().at("b").data.data(), 0, sizeof(float));  // b[0] = 0, through the raw bytes
    m.run();
    CHECK(!same_bits(m.value(md.y), y0));
    const auto bv = m.param(md.b).to_tensor();
    CHECK(bv[0] == 0.0f);
    const auto want = tanh(matmul(xv, w0 * -1.0f) + bv);
    const auto ex = exp(want - max<1, true>(want));
    CHECK(allclose(m.value(md.y), ex / sum<1, true>(ex), 1e-5, 1e-6));
    CHECK(m.steps() == 3);
}

TEST_CASE("a Machine's params hold what their initializers draw", "[exec][params]") {
    Graph g;
    auto c = g.param<double, 2, 3>("c", init::constant(0.25));
    auto z = g.param<double, 4>("z", init::zeros());
    auto u = g.param<float, 5, 7>("u", init::uniform(-2, 3, 77));
    auto gl = g.param<float, 30, 20>("gl", init::glorot_uniform(5));
    Machine m(compile(g, c, z, u, gl));
    for (double v : m.param(c).flat()) CHECK(v == 0.25);
    for (double v : m.param(z).flat()) CHECK(v == 0.0);
    Rng rng(77);
    for (float v : m.param(u).flat()) CHECK(v == static_cast<float>(rng.uniform(-2, 3)));
    const float bound = static_cast<float>(std::sqrt(6.0 / 50.0));
    for (float v : m.param(gl).flat()) CHECK(std::fabs(v) <= bound);
    CHECK(m.program().param_bytes() == 6 * 8 + 4 * 8 + 35 * 4 + 600 * 4);
}

TEST_CASE("a param created by two programs with different shapes or dtypes throws", "[exec][params][errors]") {
    Graph g1, g2, g3;
    auto w1 = g1.param<float, 4, 3>("W", init::zeros());
    auto w2 = g2.param<float, 5, 3>("W", init::zeros());
    auto w3 = g3.param<double, 4, 3>("W", init::zeros());
    Machine m1(compile(g1, w1));
    CHECK_THROWS_AS(Machine(compile(g2, w2), m1.shared_params()), Error);
    CHECK_THROWS_WITH(Machine(compile(g2, w2), m1.shared_params()),
                      Contains("ParamStore: param \"W\": expected f32 Shape<5,3>, found f32 Shape<4,3>"));
    CHECK_THROWS_WITH(Machine(compile(g3, w3), m1.shared_params()),
                      Contains("ParamStore: param \"W\": expected f64 Shape<4,3>, found f32 Shape<4,3>"));
    CHECK_THROWS_WITH((m1.params().view<float, Shape<3, 4>>("W")), Contains("ParamStore::view(\"W\")"));
    CHECK_THROWS_WITH(m1.params().at("V"), Contains("ParamStore::at: expected a parameter named \"V\", found none"));
}

// -------------------------------------------------------------------- binding and reading mistakes
TEST_CASE("Machine::let by name checks shape and dtype, and the name", "[exec][machine][errors]") {
    Graph g;
    auto x = g.input<float, 2, 3>("x");
    auto unused = g.input<float, 2, 3>("unused");
    auto y = exp(x);
    Machine m(compile(g, y));
    CHECK_THROWS_AS(m.let("x", Tensor<float, Shape<3, 2>>{}), Error);
    CHECK_THROWS_WITH(m.let("x", Tensor<float, Shape<3, 2>>{}),
                      Contains("Machine::let(\"x\"): expected f32 Shape<2,3>, found f32 Shape<3,2>"));
    CHECK_THROWS_WITH(m.let("x", Tensor<double, Shape<2, 3>>{}),
                      Contains("Machine::let(\"x\"): expected f32 Shape<2,3>, found f64 Shape<2,3>"));
    CHECK_THROWS_WITH(m.let("x", Tensor<std::int32_t, Shape<6>>{}),
                      Contains("Machine::let(\"x\"): expected f32 Shape<2,3>, found i32 Shape<6>"));
    CHECK_THROWS_WITH(m.let("unused", Tensor<float, Shape<2, 3>>{}),
                      Contains("Machine::let(\"unused\"): expected the name of an input the program reads, found no such input"));
    CHECK_THROWS_WITH(m.let("nope", Tensor<float, Shape<2, 3>>{}), Contains("Machine::let(\"nope\")"));
    CHECK_THROWS_WITH(m.let(unused, Tensor<float, Shape<2, 3>>{}),
                      Contains("Machine::let(\"unused\"): expected an input the program reads, found a node the program does not read"));
    CHECK_THROWS_WITH(m.let(y, Tensor<float, Shape<2, 3>>{}), Contains("found a node the program does not read"));
    const float raw[6] = {0, 1, 2, 3, 4, 5};
    CHECK_THROWS_WITH(m.let("x", DType::f32, Dims{2, 2}, raw), Contains("expected f32 Shape<2,3>, found f32 Shape<2,2>"));
    m.let("x", DType::f32, Dims{2, 3}, raw);
    m.run();
    CHECK(m.value(y)(1, 2) == Approx(std::exp(5.0f)));
}

TEST_CASE("a Var of another graph cannot bind an input of this program", "[exec][machine][errors]") {
    Graph g, other;
    auto x = g.input<float, 2>("x");
    auto q = other.input<float, 2>("q");  // node 0 in its graph, like x
    Machine m(compile(g, exp(x)));
    CHECK_THROWS_WITH(m.let(q, Tensor<float, Shape<2>>{1, 2}), Contains("Machine::let(\"q\")"));
}

TEST_CASE("running with an unbound input names the input", "[exec][machine][errors]") {
    Graph g;
    auto x = g.input<float, 2>("x");
    auto labels = g.input<std::int32_t, 2>("labels");
    auto y = x * sum<0>(one_hot<2>(labels));
    Machine m(compile(g, sum(y)));
    m.let(x, Tensor<float, Shape<2>>{1, 2});
    CHECK_THROWS_AS(m.run(), Error);
    CHECK_THROWS_WITH(m.run(), Contains("Machine::run: expected every input bound with let(), found input \"labels\" unbound"));
    CHECK(m.steps() == 0);
}

TEST_CASE("reading an intermediate, reading before run() and reading outside the program throw", "[exec][machine][errors]") {
    Graph g;
    auto x = g.input<float, 3>("x");
    auto h = exp(x);
    auto y = h * 2.0f;
    auto unrelated = log(x);
    Machine m(compile(g, y));
    CHECK_THROWS_WITH(m.value(y), Contains("expected a value computed by run(), found run() not called yet"));
    CHECK_THROWS_WITH(m.value(x), Contains("expected a bound input, found input \"x\" unbound"));
    m.let(x, Tensor<float, Shape<3>>{0, 1, 2});
    m.run();
    CHECK_THROWS_WITH(m.value(h), Contains("expected an output passed to compile(), found an intermediate value"));
    CHECK_THROWS_WITH(m.value(unrelated), Contains("expected a value the program computes, found a node outside the program"));
    CHECK_THROWS_WITH(m.value(NodeId{1000}), Contains("Machine::value(%1000)"));
    CHECK(m.value(y)(2) == Approx(2.0f * std::exp(2.0f)));
    CHECK(m.value(x)(1) == 1.0f);  // a bound input is readable
    const ValueRef r = m.value(y.id());
    CHECK(r.dtype == DType::f32);
    CHECK(*r.dims == Dims{3});
}

TEST_CASE("a Machine needs a compiled Program and a ParamStore", "[exec][machine][errors]") {
    CHECK_THROWS_WITH(Machine(Program{}), Contains("expected a Program made by compile(), found an empty Program"));
    Graph g;
    auto x = g.input<float, 1>("x");
    CHECK_THROWS_WITH(Machine(compile(g, x), nullptr), Contains("Machine: expected a ParamStore, found a null pointer"));
}

// -------------------------------------------------------------------- profiling
TEST_CASE("a profiled Machine times every instruction, reports the slowest first, and changes no result", "[exec][machine][profile]") {
    Model<64> net;
    auto loss = sum(net.y * net.y);
    const Program p = compile(net.g, loss);
    Machine plain(p), timed(p);
    Tensor<float, Shape<64, 6>> xv;
    graft_test::randomize(xv, 3);
    plain.let(net.x, xv);
    timed.let(net.x, xv);
    CHECK(timed.profile_ns().empty());  // off by default
    CHECK_THROWS_WITH(timed.profile_report(), Contains("expected profiled runs") && Contains("found none"));
    timed.set_profile(true);
    CHECK_THROWS_WITH(timed.profile_report(), Contains("found none"));  // on, but nothing run yet
    for (int i = 0; i < 3; ++i) {
        plain.run();
        timed.run();
    }
    CHECK(same_bits(std::vector<float>{plain.value(loss).item()}, std::vector<float>{timed.value(loss).item()}));
    CHECK(timed.profiled_runs() == 3);
    REQUIRE(timed.profile_ns().size() == p.instruction_count());
    double total = 0;
    for (double t : timed.profile_ns()) {
        CHECK(t >= 0);
        total += t;
    }
    CHECK(total > 0);
    const std::string all = timed.profile_report();
    CHECK_THAT(all, Contains("profile of 3 runs: ") && Contains(" us per run in " + std::to_string(p.instruction_count()) + " instructions"));
    CHECK_THAT(all, Contains("matmul") && Contains("tanh") && Contains("softmax"));
    // one row per instruction, then `top` keeps the slowest rows only, in descending order
    auto rows = [](const std::string& text) {
        std::vector<double> us;
        std::size_t pos = text.find('\n', text.find("instruction\n")) + 1;
        while (pos < text.size()) {
            const std::size_t end = text.find('\n', pos);
            us.push_back(std::stod(text.substr(pos, end - pos)));
            pos = end + 1;
        }
        return us;
    };
    const auto every = rows(all);
    CHECK(every.size() == p.instruction_count());
    CHECK(std::is_sorted(every.rbegin(), every.rend()));
    CHECK(rows(timed.profile_report(2)).size() == 2);
    // switching it off drops the totals; switching it on again starts from zero
    timed.set_profile(false);
    CHECK(timed.profile_ns().empty());
    timed.set_profile(true);
    CHECK(timed.profiled_runs() == 0);
    for (double t : timed.profile_ns()) CHECK(t == 0);
}
