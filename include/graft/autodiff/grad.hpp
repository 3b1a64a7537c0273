// SPDX-License-Identifier: MIT
// graft/autodiff/grad.hpp: grad(loss, params...) appends the reverse sweep to the same graph.
// Walk the nodes between the parameters and the loss in reverse topological order; for each, call its
// op's VJP rule (vjp.hpp) with the node's adjoint and add the results into the adjoints of its inputs
// (a value used twice receives the sum). The gradients come back as ordinary nodes — typed Vars with
// the parameters' shapes — so they compile, optimize and differentiate again like any other node.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "../graph/build.hpp"
#include "../graph/ir.hpp"
#include "vjp.hpp"

namespace graft {

namespace detail {
/// Nodes that `from` depends on (including itself).
inline std::vector<bool> ancestors(const Graph& g, NodeId from) {
    std::vector<bool> on(g.size(), false);
    on[from] = true;
    for (NodeId i = from + 1; i-- > 0;)
        if (on[i])
            for (NodeId in : g.node(i).inputs) on[in] = true;
    return on;
}
/// Fused nodes (made by the fusion passes) have no VJP: gradients are built before optimizing.
[[noreturn]] inline void refuse_fused(const char* where, const Node& n) {
    std::string found = "node %";
    found += std::to_string(n.id);
    found += " = ";
    found += op_name(n.op);
    found += " (fused nodes have no VJP)";
    throw Error(where, "a graph without fused ops: call grad() before running the fusion passes", found);
}
}  // namespace detail

/// True when `y` depends on `x` through differentiable ops (so dy/dx can be non-zero).
inline bool has_gradient_path(const Graph& g, NodeId y, NodeId x) {
    if (x > y) return false;
    std::vector<bool> reach(g.size(), false);  // nodes reachable from x through differentiable uses
    reach[x] = true;
    for (NodeId i = x + 1; i <= y; ++i) {
        const Node& n = g.node(i);
        if (!op_info(n.op).differentiable) continue;
        for (NodeId in : n.inputs)
            if (reach[in]) {
                reach[i] = true;
                break;
            }
    }
    return reach[y];
}

/// Untyped grad: the adjoints of `wrt` for output `y` seeded with `seed` (default: 1 for a one-element y).
/// A `wrt` node y does not depend on gets zeros of its shape.
inline std::vector<NodeId> grad(Graph& g, NodeId y, std::span<const NodeId> wrt, std::optional<NodeId> seed = std::nullopt) {
    const Node out = g.node(y);  // a copy: building the seed appends nodes
    if (op_info(out.op).cls == OpClass::fused) detail::refuse_fused("grad", out);
    if (!op_info(out.op).differentiable && op_info(out.op).cls != OpClass::leaf)
        throw Error("grad", "a differentiable output", "op " + std::string(op_name(out.op)) + " (it has no gradient)");
    if (out.dtype != DType::f32 && out.dtype != DType::f64)
        throw Error("grad", "a float or double output", std::string(dtype_name(out.dtype)));
    for (NodeId w : wrt) {
        const Node& n = g.node(w);
        if (n.dtype != out.dtype)
            throw Error("grad", "parameters of the output's type " + std::string(dtype_name(out.dtype)),
                        "\"" + n.name + "\" of type " + std::string(dtype_name(n.dtype)));
    }
    NodeId s;
    if (seed) {
        const Node& sn = g.node(*seed);
        if (sn.dims != out.dims || sn.dtype != out.dtype)
            throw Error("grad(seed)", "a seed of the output's type " + type_string({out.dtype, out.dims}), type_string({sn.dtype, sn.dims}));
        s = *seed;
    } else {
        if (out.size() != 1)
            throw Error("grad", "a one-element output or an explicit seed (vector-Jacobian product)", type_string({out.dtype, out.dims}));
        s = ir::broadcast_to(g, g.scalar_constant(out.dtype, 1.0), out.dims);
    }
    const std::size_t forward_end = g.size();  // nodes added from here on belong to the reverse sweep
    const std::vector<bool> needed_by_y = detail::ancestors(g, y);
    // nodes on a path from some wrt to y
    std::vector<bool> relevant(forward_end, false);
    for (NodeId w : wrt) relevant[w] = needed_by_y[w];
    for (NodeId i = 0; i < forward_end; ++i) {
        if (!needed_by_y[i] || relevant[i]) continue;
        for (NodeId in : g.node(i).inputs)
            if (relevant[in]) {
                relevant[i] = true;
                break;
            }
    }
    std::vector<NodeId> adjoint(forward_end, no_node);
    adjoint[y] = s;
    std::vector<NodeId> gx;
    for (NodeId i = y + 1; i-- > 0;) {
        if (!relevant[i] || adjoint[i] == no_node) continue;
        const Node n = g.node(i);  // a copy: the rule appends nodes
        const VjpFn rule = vjp_of(n.op);
        if (op_info(n.op).cls == OpClass::fused) detail::refuse_fused("grad", n);
        if (!rule) continue;  // leaves and ops that stop gradients
        gx.assign(n.inputs.size(), no_node);
        rule(g, n, adjoint[i], gx);
        for (std::size_t k = 0; k < n.inputs.size(); ++k) {
            const NodeId in = n.inputs[k];
            if (gx[k] == no_node || !relevant[in]) continue;
            adjoint[in] = adjoint[in] == no_node ? gx[k] : ir::add(g, adjoint[in], gx[k]);
        }
    }
    std::vector<NodeId> result;
    for (NodeId w : wrt) {
        const Node n = g.node(w);
        result.push_back(adjoint[w] != no_node ? adjoint[w] : ir::zeros(g, n.dtype, n.dims));
    }
    return result;
}

namespace detail {
template <class... P, std::size_t... I>
auto typed_grads_impl(Graph& g, const std::vector<NodeId>& r, std::index_sequence<I...>) {
    return std::make_tuple(Var<typename P::value_type, typename P::shape_type>(g, r[I])...);
}
/// The untyped results as Vars typed like the parameters: one Var, or a tuple for several.
template <class... P>
auto typed_grads(Graph& g, const std::vector<NodeId>& r) {
    auto t = typed_grads_impl<P...>(g, r, std::index_sequence_for<P...>{});
    if constexpr (sizeof...(P) == 1) return std::get<0>(t);
    else return t;
}
}  // namespace detail

/// dloss/dp for each p: `auto gW = grad(loss, W);`, `auto [gW, gb] = grad(loss, W, b);`.
/// The loss must have one element; each result is a Var with its parameter's type.
template <VarType L, VarType... P>
auto grad(const L& loss, const P&... params) {
    static_assert(sizeof...(P) >= 1, "graft::grad: name at least one variable to differentiate with respect to");
    static_assert(has_one_element<typename L::shape_type>::value, "graft::grad: the output must have one element; use vjp() with a seed otherwise");
    Graph& g = detail::same_graph("grad", loss, params...);
    const NodeId ids[] = {params.id()...};
    return detail::typed_grads<P...>(g, grad(g, loss.id(), std::span<const NodeId>(ids, sizeof...(P))));
}

/// Vector-Jacobian product: seed^T * dy/dp for each p, with seed shaped like y.
template <VarType Y, VarType S, VarType... P>
auto vjp_of(const Y& y, const S& seed, const P&... params) {
    static_assert(std::is_same_v<typename Y::shape_type, typename S::shape_type>, "graft::vjp_of: the seed's shape differs from the output's");
    Graph& g = detail::same_graph("vjp_of", y, seed, params...);
    const NodeId ids[] = {params.id()...};
    return detail::typed_grads<P...>(g, grad(g, y.id(), std::span<const NodeId>(ids, sizeof...(P)), seed.id()));
}

}  // namespace graft
