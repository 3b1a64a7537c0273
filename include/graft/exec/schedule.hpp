// SPDX-License-Identifier: MIT
// graft/exec/schedule.hpp: which nodes a set of outputs needs, in an order that computes every input
// before its users. Node ids are already topological (inputs precede users), so the schedule is the
// needed ids in increasing order. A transpose that only feeds matmuls (or the GEMM operands of
// matmul_bias_act) is folded into their GEMM flags and drops out of the schedule.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "../graph/graph.hpp"

namespace graft {

/// For each matmul (and matmul_bias_act) operand: the node the GEMM reads and whether it is read transposed.
struct MatmulOperands {
    /// Per node id: the node the GEMM reads as A (no_node for nodes that are not matmuls).
    std::vector<NodeId> a, b;  ///< per node id: the node the GEMM reads as B (no_node for nodes that are not matmuls)
    /// Per node id: A is read transposed.
    std::vector<bool> ta, tb;  ///< per node id: B is read transposed
};

namespace detail {
/// True when `n` is a transpose that swaps exactly the last two axes (a GEMM transpose flag).
inline bool swaps_last_two(const Node& n) {
    if (n.op != OpKind::transpose) return false;
    const std::size_t r = n.attrs.ints.size();
    if (r < 2) return false;
    for (std::size_t i = 0; i + 2 < r; ++i)
        if (n.attrs.ints[i] != i) return false;
    return n.attrs.ints[r - 2] == r - 1 && n.attrs.ints[r - 1] == r - 2;
}
}  // namespace detail

/// The matmul operands after folding transposes into flags (indexed by matmul node id).
inline MatmulOperands fold_matmul_transposes(const Graph& g) {
    MatmulOperands m;
    const std::size_t n = g.size();
    m.a.assign(n, no_node);
    m.b.assign(n, no_node);
    m.ta.assign(n, false);
    m.tb.assign(n, false);
    for (const Node& node : g.nodes()) {
        if (node.op != OpKind::matmul && node.op != OpKind::matmul_bias_act) continue;
        auto fold = [&](NodeId in, NodeId& eff, bool flag) -> bool {
            const Node& src = g.node(in);
            if (detail::swaps_last_two(src)) {
                eff = src.inputs[0];
                return !flag;
            }
            eff = in;
            return flag;
        };
        m.ta[node.id] = fold(node.inputs[0], m.a[node.id], false);
        m.tb[node.id] = fold(node.inputs[1], m.b[node.id], false);
    }
    return m;
}

/// The nodes needed to compute `outputs`, in increasing id order (a valid execution order).
inline std::vector<NodeId> schedule(const Graph& g, std::span<const NodeId> outputs, const MatmulOperands& mm) {
    std::vector<bool> needed(g.size(), false);
    std::vector<NodeId> stack(outputs.begin(), outputs.end());
    while (!stack.empty()) {
        const NodeId id = stack.back();
        stack.pop_back();
        if (needed[id]) continue;
        needed[id] = true;
        const Node& n = g.node(id);
        if (n.op == OpKind::matmul || n.op == OpKind::matmul_bias_act) {
            stack.push_back(mm.a[id]);
            stack.push_back(mm.b[id]);
            if (n.op == OpKind::matmul_bias_act) stack.push_back(n.inputs[2]);  // the bias
        } else {
            for (NodeId i : n.inputs) stack.push_back(i);
        }
    }
    std::vector<NodeId> order;
    for (NodeId i = 0; i < g.size(); ++i)
        if (needed[i]) order.push_back(i);
    return order;
}

}  // namespace graft
