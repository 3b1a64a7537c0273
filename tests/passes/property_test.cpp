// SPDX-License-Identifier: MIT
// tests/passes/property_test.cpp: passes preserve meaning (TESTING.md P1, P2, P3, P6).
// Random graphs (tests/support/random_graph.hpp with patterns on: identities, constants-only subtrees,
// log(1+x) and friends, elementwise chains, matmul + bias + activation, shape chains, shared
// subexpressions, dropout masks), each with the gradients grad() appends before any pass runs. For every
// pass of passes::catalog() alone, and for passes::standard(), on every graph:
//   - verify(g) holds after each pass (the pipeline runs it, and so does the test);
//   - the outputs and the gradients equal the unoptimized graph's, through the reference evaluator and
//     through compiled programs (compile() with that pipeline vs none: every graph for the standard
//     pipeline, every fourth for a pass alone), within 1e-7 relative (double) or
//     1e-4 (float), where the unoptimized value is finite and below 1e6 (a rewrite may legitimately turn
//     an overflow into a number: log(exp(100)) -> 100);
//   - no dropout mask is merged or folded (impure);
//   - the pass is idempotent: a second run fires no rewrite and leaves print(g) unchanged.
// Each pass must fire on a good share of the graphs, or the property proves nothing about it; the counts
// are printed. New passes added to catalog() are covered without touching this file.
// GRAFT_SEED=<n> replays a run; GRAFT_REPEAT=<k> runs k times as many graphs (default 1000 per pass).
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <graft/autodiff/grad.hpp>
#include <graft/exec.hpp>
#include <graft/graph/print.hpp>
#include <graft/graph/verify.hpp>
#include <graft/passes.hpp>

#include "support/random_graph.hpp"

using namespace graft;
using graft_test::cat;

