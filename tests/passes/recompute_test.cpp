// SPDX-License-Identifier: MIT
// tests/passes/recompute_test.cpp: gradient checkpointing (passes::recompute, graft::checkpoint).
// The yardstick is the same graph compiled without the pass: the clones run the same kernels on the same
// inputs, so every output and gradient must be bitwise equal; the arena must shrink on a deep MLP; the
// pass must be idempotent, keep one dropout mask, and leave the forward sweep free of clones.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include <graft/autodiff/grad.hpp>
#include <graft/exec.hpp>
#include <graft/graph.hpp>
#include <graft/graph/print.hpp>
#include <graft/passes.hpp>

#include "support/graph_runner.hpp"
#include "support/random_graph.hpp"
#include "support/text.hpp"

using namespace graft;
using graft_test::cat;

namespace {

struct Mlp {
    NodeId loss = no_node;
    std::vector<NodeId> outputs;  ///< loss, then the gradient of every param
    std::size_t marks = 0;        ///< checkpoint nodes placed
};

/// `layers` dense layers of `width` (tanh and relu alternating), batch `batch`, a checkpoint after every
/// `mark_every`-th layer's activation (0: none), optionally dropout after each activation.
Mlp make_mlp(Graph& g, std::size_t layers, std::size_t width, std::size_t batch, std::size_t mark_every, bool dropout = false) {
    Mlp m;
    NodeId h = g.input("x", DType::f32, {batch, width});
    const NodeId y = g.input("y", DType::f32, {batch, width});
    std::vector<NodeId> params;
    for (std::size_t l = 0; l < layers; ++l) {
        std::string wn = "W";
        wn += std::to_string(l);
        std::string bn = "b";
        bn += std::to_string(l);
        const NodeId W = g.param(wn, DType::f32, {width, width}, init::glorot_uniform(10 + l));
        const NodeId b = g.param(bn, DType::f32, {width}, init::uniform(-0.1, 0.1, 50 + l));
        params.push_back(W);
        params.push_back(b);
        h = ir::add(g, ir::matmul(g, h, W), b);
        h = ir::unary(g, l % 2 ? OpKind::relu : OpKind::tanh, h);
        if (dropout) {
            Attrs a;
            a.scalar = 0.25;
            a.start = 7 + l;
            h = ir::mul(g, h, g.add(OpKind::dropout_mask, {h}, a));
        }
        if (mark_every && (l + 1) % mark_every == 0 && l + 1 < layers) {
            h = ir::checkpoint(g, h);
            ++m.marks;
        }
    }
    m.loss = ir::mul_scalar(g, ir::sum_all(g, ir::unary(g, OpKind::square, ir::sub(g, h, y))), 1.0 / double(batch));
    const std::vector<NodeId> grads = grad(g, m.loss, params);
    m.outputs.push_back(m.loss);
    m.outputs.insert(m.outputs.end(), grads.begin(), grads.end());
    return m;
}

CompileOptions with(passes::Pipeline p) {
    CompileOptions o;
    o.pipeline = std::move(p);
    return o;
}

std::size_t count_kind(const Graph& g, OpKind op) {
    std::size_t n = 0;
    for (const Node& nd : g.nodes()) n += nd.op == op;
    return n;
}

/// Every output of `a` bitwise equal to the same output of `b`; names the first that differs.
std::string first_difference(const std::vector<graft_test::NaiveValue>& a, const std::vector<graft_test::NaiveValue>& b) {
    if (a.size() != b.size()) return "output counts differ";
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!graft_test::bitwise_equal(a[i], b[i])) return cat("output ", std::to_string(i), " differs");
    return "";
}

const passes::PassReport* report_of(const Program& p, const std::string& name) {
    for (const auto& r : p.pass_reports())
        if (r.name == name) return &r;
    return nullptr;
}

