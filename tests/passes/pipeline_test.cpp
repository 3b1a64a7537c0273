// SPDX-License-Identifier: MIT
// tests/passes/pipeline_test.cpp: the pass infrastructure — reports, id maps, dce, cse, constant folding,
// compile() with a pipeline, dumps — on small graphs whose optimized form is known.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <graft/exec.hpp>
#include <graft/graph.hpp>
#include <graft/passes.hpp>
#include <graft/tensor.hpp>

#include "support/files.hpp"
#include "support/pass_check.hpp"

using namespace graft;
using graft_test::count_op;
using graft_test::count_op;
using Catch::Matchers::Contains;

TEST_CASE("dce drops what no output needs and maps the survivors' ids", "[passes][dce]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    const NodeId dead = g.add(OpKind::exp, {x});
    const NodeId y = g.add(OpKind::neg, {x});
    (void)g.add(OpKind::tanh, {dead});
    std::vector<NodeId> outs{y};
    const auto res = optimize(g, outs, passes::Pipeline({passes::dce()}));
    REQUIRE(res.reports.size() == 1);
    CHECK(res.reports[0].nodes_before == 4);
    CHECK(res.reports[0].nodes_after == 2);
    CHECK(res.reports[0].rewrites.at("removed") == 2);
    CHECK(g.size() == 2);
    CHECK(res.old_to_new[dead] == no_node);
    CHECK(res.old_to_new[y] == outs[0]);
    CHECK(g.node(outs[0]).op == OpKind::neg);
    CHECK_NOTHROW(verify(g));
}

TEST_CASE("cse merges identical pure nodes and identical constants, never inputs", "[passes][cse]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId x2 = g.input("x2", DType::f32, {2, 3});
    const NodeId c1 = g.scalar_constant(DType::f32, 2.0);
    const NodeId c2 = g.scalar_constant(DType::f32, 2.0);
    const NodeId a = g.add(OpKind::mul, {x, c1});
    const NodeId b = g.add(OpKind::mul, {x, c2});  // same as a once the constants merge
    const NodeId e1 = g.add(OpKind::exp, {a});
    const NodeId e2 = g.add(OpKind::exp, {b});
    const NodeId s = g.add(OpKind::add, {e1, e2});
    const NodeId t = g.add(OpKind::add, {s, g.add(OpKind::exp, {x2})});
    std::vector<NodeId> outs{t};
    const auto res = optimize(g, outs, passes::Pipeline({passes::cse()}));
    CHECK(res.reports[0].rewrites.at("merged_constant") == 1);
    CHECK(res.reports[0].rewrites.at("merged") == 2);
    CHECK(count_op(g, OpKind::exp) == 2);  // exp(a) once, exp(x2) kept
    CHECK(count_op(g, OpKind::input) == 2);
    CHECK(res.old_to_new[e1] == res.old_to_new[e2]);
    CHECK_NOTHROW(verify(g));
}

TEST_CASE("fold_constants evaluates constant subgraphs with the machine's kernels", "[passes][fold]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2});
    const float cv[2] = {1.0f, 4.0f};
    const NodeId c = g.constant(DType::f32, {2}, cv);
    const NodeId sq = g.add(OpKind::sqrt, {c});       // [1, 2]
    const NodeId e = g.add(OpKind::mul_scalar, {sq}, [] { Attrs a; a.scalar = 3; return a; }());  // [3, 6]
    const NodeId y = g.add(OpKind::add, {x, e});
    std::vector<NodeId> outs{y};
    const auto res = optimize(g, outs, passes::Pipeline({passes::fold_constants()}));
    CHECK(res.reports[0].rewrites.at("folded") == 2);
    REQUIRE(g.size() == 3);
    const Node& k = g.node(g.node(outs[0]).inputs[1]);
    REQUIRE(k.op == OpKind::constant);
    const auto bytes = g.constant_bytes(k);
    float v[2];
    std::memcpy(v, bytes.data(), sizeof v);
    CHECK(v[0] == 3.0f);
    CHECK(v[1] == 6.0f);
}

