// SPDX-License-Identifier: MIT
// graft/passes/pass.hpp: the pass infrastructure — PassReport, PassContext, Rewriter, Pass.
// A pass is a function over a Graph and the list of values that must survive it (its roots: the
// requested outputs, then the inputs and params they read). It rewrites through a Rewriter: new nodes
// are appended, old nodes are redirected to their replacements, and commit() rebuilds the node list
// in topological order keeping only what the roots need. The old -> new id map it returns lets
// compile() keep answering for the user's original node ids.
//
// Passes know nothing of kernels: constant folding receives an Evaluator from whoever runs the
// pipeline (exec/optimize.hpp gives it the machine's own kernels).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../graph/graph.hpp"

namespace graft::passes {

/// What one run of one pass did.
struct PassReport {
    std::string name;                 ///< the pass's name (Pass::name)
    std::size_t nodes_before = 0;     ///< graph size when the pass started
    std::size_t nodes_after = 0;      ///< graph size after its commit (dead nodes dropped)
    std::map<std::string, std::size_t> rewrites;  ///< rewrite kind -> how many times it fired
    double milliseconds = 0;          ///< wall time of the rewrite and the commit

    /// Sum of the rewrite counts over every kind.
    [[nodiscard]] std::size_t total_rewrites() const {
        std::size_t n = 0;
        for (const auto& [k, v] : rewrites) n += v;
        return n;
    }
    /// True when the pass changed the graph (a rewrite fired or nodes were dropped).
    [[nodiscard]] bool changed() const { return total_rewrites() != 0 || nodes_before != nodes_after; }
    /// One line: "cse: 120 -> 98 nodes (merged 22) 0.04 ms".
    [[nodiscard]] std::string summary() const {
        std::string s = name + ": " + std::to_string(nodes_before) + " -> " + std::to_string(nodes_after) + " nodes";
        if (!rewrites.empty()) {
            s += " (";
            bool first = true;
            for (const auto& [k, v] : rewrites) {
                if (!first) s += ", ";
                first = false;
                s += k + " " + std::to_string(v);
            }
            s += ")";
        }
        char buf[32];
        std::snprintf(buf, sizeof buf, " %.3f ms", milliseconds);
        return s + buf;
    }
};

/// Evaluates node `id` of `g`, all of whose inputs are constants, into `out` (size * dtype bytes).
using Evaluator = std::function<void(const Graph& g, NodeId id, void* out)>;

/// Options some passes read.
struct PassOptions {
    /// simplify: rewrite x*0 -> 0 and 0*x -> 0. Off by default: for x = inf or nan the product is nan, so
    /// the rewrite changes results on non-finite data (the same choice XLA and LLVM make without fast-math).
    bool assume_finite = false;
    /// fold_constants: do not fold a node whose result has more elements than this and than its largest
    /// constant input (folding broadcast_to(scalar, [4096,4096]) would store 64 MiB in the program).
    std::size_t fold_max_growth_elements = 4096;
};

/// What a pass works on.
struct PassContext {
    Graph& graph;                   ///< the graph being rewritten, in place
    std::vector<NodeId>& roots;     ///< values that must survive (updated by commit)
    std::vector<NodeId> old_to_new; ///< filled by commit(): old id -> new id, or no_node when dropped
    const Evaluator* evaluator = nullptr;  ///< computes constant nodes for fold_constants, which throws graft::Error without one
    PassOptions options;            ///< settings the individual passes read
};

/// A rewrite in progress over one graph. Append new nodes with graph(), redirect uses with replace(),
/// read through resolve(); commit() compacts the graph and updates the roots.
class Rewriter {
public:
    /// Starts a rewrite of ctx.graph: nothing replaced yet, use counts taken from the graph and ctx.roots.
    explicit Rewriter(PassContext& ctx) : ctx_(ctx), repl_(ctx.graph.size()) {
        for (NodeId i = 0; i < repl_.size(); ++i) repl_[i] = i;
        users_.assign(ctx.graph.size(), 0);
        for (const Node& n : ctx.graph.nodes())
            for (NodeId i : n.inputs) ++users_[i];
        for (NodeId r : ctx.roots) ++users_[r];
        root_.assign(ctx.graph.size(), 0);
        for (NodeId r : ctx.roots) root_[r] = 1;
    }

    /// The graph being rewritten; nodes appended through it directly do not have their inputs resolved (add() does).
    [[nodiscard]] Graph& graph() noexcept { return ctx_.graph; }
    /// Node `id` as stored (not resolved); throws graft::Error when id is out of range.
    [[nodiscard]] const Node& node(NodeId id) const { return ctx_.graph.node(id); }
    /// How many times node `id` is read (by nodes of the graph as it was, plus roots).
    [[nodiscard]] std::size_t users(NodeId id) const { return id < users_.size() ? users_[id] : 0; }
    /// True when `id` is a root (an output or a kept leaf). Constant time: a training graph has thousands
    /// of roots (every gradient, input and param), and fusion asks for every node.
    [[nodiscard]] bool is_root(NodeId id) const { return id < root_.size() && root_[id]; }

