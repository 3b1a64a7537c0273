// SPDX-License-Identifier: MIT
// graft/passes/recompute.hpp: gradient checkpointing by recomputation.
// checkpoint(x) nodes cut the forward sweep into segments. A value of one segment that a later segment
// reads (in a training graph: a value the reverse sweep reads) is not kept: that reader gets a clone,
// recomputed from the nearest kept values, so the original dies inside its segment and the memory plan
// reuses its bytes. Run it after cse (which would merge the clones back): with_recompute() puts it first
// in Pipeline::then. docs/passes.md, "Gradient checkpointing", has the rules and the figures.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "pass.hpp"
#include "pipeline.hpp"

namespace graft::passes {

/// Options of recompute() and with_recompute(): whether and where to place checkpoints in a graph
/// that has none of its own.
struct RecomputeOptions {
    /// 0: only the graph's own checkpoint() marks. k > 0, for a graph without any checkpoint node: the
    /// pass first marks the output of every k-th layer. A layer starts at a matmul (or matmul_bias_act)
    /// of the forward sweep — the nodes the first root needs: compile(g, loss, grads...) names the loss
    /// first — counted in id order, and its output is where the chain of elementwise ops after that
    /// matmul ends (each link the only forward reader of the previous one, with its dims: bias add,
    /// activation). Layers k, 2k, ... are marked, never the last one (that would only make the last
    /// segment recomputed too): 16 layers with every = 4 get 3 marks, after layers 4, 8 and 12. A graph
    /// that has checkpoints keeps them and ignores `every`, so a second run (which sees the checkpoints
    /// the first one inserted) changes nothing.
    std::size_t every = 0;
    /// with every: mark the last layer too (catalog() does, so the property tests over random graphs, which
    /// often have a single layer, have segments to recompute)
    bool last_layer = false;
};

namespace detail {
/// True for ops whose output element i depends on input element i (the links of a layer's output chain).
inline bool elementwise_link(OpKind op) {
    switch (op_info(op).cls) {
        case OpClass::binary:
        case OpClass::scalar:
        case OpClass::unary:
        case OpClass::select: return true;
        default: return op == OpKind::fused;
    }
}
}  // namespace detail

/// The recompute pass. Rules (the segments of a node are counted in id order, a checkpoint node starting one):
///   - kept values (never cloned): leaves, impure ops (a dropout mask is drawn once and read by the clones),
///     checkpoint nodes and the values they mark;
///   - every other node X of segment s read by a node U of a later segment t has U read clone_t(X) instead:
///     X's op over clone_t of its inputs, or over the inputs themselves where they are kept; one clone per
///     (value, segment), shared by all of that segment's readers;
///   - commit() puts a clone right before its first reader, so the tape computes it late (for the reverse
///     sweep: when the sweep reaches its segment), and the memory plan sees short lifetimes on both sides.
/// Report: "checkpoints" (the marks, when something was cloned), "inserted" (marks added by `every`),
/// "cloned" (clone nodes made).
inline Pass recompute(RecomputeOptions opt = {}) {
    return {"recompute", [opt](PassContext& ctx, Rewriter& rw) {
                Graph& g = ctx.graph;
                const std::size_t n0 = g.size();
                std::vector<char> live(n0, 0);
                for (NodeId r : ctx.roots) live[r] = 1;
                for (NodeId i = static_cast<NodeId>(n0); i-- > 0;)
                    if (live[i])
                        for (NodeId in : g.node(i).inputs) live[in] = 1;
                // the position of a node in the order commit() will give: 2 * id (the value an inserted
                // checkpoint marks goes right before it)
                std::vector<std::uint64_t> key(n0);
                for (NodeId i = 0; i < n0; ++i) key[i] = 2 * std::uint64_t{i};
                std::vector<NodeId> marks;
                for (NodeId i = 0; i < n0; ++i)
                    if (live[i] && g.node(i).op == OpKind::checkpoint) marks.push_back(i);

                // 0. `every`: mark the output of every k-th forward layer
                if (opt.every > 0 && marks.empty() && !ctx.roots.empty()) {
                    std::vector<char> fwd(n0, 0);
                    fwd[ctx.roots[0]] = 1;
                    for (NodeId i = static_cast<NodeId>(n0); i-- > 0;)
                        if (fwd[i])
                            for (NodeId in : g.node(i).inputs) fwd[in] = 1;
                    std::vector<std::vector<NodeId>> readers(n0);  // live readers, in id order
                    for (NodeId i = 0; i < n0; ++i)
                        if (live[i])
                            for (NodeId in : g.node(i).inputs)
                                if (readers[in].empty() || readers[in].back() != i) readers[in].push_back(i);
                    auto is_layer = [&](NodeId m) {
                        const OpKind op = g.node(m).op;
                        return fwd[m] && (op == OpKind::matmul || op == OpKind::matmul_bias_act);
                    };
                    std::size_t layers = 0, layer = 0;
                    for (NodeId m = 0; m < n0; ++m) layers += is_layer(m);
                    for (NodeId m = 0; m < n0; ++m) {
                        if (!is_layer(m)) continue;
                        ++layer;
                        // not the last layer: a mark after it would only make the last segment recomputed too
                        if (layer % opt.every != 0 || (layer == layers && !opt.last_layer)) continue;
                        NodeId h = m;
                        for (;;) {
                            NodeId next = no_node;
                            std::size_t forward_readers = 0;
                            for (NodeId r : readers[h])
                                if (fwd[r]) {
                                    ++forward_readers;
                                    next = r;
                                }
                            if (forward_readers != 1) break;
                            const Node& nx = g.node(next);
                            if (!detail::elementwise_link(nx.op) || nx.dims != g.node(h).dims) break;
                            h = next;
                        }
                        if (readers[h].empty() || g.node(h).op == OpKind::checkpoint) continue;  // nothing to cut, or done
                        // node h becomes checkpoint(h'), h' a copy of h that commit() puts right before it: every
                        // reader (and the caller's id) keeps reading id h, the same value
                        const Node old = g.node(h);  // a copy: rw.add() may move the node storage
                        const NodeId copy = rw.add(old.op, old.inputs, old.attrs, old.name);
                        key.push_back(2 * std::uint64_t{h} - 1);
                        live.push_back(1);
                        Node& c = g.mutable_nodes()[h];
                        c.op = OpKind::checkpoint;
                        c.inputs = {copy};
                        c.attrs = Attrs{};
                        marks.push_back(h);
                        rw.count("inserted");
                    }
                }
                if (marks.empty()) return;

                // 1. segments and kept values
                const std::size_t n1 = g.size();
                std::vector<std::uint64_t> bounds;
                for (NodeId c : marks) bounds.push_back(key[c]);
                std::sort(bounds.begin(), bounds.end());
                auto segment = [&](NodeId id) {
                    return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), key[id]) - bounds.begin());
                };
                std::vector<char> kept(n1, 0);
                for (NodeId i = 0; i < n1; ++i) {
                    const Node& nd = g.node(i);
                    const OpInfo& info = op_info(nd.op);
                    if (info.cls == OpClass::leaf || !info.pure || nd.op == OpKind::checkpoint) kept[i] = 1;
                }
                for (NodeId c : marks) kept[g.node(c).inputs[0]] = 1;
                std::vector<std::vector<NodeId>> src(n1);  // the inputs before any reader is redirected to a clone
                for (NodeId i = 0; i < n1; ++i) src[i] = g.node(i).inputs;

