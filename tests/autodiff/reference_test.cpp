// SPDX-License-Identifier: MIT
// tests/autodiff/reference_test.cpp: compiled programs against reference::evaluate, the naive evaluator.
// (a) every op of op_table, forward and (where differentiable) its VJP graph, in float and double;
// (b) a few hundred random DAGs (tests/support/random_graph.hpp) with the gradients grad() appends.
// Seeded: GRAFT_SEED=<n> replays a run, GRAFT_REPEAT=<k> makes k times as many random graphs.
// Agreement: 1e-9 relative in double, 1e-4 in float.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <iostream>
#include <string>
#include <vector>

#include <graft/autodiff/grad.hpp>
#include <graft/exec/compile.hpp>
#include <graft/exec/machine.hpp>
#include <graft/exec/reference.hpp>
#include <graft/graph/print.hpp>

#include "op_cases.hpp"
#include "support/random_graph.hpp"

using namespace graft;
using graft_test::cat;

namespace {

/// Relative tolerance of one dtype: what the compiled kernels may differ from double loops by.
constexpr std::size_t op_count = static_cast<std::size_t>(OpKind::count);

double tolerance_of(DType t) { return t == DType::f32 ? 1e-4 : 1e-9; }

/// "" when `got` matches `want` elementwise (|got - want| <= rtol * max(1, |want|); NaN matches NaN,
/// infinities match themselves), else a description of the first mismatch.
std::string mismatch(const reference::Value& got, const reference::Value& want, double rtol) {
    if (got.dtype != want.dtype || got.dims != want.dims)
        return cat("type ", dtype_name(got.dtype), shape_string(got.dims), " vs ", dtype_name(want.dtype), shape_string(want.dims));
    for (std::size_t i = 0; i < want.data.size(); ++i) {
        const double a = got.data[i], b = want.data[i];
        const bool same_special = (std::isnan(a) && std::isnan(b)) || (std::isinf(b) && a == b);
        if (same_special) continue;
        if (!(std::fabs(a - b) <= rtol * std::max(1.0, std::fabs(b))))
            return cat("element ", std::to_string(i), ": compiled ", std::to_string(a), ", reference ", std::to_string(b),
                       " (difference ", std::to_string(std::fabs(a - b)), ")");
    }
    return {};
}

/// Compiles `outputs`, binds the inputs the program reads from `b`, runs once, returns the outputs.
std::vector<reference::Value> run_compiled(const Graph& g, const std::vector<NodeId>& outputs, const reference::Bindings& b,
                                           const CompileOptions& opt = {}) {
    Machine m(compile(g, outputs, opt));
    std::vector<std::vector<unsigned char>> keep;
    for (const auto& [name, v] : b.inputs) {
        const NodeId id = g.find(name);
        if (id == no_node || m.program().slot_of(id) == UINT32_MAX) continue;  // not read by the program
        keep.push_back(reference::to_bytes(v));
        m.let(name, v.dtype, v.dims, keep.back().data());
    }
    m.run();
    std::vector<reference::Value> out;
    for (NodeId o : outputs) {
        const ValueRef r = m.value(o);
        out.push_back(reference::from_bytes(r.dtype, *r.dims, r.data));
    }
    return out;
}

bool all_finite_and_moderate(const std::vector<reference::Value>& vs, double limit) {
    for (const auto& v : vs)
        for (double x : v.data)
            if (!std::isfinite(x) || std::fabs(x) > limit) return false;
    return true;
}

}  // namespace