namespace {

/// One pipeline under test: a pass of the catalog alone, or the standard pipeline.
struct Variant {
    std::string name;
    passes::Pipeline pipeline;
};

std::vector<Variant> variants() {
    std::vector<Variant> v;
    for (const passes::Pass& p : passes::catalog()) {
        passes::Pipeline pl({p});
        pl.verify_each = true;
        v.push_back({p.name, pl});
    }
    passes::Pipeline s = passes::standard();
    s.verify_each = true;
    v.push_back({"standard", s});
    return v;
}

/// What one variant did over all graphs.
struct Tally {
    std::size_t graphs = 0, fired = 0, rewrites = 0, nodes_before = 0, nodes_after = 0, values = 0, skipped = 0, programs = 0;
    std::map<std::string, std::size_t> kinds;
};

/// The outputs, then every input and param they read: the roots compile() keeps.
std::vector<NodeId> roots_of(const Graph& g, const std::vector<NodeId>& outputs) {
    std::vector<NodeId> roots = outputs;
    for (NodeId leaf : leaves_read(g, outputs)) roots.push_back(leaf);
    return roots;
}

/// How many `op` nodes the roots need.
std::size_t needed_count(const Graph& g, const std::vector<NodeId>& roots, OpKind op) {
    std::vector<char> seen(g.size(), 0);
    std::vector<NodeId> stack(roots.begin(), roots.end());
    std::size_t n = 0;
    while (!stack.empty()) {
        const NodeId id = stack.back();
        stack.pop_back();
        if (seen[id]) continue;
        seen[id] = 1;
        n += g.node(id).op == op;
        for (NodeId i : g.node(id).inputs) stack.push_back(i);
    }
    return n;
}

/// "" when `got` equals `want` within rtol * max(1, |want|) wherever `want` is finite and moderate, else
/// the first difference. Counts the elements compared and those skipped.
std::string mismatch(const reference::Value& got, const reference::Value& want, double rtol, Tally& t) {
    if (got.dims != want.dims || got.dtype != want.dtype)
        return cat("type ", dtype_name(got.dtype), shape_string(got.dims), " vs ", dtype_name(want.dtype), shape_string(want.dims));
    for (std::size_t i = 0; i < want.data.size(); ++i) {
        const double a = got.data[i], b = want.data[i];
        if (!std::isfinite(b) || std::fabs(b) > 1e6) {
            ++t.skipped;
            continue;
        }
        ++t.values;
        if (!(std::fabs(a - b) <= rtol * std::max(1.0, std::fabs(b))))
            return cat("element ", std::to_string(i), ": optimized ", std::to_string(a), ", unoptimized ", std::to_string(b));
    }
    return {};
}

/// Compiles `outputs` of `g` with `opt`, binds the inputs the program reads, runs once.
std::vector<reference::Value> run_compiled(const Graph& g, const std::vector<NodeId>& outputs, const reference::Bindings& b,
                                           const CompileOptions& opt) {
    Machine m(compile(g, outputs, opt));
    std::vector<std::vector<unsigned char>> keep;
    for (const auto& [name, v] : b.inputs) {
        const NodeId id = g.find(name);
        if (id == no_node || m.program().slot_of(id) == UINT32_MAX) continue;
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

}  // namespace

TEST_CASE("every pass alone and the standard pipeline preserve outputs and gradients of random graphs",
          "[passes][property][random]") {
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t seed = graft_test::seed_from_env(6006);
    const std::size_t graphs = 1000 * graft_test::repeat_from_env();
    const std::vector<Variant> vs = variants();
    std::vector<Tally> tally(vs.size());
    std::size_t nodes = 0;
    for (std::size_t i = 0; i < graphs; ++i) {
        graft_test::RandomGraphOptions opt;
        opt.dtype = i % 4 == 3 ? DType::f32 : DType::f64;
        opt.empty_axis = i % 25 == 7;
        opt.patterns = true;
        opt.min_steps = 4;
        opt.max_steps = 14;
        Graph g;
        const graft_test::RandomGraph rg = graft_test::random_graph(g, seed * 1000003 + i, opt);
        const std::vector<NodeId> grads = grad(g, rg.loss, rg.wrt);
        std::vector<NodeId> outputs = rg.outputs;
        outputs.push_back(rg.loss);
        outputs.insert(outputs.end(), grads.begin(), grads.end());
        nodes += g.size();
        const std::vector<NodeId> roots = roots_of(g, outputs);
        const std::size_t masks = needed_count(g, roots, OpKind::dropout_mask);
        const auto want = reference::evaluate(g, outputs, rg.bindings);
        const auto want_compiled = run_compiled(g, outputs, rg.bindings, {});
        const double rtol = opt.dtype == DType::f32 ? 1e-4 : 1e-7;
        const std::string where = cat("graph ", std::to_string(i), " (GRAFT_SEED=", std::to_string(seed), "), ", dtype_name(opt.dtype));

        for (std::size_t v = 0; v < vs.size(); ++v) {
            Tally& t = tally[v];
            ++t.graphs;
            Graph w = g;
            std::vector<NodeId> r = roots;
            passes::PipelineResult res;
            try {
                res = optimize(w, r, vs[v].pipeline);  // verify_each: verify(g) after every pass
                verify(w);
            } catch (const Error& e) {
                INFO(where << ", " << vs[v].name);
                INFO(print(g));
                FAIL_CHECK(e.what());
                continue;
            }
            std::size_t fired = 0;
            for (const auto& rep : res.reports) {
                fired += rep.total_rewrites();
                for (const auto& [k, n] : rep.rewrites) t.kinds[k] += n;
            }
            t.fired += fired > 0;
            t.rewrites += fired;
            t.nodes_before += g.size();
            t.nodes_after += w.size();
            const std::vector<NodeId> outs(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(outputs.size()));

            // impure nodes: never merged, never folded
            if (needed_count(w, r, OpKind::dropout_mask) != masks) {
                INFO(where << ", " << vs[v].name << "\n" << print(g) << "\nafter:\n" << print(w));
                FAIL_CHECK("the number of dropout masks changed from " << masks << " to " << needed_count(w, r, OpKind::dropout_mask));
            }
            // same meaning: the reference evaluator on both graphs; and compiled programs with and without the
            // pipeline (the kernels of fused nodes, folding by the machine's kernels) — for the standard
            // pipeline on every graph, for a pass alone on every fourth (the reference check covers the rest)
            const auto got = reference::evaluate(w, outs, rg.bindings);
            const bool run_programs = v + 1 == vs.size() || i % 4 == v % 4;
            std::vector<reference::Value> got_compiled;
            if (run_programs) {
                CompileOptions copt;
                copt.pipeline = vs[v].pipeline;
                got_compiled = run_compiled(g, outputs, rg.bindings, copt);
                ++t.programs;
            }
            for (std::size_t o = 0; o < outputs.size(); ++o) {
                const std::string a = mismatch(got[o], want[o], rtol, t);
                const std::string b = run_programs ? mismatch(got_compiled[o], want_compiled[o], rtol, t) : std::string();
                if (a.empty() && b.empty()) continue;
                INFO(where << ", " << vs[v].name << ", output " << o << " of " << outputs.size() << " (0.."
                           << rg.outputs.size() - 1 << " values, then the loss, then gradients)");
                INFO(print(g) << "\nafter:\n" << print(w));
                CHECK(a == "");
                CHECK(b == "");
            }
            // idempotence: a second run changes nothing
            const std::string text = print(w);
            const auto again = optimize(w, r, vs[v].pipeline);
            std::size_t second = 0;
            for (const auto& rep : again.reports) second += rep.total_rewrites() + (rep.nodes_before != rep.nodes_after);
            if (second != 0 || print(w) != text) {
                INFO(where << ", " << vs[v].name << " run twice: " << again.summary());
                INFO("after the first run:\n" << text << "\nafter the second:\n" << print(w));
                FAIL_CHECK("the second run changed the graph");
            }
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "property: " << graphs << " random graphs (" << nodes << " nodes with their reverse sweeps), seed " << seed
              << " (GRAFT_SEED=<n> replays, GRAFT_REPEAT=<k> runs k times as many), " << seconds << " s\n";
    for (std::size_t v = 0; v < vs.size(); ++v) {
        const Tally& t = tally[v];
        std::string kinds;
        for (const auto& [k, n] : t.kinds) kinds += cat(kinds.empty() ? "" : ", ", k, " ", std::to_string(n));
        std::cout << "property: " << vs[v].name << " " << t.graphs << " graphs, fired on " << t.fired << ", " << t.rewrites
                  << " rewrites (" << kinds << "), nodes " << t.nodes_before << " -> " << t.nodes_after << ", " << t.values
                  << " values compared (" << t.skipped << " non-finite or huge skipped), " << t.programs << " graphs also compiled and run\n";
    }
    for (std::size_t v = 0; v < vs.size(); ++v) {
        INFO("pass " << vs[v].name << " fired on " << tally[v].fired << " of " << tally[v].graphs << " graphs");
        CHECK(tally[v].fired * 4 >= tally[v].graphs);  // a property test of a pass that never fires proves nothing
    }
}
