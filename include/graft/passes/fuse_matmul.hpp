// SPDX-License-Identifier: MIT
// graft/passes/fuse_matmul.hpp: matmul + bias + activation -> one matmul_bias_act node, which runs as
// one GEMM followed by one pass over its output (add the bias row, apply the activation). Transposes
// feeding it still become GEMM flags at compile time. Runs after the fixed point, before fuse_elementwise.
#pragma once

#include <cstddef>
#include <vector>

#include "../graph/fused_program.hpp"
#include "pass.hpp"

namespace graft::passes {

namespace detail {
/// The epilogue an activation op applies, or none when `op` is not one.
inline bool epilogue_of(OpKind op, Epilogue& e) {
    switch (op) {
        case OpKind::relu: e = Epilogue::relu; return true;
        case OpKind::tanh: e = Epilogue::tanh; return true;
        case OpKind::sigmoid: e = Epilogue::sigmoid; return true;
        default: return false;
    }
}
}  // namespace detail

/// add(matmul(a, b), bias) -> matmul_bias_act(a, b, bias), and act(add(...)) -> matmul_bias_act(..., act)
/// for act in relu, tanh, sigmoid, where
///   - a and b are 2-D (no batch axes) and the matmul is read only by the add and is not a root,
///   - the bias is [n] or [1,n] for an [m,n] product (either operand of the add),
///   - the activation is taken only when it is the add's one reader and the add is not a root
///     (in a training graph relu's VJP also reads the add, so there it stays a separate node).
inline Pass fuse_matmul_epilogue() {
    return {"fuse_matmul_epilogue", [](PassContext& ctx, Rewriter& rw) {
                const std::size_t n = ctx.graph.size();
                const std::vector<std::size_t> users = detail::live_users(ctx.graph, ctx.roots);
                // the one live reader of each node read exactly once
                std::vector<NodeId> sole_user(n, no_node);
                for (const Node& nd : ctx.graph.nodes())
                    for (NodeId in : nd.inputs)
                        if (users[nd.id] > 0 || rw.is_root(nd.id)) sole_user[in] = nd.id;
                auto bias_dims = [](const Dims& b, std::size_t cols) {
                    return (b.size() == 1 && b[0] == cols) || (b.size() == 2 && b[0] == 1 && b[1] == cols);
                };
                for (NodeId id = 0; id < n; ++id) {
                    const Node add = ctx.graph.node(id);  // a copy: rw.add() may move the node storage
                    if (add.op != OpKind::add || users[id] == 0) continue;  // dead adds are left to commit()
                    NodeId mm = no_node, bias = no_node;
                    for (int side = 0; side < 2 && mm == no_node; ++side) {
                        const Node& m = ctx.graph.node(add.inputs[side]);
                        const Node& b = ctx.graph.node(add.inputs[1 - side]);
                        if (m.op != OpKind::matmul || users[m.id] != 1 || rw.is_root(m.id) || m.dims != add.dims) continue;
                        if (ctx.graph.node(m.inputs[0]).dims.size() != 2 || ctx.graph.node(m.inputs[1]).dims.size() != 2) continue;
                        if (!bias_dims(b.dims, m.dims[1])) continue;
                        mm = m.id;
                        bias = b.id;
                    }
                    if (mm == no_node) continue;
                    Epilogue act = Epilogue::none;
                    NodeId last = id;
                    const NodeId user = sole_user[id];
                    if (users[id] == 1 && !rw.is_root(id) && user != no_node &&
                        detail::epilogue_of(ctx.graph.node(user).op, act))
                        last = user;
                    Attrs at;
                    at.ints = {static_cast<std::size_t>(act)};
                    const NodeId a = ctx.graph.node(mm).inputs[0], b = ctx.graph.node(mm).inputs[1];
                    const NodeId f = rw.add(OpKind::matmul_bias_act, {a, b, bias}, at);
                    rw.replace(last, f, act == Epilogue::none ? "matmul_bias" : "matmul_bias_act");
                }
            }};
}

}  // namespace graft::passes