TEST_CASE("fold_constants never folds params or inputs and leaves large broadcasts to run time", "[passes][fold]") {
    Graph g;
    const NodeId w = g.param("w", DType::f32, {4}, Init{});
    const NodeId one = g.scalar_constant(DType::f32, 1.0);
    const NodeId big = g.add(OpKind::broadcast_to, {one}, [] { Attrs a; a.ints = {100, 100}; return a; }());
    const NodeId y = g.add(OpKind::exp, {w});
    std::vector<NodeId> outs{y, big};
    const auto res = optimize(g, outs, passes::Pipeline({passes::fold_constants()}));
    CHECK(res.reports[0].rewrites.empty());
    CHECK(count_op(g, OpKind::broadcast_to) == 1);
    CHECK(count_op(g, OpKind::exp) == 1);
}

TEST_CASE("fold_constants leaves a node its evaluator refuses for run(), which throws as without the pass", "[passes][fold]") {
    // one_hot of constant labels, one out of range: compile() with and without passes succeeds, and
    // run() throws the same graft::Error either way; the in-range one_hot beside it is still folded
    Graph g;
    const std::int32_t bad[3] = {0, 4, 1}, good[3] = {2, 0, 1};
    Attrs depth3;
    depth3.start = 3;
    depth3.dtype = DType::f32;
    const NodeId refused = g.add(OpKind::one_hot, {g.constant(DType::i32, {3}, bad)}, depth3);
    const NodeId folded = g.add(OpKind::one_hot, {g.constant(DType::i32, {3}, good)}, depth3);
    std::vector<NodeId> outs{refused, folded};
    Graph h = g;
    std::vector<NodeId> houts = outs;
    const auto res = optimize(h, houts, passes::Pipeline({passes::fold_constants()}));
    CHECK(res.reports[0].rewrites.at("folded") == 1);
    CHECK(h.node(houts[0]).op == OpKind::one_hot);
    CHECK(h.node(houts[1]).op == OpKind::constant);
    for (const auto& pipeline : {passes::none(), passes::standard()}) {
        Machine m(compile(g, outs, CompileOptions{.pipeline = pipeline}));
        CHECK_THAT(graft_test::error_of([&] { m.run(); }), Contains("expected labels in [0, 3), found 4 at label index 1"));
    }
}

TEST_CASE("fold_constants without an evaluator is a clear error", "[passes][fold]") {
    Graph g;
    const NodeId c = g.scalar_constant(DType::f32, 1.0);
    std::vector<NodeId> outs{g.add(OpKind::exp, {c})};
    CHECK_THROWS_WITH(passes::run_pipeline(g, outs, passes::Pipeline({passes::fold_constants()})), Contains("Evaluator"));
}

TEST_CASE("compile with a pipeline: same values, reports kept, original Vars still work", "[passes][compile]") {
    Graph g;
    auto x = g.input<float, 2, 3>("x");
    auto w = g.param<float, 3, 2>("w", init::constant(0.5));
    auto h1 = matmul(x, w);
    auto h2 = matmul(x, w);  // a common subexpression
    auto y = relu(h1) + relu(h2);
    auto loss = sum(y * y);
    CompileOptions plain;
    CompileOptions opt;
    opt.pipeline = passes::standard();
    Machine a(compile(g, plain, loss, y));
    Machine b(compile(g, opt, loss, y));
    CHECK_FALSE(b.program().pass_reports().empty());
    CHECK(b.program().instruction_count() < a.program().instruction_count());
    Tensor<float, Shape<2, 3>> xv{{1, -2, 3}, {0.5f, 1, -1}};
    a.let(x, xv);
    b.let(x, xv);
    a.run();
    b.run();
    CHECK(allclose(a.value(y), b.value(y)));
    CHECK(a.value(loss)() == Approx(b.value(loss)()));
}

