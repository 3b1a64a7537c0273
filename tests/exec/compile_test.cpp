// SPDX-License-Identifier: MIT
// tests/exec/compile_test.cpp: compile() and the Program it returns.
// Transposes feeding a matmul become GEMM flags (never a copy), the schedule holds only what the outputs
// need, the tape listing and cost figures say what a run will do, typed graphs equal the eager tensor
// math, and compile() rejects what it cannot compile with a graft::Error.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <graft/exec.hpp>
#include <graft/graph.hpp>
#include <graft/tensor.hpp>

#include "support/graph_runner.hpp"
#include "support/reference.hpp"

using namespace graft;
using Catch::Matchers::Contains;

namespace {

/// Lines of the listing that hold instructions ("  #3 %7 = ...").
std::vector<std::string> instruction_lines(const std::string& dump) {
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < dump.size()) {
        const std::size_t end = dump.find('\n', pos);
        const std::string line = dump.substr(pos, end - pos);
        if (line.rfind("  #", 0) == 0) lines.push_back(line);
        pos = end == std::string::npos ? dump.size() : end + 1;
    }
    return lines;
}

/// The single matmul line of a listing.
std::string matmul_line(const Program& p) {
    for (const auto& l : instruction_lines(p.dump()))
        if (l.find("= matmul") != std::string::npos) return l;
    return "";
}

/// Compares one output of `g` computed by the machine and by the naive evaluator.
void check_against_naive(const Graph& g, NodeId out, std::uint64_t seed, double rtol) {
    const auto feed = graft_test::make_feed(g, seed);
    const auto got = graft_test::run_graph(g, {&out, 1}, feed)[0];
    const auto ref = graft_test::naive_eval(g, {&out, 1}, feed)[0];
    REQUIRE(got.dims == ref.dims);
    for (std::size_t i = 0; i < ref.v.size(); ++i) CHECK(got.v[i] == Approx(ref.v[i]).epsilon(rtol).margin(rtol));
}

template <class T, class S, class X>
bool close(const TensorView<const T, S>& got, const X& want, double rtol) {
    return allclose(got, want, rtol, rtol);
}

}  // namespace

// -------------------------------------------------------------------- transposes into GEMM flags
TEST_CASE("transpose(x) feeding matmul becomes a GEMM transpose flag, not a transpose instruction", "[exec][matmul]") {
    Graph g;
    auto a = g.input<float, 3, 2>("a");  // used as a^T: [2,3]
    auto b = g.input<float, 3, 4>("b");
    auto c = g.input<float, 4, 3>("c");  // used as c^T: [3,4]
    auto tn = matmul(transpose(a), b);   // [2,4]
    auto nt = matmul(transpose(b), transpose(c));  // [4,3] x [3,4]: both flags
    auto n_t = matmul(b, transpose(b));  // [3,3]

    const Program p_tn = compile(g, tn);
    CHECK_THAT(matmul_line(p_tn), Contains("TN m=2 n=4 k=3"));
    CHECK_THAT(p_tn.dump(), !Contains("= transpose"));
    CHECK(p_tn.instruction_count() == 1);

    const Program p_tt = compile(g, nt);
    CHECK_THAT(matmul_line(p_tt), Contains("TT m=4 n=4 k=3"));
    CHECK_THAT(p_tt.dump(), !Contains("= transpose"));

    const Program p_nt = compile(g, n_t);
    CHECK_THAT(matmul_line(p_nt), Contains("NT m=3 n=3 k=4"));
    CHECK_THAT(p_nt.dump(), !Contains("= transpose"));

    for (NodeId id : {tn.id(), nt.id(), n_t.id()}) check_against_naive(g, id, 11 + id, 1e-5);
}

