// SPDX-License-Identifier: MIT
// tests/support/pass_check.hpp: the before/after harness of the rewrite-rule tests (TVM's
// verify(input, expected)). check_rewrite() runs one pass alone over a copy of a graph and checks the
// golden text before and after, the report's rewrite counts, the verifier, idempotence (a second run
// rewrites nothing and leaves the text unchanged) and that compile() with the pass computes what
// compile() without it computes. check_untouched() is the negative form: the pass must not fire.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <graft/exec.hpp>
#include <graft/graph/print.hpp>
#include <graft/graph/verify.hpp>
#include <graft/passes.hpp>

#include "graph_runner.hpp"

namespace graft_test {

/// How many nodes of `g` are `op` nodes.
inline std::size_t count_op(const graft::Graph& g, graft::OpKind op) {
    std::size_t n = 0;
    for (const auto& nd : g.nodes()) n += nd.op == op;
    return n;
}

/// Attributes holding one scalar constant.
inline graft::Attrs scalar_c(double c) {
    graft::Attrs a;
    a.scalar = c;
    return a;
}

/// A constant of `dims` every element of which is `v` (float).
inline graft::NodeId filled(graft::Graph& g, graft::Dims dims, float v) {
    std::vector<float> data(count_of(dims) + 1, v);  // +1: never a zero-size buffer
    return g.constant(graft::DType::f32, std::move(dims), data.data());
}

/// Elementwise |a - b| <= atol + rtol * |b|; nan matches nan and an infinity matches itself.
inline bool values_close(const NaiveValue& a, const NaiveValue& b, double rtol, double atol) {
    if (a.dims != b.dims || a.v.size() != b.v.size()) return false;
    for (std::size_t i = 0; i < a.v.size(); ++i) {
        const double x = a.v[i], y = b.v[i];
        if (std::isnan(x) || std::isnan(y)) {
            if (!(std::isnan(x) && std::isnan(y))) return false;
            continue;
        }
        if (std::isinf(x) || std::isinf(y)) {
            if (x != y) return false;
            continue;
        }
        if (std::fabs(x - y) > atol + rtol * std::fabs(y)) return false;
    }
    return true;
}

/// CompileOptions whose pipeline is `pass` alone.
inline graft::CompileOptions with_pass(const graft::passes::Pass& pass, graft::passes::PassOptions o = {}) {
    graft::CompileOptions opt;
    opt.pipeline = graft::passes::Pipeline({pass});
    opt.pipeline.options = o;
    return opt;
}

/// What a rewrite test expects.
struct RewriteCase {
    std::vector<graft::NodeId> outputs;
    std::string before;                            ///< print(g) as built
    std::string after;                             ///< print(g) after the pass (outputs as the only roots)
    std::map<std::string, std::size_t> rewrites;   ///< the report's counts, exactly
    graft::passes::PassOptions options{};
    double lo = -1.0, hi = 1.0;                    ///< range of the random inputs the values are compared on
    bool bit_exact = true;                         ///< values equal bit for bit (else within rtol/atol)
    double rtol = 1e-5, atol = 1e-6;
};

/// Runs `pass` alone over a copy of `g`; returns the report (the copy is left in `work`).
inline graft::passes::PassReport run_alone(graft::Graph& work, std::vector<graft::NodeId>& outs, const graft::passes::Pass& pass,
                                           graft::passes::PassOptions o = {}) {
    graft::passes::Pipeline p({pass});
    p.options = o;
    p.verify_each = true;
    auto res = graft::optimize(work, outs, p);
    REQUIRE(res.reports.size() == 1);
    return res.reports[0];
}

inline void check_rewrite(const graft::Graph& g, const graft::passes::Pass& pass, const RewriteCase& c) {
    CHECK(graft::print(g) == c.before);
    graft::Graph work = g;
    std::vector<graft::NodeId> outs = c.outputs;
    const auto report = run_alone(work, outs, pass, c.options);
    CHECK(graft::print(work) == c.after);
    CHECK(report.rewrites == c.rewrites);
    CHECK_NOTHROW(graft::verify(work));
    // idempotence: a second run finds nothing to do
    const std::string once = graft::print(work);
    const auto again = run_alone(work, outs, pass, c.options);
    CHECK(again.rewrites.empty());
    CHECK(again.nodes_after == again.nodes_before);
    CHECK(graft::print(work) == once);
    // meaning: compiled with the pass == compiled without it
    for (std::uint64_t seed : {1u, 2u, 3u}) {
        const Feed feed = make_feed(g, seed, c.lo, c.hi);
        const auto want = run_graph(g, c.outputs, feed);
        const auto got = run_graph(g, c.outputs, feed, with_pass(pass, c.options));
        REQUIRE(got.size() == want.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
            INFO("output " << i << ", seed " << seed);
            if (c.bit_exact) CHECK(bitwise_equal(got[i], want[i]));
            else CHECK(values_close(got[i], want[i], c.rtol, c.atol));
        }
    }
}

/// The pass must not fire on `g`: no rewrite reported and the text unchanged.
inline void check_untouched(const graft::Graph& g, std::vector<graft::NodeId> outs, const graft::passes::Pass& pass,
                            graft::passes::PassOptions o = {}) {
    graft::Graph work = g;
    const auto report = run_alone(work, outs, pass, o);
    CHECK(report.rewrites.empty());
    CHECK(graft::print(work) == graft::print(g));
}

/// Runs `g` once, compiled without passes and with `pass`, on one explicit feed.
struct TwoRuns {
    std::vector<NaiveValue> plain, rewritten;
};
inline TwoRuns run_both(const graft::Graph& g, const std::vector<graft::NodeId>& outs, const Feed& feed, const graft::passes::Pass& pass,
                        graft::passes::PassOptions o = {}) {
    return {run_graph(g, outs, feed), run_graph(g, outs, feed, with_pass(pass, o))};
}

}  // namespace graft_test