TEST_CASE("an output the passes would merge with another output keeps its own buffer", "[passes][compile]") {
    Graph g;
    auto x = g.input<float, 3>("x");
    auto a = exp(x);
    auto b = exp(x);
    CompileOptions opt;
    opt.pipeline = passes::standard();
    Machine m(compile(g, opt, a, b));
    m.let(x, Tensor<float, Shape<3>>{0, 1, 2});
    m.run();
    CHECK(m.output_data(a.id()) != m.output_data(b.id()));
    CHECK(m.value(a)(1) == Approx(std::exp(1.0f)));
    CHECK(m.value(b)(2) == Approx(std::exp(2.0f)));
}

TEST_CASE("an input the passes make unnecessary can still be bound", "[passes][compile]") {
    Graph g;
    auto x = g.input<float, 3>("x");
    auto c = g.constant(Tensor<float, Shape<3>>{1, 2, 3});
    auto y = exp(c) + (x - x) * 0.0f;  // under assume_finite, x - x and * 0 vanish and y no longer reads x
    CompileOptions opt;
    opt.pipeline = passes::standard();
    opt.pipeline.options.assume_finite = true;
    Machine m(compile(g, opt, y));
    CHECK(m.program().graph_text().find("sub") == std::string::npos);
    CHECK_NOTHROW(m.let(x, Tensor<float, Shape<3>>{1, 1, 1}));
    m.run();
    CHECK(m.value(y)(0) == Approx(std::exp(1.0f)));
}

TEST_CASE("pipeline dumps the graph before and after each pass", "[passes][dump]") {
    const auto dir = std::filesystem::temp_directory_path() / "graft_pass_dump_test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    Graph g;
    const NodeId x = g.input("x", DType::f32, {3});
    (void)g.add(OpKind::exp, {x});
    std::vector<NodeId> outs{g.add(OpKind::neg, {x})};
    passes::Pipeline p({passes::dce(), passes::cse()});
    p.dump_dir = dir.string();
    (void)optimize(g, outs, p);
    CHECK(std::filesystem::exists(dir / "00_input.dot"));
    CHECK(std::filesystem::exists(dir / "00_input.txt"));
    CHECK(std::filesystem::exists(dir / "01_dce.dot"));
    CHECK(std::filesystem::exists(dir / "02_cse.txt"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("impure ops are never merged or folded: two dropout masks of one input stay two", "[passes][cse][random]") {
    Graph g;
    auto x = g.input<float, 64>("x");
    auto a = dropout(x, 0.5, 7);
    auto b = dropout(x, 0.5, 7);  // same op, same input, same attributes: still a different random draw per node
    auto c = g.constant(ones<float, Shape<64>>());
    auto folded_candidate = dropout_mask(c, 0.5, 9);  // constant input: still not folded
    auto y = a + b + folded_candidate;
    std::vector<NodeId> outs{y.id()};
    Graph work = g;  // a copy: y must keep naming its node of g for compile() below
    const auto res = optimize(work, outs, passes::standard());
    CHECK(count_op(work, OpKind::dropout_mask) == 3);
    CompileOptions opt;
    opt.pipeline = passes::standard();
    Machine m(compile(g, opt, y));
    m.let(x, ones<float, Shape<64>>());
    m.run();
    const auto first = m.value(y).to_tensor();
    m.run();
    const auto second = m.value(y).to_tensor();
    CHECK_FALSE(array_equal(first, second));  // a new mask every run
    Machine m2(compile(g, opt, y));
    m2.let(x, ones<float, Shape<64>>());
    m2.run();
    CHECK(array_equal(first, m2.value(y).to_tensor()));  // reproducible: same seed, same run
}

TEST_CASE("dropout_mask keeps about 1-p of the elements and scales them by 1/(1-p)", "[random]") {
    Graph g;
    auto x = g.input<double, 100000>("x");
    auto m = dropout_mask(x, 0.3, 42);
    Machine mach(compile(g, m));
    mach.let(x, zeros<double, Shape<100000>>());
    mach.run();
    const auto v = mach.value(m);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < 100000; ++i) {
        const double e = v(i);
        REQUIRE((e == 0.0 || e == Approx(1.0 / 0.7)));
        kept += e != 0.0;
    }
    CHECK(static_cast<double>(kept) / 100000.0 == Approx(0.7).margin(0.01));
}