TEST_CASE("a batched transpose of the last two axes feeding matmul becomes a flag too", "[exec][matmul]") {
    Graph g;
    auto a = g.input<double, 2, 4, 3>("a");   // permuted to [2,3,4]
    auto b = g.input<double, 4, 5>("b");
    auto w = g.input<double, 2, 5, 4>("w");   // permuted to [2,4,5]
    auto y1 = matmul(permute<0, 2, 1>(a), b);             // batch on A only, A transposed
    auto y2 = matmul(permute<0, 2, 1>(a), permute<0, 2, 1>(w));  // both batched and transposed
    const Program p1 = compile(g, y1);
    CHECK_THAT(matmul_line(p1), Contains("TN m=3 n=5 k=4 batch=2"));
    CHECK_THAT(p1.dump(), !Contains("= transpose"));
    const Program p2 = compile(g, y2);
    CHECK_THAT(matmul_line(p2), Contains("TT m=3 n=5 k=4 batch=2"));
    check_against_naive(g, y1.id(), 21, 1e-12);
    check_against_naive(g, y2.id(), 22, 1e-12);
}

TEST_CASE("a permutation that is not a last-two-axes swap is computed, then fed to GEMM untransposed", "[exec][matmul]") {
    Graph g;
    auto a = g.input<float, 3, 2, 4>("a");
    auto b = g.input<float, 4, 5>("b");
    auto y = matmul(permute<1, 0, 2>(a), b);  // [2,3,4] x [4,5]
    const Program p = compile(g, y);
    CHECK_THAT(p.dump(), Contains("= transpose"));
    CHECK_THAT(matmul_line(p), Contains("NN"));
    check_against_naive(g, y.id(), 23, 1e-5);
}

TEST_CASE("a transpose read by matmul and by another op is computed once and still folded into the GEMM", "[exec][matmul]") {
    Graph g;
    auto a = g.input<float, 3, 2>("a");
    auto b = g.input<float, 3, 4>("b");
    auto at = transpose(a);
    auto y = matmul(at, b) + sum<1, true>(at);  // [2,4] + [2,1]
    const Program p = compile(g, y);
    CHECK_THAT(matmul_line(p), Contains("TN"));
    std::size_t transposes = 0;
    for (const auto& l : instruction_lines(p.dump())) transposes += l.find("= transpose") != std::string::npos;
    CHECK(transposes == 1);
    check_against_naive(g, y.id(), 24, 1e-5);
}

TEST_CASE("matmul gives the same values through the cblas and Eigen backends, and the listing names the backend", "[exec][matmul]") {
    Graph g;
    auto a = g.input<double, 7, 9>("a");
    auto b = g.input<double, 9, 5>("b");
    auto y = matmul(transpose(transpose(a)), b);
    const NodeId out = y.id();
    const auto feed = graft_test::make_feed(g, 31);
    const auto eig = graft_test::run_graph(g, {&out, 1}, feed, CompileOptions{.gemm_backend = blas::Backend::eigen})[0];
    const auto aut = graft_test::run_graph(g, {&out, 1}, feed)[0];
    const auto ref = graft_test::naive_eval(g, {&out, 1}, feed)[0];
    for (std::size_t i = 0; i < ref.v.size(); ++i) {
        CHECK(eig.v[i] == Approx(ref.v[i]).epsilon(1e-12));
        CHECK(aut.v[i] == Approx(ref.v[i]).epsilon(1e-12));
    }
    CHECK_THAT(matmul_line(compile(g, CompileOptions{.gemm_backend = blas::Backend::eigen}, y)), Contains("[eigen "));
    if (blas::has_cblas) CHECK_THAT(matmul_line(compile(g, y)), Contains("[cblas "));
}