/// The most bytes of computed values live at once, outputs left out (they live to the end either way):
/// the activation memory the plan must hold, before packing.
std::size_t live_peak(const Program& p) {
    const auto& d = p.data();
    std::vector<long long> delta(d.instrs.size() + 1, 0);
    for (const auto& s : d.slots) {
        if (s.home != Home::arena || s.is_input || s.is_output || s.alias_of != UINT32_MAX || s.node == no_node) continue;
        delta[s.def] += static_cast<long long>(s.bytes);
        delta[s.last_use + 1] -= static_cast<long long>(s.bytes);
    }
    long long live = 0, peak = 0;
    for (long long x : delta) peak = std::max(peak, live += x);
    return static_cast<std::size_t>(peak);
}

std::size_t rewrites(const passes::PassReport* r, const std::string& kind) {
    if (!r) return 0;
    const auto it = r->rewrites.find(kind);
    return it == r->rewrites.end() ? 0 : it->second;
}

}  // namespace

TEST_CASE("checkpoint is the identity, lowered as an alias (no instruction), and its gradient passes through", "[passes][recompute]") {
    Graph g;
    auto x = g.input<float, 2, 3>("x");
    auto c = checkpoint(tanh(x));
    auto loss = sum(c * c);
    auto gx = grad(loss, x);
    const NodeId outs[] = {c.id(), gx.id()};
    const auto feed = graft_test::make_feed(g, 3);
    const auto got = graft_test::run_graph(g, outs, feed);
    const auto want = graft_test::naive_eval(g, outs, feed);
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t k = 0; k < want[i].v.size(); ++k) CHECK(got[i].v[k] == Approx(want[i].v[k]).epsilon(1e-6));
    const Program p = compile(g, std::span<const NodeId>(outs, 2));
    CHECK(p.dump().find("checkpoint") == std::string::npos);  // no instruction runs it
    CHECK(print(g).find("checkpoint") != std::string::npos);
}

TEST_CASE("the fixed point of standard() keeps checkpoints for recompute to read", "[passes][recompute]") {
    Graph g;
    const Mlp m = make_mlp(g, 8, 16, 4, 2);
    Graph w = g;
    std::vector<NodeId> roots = m.outputs;
    passes::Pipeline fixed = passes::standard();
    fixed.then.clear();
    optimize(w, roots, fixed);
    CHECK(count_kind(w, OpKind::checkpoint) == m.marks);
}

TEST_CASE("recompute on a deep MLP: gradients bitwise equal, arena strictly smaller, clones only in the reverse sweep",
          "[passes][recompute]") {
    Graph g;
    // batch 256: activations (64 KiB each) outweigh the weight gradients (16 KiB each), which are outputs and
    // so live to the end whatever the pass does (with batch 16 the arena is theirs, and only live_peak shrinks)
    const Mlp m = make_mlp(g, 8, 64, 256, 2);  // checkpoints after layers 2, 4 and 6
    REQUIRE(m.marks == 3);
    const auto feed = graft_test::make_feed(g, 11);
    for (const bool fuse : {false, true}) {
        INFO((fuse ? "standard()" : "none()"));
        const passes::Pipeline base = fuse ? passes::standard() : passes::Pipeline{};
        passes::Pipeline rec = passes::with_recompute(base);
        const Program plain = compile(g, m.outputs, with(base));
        const Program ckpt = compile(g, m.outputs, with(rec));
        const passes::PassReport* r = report_of(ckpt, "recompute");
        REQUIRE(r);
        INFO(r->summary());
        CHECK(rewrites(r, "checkpoints") == 3);
        // segments 0..2 are recomputed for the reverse sweep: per layer its matmul, bias add and activation
        // (the last layer of a segment needs them for its activation's VJP)
        CHECK(rewrites(r, "cloned") == 3 * 5);  // the segment's last activation is the checkpoint itself
        WARN(cat(fuse ? "standard()" : "none()", ": arena ", std::to_string(plain.arena_bytes()), " -> ",
                 std::to_string(ckpt.arena_bytes()), " bytes with recompute; live values (outputs left out) at most ",
                 std::to_string(live_peak(plain)), " -> ", std::to_string(live_peak(ckpt))));
        CHECK(live_peak(ckpt) < live_peak(plain));
        CHECK(ckpt.arena_bytes() < plain.arena_bytes());
        CHECK(first_difference(graft_test::run_graph(g, m.outputs, feed, with(base)),
                               graft_test::run_graph(g, m.outputs, feed, with(rec))) == "");
    }
    // the clones sit in the reverse sweep: no more GEMMs before the loss than the forward has layers
    Graph w = g;
    std::vector<NodeId> roots = m.outputs;
    optimize(w, roots, passes::with_recompute(passes::none()));
    std::size_t gemms_before_loss = 0;
    for (NodeId i = 0; i < roots[0]; ++i) gemms_before_loss += w.node(i).op == OpKind::matmul;
    CHECK(gemms_before_loss == 8);
    CHECK(count_kind(w, OpKind::matmul) > count_kind(g, OpKind::matmul));
}

