// SPDX-License-Identifier: MIT
// tests/passes/fusion_test.cpp: fuse_elementwise and fuse_matmul_epilogue. Every elementwise op inside a
// fused program (float and double, operands broadcast from several ranks, sizes around the block size,
// one element, 100k), chains from a real MLP graph and its gradients, the golden text of a fused graph,
// matmul_bias_act with each activation and transposed operands, the tape listing, idempotence, and the
// errors a malformed program or a gradient through a fused node raise. Fused results are compared with
// the same graph compiled without passes: they must agree to float rounding (in practice bit for bit).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <functional>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <graft/autodiff/grad.hpp>
#include <graft/exec.hpp>
#include <graft/graph.hpp>
#include <graft/graph/dot.hpp>
#include <graft/passes.hpp>

#include "support/graph_runner.hpp"
#include "support/text.hpp"
#include "support/pass_check.hpp"

using namespace graft;
using graft_test::count_op;
using graft_test::cat;
using graft_test::NaiveValue;
using Catch::Matchers::Contains;

namespace {

CompileOptions with(std::vector<passes::Pass> list) {
    CompileOptions o;
    o.pipeline = passes::Pipeline(std::move(list));
    return o;
}

/// "" when a and b agree within `ulps` units of `eps` relative (NaN matches NaN, infinities themselves),
/// else the first difference. `bitwise` counts the elements that are exactly equal.
std::string compare(const NaiveValue& a, const NaiveValue& b, double eps, double ulps, std::size_t* bitwise = nullptr) {
    if (a.dims != b.dims || a.v.size() != b.v.size()) return "dims differ";
    for (std::size_t i = 0; i < a.v.size(); ++i) {
        const double x = a.v[i], y = b.v[i];
        if ((std::isnan(x) && std::isnan(y)) || x == y) {
            if (bitwise && x == y) ++*bitwise;
            if (bitwise && std::isnan(x)) ++*bitwise;
            continue;
        }
        if (!(std::fabs(x - y) <= ulps * eps * std::max(1.0, std::fabs(y))))
            return cat("element ", std::to_string(i), ": fused ", std::to_string(x), ", unfused ", std::to_string(y));
    }
    return {};
}

/// Runs `outputs` of `g` without passes and with `list`, on the same random inputs; checks that they agree
/// and returns the fraction of elements that are bit-for-bit equal.
double fused_equals_unfused(const Graph& g, const std::vector<NodeId>& outputs, const std::vector<passes::Pass>& list,
                            std::uint64_t seed, double lo = -2.0, double hi = 2.0) {
    const auto feed = graft_test::make_feed(g, seed, lo, hi);
    const auto plain = graft_test::run_graph(g, outputs, feed, CompileOptions{});
    const auto fused = graft_test::run_graph(g, outputs, feed, with(list));
    const double eps = g.node(outputs[0]).dtype == DType::f32 ? 1.2e-7 : 2.3e-16;
    std::size_t same = 0, total = 0;
    for (std::size_t o = 0; o < outputs.size(); ++o) {
        INFO(cat("output ", std::to_string(o)));
        CHECK(compare(fused[o], plain[o], eps, 4.0, &same) == "");
        total += plain[o].v.size();
    }
    return total ? double(same) / double(total) : 1.0;
}

Attrs scalar_attrs(double c, double c2 = 0.0) {
    Attrs a;
    a.scalar = c;
    a.scalar2 = c2;
    return a;
}

/// Dims that broadcast to `d`: itself, the trailing axes only, size-1 leading axis, all ones, a scalar.
std::vector<Dims> broadcast_variants(const Dims& d) {
    std::vector<Dims> v{d};
    if (d.size() >= 2) v.push_back(Dims(d.begin() + 1, d.end()));
    if (!d.empty()) {
        Dims one = d;
        one[0] = 1;
        v.push_back(one);
        v.push_back(Dims(d.size(), 1));
        Dims last(d.size(), 1);
        last.back() = d.back();
        v.push_back(last);
    }
    v.push_back({});
    return v;
}

/// The elementwise ops of op_table (every op fuse_elementwise may take).
std::vector<OpKind> elementwise_ops() {
    std::vector<OpKind> ops;
    for (const OpInfo& row : op_table)
        if (row.cls == OpClass::binary || row.cls == OpClass::compare || row.cls == OpClass::scalar || row.cls == OpClass::unary ||
            row.cls == OpClass::select)
            ops.push_back(row.kind);
    return ops;
}

/// pre(x) -> op(pre(x), others...) -> mul_scalar(., 0.5): the op sits inside a fused chain of three.
NodeId chain_around(Graph& g, OpKind op, DType t, const Dims& out, const Dims& other) {
    const NodeId x = g.input("x", t, out);
    const bool positive = op == OpKind::log || op == OpKind::sqrt || op == OpKind::log1p || op == OpKind::pow_scalar;
    // a positive first operand where the op needs one, else just x scaled
    const NodeId pre = positive ? g.add(OpKind::add_scalar, {g.add(OpKind::abs, {x})}, scalar_attrs(0.25))
                                : g.add(OpKind::mul_scalar, {x}, scalar_attrs(1.5));
    NodeId y = no_node;
    switch (fused_form(op)) {
        case FusedForm::regs1: y = g.add(op, {pre}); break;
        case FusedForm::regs2: {
            const NodeId b = g.input("b", t, other);
            // a nonzero divisor: |b| + 0.5
            const NodeId rhs = op == OpKind::div ? g.add(OpKind::add_scalar, {g.add(OpKind::abs, {b})}, scalar_attrs(0.5)) : b;
            y = g.add(op, {pre, rhs});
            break;
        }
        case FusedForm::regs3: {
            const NodeId m = g.add(OpKind::greater, {g.input("m", t, other), g.scalar_constant(t, 0.0)});
            y = g.add(op, {m, pre, g.input("c", t, Dims(other.begin() + (other.empty() ? 0 : 1), other.end()))});
            break;
        }
        case FusedForm::scalar1: {
            const double c = op == OpKind::pow_scalar ? 1.7 : op == OpKind::rdiv_scalar ? 0.75 : -1.25;
            y = g.add(op, {op == OpKind::rdiv_scalar ? g.add(OpKind::add_scalar, {g.add(OpKind::abs, {pre})}, scalar_attrs(0.5)) : pre},
                      scalar_attrs(c));
            break;
        }
        case FusedForm::scalar2: y = g.add(op, {pre}, scalar_attrs(-0.8, 0.6)); break;
        case FusedForm::none: FAIL("not elementwise"); break;
    }
    return g.add(OpKind::mul_scalar, {y}, scalar_attrs(0.5));
}

}  // namespace