TEST_CASE("Backend::tuned measures both GEMMs once per shape, keeps the faster, and the listing shows the timings", "[exec][matmul][tuned]") {
    blas::clear_tuning();
    Graph g;
    auto a = g.input<double, 12, 20>("a");
    auto b = g.input<double, 20, 6>("b");
    auto y = matmul(a, b);
    auto yt = matmul(transpose(a), matmul(a, b));  // TN [20,12] x [12,6]: a second shape
    const std::vector<NodeId> outs{y.id(), yt.id()};
    const auto feed = graft_test::make_feed(g, 5);
    const CompileOptions tuned{.gemm_backend = blas::Backend::tuned};
    const auto got = graft_test::run_graph(g, outs, feed, tuned);
    const auto ref = graft_test::naive_eval(g, outs, feed);
    for (std::size_t o = 0; o < outs.size(); ++o)
        for (std::size_t i = 0; i < ref[o].v.size(); ++i) CHECK(got[o].v[i] == Approx(ref[o].v[i]).epsilon(1e-12));
    // two float shapes measured (NN 12x6x20 and TN 20x6x12), cached: compiling again measures nothing
    CHECK(blas::tuned_count() == (blas::has_cblas ? 2u : 0u));
    const std::string listing = compile(g, std::span<const NodeId>(outs), tuned).dump();
    CHECK(blas::tuned_count() == (blas::has_cblas ? 2u : 0u));
    std::size_t timed = 0;
    for (const auto& l : instruction_lines(listing)) {
        if (l.find("= matmul") == std::string::npos) continue;
        if (blas::has_cblas) timed += l.find("(tuned: cblas ") != std::string::npos && l.find(" us, eigen ") != std::string::npos;
    }
    CHECK(timed == (blas::has_cblas ? 3u : 0u));  // matmul(a, b) appears twice, merged or not: both timed
    const blas::TunedGemm t = blas::tuned<double>({false, false, 12, 6, 20, false});
    if (blas::has_cblas) {
        CHECK(t.cblas_ns > 0);
        CHECK(t.eigen_ns > 0);
        CHECK(t.backend == (t.eigen_ns < 0.95 * t.cblas_ns ? blas::Backend::eigen : blas::Backend::cblas));
    }
}

TEST_CASE("blas::pin fixes a shape's choice for Backend::tuned and rejects anything but cblas or eigen", "[exec][matmul][tuned]") {
    blas::clear_tuning();
    Graph g;
    auto a = g.input<float, 5, 7>("a");
    auto b = g.input<float, 7, 3>("b");
    auto y = matmul(a, b);
    blas::pin<float>({false, false, 5, 3, 7, false}, blas::Backend::eigen);
    CHECK_THAT(matmul_line(compile(g, CompileOptions{.gemm_backend = blas::Backend::tuned}, y)), Contains("[eigen NN m=5 n=3 k=7, eigen (pinned)]"));
    CHECK(blas::tuned_count() == 1);
    // a pin is per BLAS thread count and per element type: double is measured on its own
    (void)blas::tuned<double>({false, false, 5, 3, 7, false});
    CHECK(blas::tuned_count() == 2);
    CHECK_THROWS_WITH(blas::pin<float>({false, false, 5, 3, 7, false}, blas::Backend::tuned),
                      Contains("expected Backend::cblas or Backend::eigen") && Contains("tuned"));
    CHECK_THROWS_WITH(blas::pin<float>({false, false, 5, 3, 7, false}, blas::Backend::automatic), Contains("Backend::cblas or Backend::eigen"));
    // a forced backend bypasses the table
    CHECK_THAT(matmul_line(compile(g, CompileOptions{.gemm_backend = blas::Backend::eigen}, y)), Contains("[eigen NN m=5 n=3 k=7]"));
    blas::clear_tuning();
    CHECK(blas::tuned_count() == 0);
}

// -------------------------------------------------------------------- schedule, listing, cost figures
TEST_CASE("compile schedules only what the outputs need", "[exec][compile]") {
    Graph g;
    auto x = g.input<float, 4>("x");
    auto unused_in = g.input<float, 4>("unused");
    auto used = exp(x) + 1.0f;
    auto unused = log(unused_in) * x;
    const Program p = compile(g, used);
    CHECK(p.instruction_count() == 2);
    CHECK(p.slot_of(unused.id()) == UINT32_MAX);
    CHECK(p.slot_of(unused_in.id()) == UINT32_MAX);
    CHECK(p.data().inputs.size() == 1);
    CHECK(compile(g, used, unused).instruction_count() == 4);
}