                // 2. clones: clone_t(x) for x read from segment t, built inputs first (no recursion: a segment
                //    may be thousands of nodes deep)
                std::map<std::pair<NodeId, std::size_t>, NodeId> clone;
                std::size_t cloned = 0;
                auto clone_of = [&](NodeId x, std::size_t t) {
                    std::vector<NodeId> stack{x};
                    while (!stack.empty()) {
                        const NodeId y = stack.back();
                        if (clone.count({y, t})) {
                            stack.pop_back();
                            continue;
                        }
                        bool ready = true;
                        for (NodeId in : src[y])
                            if (!kept[in] && !clone.count({in, t})) {
                                stack.push_back(in);
                                ready = false;
                            }
                        if (!ready) continue;
                        const Node nd = g.node(y);  // a copy: rw.add() may move the node storage
                        std::vector<NodeId> ins;
                        for (NodeId in : src[y]) ins.push_back(kept[in] ? in : clone.at({in, t}));
                        std::string name = nd.name;
                        if (!name.empty()) name += "'";
                        clone[{y, t}] = rw.add(nd.op, std::move(ins), nd.attrs, std::move(name));
                        ++cloned;
                        stack.pop_back();
                    }
                    return clone.at({x, t});
                };
                for (NodeId u = 0; u < n1; ++u) {
                    if (!live[u] || g.node(u).op == OpKind::checkpoint) continue;
                    const std::size_t t = segment(u);
                    for (std::size_t k = 0; k < src[u].size(); ++k) {
                        const NodeId x = src[u][k];
                        if (kept[x] || segment(x) >= t) continue;
                        const NodeId c = clone_of(x, t);
                        g.mutable_nodes()[u].inputs[k] = c;
                    }
                }
                if (cloned) {
                    rw.count("checkpoints", marks.size());
                    rw.count("cloned", cloned);
                }
            }};
}

/// `p` with recompute() run first in its `then` stage: after the fixed point (so cse cannot merge the
/// clones back), before fusion (so the clones fuse like the originals).
inline Pipeline with_recompute(Pipeline p, RecomputeOptions opt = {}) {
    p.then.insert(p.then.begin(), recompute(opt));
    return p;
}

}  // namespace graft::passes