TEST_CASE("the reference evaluator computes textbook values", "[autodiff][reference]") {
    Graph g;
    const NodeId a = g.input("a", DType::f64, {2, 3});
    const NodeId b = g.input("b", DType::f64, {3});
    const NodeId v = g.input("v", DType::f64, {3});
    reference::Bindings bind;
    bind.inputs["a"] = {DType::f64, {2, 3}, {1, 2, 3, 4, 5, 6}};
    bind.inputs["b"] = {DType::f64, {3}, {10, 20, 30}};
    bind.inputs["v"] = {DType::f64, {3}, {1, 0, -1}};
    SECTION("broadcast add") {
        const auto r = reference::evaluate(g, ir::add(g, a, b), bind);
        CHECK(r.dims == Dims{2, 3});
        CHECK(r.data == std::vector<double>{11, 22, 33, 14, 25, 36});
    }
    SECTION("matmul with a rank-1 right operand is a matrix-vector product") {
        const auto r = reference::evaluate(g, ir::matmul(g, a, v), bind);
        CHECK(r.dims == Dims{2});
        CHECK(r.data == std::vector<double>{-2, -2});
    }
    SECTION("matmul of two vectors is their dot product, rank 0") {
        const auto r = reference::evaluate(g, ir::matmul(g, b, v), bind);
        CHECK(r.dims.empty());
        CHECK(r.data == std::vector<double>{-20});
    }
    SECTION("softmax of a row sums to one, in the textbook ratio") {
        const auto r = reference::evaluate(g, ir::softmax(g, a, 1), bind);
        const double s = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
        CHECK(r.data[0] == Approx(std::exp(1.0) / s).epsilon(1e-15));
        CHECK(r.data[2] == Approx(std::exp(3.0) / s).epsilon(1e-15));
    }
    SECTION("sum over axis 0, keepdims") {
        const auto r = reference::evaluate(g, ir::sum_axis(g, a, 0, true), bind);
        CHECK(r.dims == Dims{1, 3});
        CHECK(r.data == std::vector<double>{5, 7, 9});
    }
    SECTION("transpose permutes axes") {
        const auto r = reference::evaluate(g, ir::transpose(g, a, {1, 0}), bind);
        CHECK(r.dims == Dims{3, 2});
        CHECK(r.data == std::vector<double>{1, 4, 2, 5, 3, 6});
    }
    SECTION("an f32 node holds floats") {
        const NodeId f = g.input("f", DType::f32, {});
        bind.inputs["f"] = {DType::f32, {}, {1.0}};
        const auto r = reference::evaluate(g, ir::with_scalar(g, OpKind::div_scalar, f, 3.0), bind);
        CHECK(r.data[0] == static_cast<double>(1.0f / 3.0f));
    }
    SECTION("an unbound input is an error naming it") {
        const NodeId u = g.input("unbound", DType::f64, {3});
        CHECK_THROWS_WITH(reference::evaluate(g, ir::add(g, u, b), bind), Catch::Contains("input \"unbound\" unbound"));
    }
    SECTION("an input bound with the wrong dims is an error") {
        bind.inputs["b"].dims = {1, 3};
        CHECK_THROWS_AS(reference::evaluate(g, ir::add(g, a, b), bind), Error);
    }
}

TEST_CASE("reference params come from the bindings, a ParamStore or their Init, like a Machine's", "[autodiff][reference]") {
    Graph g;
    const NodeId p = g.param("w", DType::f32, {2, 3}, init::uniform(-1, 1, 7));
    const NodeId y = ir::mul_scalar(g, p, 2.0);
    const std::vector<NodeId> outs = {y};
    const auto compiled = run_compiled(g, outs, {});
    CHECK(mismatch(compiled[0], reference::evaluate(g, y), 0.0).empty());  // same draw, same float rounding
    reference::Bindings b;
    b.params["w"] = {DType::f32, {2, 3}, {1, 2, 3, 4, 5, 6}};
    CHECK(reference::evaluate(g, y, b).data == std::vector<double>{2, 4, 6, 8, 10, 12});
    ParamStore store;
    auto& e = store.ensure("w", DType::f32, {2, 3}, init::constant(0.5));
    (void)e;
    b.params.clear();
    b.store = &store;
    CHECK(reference::evaluate(g, y, b).data == std::vector<double>(6, 1.0));
}

TEST_CASE("compiled programs match the reference on every op of op_table, forward and backward", "[autodiff][reference]") {
    const std::uint64_t seed = graft_test::seed_from_env(77);
    const auto& all = graft_test::op_cases();
    std::size_t ops = 0, covered = 0, runs = 0;
    std::string missing;
    for (const OpInfo& info : op_table) {
        if (info.cls == OpClass::leaf) continue;  // leaves are bound, not computed; every case reads them
        ++ops;
        std::size_t mine = 0;
        for (std::size_t k = 0; k < all.size(); ++k) {
            const auto& c = all[k];
            if (c.op != info.kind) continue;
            ++mine;
            for (DType ft : {DType::f64, DType::f32}) {
                Graph g;
                reference::Bindings bind;
                std::vector<NodeId> xs, wrt;
                Rng rng(seed * 131 + k);
                for (std::size_t i = 0; i < c.inputs.size(); ++i) {
                    const auto& spec = c.inputs[i];
                    const DType t = spec.labels ? DType::i32 : ft;
                    const std::string name = cat("x", std::to_string(i));
                    xs.push_back(g.input(name, t, spec.dims));
                    std::size_t n = 1;
                    for (auto d : spec.dims) n *= d;
                    bind.inputs[name] = {t, spec.dims, spec.draw(rng, n)};
                    for (double& v : bind.inputs[name].data) v = reference::round_to(t, v);
                    if (!spec.labels) wrt.push_back(xs.back());
                }
                const NodeId out = c.build(g, xs, ft);
                std::vector<NodeId> outputs = {out};
                if (info.differentiable) {  // the VJP graph too: sum(out * direction) differentiated
                    std::vector<double> dir(g.node(out).size());
                    for (auto& v : dir) v = reference::round_to(ft, rng.uniform(-1, 1));
                    const auto bytes = reference::to_bytes({ft, g.node(out).dims, dir});
                    const NodeId d = g.constant(ft, g.node(out).dims, bytes.data());
                    const NodeId loss = ir::sum_all(g, ir::mul(g, out, d));
                    const auto grads = grad(g, loss, wrt);
                    outputs.insert(outputs.end(), grads.begin(), grads.end());
                }
                const auto want = reference::evaluate(g, outputs, bind);
                const auto got = run_compiled(g, outputs, bind);
                ++runs;
                for (std::size_t o = 0; o < outputs.size(); ++o) {
                    INFO(cat("case: ", c.label, " in ", dtype_name(ft), ", output ", std::to_string(o), " (0 = forward)"));
                    INFO(print(g));
                    CHECK(mismatch(got[o], want[o], tolerance_of(ft)) == "");
                }
            }
        }
        if (mine > 0) ++covered;
        else missing += cat(missing.empty() ? "" : ", ", info.name);
    }
    std::cout << covered << "/" << ops << " ops compared with the reference evaluator (" << runs << " programs, seed " << seed << ")\n";
    INFO("ops without a case: " << missing);
    REQUIRE(covered == ops);
}