TEST_CASE("dump lists every instruction with its operands, output range, inputs, params and outputs", "[exec][compile]") {
    Graph g;
    auto x = g.input<float, 4, 5>("x");
    auto W = g.param<float, 5, 3>("W", init::glorot_uniform(1));
    auto b = g.param<float, 3>("b", init::zeros());
    auto h = relu(matmul(x, W) + b);
    auto s = sum(h);
    const Program p = compile(g, s, h);
    const std::string d = p.dump();
    INFO(d);
    const auto lines = instruction_lines(d);
    CHECK(lines.size() == p.instruction_count());
    REQUIRE(lines.size() == 4);
    CHECK_THAT(lines[0], Contains("#0 %3 = matmul %0 %1") && Contains("NN m=4 n=3 k=5") && Contains("-> f32[4,3] arena["));
    CHECK_THAT(lines[1], Contains("#1 %4 = add %3 %2 -> f32[4,3] arena["));
    CHECK_THAT(lines[2], Contains("#2 %5 = relu %4 -> f32[4,3] arena["));
    CHECK_THAT(lines[3], Contains("#3 %6 = sum %5 -> f32[] arena["));
    CHECK_THAT(d, Contains("program: 4 instructions, arena "));
    CHECK_THAT(d, Contains("input  %0 \"x\" f32[4,5] arena[0, 80)"));
    CHECK_THAT(d, Contains("param  %1 \"W\" f32[5,3] param"));
    CHECK_THAT(d, Contains("param  %2 \"b\" f32[3] param"));
    CHECK_THAT(d, Contains("outputs: %6 %5"));
    CHECK(p.param_bytes() == (15 + 3) * 4);
    CHECK(p.flops() == 2.0 * 4 * 3 * 5 + 12 + 12 + 12);  // 2mnk for the GEMM, then one per element read
    CHECK(p.arena_bytes() >= 80 + 48 + 4);
    CHECK_THAT(p.data().graph_text, Contains("%3 = matmul %0 %1 f32[4,3]"));
}

TEST_CASE("outputs may be inputs, params or constants directly", "[exec][compile]") {
    Graph g;
    auto x = g.input<float, 2>("x");
    auto W = g.param<float, 2>("W", init::constant(0.5));
    auto c = g.constant(Tensor<float, Shape<2>>{3, 4});
    Machine m(compile(g, x, W, c));
    CHECK(m.program().instruction_count() == 0);
    m.let(x, Tensor<float, Shape<2>>{1, 2});
    m.run();
    CHECK(to_string(m.value(x)) == "[1, 2]");
    CHECK(to_string(m.value(W)) == "[0.5, 0.5]");
    CHECK(to_string(m.value(c)) == "[3, 4]");
}

// -------------------------------------------------------------------- typed front vs eager tensor math
TEMPLATE_TEST_CASE("a typed MLP layer through the graph equals the eager tensor math", "[exec][typed]", float, double) {
    using T = TestType;
    const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
    Graph g;
    auto x = g.input<T, 6, 5>("x");
    auto W = g.input<T, 5, 4>("W");
    auto b = g.input<T, 4>("b");
    auto h = relu(matmul(x, W) + b);
    auto z = tanh(h) * T(2) - sigmoid(h) / T(4);
    auto s1 = sum<1>(z);
    auto m0 = mean<0, true>(z);
    auto mx = max(z);
    auto am = argmax<1>(z);
    auto ht = transpose(h);
    auto gram = matmul(transpose(x), x);  // TN

    Tensor<T, Shape<6, 5>> xv;
    Tensor<T, Shape<5, 4>> wv;
    Tensor<T, Shape<4>> bv;
    graft_test::randomize(xv, 1);
    graft_test::randomize(wv, 2);
    graft_test::randomize(bv, 3);
    Machine m(compile(g, h, z, s1, m0, mx, am, ht, gram));
    m.let(x, xv);
    m.let(W, wv);
    m.let(b, bv);
    m.run();

    const auto he = relu(matmul(xv, wv) + bv);
    const auto ze = tanh(he) * T(2) - sigmoid(he) / T(4);
    CHECK(close(m.value(h), he, tol));
    CHECK(close(m.value(z), ze, tol));
    CHECK(close(m.value(s1), sum<1>(ze), tol));
    CHECK(close(m.value(m0), mean<0, true>(ze), tol));
    CHECK(m.value(mx).item() == Approx(max(ze)).epsilon(tol));
    CHECK(array_equal(m.value(am), argmax<1>(ze)));
    CHECK(array_equal(m.value(ht), he.transpose()));
    CHECK(close(m.value(gram), matmul(transposed(xv), xv), tol));
}