TEST_CASE("every elementwise op fuses and equals the unfused graph, float and double, broadcasting operands", "[passes][fusion]") {
    const std::vector<Dims> shapes = {{}, {1}, {7}, {3, 5}, {2, 3, 4}, {4, 1, 300}, {2, 3, 4, 5}, {257}, {100000}};
    std::size_t programs = 0, checked_ops = 0;
    double worst_bitwise = 1.0;
    for (OpKind op : elementwise_ops()) {
        bool seen = false;
        for (DType t : {DType::f32, DType::f64})
            for (const Dims& out : shapes)
                for (const Dims& other : broadcast_variants(out)) {
                    if (out.size() > 3 && other != out) continue;  // rank 4: same dims only (keeps the run short)
                    if (fused_form(op) != FusedForm::regs2 && fused_form(op) != FusedForm::regs3 && other != out) continue;
                    Graph g;
                    const NodeId y = chain_around(g, op, t, out, other);
                    INFO(cat(op_name(op), " ", dtype_name(t), " out ", shape_string(out), " other ", shape_string(other)));
                    // the whole chain is one fused node
                    Graph work = g;
                    std::vector<NodeId> outs{y};
                    const auto res = optimize(work, outs, passes::Pipeline({passes::fuse_elementwise()}));
                    REQUIRE(work.node(outs[0]).op == OpKind::fused);
                    CHECK_THAT(graft::detail::attrs_text(work.node(outs[0])), Contains(cat(op_name(op), "(")));
                    CHECK(count_op(work, op) == 0);  // a divisor of other dims is a fused pair of its own
                    const double bitwise = fused_equals_unfused(g, {y}, {passes::fuse_elementwise()}, programs + 1);
                    worst_bitwise = std::min(worst_bitwise, bitwise);
                    ++programs;
                    seen = true;
                }
        checked_ops += seen;
    }
    std::cout << checked_ops << " elementwise ops checked fused vs unfused in " << programs
              << " programs; smallest bit-exact fraction " << worst_bitwise << "\n";
    CHECK(checked_ops == elementwise_ops().size());
    CHECK(checked_ops == 29);
}