TEST_CASE("compiled programs match the reference on random graphs and their gradients", "[autodiff][reference][random]") {
    const std::uint64_t seed = graft_test::seed_from_env(2024);
    const std::size_t graphs = 300 * graft_test::repeat_from_env();
    std::cout << "random graphs: seed " << seed << " (GRAFT_SEED=<n> replays, GRAFT_REPEAT=<k> runs k times as many)\n";
    std::size_t compared = 0, matched = 0, rejected = 0, nodes = 0;
    std::vector<std::size_t> op_seen(op_count, 0);
    for (std::size_t i = 0; i < graphs; ++i) {
        const std::uint64_t s = seed * 1000003 + i;
        graft_test::RandomGraphOptions opt;
        opt.dtype = i % 4 == 3 ? DType::f32 : DType::f64;
        opt.empty_axis = i % 10 == 5;  // zero-size values: empty sums, NaN means, -inf maxima, empty GEMMs
        Graph g;
        const graft_test::RandomGraph rg = graft_test::random_graph(g, s, opt);
        const std::vector<NodeId> grads = grad(g, rg.loss, rg.wrt);
        std::vector<NodeId> outputs = rg.outputs;
        outputs.push_back(rg.loss);
        outputs.insert(outputs.end(), grads.begin(), grads.end());
        const auto want = reference::evaluate(g, outputs, rg.bindings);
        // a chain like exp(exp(exp(x))) can leave the range where relative agreement means anything
        if (!opt.empty_axis && !all_finite_and_moderate(want, 1e6)) {
            ++rejected;
            continue;
        }
        CompileOptions copt;
        copt.plan_memory = i % 2 == 0;
        copt.gemm_backend = i % 3 == 0 ? blas::Backend::eigen : blas::Backend::automatic;
        const auto got = run_compiled(g, outputs, rg.bindings, copt);
        ++compared;
        nodes += g.size();
        for (const Node& n : g.nodes()) ++op_seen[static_cast<std::size_t>(n.op)];
        bool all_match = true;
        for (std::size_t o = 0; o < outputs.size(); ++o) {
            INFO(cat("graph ", std::to_string(i), " (GRAFT_SEED=", std::to_string(seed), "), ", dtype_name(opt.dtype), ", output %",
                     std::to_string(outputs[o]), " of ", std::to_string(outputs.size())));
            INFO(print(g));
            const std::string diff = mismatch(got[o], want[o], tolerance_of(opt.dtype));
            CHECK(diff == "");
            all_match = all_match && diff.empty();
        }
        if (all_match) ++matched;
    }
    std::cout << matched << "/" << compared << " random graphs (" << nodes << " nodes with their reverse sweeps) matched the reference; "
              << rejected << " rejected for overflow\n";
    CHECK(rejected * 10 <= graphs);  // the generator mostly makes usable graphs
    // and it makes every op but the integer-valued ones, forward or in a reverse sweep
    for (const OpInfo& info : op_table) {
        if (info.kind == OpKind::one_hot || info.kind == OpKind::argmax) continue;
        if (info.cls == OpClass::fused) continue;  // made by the fusion passes, never by the generator
        if (info.cls == OpClass::random) continue;  // impure: the generator makes pure graphs (op cases cover it)
        if (info.cls == OpClass::conv) continue;  // NCHW windows: the generator makes no images (op cases cover them)
        if (info.kind == OpKind::checkpoint) continue;  // a mark for passes::recompute (op cases and its own tests cover it)
        INFO(cat("op ", info.name, " never appeared in a random graph"));
        CHECK(op_seen[static_cast<std::size_t>(info.kind)] > 0);
    }
}