TEMPLATE_TEST_CASE("typed broadcasting, shape ops and softmax equal the eager tensor math", "[exec][typed]", float, double) {
    using T = TestType;
    const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
    Graph g;
    auto col = g.input<T, 3, 1>("col");
    auto row = g.input<T, 1, 4>("row");
    auto sc = g.input<T>("sc");
    auto outer = col * row + sc;                      // [3,1] x [1,4] -> [3,4], plus a rank-0 scalar
    auto diff = maximum(outer, row) - minimum(col, outer);
    auto bt = broadcast_to<Shape<2, 3, 4>>(diff);
    auto sm = softmax(outer);                         // last axis
    auto lsm = log_softmax<0>(outer);

    Tensor<T, Shape<3, 1>> cv;
    Tensor<T, Shape<1, 4>> rv;
    graft_test::randomize(cv, 4);
    graft_test::randomize(rv, 5);
    Tensor<T, Shape<>> sv{T(0.25)};
    Machine m(compile(g, outer, diff, bt, sm, lsm));
    m.let(col, cv);
    m.let(row, rv);
    m.let(sc, sv);
    m.run();

    const auto oe = cv * rv + T(0.25);
    const auto de = maximum(oe, rv) - minimum(cv, oe);
    CHECK(close(m.value(outer), oe, tol));
    CHECK(close(m.value(diff), de, tol));
    CHECK(array_equal(m.value(bt), broadcast_to<Shape<2, 3, 4>>(m.value(diff))));
    const auto ex = exp(oe - max<1, true>(oe));
    CHECK(close(m.value(sm), ex / sum<1, true>(ex), tol));
    const auto sh = oe - max<0, true>(oe);
    CHECK(close(m.value(lsm), sh - log(sum<0, true>(exp(sh))), tol));
}

TEST_CASE("softmax of logits of +-1e4 stays finite and its rows sum to 1", "[exec][softmax]") {
    Graph g;
    auto x = g.input<float, 3, 4>("x");
    auto sm = softmax(x);
    auto lsm = log_softmax(x);
    auto sm0 = softmax<0>(x);
    auto rows = sum<1>(sm);
    Machine m(compile(g, sm, lsm, sm0, rows));
    m.let(x, Tensor<float, Shape<3, 4>>{{1e4f, -1e4f, 0.0f, 1e4f}, {-1e4f, -1e4f, -1e4f, -1e4f}, {3e38f, -3e38f, 1.0f, 2.0f}});
    m.run();
    for (float v : m.value(sm).flat()) CHECK(std::isfinite(v));
    for (float v : m.value(sm0).flat()) CHECK(std::isfinite(v));
    for (float v : m.value(rows).flat()) CHECK(v == Approx(1.0f).epsilon(1e-6));
    CHECK(m.value(sm)(0, 0) == Approx(0.5f));
    CHECK(m.value(sm)(0, 1) >= 0.0f);
    CHECK(m.value(sm)(0, 1) < 1e-30f);
    CHECK(m.value(sm)(1, 2) == Approx(0.25f));
    CHECK(m.value(sm)(2, 0) == Approx(1.0f));
    CHECK(m.value(lsm)(0, 0) == Approx(-std::log(2.0f)));
    CHECK(m.value(lsm)(0, 1) == Approx(-2e4f - std::log(2.0f)));
    CHECK(std::isfinite(m.value(lsm)(0, 1)));
    CHECK(m.value(lsm)(1, 3) == Approx(-std::log(4.0f)));
}