TEST_CASE("a program with many live registers runs smaller blocks and still matches", "[passes][fusion]") {
    // 80 broadcast inputs (40 wheres), each gathered into its own block buffer: more buffers than blocks of
    // 128 fit in the kernel's scratch, so it runs smaller blocks
    for (DType t : {DType::f32, DType::f64}) {
        Graph g;
        const Dims out{3, 1001};
        NodeId acc = g.add(OpKind::exp, {g.input("x0", t, out)});
        for (int i = 1; i <= 40; ++i) {
            const NodeId m = g.input(cat("m", std::to_string(i)), t, i % 2 ? Dims{3, 1} : Dims{1001});
            const NodeId v = g.input(cat("v", std::to_string(i)), t, i % 3 ? Dims{1001} : Dims{3, 1});
            acc = g.add(OpKind::where, {m, v, acc});
        }
        const NodeId y = g.add(OpKind::tanh, {g.add(OpKind::mul_scalar, {acc}, scalar_attrs(0.01))});
        Graph work = g;
        std::vector<NodeId> outs{y};
        optimize(work, outs, passes::Pipeline({passes::fuse_elementwise()}));
        REQUIRE(count_op(work, OpKind::fused) == 1);
        const FusedProgram p = FusedProgram::decode(work.node(outs[0]).attrs, work.node(outs[0]).inputs.size());
        CHECK(p.inputs == 81);
        CHECK(p.steps.size() == 43);
        CHECK(p.registers == 82);  // a chain needs one temporary
        fused_equals_unfused(g, {y}, {passes::fuse_elementwise()}, 9);
    }
}

TEST_CASE("a chain longer than max_fused_ops becomes several fused nodes", "[passes][fusion]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {1000});
    NodeId y = x;
    for (int i = 0; i < 150; ++i) y = g.add(i % 2 ? OpKind::tanh : OpKind::mul_scalar, {y}, i % 2 ? Attrs{} : scalar_attrs(1.5));
    Graph work = g;
    std::vector<NodeId> outs{y};
    optimize(work, outs, passes::Pipeline({passes::fuse_elementwise()}));
    CHECK(count_op(work, OpKind::fused) == 3);  // 64 + 64 + 22
    CHECK(work.size() == 4);
    fused_equals_unfused(g, {y}, {passes::fuse_elementwise()}, 10);
}