TEST_CASE("recompute with every = k marks every k-th layer itself and equals the plain program", "[passes][recompute]") {
    Graph g;
    const Mlp m = make_mlp(g, 8, 64, 256, 0);
    const auto feed = graft_test::make_feed(g, 12);
    const Program plain = compile(g, m.outputs, with(passes::standard()));
    for (std::size_t k : {1, 2, 4}) {
        INFO(cat("every ", std::to_string(k)));
        passes::RecomputeOptions o;
        o.every = k;
        const passes::Pipeline rec = passes::with_recompute(passes::standard(), o);
        const Program ckpt = compile(g, m.outputs, with(rec));
        const passes::PassReport* r = report_of(ckpt, "recompute");
        REQUIRE(r);
        INFO(r->summary());
        CHECK(rewrites(r, "inserted") == 7 / k);  // never after the last layer
        CHECK(live_peak(ckpt) < live_peak(plain));
        if (k > 1) CHECK(ckpt.arena_bytes() < plain.arena_bytes());  // every layer kept: only z is recomputed
        CHECK(first_difference(graft_test::run_graph(g, m.outputs, feed, with(passes::standard())),
                               graft_test::run_graph(g, m.outputs, feed, with(rec))) == "");
    }
}

TEST_CASE("recompute is idempotent: a second run clones nothing and leaves the graph unchanged", "[passes][recompute]") {
    for (std::size_t every : {0, 2}) {
        INFO(cat("every ", std::to_string(every)));
        Graph g;
        const Mlp m = make_mlp(g, 6, 8, 4, every ? 0 : 2);
        passes::RecomputeOptions o;
        o.every = every;
        Graph w = g;
        std::vector<NodeId> roots = m.outputs;
        const auto first = optimize(w, roots, passes::Pipeline({passes::recompute(o)}));
        REQUIRE(first.reports.size() == 1);
        CHECK(first.reports[0].changed());
        const std::string once = print(w);
        const auto second = optimize(w, roots, passes::Pipeline({passes::recompute(o)}));
        CHECK_FALSE(second.reports[0].changed());
        CHECK(print(w) == once);
    }
}

TEST_CASE("dropout masks are never cloned: one mask per layer, and the gradients equal the plain program's", "[passes][recompute]") {
    Graph g;
    const Mlp m = make_mlp(g, 6, 32, 128, 2, true);
    const auto feed = graft_test::make_feed(g, 13);
    for (const bool fuse : {false, true}) {
        const passes::Pipeline base = fuse ? passes::standard() : passes::Pipeline{};
        const passes::Pipeline rec = passes::with_recompute(base);
        Graph w = g;
        std::vector<NodeId> roots = m.outputs;
        const auto res = optimize(w, roots, rec);
        INFO(res.summary());
        CHECK(count_kind(w, OpKind::dropout_mask) == 6);
        CHECK(live_peak(compile(g, m.outputs, with(rec))) < live_peak(compile(g, m.outputs, with(base))));
        // two runs: the second draws new masks, and both programs draw the same ones
        Machine a(compile(g, m.outputs, with(base)));
        Machine b(compile(g, m.outputs, with(rec)));
        graft_test::bind_feed(a, g, feed);
        graft_test::bind_feed(b, g, feed);
        for (int run = 0; run < 2; ++run) {
            a.run();
            b.run();
            for (std::size_t i = 0; i < m.outputs.size(); ++i) {
                INFO(cat("run ", std::to_string(run), " output ", std::to_string(i)));
                CHECK(graft_test::bitwise_equal(graft_test::to_naive(a.value(m.outputs[i])), graft_test::to_naive(b.value(m.outputs[i]))));
            }
        }
    }
}

