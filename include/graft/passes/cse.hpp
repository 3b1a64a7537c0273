// SPDX-License-Identifier: MIT
// graft/passes/cse.hpp: common-subexpression elimination by hash-consing.
// Nodes are visited in topological order; a pure op node whose (op, resolved inputs, attributes, dtype,
// dims) equal an earlier node's is replaced by it, and constants with the same dtype, dims and bytes are
// merged. Inputs and params are never merged (each is its own value) and impure ops (op table
// `pure == false`, e.g. random masks) never are. One hash-map lookup per node: linear in node count.
#pragma once

#include <cstring>
#include <string_view>
#include <unordered_map>

#include "pass.hpp"

namespace graft::passes {

namespace detail {
inline std::size_t hash_mix(std::size_t h, std::size_t v) { return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)); }
inline std::size_t hash_attrs(const Attrs& a) {
    std::size_t h = std::hash<std::int64_t>{}(a.axis);
    h = hash_mix(h, a.all_axes);
    h = hash_mix(h, a.keepdims);
    h = hash_mix(h, std::hash<double>{}(a.scalar));
    h = hash_mix(h, std::hash<double>{}(a.scalar2));
    h = hash_mix(h, a.start);
    h = hash_mix(h, a.stop);
    for (auto v : a.ints) h = hash_mix(h, v);
    for (auto v : a.reals) h = hash_mix(h, std::hash<double>{}(v));
    return hash_mix(h, static_cast<std::size_t>(a.dtype));
}
}  // namespace detail

/// Common-subexpression elimination: merges each pure op node and each constant into an earlier equal
/// one (same op, resolved inputs, attributes, dtype and dims; constants by bytes). Reports "merged"
/// and "merged_constant"; inputs, params and impure ops are never merged.
inline Pass cse() {
    return {"cse", [](PassContext& ctx, Rewriter& rw) {
                const Graph& g = ctx.graph;
                const std::size_t n = g.size();
                std::unordered_multimap<std::size_t, NodeId> seen;
                seen.reserve(n);
                for (NodeId id = 0; id < n; ++id) {
                    const Node& nd = g.node(id);
                    if (nd.op == OpKind::input || nd.op == OpKind::param || !op_info(nd.op).pure) continue;
                    std::size_t h = std::hash<int>{}(static_cast<int>(nd.op));
                    h = detail::hash_mix(h, static_cast<std::size_t>(nd.dtype));
                    for (auto d : nd.dims) h = detail::hash_mix(h, d);
                    std::string_view bytes;
                    if (nd.op == OpKind::constant) {
                        const auto b = g.constant_bytes(nd);
                        bytes = std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
                        h = detail::hash_mix(h, std::hash<std::string_view>{}(bytes));
                    } else {
                        for (NodeId i : nd.inputs) h = detail::hash_mix(h, rw.resolve(i));
                        h = detail::hash_mix(h, detail::hash_attrs(nd.attrs));
                    }
                    NodeId match = no_node;
                    auto [lo, hi] = seen.equal_range(h);
                    for (auto it = lo; it != hi && match == no_node; ++it) {
                        const Node& o = g.node(it->second);
                        if (o.op != nd.op || o.dtype != nd.dtype || o.dims != nd.dims) continue;
                        if (nd.op == OpKind::constant) {
                            const auto b = g.constant_bytes(o);
                            if (b.size() == bytes.size() && (bytes.empty() || std::memcmp(b.data(), bytes.data(), bytes.size()) == 0))
                                match = o.id;
                            continue;
                        }
                        if (!(o.attrs == nd.attrs) || o.inputs.size() != nd.inputs.size()) continue;
                        bool same = true;
                        for (std::size_t k = 0; k < nd.inputs.size() && same; ++k) same = rw.resolve(o.inputs[k]) == rw.resolve(nd.inputs[k]);
                        if (same) match = o.id;
                    }
                    if (match != no_node)
                        rw.replace(id, match, nd.op == OpKind::constant ? "merged_constant" : "merged");
                    else
                        seen.emplace(h, id);
                }
            }};
}

}  // namespace graft::passes