TEST_CASE("fusion keeps values other nodes or the outputs read, and never fuses across dims", "[passes][fusion]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {4, 3});
    const NodeId b = g.input("b", DType::f32, {3});
    const NodeId e = g.add(OpKind::exp, {x});            // read twice: an input of both groups
    const NodeId s = g.add(OpKind::sigmoid, {b});        // [3]: its own dims, not fused into [4,3]
    const NodeId t = g.add(OpKind::tanh, {g.add(OpKind::mul, {e, s})});  // an output and read again
    const NodeId u = g.add(OpKind::add, {g.add(OpKind::neg, {t}), e});
    std::vector<NodeId> outs{t, u};
    const std::string before = print(g);
    optimize(g, outs, passes::Pipeline({passes::fuse_elementwise()}));
    CHECK(print(g) ==
          "%0 = input \"x\" f32[4,3]\n"
          "%1 = input \"b\" f32[3]\n"
          "%2 = exp %0 f32[4,3]\n"
          "%3 = sigmoid %1 f32[3]\n"
          "%4 = fused %2 %3 {r2=mul(r0,r1); r2=tanh(r2)} f32[4,3]\n"
          "%5 = fused %4 %2 {r2=neg(r0); r2=add(r2,r1)} f32[4,3]\n");
    CHECK(outs == std::vector<NodeId>{4, 5});
    CHECK_NOTHROW(verify(g));
}

TEST_CASE("golden text and DOT of a fused chain: y = tanh(x*a + b) * 2", "[passes][fusion]") {
    Graph g;
    auto x = g.input<float, 2, 3>("x");
    auto a = g.input<float, 2, 3>("a");
    auto b = g.input<float, 3>("b");
    auto y = tanh(x * a + b) * 2.0f;
    std::vector<NodeId> outs{y.id()};
    const auto res = optimize(g, outs, passes::Pipeline({passes::fuse_elementwise()}));
    CHECK(print(g) ==
          "%0 = input \"x\" f32[2,3]\n"
          "%1 = input \"a\" f32[2,3]\n"
          "%2 = input \"b\" f32[3]\n"
          "%3 = fused %0 %1 %2 {r3=mul(r0,r1); r3=add(r3,r2); r3=tanh(r3); r3=mul_scalar(r3,2)} f32[2,3]\n");
    CHECK(res.reports[0].rewrites.at("fused") == 1);
    CHECK(res.reports[0].rewrites.at("ops_fused") == 4);
    CHECK(res.reports[0].summary().rfind("fuse_elementwise: 7 -> 4 nodes (fused 1, ops_fused 4)", 0) == 0);
    CHECK_THAT(to_dot(g), Contains("r3=mul(r0,r1)\\nr3=add(r3,r2)\\nr3=tanh(r3)\\nr3=mul_scalar(r3,2)"));
}

TEST_CASE("the MLP forward and its gradients fuse, relu backward included, and equal the unfused program", "[passes][fusion]") {
    Graph g;
    auto x = g.input<float, 37, 20>("x");
    auto labels = g.input<float, 37, 10>("labels");  // soft targets, drawn like any input
    auto W1 = g.param<float, 20, 16>("W1", init::glorot_uniform(1));
    auto b1 = g.param<float, 16>("b1", init::uniform(-0.1, 0.1, 4));
    auto W2 = g.param<float, 16, 10>("W2", init::glorot_uniform(2));
    auto b2 = g.param<float, 10>("b2", init::constant(0.1));
    auto h = relu(matmul(x, W1) + b1);
    auto logits = matmul(h, W2) + b2;
    auto loss = -sum(labels * log_softmax(logits)) / 37.0f + 0.01f * sum(square(W1));
    auto [gW1, gb1, gW2, gb2] = grad(loss, W1, b1, W2, b2);
    const std::vector<NodeId> outs{loss.id(), gW1.id(), gb1.id(), gW2.id(), gb2.id(), h.id()};

    Graph work = g;
    std::vector<NodeId> o2 = outs;
    const auto res = optimize(work, o2, passes::standard());
    INFO(res.summary());
    INFO(print(work));
    CHECK(count_op(work, OpKind::matmul_bias_act) == 2);
    CHECK(count_op(work, OpKind::fused) >= 2);
    // relu backward: g * [x > 0] became one program
    bool relu_backward = false;
    for (const Node& n : work.nodes())
        if (n.op == OpKind::fused) {
            const std::string text = FusedProgram::decode(n.attrs, n.inputs.size()).text();
            relu_backward = relu_backward || (text.find("greater(") != std::string::npos && text.find("mul(") != std::string::npos);
        }
    CHECK(relu_backward);
    // the pass report names both fusion passes, once each, after the fixed point
    REQUIRE(res.reports.size() >= 2);
    CHECK(res.reports[res.reports.size() - 2].name == "fuse_matmul_epilogue");
    CHECK(res.reports.back().name == "fuse_elementwise");

    // values: standard() against none() on the same inputs and parameters
    const auto feed = graft_test::make_feed(g, 5);
    CompileOptions std_opt;
    std_opt.pipeline = passes::standard();
    const auto plain = graft_test::run_graph(g, outs, feed);
    const auto fused = graft_test::run_graph(g, outs, feed, std_opt);
    for (std::size_t i = 0; i < outs.size(); ++i) {
        INFO(cat("output ", std::to_string(i)));
        CHECK(compare(fused[i], plain[i], 1.2e-7, 64.0) == "");
    }
}

