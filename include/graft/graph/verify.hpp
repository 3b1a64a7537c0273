// SPDX-License-Identifier: MIT
// graft/graph/verify.hpp: verify(g), the IR checker run after every pass in tests and debug builds.
// Checks ids, arity, that inputs come before users (so the graph is acyclic), that every op's stored
// dtype and dims equal what its shape rule computes, constants' byte counts and leaf names.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "graph.hpp"

namespace graft {

/// Throws graft::Error describing the first inconsistency found; returns normally for a valid graph.
inline void verify(const Graph& g) {
    std::unordered_set<std::string> names;
    const auto& nodes = g.nodes();
    for (std::size_t k = 0; k < nodes.size(); ++k) {
        const Node& n = nodes[k];
        // the op is range-checked before its name is looked up in op_table
        if (static_cast<std::size_t>(n.op) >= static_cast<std::size_t>(OpKind::count))
            throw Error("verify: node %" + std::to_string(k), "a known op", "op #" + std::to_string(static_cast<int>(n.op)));
        const std::string where = "verify: node %" + std::to_string(k) + " (" + std::string(op_name(n.op)) + ")";
        if (n.id != k) throw Error(where, "id " + std::to_string(k), std::to_string(n.id));
        const OpInfo& info = op_info(n.op);
        if (info.cls == OpClass::leaf) {
            if (!n.inputs.empty()) throw Error(where, "no inputs for a leaf", std::to_string(n.inputs.size()));
            if (n.op != OpKind::constant) {
                if (n.name.empty()) throw Error(where, "a name", "none");
                if (!names.insert(n.name).second) throw Error(where, "a unique leaf name", "\"" + n.name + "\" twice");
                if (g.find(n.name) != n.id) throw Error(where, "the name index to point at this leaf", "\"" + n.name + "\"");
            } else if (g.constant_bytes(n).size() != n.size() * dtype_size(n.dtype)) {
                throw Error(where, std::to_string(n.size() * dtype_size(n.dtype)) + " constant bytes",
                            std::to_string(g.constant_bytes(n).size()));
            }
            continue;
        }
        if ((info.arity >= 0 && n.inputs.size() != static_cast<std::size_t>(info.arity)) || n.inputs.empty())
            throw Error(where, std::to_string(info.arity) + " inputs", std::to_string(n.inputs.size()));
        std::vector<ValueType> ins;
        for (NodeId i : n.inputs) {
            if (i >= k) throw Error(where, "inputs defined before the node (ids below " + std::to_string(k) + ")", "%" + std::to_string(i));
            ins.push_back({nodes[i].dtype, nodes[i].dims});
        }
        Attrs attrs = n.attrs;
        const ValueType t = info.shape(info.name, ins, attrs);
        if (t.dtype != n.dtype || t.dims != n.dims)
            throw Error(where, "type " + type_string(t) + " from its shape rule", type_string({n.dtype, n.dims}));
    }
}

}  // namespace graft