TEST_CASE("shape ops move int32 and uint8 elements too", "[exec][compile]") {
    Graph g;
    auto lab = g.input<std::int32_t, 2, 3>("lab");
    auto px = g.input<std::uint8_t, 4>("px");
    auto t = transpose(lab);
    auto c = concat<0>(lab, lab);
    auto s = slice<1, 1, 3>(lab);
    auto r = reshape<3, 2>(lab);
    auto bt = broadcast_to<Shape<2, 4>>(px);
    auto pc = concat<0>(px, slice<0, 2, 4>(px));
    Machine m(compile(g, t, c, s, r, bt, pc));
    const Tensor<std::int32_t, Shape<2, 3>> lv{{1, -2, 3}, {40, 50, -60}};
    const Tensor<std::uint8_t, Shape<4>> pv{0, 7, 200, 255};
    m.let(lab, lv);
    m.let(px, pv);
    m.run();
    CHECK(array_equal(m.value(t), lv.transpose()));
    CHECK(to_string(m.value(c)) == "[[1, -2, 3], [40, 50, -60], [1, -2, 3], [40, 50, -60]]");
    CHECK(to_string(m.value(s)) == "[[-2, 3], [50, -60]]");
    CHECK(array_equal(m.value(r), lv.reshape<3, 2>()));
    CHECK(array_equal(m.value(bt), broadcast_to<Shape<2, 4>>(pv)));
    CHECK(array_equal(m.value(pc), Tensor<std::uint8_t, Shape<6>>{0, 7, 200, 255, 200, 255}));
}

TEST_CASE("rank 9 works where kernels allow it and is a graft::Error where they index fixed arrays", "[exec][compile]") {
    Graph g;
    const Dims d9{1, 2, 1, 2, 1, 2, 1, 2, 3};
    const NodeId x = g.input("x", DType::f64, d9);
    const NodeId e = g.add(OpKind::exp, {x});
    Attrs ax;
    ax.axis = 8;
    const NodeId s = g.add(OpKind::sum, {e}, ax);  // rank 8 out
    const NodeId w = g.add(OpKind::where, {x, e, x});
    Attrs perm;
    for (std::size_t i = 9; i-- > 0;) perm.ints.push_back(i);
    const NodeId t = g.add(OpKind::transpose, {x}, perm);
    const NodeId b = g.add(OpKind::add, {x, e});
    check_against_naive(g, e, 41, 1e-12);
    check_against_naive(g, s, 42, 1e-12);
    CHECK_THROWS_WITH(compile(g, std::span<const NodeId>(&w, 1)), Contains("compile: node %3 (where): expected rank <= 8, found Shape<1,2,1,2,1,2,1,2,3>"));
    CHECK_THROWS_WITH(compile(g, std::span<const NodeId>(&t, 1)), Contains("compile: node %4 (transpose): expected rank <= 8"));
    CHECK_THROWS_AS(compile(g, std::span<const NodeId>(&b, 1)), Error);
}

// -------------------------------------------------------------------- errors
TEST_CASE("compile rejects no outputs, unknown ids and Vars of another graph", "[exec][compile][errors]") {
    Graph g, other;
    auto x = g.input<float, 2>("x");
    auto y = exp(x);
    auto z = other.input<float, 2>("z");
    CHECK_THROWS_AS(compile(g, std::span<const NodeId>{}), Error);
    CHECK_THROWS_WITH(compile(g, std::span<const NodeId>{}), Contains("compile: expected at least one output, found none"));
    const NodeId bad = 99;
    CHECK_THROWS_WITH(compile(g, std::span<const NodeId>(&bad, 1)), Contains("compile: expected output ids below 2, found 99"));
    CHECK_THROWS_WITH(compile(g, y, z), Contains("expected outputs from the Graph being compiled, found a Var of another Graph"));
    CHECK_THROWS_WITH(compile(g, CompileOptions{}, z),
                      Contains("expected outputs from the Graph being compiled, found a Var of another Graph"));
    CHECK_THROWS_WITH(Program{}.dump(), Contains("expected a Program made by compile(), found an empty Program"));
}