TEST_CASE("matmul + bias + activation become one GEMM and one epilogue, with transposes as flags", "[passes][fusion][matmul]") {
    struct Act {
        OpKind op;  // OpKind::count: no activation
        const char* name;
    };
    const Act acts[] = {{OpKind::count, ""}, {OpKind::relu, "relu"}, {OpKind::tanh, "tanh"}, {OpKind::sigmoid, "sigmoid"}};
    for (DType t : {DType::f32, DType::f64})
        for (const Act& act : acts)
            for (int form = 0; form < 4; ++form) {  // plain, A^T, B^T, both; bias [n] or [1,n]; bias on either side
                Graph g;
                const std::size_t m = 37, k = 19, n = 23;
                const bool ta = form & 1, tb = form & 2;
                NodeId a = g.input("a", t, ta ? Dims{k, m} : Dims{m, k});
                NodeId b = g.input("b", t, tb ? Dims{n, k} : Dims{k, n});
                if (ta) a = g.add(OpKind::transpose, {a});
                if (tb) b = g.add(OpKind::transpose, {b});
                const NodeId bias = g.input("bias", t, form == 2 ? Dims{1, n} : Dims{n});
                const NodeId mm = g.add(OpKind::matmul, {a, b});
                NodeId y = form == 3 ? g.add(OpKind::add, {bias, mm}) : g.add(OpKind::add, {mm, bias});
                if (act.op != OpKind::count) y = g.add(act.op, {y});
                INFO(cat(dtype_name(t), " act ", act.name, " form ", std::to_string(form)));

                Graph work = g;
                std::vector<NodeId> outs{y};
                const auto res = optimize(work, outs, passes::Pipeline({passes::fuse_matmul_epilogue()}));
                REQUIRE(work.node(outs[0]).op == OpKind::matmul_bias_act);
                CHECK(res.reports[0].rewrites.count(act.op == OpKind::count ? "matmul_bias" : "matmul_bias_act") == 1);
                CHECK(count_op(work, OpKind::matmul) == 0);

                const std::vector<NodeId> ys{y};
                const auto feed = graft_test::make_feed(g, 7 + form);
                const auto plain = graft_test::run_graph(g, ys, feed);
                const auto fused = graft_test::run_graph(g, ys, feed, with({passes::fuse_matmul_epilogue()}));
                std::size_t same = 0;
                CHECK(compare(fused[0], plain[0], t == DType::f32 ? 1.2e-7 : 2.3e-16, 4.0, &same) == "");
                CHECK(same == plain[0].v.size());  // the same GEMM and the same epilogue formulas: bit for bit

                const Program prog = compile(g, ys, with({passes::fuse_matmul_epilogue()}));
                const std::string dump = prog.dump();
                INFO(dump);
                CHECK(prog.instruction_count() == 1);  // the transposes are GEMM flags, not copies
                std::string flags = " ";
                flags += ta ? 'T' : 'N';
                flags += tb ? 'T' : 'N';
                CHECK_THAT(dump, Contains(cat("= matmul_bias_act %")));
                CHECK_THAT(dump, Contains(cat(flags, " m=37 n=23 k=19 +bias", act.op == OpKind::count ? "" : " ", act.name, "]")));
            }
}