TEST_CASE("random graphs with checkpoints inserted: recompute changes no output or gradient, bitwise", "[passes][recompute][random]") {
    const std::uint64_t seed = graft_test::seed_from_env(7007);
    const std::size_t graphs = 300 * graft_test::repeat_from_env();
    std::size_t fired = 0, clones = 0;
    for (std::size_t i = 0; i < graphs; ++i) {
        graft_test::RandomGraphOptions opt;
        opt.dtype = i % 2 ? DType::f32 : DType::f64;
        opt.patterns = i % 3 == 0;
        opt.min_steps = 6;
        opt.max_steps = 16;
        Graph src;
        const graft_test::RandomGraph rg = graft_test::random_graph(src, seed * 1000003 + i, opt);
        // copy, with a checkpoint after about a third of the float op nodes (later readers read the checkpoint)
        Graph g;
        graft::Rng rng(seed + i);
        std::vector<NodeId> map(src.size(), no_node);
        for (const Node& n : src.nodes()) {
            switch (n.op) {
                case OpKind::input: map[n.id] = g.input(n.name, n.dtype, n.dims); break;
                case OpKind::param: map[n.id] = g.param(n.name, n.dtype, n.dims, n.init); break;
                case OpKind::constant: map[n.id] = g.constant(n.dtype, n.dims, src.constant_bytes(n).data(), n.name); break;
                default: {
                    std::vector<NodeId> in;
                    for (NodeId k : n.inputs) in.push_back(map[k]);
                    map[n.id] = g.add(n.op, std::move(in), n.attrs, n.name);
                    if (rng.below(3) == 0) map[n.id] = ir::checkpoint(g, map[n.id]);
                }
            }
        }
        std::vector<NodeId> wrt;
        for (NodeId w : rg.wrt) wrt.push_back(map[w]);
        const std::vector<NodeId> grads = grad(g, map[rg.loss], wrt);
        std::vector<NodeId> outputs;
        for (NodeId o : rg.outputs) outputs.push_back(map[o]);
        outputs.push_back(map[rg.loss]);
        outputs.insert(outputs.end(), grads.begin(), grads.end());
        const auto feed = graft_test::make_feed(g, seed + i, 0.5, 1.5);  // positive: log, sqrt and pow stay defined
        const std::string where = cat("graph ", std::to_string(i), " (GRAFT_SEED=", std::to_string(seed), ")");
        for (const bool fuse : {false, true}) {
            const passes::Pipeline base = fuse ? passes::standard() : passes::Pipeline{};
            const passes::Pipeline rec = passes::with_recompute(base);
            const Program p = compile(g, outputs, with(rec));
            const std::size_t c = rewrites(report_of(p, "recompute"), "cloned");
            fired += c > 0;
            clones += c;
            INFO(where << (fuse ? ", standard()" : ", none()") << "\n" << print(g));
            CHECK(first_difference(graft_test::run_graph(g, outputs, feed, with(base)), graft_test::run_graph(g, outputs, feed, with(rec))) == "");
        }
    }
    WARN(cat("recompute: cloned ", std::to_string(clones), " nodes in ", std::to_string(fired), " of ", std::to_string(2 * graphs),
             " compiled random graphs"));
    CHECK(fired * 4 >= 2 * graphs);
}