    /// The node that now stands for `id`.
    [[nodiscard]] NodeId resolve(NodeId id) const {
        while (id < repl_.size() && repl_[id] != id) id = repl_[id];
        return id;
    }
    /// Every use of `old_id` reads `new_id` from now on. Counts one rewrite of `kind`.
    void replace(NodeId old_id, NodeId new_id, const std::string& kind) {
        new_id = resolve(new_id);
        if (old_id == new_id) return;
        const Node& a = node(old_id);
        const Node& b = node(new_id);
        if (a.dtype != b.dtype || a.dims != b.dims)
            throw Error("passes: rewrite \"" + kind + "\" of node %" + std::to_string(old_id),
                        "a replacement of type " + std::string(dtype_name(a.dtype)) + shape_string(a.dims),
                        std::string(dtype_name(b.dtype)) + shape_string(b.dims));
        if (repl_.size() < ctx_.graph.size()) extend();
        repl_[old_id] = new_id;
        ++rewrites_[kind];
    }
    /// Appends an op node whose inputs are resolved first; returns its id.
    NodeId add(OpKind op, std::vector<NodeId> inputs, Attrs attrs = {}, std::string name = {}) {
        for (auto& i : inputs) i = resolve(i);
        const NodeId id = ctx_.graph.add(op, std::move(inputs), std::move(attrs), std::move(name));
        extend();
        return id;
    }
    /// Counts a rewrite that changed a node without replacing it.
    void count(const std::string& kind, std::size_t n = 1) { rewrites_[kind] += n; }
    /// Rewrite kind -> how many times it fired so far (copied into PassReport::rewrites).
    [[nodiscard]] const std::map<std::string, std::size_t>& rewrites() const noexcept { return rewrites_; }