TEST_CASE("fuse_matmul_epilogue leaves batched products, full-matrix addends and shared products alone", "[passes][fusion][matmul]") {
    Graph g;
    const NodeId a = g.input("a", DType::f32, {2, 4, 3});
    const NodeId b = g.input("b", DType::f32, {3, 5});
    const NodeId c = g.input("c", DType::f32, {4, 3});
    const NodeId bias = g.input("bias", DType::f32, {5});
    const NodeId full = g.input("full", DType::f32, {4, 5});
    const NodeId batched = g.add(OpKind::add, {g.add(OpKind::matmul, {a, b}), bias});  // batched
    const NodeId mm = g.add(OpKind::matmul, {c, b});
    const NodeId not_bias = g.add(OpKind::add, {mm, full});  // a [4,5] addend is no bias
    const NodeId shared = g.add(OpKind::matmul, {c, b});
    const NodeId s1 = g.add(OpKind::add, {shared, bias});
    const NodeId s2 = g.add(OpKind::exp, {shared});  // the product is read twice
    std::vector<NodeId> outs{batched, not_bias, s1, s2};
    const auto res = optimize(g, outs, passes::Pipeline({passes::fuse_matmul_epilogue()}));
    CHECK(res.reports[0].rewrites.empty());
    CHECK(count_op(g, OpKind::matmul_bias_act) == 0);
}

TEST_CASE("the tape listing shows the fused program and the GEMM epilogue", "[passes][fusion]") {
    Graph g;
    auto x = g.input<float, 8, 4>("x");
    auto W = g.param<float, 4, 3>("W", init::glorot_uniform(3));
    auto b = g.param<float, 3>("b", init::zeros());
    auto y = sigmoid(matmul(x, W) + b);
    auto z = exp(y * 2.0f) - y;  // y is read twice: fused program over y
    CompileOptions opt;
    opt.pipeline = passes::standard();
    const Program prog = compile(g, opt, z);
    const std::string dump = prog.dump();
    INFO(dump);
    CHECK(prog.instruction_count() == 2);
    CHECK_THAT(dump, Contains("= matmul_bias_act %0 %1 %2 [cblas NN m=8 n=3 k=4 +bias sigmoid]") ||
                         Contains("= matmul_bias_act %0 %1 %2 [eigen NN m=8 n=3 k=4 +bias sigmoid]"));
    CHECK_THAT(dump, Contains("= fused %3 [r1=mul_scalar(r0,2); r1=exp(r1); r1=sub(r1,r0)]"));
    CHECK_THAT(prog.graph_text(), Contains("matmul_bias_act %0 %1 %2 {act=sigmoid} f32[8,3]"));
}

TEST_CASE("fusion is idempotent: a second run of the fusion passes changes nothing", "[passes][fusion]") {
    Graph g;
    auto x = g.input<double, 16, 8>("x");
    auto W = g.param<double, 8, 8>("W", init::glorot_uniform(5));
    auto b = g.param<double, 8>("b", init::zeros());
    auto h = tanh(matmul(x, W) + b);
    auto loss = sum(square(h - x) * 0.5 + abs(x));
    auto gW = grad(loss, W);
    std::vector<NodeId> outs{loss.id(), gW.id()};
    passes::Pipeline fusion({passes::fuse_matmul_epilogue(), passes::fuse_elementwise()});
    optimize(g, outs, passes::standard());
    const std::string once = print(g);
    const auto again = optimize(g, outs, fusion);
    for (const auto& r : again.reports) CHECK_FALSE(r.changed());
    CHECK(print(g) == once);
    // and standard() again: the fixed-point passes do not undo fusion, fusion finds nothing new
    optimize(g, outs, passes::standard());
    CHECK(print(g) == once);
}

