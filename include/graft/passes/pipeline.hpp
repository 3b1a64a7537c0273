// SPDX-License-Identifier: MIT
// graft/passes/pipeline.hpp: Pipeline, an ordered list of passes run once or to a fixed point (then a
// second list run once each, e.g. fusion), keeping every report; run_pipeline() also composes the id maps so the caller can find where each of its
// original nodes went, verifies the graph after each pass when asked, and can dump the graph before and
// after each pass (DOT and text) into a directory: set Pipeline::dump_dir or GRAFT_DUMP_PASSES=dir.
#pragma once

#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "../graph/dot.hpp"
#include "../graph/print.hpp"
#include "../graph/verify.hpp"
#include "../io/atomic_write.hpp"
#include "pass.hpp"

namespace graft::passes {

/// An ordered list of passes.
struct Pipeline {
    Pipeline() = default;
    /// `list` run in order, once or (to_fixed_point) repeated until a round changes nothing.
    explicit Pipeline(std::vector<Pass> list, bool to_fixed_point = false)
        : passes(std::move(list)), fixed_point(to_fixed_point) {}

    std::vector<Pass> passes;    ///< the main list, run in order (repeated when fixed_point)
    bool fixed_point = false;    ///< repeat the whole list until a round changes nothing
    std::vector<Pass> then;      ///< run once each, in order, after `passes` (and its fixed point): fusion
    int max_rounds = 8;          ///< bound on fixed-point rounds
#ifdef NDEBUG
    bool verify_each = false;    ///< run verify(g) after every pass (on by default in debug builds)
#else
    bool verify_each = true;     ///< run verify(g) after every pass (on by default in debug builds)
#endif
    std::string dump_dir;        ///< when non-empty, write the graph before/after each pass here
    PassOptions options;         ///< handed to every pass through PassContext::options

    /// True when there is no pass to run (both `passes` and `then` are empty).
    [[nodiscard]] bool empty() const noexcept { return passes.empty() && then.empty(); }
};

/// The result of running a pipeline.
struct PipelineResult {
    std::vector<PassReport> reports;  ///< one per pass run, in run order (a fixed point repeats passes)
    std::vector<NodeId> old_to_new;  ///< original node id -> id after all passes (no_node when dropped)

    /// All reports, one summary line each.
    [[nodiscard]] std::string summary() const {
        std::string s;
        for (const auto& r : reports) s += r.summary() + "\n";
        return s;
    }
};

namespace detail {
inline void dump_graph(const std::string& dir, const std::string& stem, const Graph& g, std::span<const NodeId> roots) {
    const std::string text = print(g);
    DotOptions o;
    o.title = stem;
    o.outputs.assign(roots.begin(), roots.end());
    const std::string dot = to_dot(g, o);
    auto bytes = [](const std::string& s) { return std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(s.data()), s.size()); };
    io::atomic_write(dir + "/" + stem + ".txt", bytes(text));
    io::atomic_write(dir + "/" + stem + ".dot", bytes(dot));
}
}  // namespace detail

/// Runs `p` over `g`. `roots` are the values that must survive (outputs first); they are updated to the
/// new ids. `evaluator` is needed by fold_constants (exec's optimize() and compile() provide one).
inline PipelineResult run_pipeline(Graph& g, std::vector<NodeId>& roots, const Pipeline& p, const Evaluator* evaluator = nullptr) {
    PipelineResult res;
    res.old_to_new.resize(g.size());
    for (NodeId i = 0; i < g.size(); ++i) res.old_to_new[i] = i;
    std::string dir = p.dump_dir;
    if (dir.empty())
        if (const char* env = std::getenv("GRAFT_DUMP_PASSES")) dir = env;
    std::size_t step = 0;
    if (!dir.empty()) detail::dump_graph(dir, "00_input", g, roots);
    auto run_one = [&](const Pass& pass) {
        PassContext ctx{g, roots, {}, evaluator, p.options};
        PassReport r = run_pass(pass, ctx);
        for (auto& m : res.old_to_new)
            if (m != no_node) m = m < ctx.old_to_new.size() ? ctx.old_to_new[m] : no_node;
        if (p.verify_each) {
            try {
                verify(g);
            } catch (const Error& e) {
                throw Error("passes: after " + pass.name, "a valid graph", e.what());
            }
        }
        const bool changed = r.changed();
        ++step;
        if (!dir.empty()) {
            char num[16];
            std::snprintf(num, sizeof num, "%02zu_", step);
            detail::dump_graph(dir, num + pass.name, g, roots);
        }
        res.reports.push_back(std::move(r));
        return changed;
    };
    const int rounds = p.fixed_point ? std::max(1, p.max_rounds) : 1;
    for (int round = 0; round < rounds; ++round) {
        bool changed = false;
        for (const Pass& pass : p.passes) changed = run_one(pass) || changed;
        if (!changed) break;
    }
    for (const Pass& pass : p.then) run_one(pass);
    return res;
}

}  // namespace graft::passes
