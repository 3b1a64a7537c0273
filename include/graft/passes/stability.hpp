// SPDX-License-Identifier: MIT
// graft/passes/stability.hpp: numerical-stability rewrites, a pass of its own so its report shows them.
// A formula that loses precision or overflows in floating point is replaced by the op graft has for the
// same function, computed stably. A rule fires only when the result has the node's own dtype and dims
// (`log(ones[4,3] + x[3])` is not `log1p(x)`: the constant also broadcasts x). Runs before simplify.
#pragma once

#include <cstddef>
#include <utility>

#include "pass.hpp"

namespace graft::passes {

// The rules, as they appear in the report ("kind"). 1 is a constant every element of which is 1, or
// the scalar attribute of a *_scalar op. In float:
//
//   log1p              log(1 + x), log(x + 1), log(add_scalar(x, 1)) -> log1p(x)
//                      1 + 1e-10 rounds to 1, so log(1 + 1e-10) is 0; log1p(1e-10) is 1e-10
//   expm1              exp(x) - 1, add_scalar(exp(x), -1) -> expm1(x)
//                      exp(1e-10) rounds to 1, so exp(1e-10) - 1 is 0; expm1(1e-10) is 1e-10
//   log_softmax        log(softmax(x, axis)) -> log_softmax(x, axis)
//                      softmax([1e4, -1e4]) underflows to [1, 0], whose log has -inf; log_softmax is [0, -2e4]
//   log_sigmoid        log(sigmoid(x)) -> neg(softplus(neg(x)))            log σ(x) = -log(1 + e^-x)
//                      sigmoid(-200) underflows to 0, whose log is -inf; -softplus(200) is -200
//   one_minus_sigmoid  1 - sigmoid(x), rsub_scalar(sigmoid(x), 1) -> sigmoid(neg(x))   1 - σ(x) = σ(-x)
//                      sigmoid(20) rounds to 1, so 1 - sigmoid(20) is 0; sigmoid(-20) is 2.06e-9
//
// The reverse sweep is rewritten where it holds these patterns too: sigmoid's VJP g*y*(1-y) reads
// 1 - sigmoid(x), which becomes sigmoid(-x), so d sigmoid(20) is 2.06e-9 instead of 0. But a VJP that
// grad() built from an unrewritten forward op keeps that op's formula: d log(u) = g/u still divides by
// u = sigmoid(x), which underflows to 0 at x = -200, so the gradient of log(sigmoid(x)) there stays
// what the unrewritten graph gives (nan). A model that needs stable gradients there writes
// log_softmax, -softplus(-x), log1p or expm1 itself.

namespace detail {

/// One walk of the stability rewrites over a graph.
class Stabilizer {
public:
    Stabilizer(PassContext& ctx, Rewriter& rw) : g_(ctx.graph), rw_(rw) {}

    void run() {
        const std::size_t n = g_.size();
        for (NodeId id = 0; id < n; ++id) {
            const auto [to, kind] = rewrite(id);
            if (to != no_node) rw_.replace(id, to, kind);
        }
    }

private:
    using Result = std::pair<NodeId, const char*>;
    static constexpr Result none{no_node, ""};

    [[nodiscard]] const Node& at(NodeId id) const { return g_.node(rw_.resolve(id)); }
    [[nodiscard]] NodeId operand(const Node& n) const { return rw_.resolve(n.inputs[0]); }
    /// True when `id` is a constant of ones and `other` already has the type of `node` (so 1 broadcasts nothing).
    [[nodiscard]] bool is_one_beside(NodeId id, NodeId other, const Node& node) const {
        return is_constant_value(g_, rw_.resolve(id), 1.0) && same_type(at(other), node);
    }
    /// neg(x), or y when x is neg(y).
    NodeId negated(NodeId x) {
        x = rw_.resolve(x);
        if (g_.node(x).op == OpKind::neg) return operand(g_.node(x));
        return rw_.add(OpKind::neg, {x});
    }
    NodeId unary(OpKind op, NodeId x, Attrs a = {}) { return rw_.add(op, {x}, std::move(a)); }

    /// The x in `1 + x` / `x + 1` / add_scalar(x, 1) when `u` is one, else no_node.
    [[nodiscard]] NodeId one_plus(const Node& u) const {
        if (u.op == OpKind::add_scalar && u.attrs.scalar == 1.0) return operand(u);
        if (u.op != OpKind::add) return no_node;
        if (is_one_beside(u.inputs[0], u.inputs[1], u)) return rw_.resolve(u.inputs[1]);
        if (is_one_beside(u.inputs[1], u.inputs[0], u)) return rw_.resolve(u.inputs[0]);
        return no_node;
    }
    /// The sigmoid node in `1 - sigmoid(x)` / rsub_scalar(sigmoid(x), 1) when `s` is one, else no_node.
    [[nodiscard]] NodeId one_minus_sigmoid(const Node& s) const {
        NodeId sig = no_node;
        if (s.op == OpKind::rsub_scalar && s.attrs.scalar == 1.0) sig = operand(s);
        if (s.op == OpKind::sub && is_one_beside(s.inputs[0], s.inputs[1], s)) sig = rw_.resolve(s.inputs[1]);
        return sig != no_node && g_.node(sig).op == OpKind::sigmoid ? sig : no_node;
    }
    /// The exp node in `exp(x) - 1` / add_scalar(exp(x), -1) when `s` is one, else no_node.
    [[nodiscard]] NodeId exp_minus_one(const Node& s) const {
        NodeId e = no_node;
        if (s.op == OpKind::add_scalar && s.attrs.scalar == -1.0) e = operand(s);
        if (s.op == OpKind::sub && is_one_beside(s.inputs[1], s.inputs[0], s)) e = rw_.resolve(s.inputs[0]);
        return e != no_node && g_.node(e).op == OpKind::exp ? e : no_node;
    }

    Result rewrite(NodeId id) {
        const Node& nd = g_.node(id);
        if (nd.op == OpKind::log) {
            const Node& u = at(nd.inputs[0]);
            if (const NodeId x = one_plus(u); x != no_node) return {unary(OpKind::log1p, x), "log1p"};  // log(1+x) -> log1p(x)
            if (u.op == OpKind::softmax) {                                                                  // log(softmax(x)) -> log_softmax(x)
                Attrs a;
                a.axis = u.attrs.axis;
                return {unary(OpKind::log_softmax, operand(u), std::move(a)), "log_softmax"};
            }
            if (u.op == OpKind::sigmoid) {                                                                  // log(sigmoid(x)) -> -softplus(-x)
                const NodeId sp = unary(OpKind::softplus, negated(operand(u)));
                return {unary(OpKind::neg, sp), "log_sigmoid"};
            }
            return none;
        }
        if (nd.op == OpKind::sub || nd.op == OpKind::add_scalar || nd.op == OpKind::rsub_scalar) {
            if (const NodeId e = exp_minus_one(nd); e != no_node)                                          // exp(x)-1 -> expm1(x)
                return {unary(OpKind::expm1, operand(g_.node(e))), "expm1"};
            if (const NodeId s = one_minus_sigmoid(nd); s != no_node)                                      // 1-sigmoid(x) -> sigmoid(-x)
                return {unary(OpKind::sigmoid, negated(operand(g_.node(s)))), "one_minus_sigmoid"};
        }
        return none;
    }

    Graph& g_;
    Rewriter& rw_;
};

}  // namespace detail

/// Numerical-stability rewrites (the rules listed above).
inline Pass stability() {
    return {"stability", [](PassContext& ctx, Rewriter& rw) { detail::Stabilizer(ctx, rw).run(); }};
}

}  // namespace graft::passes