    /// Rebuilds the node list: only nodes the (resolved) roots need, inputs before users, original order
    /// kept where possible; constants no longer used are dropped. Fills ctx.old_to_new and updates roots.
    void commit() {
        extend();
        Graph& g = ctx_.graph;
        const std::vector<Node>& all = g.nodes();
        const std::size_t n = g.size();
        // 1. what the roots need: one sweep from the last node down (a node's inputs have smaller ids), with a
        //    depth-first detour for a replacement appended after nodes that now read it. Sequential, so it
        //    stays fast on graphs far bigger than the cache.
        std::vector<char> needed(n, 0);
        bool forward = false;  // a needed node reads (through a replacement) a node with an id >= its own
        {
            std::vector<NodeId> stack;
            for (NodeId r : ctx_.roots) needed[resolve(r)] = 1;
            for (NodeId id = static_cast<NodeId>(n); id-- > 0;) {
                if (!needed[id]) continue;
                for (NodeId i : all[id].inputs) {
                    const NodeId in = resolve(i);
                    forward = forward || in >= id;
                    if (needed[in]) continue;
                    needed[in] = 1;
                    if (in < id) continue;  // the sweep gets there
                    stack.push_back(in);
                    while (!stack.empty()) {
                        const NodeId x = stack.back();
                        stack.pop_back();
                        for (NodeId j : all[x].inputs) {
                            const NodeId r = resolve(j);
                            forward = forward || r >= x;
                            if (needed[r]) continue;
                            needed[r] = 1;
                            if (r > id) stack.push_back(r);
                        }
                    }
                }
            }
        }
        // 2. the order: ids kept where possible; a replacement appended later is pulled in before its first reader
        std::vector<NodeId> new_id(n, no_node);
        std::vector<NodeId> order;
        order.reserve(n);
        if (!forward) {  // every input comes before its reader already
            for (NodeId id = 0; id < n; ++id)
                if (needed[id]) {
                    new_id[id] = static_cast<NodeId>(order.size());
                    order.push_back(id);
                }
        } else {
            std::vector<char> state(n, 0);  // 0 unseen, 1 on stack, 2 emitted
            std::vector<std::pair<NodeId, std::size_t>> stack;
            for (NodeId start = 0; start < n; ++start) {
                if (!needed[start] || state[start] == 2) continue;
                stack.assign(1, {start, 0});
                state[start] = 1;
                while (!stack.empty()) {
                    auto& [id, next] = stack.back();
                    const Node& nd = all[id];
                    if (next < nd.inputs.size()) {
                        const NodeId in = resolve(nd.inputs[next++]);
                        if (state[in] == 1) throw Error("passes: commit", "an acyclic graph", "a cycle through node %" + std::to_string(in));
                        if (state[in] == 0) {
                            state[in] = 1;
                            stack.emplace_back(in, 0);
                        }
                        continue;
                    }
                    state[id] = 2;
                    new_id[id] = static_cast<NodeId>(order.size());
                    order.push_back(id);
                    stack.pop_back();
                }
            }
        }
        ctx_.old_to_new.assign(repl_.size(), no_node);
        // 3. nothing dropped, nothing replaced, nothing moved (a pass that found nothing to do): keep the graph
        //    as it is, if its constant store is the compact one commit would make
        if (!forward && order.size() == n) {
            std::size_t k = 0;
            bool compact = true;
            for (const Node& nd : all)
                if (nd.op == OpKind::constant) compact = compact && nd.constant == k++;
            if (compact && k == g.mutable_constants().size()) {
                for (NodeId i = 0; i < repl_.size(); ++i) ctx_.old_to_new[i] = new_id[resolve(i)];
                for (auto& r : ctx_.roots) r = new_id[resolve(r)];
                return;
            }
        }
        auto& nodes = g.mutable_nodes();
        auto& consts = g.mutable_constants();
        std::vector<Node> out;
        std::vector<AlignedBuffer<unsigned char>> out_consts;
        out.reserve(order.size());
        for (NodeId old : order) {
            Node nd = std::move(nodes[old]);
            nd.id = new_id[old];
            for (auto& i : nd.inputs) i = new_id[resolve(i)];
            if (nd.op == OpKind::constant) {
                out_consts.push_back(std::move(consts[nd.constant]));
                nd.constant = out_consts.size() - 1;
            }
            out.push_back(std::move(nd));
        }
        nodes = std::move(out);
        consts = std::move(out_consts);
        g.rebuild_names();
        for (NodeId i = 0; i < repl_.size(); ++i) ctx_.old_to_new[i] = new_id[resolve(i)];
        for (auto& r : ctx_.roots) r = new_id[resolve(r)];
    }

private:
    void extend() {
        const std::size_t n = ctx_.graph.size();
        for (std::size_t i = repl_.size(); i < n; ++i) repl_.push_back(static_cast<NodeId>(i));
        users_.resize(n, 0);
    }
    PassContext& ctx_;
    std::vector<NodeId> repl_;
    std::vector<std::size_t> users_;
    std::vector<char> root_;  ///< root_[id]: id was a root when the rewrite began (nodes appended since are not)
    std::map<std::string, std::size_t> rewrites_;
};

/// A named pass.
struct Pass {
    std::string name;  ///< e.g. "cse": names its PassReport, errors after it and its dump files
    std::function<void(PassContext&, Rewriter&)> rewrite;  ///< calls replace()/add()/count(); commit is done for it
};

/// Runs one pass: rewrite, commit, report.
inline PassReport run_pass(const Pass& p, PassContext& ctx) {
    const auto t0 = std::chrono::steady_clock::now();
    PassReport r;
    r.name = p.name;
    r.nodes_before = ctx.graph.size();
    Rewriter rw(ctx);
    p.rewrite(ctx, rw);
    rw.commit();
    r.rewrites = rw.rewrites();
    r.nodes_after = ctx.graph.size();
    r.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

// ---------------------------------------------------------------- helpers for pattern matching
namespace detail {
/// True when node `id` is a constant every element of which equals `v`.
inline bool is_constant_value(const Graph& g, NodeId id, double v) {
    const Node& n = g.node(id);
    if (n.op != OpKind::constant) return false;
    const auto bytes = g.constant_bytes(n);
    const std::size_t count = n.size();
    for (std::size_t i = 0; i < count; ++i) {
        double x = 0;
        switch (n.dtype) {
            case DType::f32: { float f; std::memcpy(&f, bytes.data() + i * 4, 4); x = f; break; }
            case DType::f64: std::memcpy(&x, bytes.data() + i * 8, 8); break;
            case DType::i32: { std::int32_t k; std::memcpy(&k, bytes.data() + i * 4, 4); x = k; break; }
            case DType::u8: x = bytes[i]; break;
        }
        if (x != v) return false;
    }
    return true;
}
/// True when `a` and `b` have the same dims and dtype.
inline bool same_type(const Node& a, const Node& b) { return a.dtype == b.dtype && a.dims == b.dims; }
/// How many times each node is read by the nodes the roots need, plus the roots themselves. Unlike
/// Rewriter::users() it ignores dead readers, which commit() drops: a pass that decides by it decides the
/// same way on its own output, so running it twice changes nothing (idempotence).
inline std::vector<std::size_t> live_users(const Graph& g, const std::vector<NodeId>& roots) {
    std::vector<char> live(g.size(), 0);
    for (NodeId r : roots) live[r] = 1;
    for (NodeId i = static_cast<NodeId>(g.size()); i-- > 0;)
        if (live[i])
            for (NodeId in : g.node(i).inputs) live[in] = 1;
    std::vector<std::size_t> users(g.size(), 0);
    for (const Node& n : g.nodes())
        if (live[n.id])
            for (NodeId in : n.inputs) ++users[in];
    for (NodeId r : roots) ++users[r];
    return users;
}
}  // namespace detail

}  // namespace graft::passes