TEST_CASE("grad() refuses a fused node with a clear error", "[passes][fusion][autodiff]") {
    Graph g;
    const NodeId x = g.input("x", DType::f64, {3});
    const NodeId y = g.add(OpKind::sum, {g.add(OpKind::exp, {g.add(OpKind::neg, {x})})}, [] {
        Attrs a;
        a.all_axes = true;
        return a;
    }());
    std::vector<NodeId> outs{y, x};
    optimize(g, outs, passes::Pipeline({passes::fuse_elementwise()}));
    REQUIRE(count_op(g, OpKind::fused) == 1);
    const NodeId wrt[] = {outs[1]};
    try {
        grad(g, outs[0], wrt);
        FAIL("grad through a fused node did not throw");
    } catch (const Error& e) {
        CHECK_THAT(std::string(e.what()), Contains("grad: expected a graph without fused ops: call grad() before running the fusion passes"));
        CHECK_THAT(std::string(e.what()), Contains("= fused (fused nodes have no VJP)"));
    }
}

TEST_CASE("the shape rule of fused rejects malformed programs", "[passes][fusion][graph]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId v = g.input("v", DType::f32, {4});
    FusedProgram p;
    p.dtype = DType::f32;
    p.dims = {2, 3};
    p.inputs = 1;
    p.registers = 2;
    p.steps = {{OpKind::exp, 1, 0, 0, 0}};
    CHECK_NOTHROW(g.add(OpKind::fused, {x}, p.encode()));
    auto bad = [&](FusedProgram q, std::vector<NodeId> ins, const std::string& msg) {
        INFO(msg);
        CHECK_THROWS_WITH(g.add(OpKind::fused, ins, q.encode()), Contains(msg));
    };
    FusedProgram q = p;
    q.steps = {{OpKind::exp, 1, 1, 0, 0}};
    bad(q, {x}, "registers written before they are read");
    q.steps = {{OpKind::exp, 0, 0, 0, 0}};
    bad(q, {x}, "a temporary register in [1, 2) as destination");
    q.steps = {{OpKind::sum, 1, 0, 0, 0}};
    bad(q, {x}, "expected an elementwise op");
    q.steps = {{OpKind::mul_scalar, 1, 0, 3, 0}};
    bad(q, {x}, "a constant index below 0");
    q = p;
    bad(q, {v}, "inputs that broadcast to Shape<2,3>");
    q.registers = 300;
    bad(q, {x}, "registers in (1 inputs, 256]");
}

TEST_CASE("the reference evaluator runs fused nodes step by step like the nodes they replaced", "[passes][fusion][reference]") {
    Graph g;
    auto x = g.input<float, 5, 4>("x");
    auto c = g.input<float, 4>("c");
    auto y = where(greater(x, c), sqrt(abs(x) + 1.0f), clamp(-x, -0.5, 0.5) * c);
    std::vector<NodeId> outs{y.id()};
    Graph work = g;
    optimize(work, outs, passes::Pipeline({passes::fuse_elementwise()}));
    REQUIRE(work.node(outs[0]).op == OpKind::fused);
    reference::Bindings bind;
    Rng rng(3);
    for (const char* name : {"x", "c"}) {
        const Node& n = g.node(g.find(name));
        reference::Value v{n.dtype, n.dims, std::vector<double>(n.size())};
        for (double& e : v.data) e = reference::round_to(DType::f32, rng.uniform(-2, 2));
        bind.inputs[name] = v;
    }
    const auto want = reference::evaluate(g, y.id(), bind);
    const auto got = reference::evaluate(work, outs[0], bind);
    CHECK(got.data == want.data);  // the same formulas, rounded the same way: equal
}
