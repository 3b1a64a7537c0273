// SPDX-License-Identifier: MIT
// graft/passes/simplify.hpp: algebraic simplification — identities, cancellations, chains of shape ops
// and of scalar ops, sums of broadcasts. Each rule is one line below and is counted under its own kind
// in the report. A rule fires only when its result has exactly the node's dtype and dims; a constant
// that broadcasts x to a bigger shape makes `x*1` a broadcast_to(x), never x. Runs after stability.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>

#include "pass.hpp"

namespace graft::passes {

// The rules, as they appear in the report ("kind"). x, y are any values; 1 and 0 are constants every
// element of which is that value (or the scalar attribute of a *_scalar op).
//
//   mul_by_one           x*1, 1*x, mul_scalar(x, 1) -> x          exact
//   add_zero             x+0, 0+x, add_scalar(x, 0) -> x          exact but for the sign of zero: -0 + 0 is
//                                                                  +0, the rewrite keeps -0 (LLVM's nsz)
//   sub_zero             x-0 -> x                                  exact (x - +0 is x, -0 included)
//   div_by_one           x/1, div_scalar(x, 1) -> x               exact
//   pow_one              pow_scalar(x, 1) -> x                     exact (the kernel copies for c == 1)
//   mul_by_zero          x*0, 0*x, mul_scalar(x, 0) -> zeros       only with PassOptions::assume_finite:
//                                                                  inf*0 and nan*0 are nan, not 0
//   sub_self             x-x -> zeros                              only with assume_finite: inf-inf is nan
//   neg_neg              neg(neg(x)) -> x                          exact
//   sub_neg              x - neg(y) -> x + y                       exact (IEEE defines a-b as a+(-b))
//   add_neg              x + neg(y), neg(y) + x -> x - y           exact
//   neg_times_neg        neg(x) * neg(y) -> x * y                  exact
//   log_exp              log(exp(x)) -> x                          see below
//   mul_scalar_chain     mul_scalar(mul_scalar(x, a), b) -> mul_scalar(x, a*b)   when a, b, a*b are normal
//                                                                  finite numbers (or 0) in x's type
//   add_scalar_chain     add_scalar(add_scalar(x, a), b) -> add_scalar(x, a+b)   when a, b, a+b are finite
//   transpose_identity   transpose(x, identity) -> x
//   transpose_transpose  transpose(transpose(x, p), q) -> transpose(x, p∘q), or x when that is the identity
//   reshape_to_self      reshape(x, dims of x) -> x
//   reshape_reshape      reshape(reshape(x, a), b) -> reshape(x, b)
//   broadcast_to_self    broadcast_to(x, dims of x) -> x
//   broadcast_broadcast  broadcast_to(broadcast_to(x, a), b) -> broadcast_to(x, b)
//   sum_of_broadcast     sum_all(broadcast_to(x)) -> mul_scalar(sum_all(x), size/size(x));
//                        sum(broadcast_to(x), axis) -> mul_scalar(x, n) (reshaped) when the broadcast
//                        only repeated x n times along that axis
//   mean_of_broadcast    mean_all(broadcast_to(x)) -> mean_all(x); mean(broadcast_to(x), axis) -> x
//                        (reshaped) under the same condition as above
//
// The *_chain, *_of_broadcast and log_exp rules round differently from the unrewritten graph (one
// rounding instead of two or of n), never worse; the others are bit-exact.
//
// Left alone on purpose:
//   exp(log(x)) -> x   wrong for x < 0 (log gives nan, so exp(log(x)) is nan, not x) and for x = -0.
//   log(exp(x)) -> x   is done (log_exp): it is exact in real arithmetic, and in floating point the
//                      unrewritten form is the one that fails — exp overflows for x > 88.7 (float) so
//                      log(exp(100)) is inf, and exp underflows for x < -103 so log(exp(-200)) is -inf;
//                      nan and ±inf map to themselves either way. The rewrite only removes those failures.
//   x*0, x-x           only under assume_finite (off by default; XLA and LLVM make the same choice
//                      without fast-math). The zeros are a broadcast scalar 0 of the node's type;
//                      fold_constants turns small ones into a constant.

namespace detail {

/// One walk of the simplifier over a graph, in id order. Rewrites that build nodes go through reshaped(),
/// broadcasted(), transposed() and scaled(), which never build what a rule would rewrite again (a
/// reshape of a reshape, a mul_scalar by 1, ...), and the node a rule returns is rewritten again until
/// no rule fires, so one run reaches the pass's own fixed point (a second run finds nothing).
class Simplifier {
public:
    Simplifier(PassContext& ctx, Rewriter& rw) : g_(ctx.graph), rw_(rw), assume_finite_(ctx.options.assume_finite) {}

    void run() {
        first_new_ = g_.size();
        for (NodeId id = 0; id < first_new_; ++id) settle(id);
    }

private:
    using Result = std::pair<NodeId, const char*>;
    static constexpr Result none{no_node, ""};

    /// Applies the rules to `id` until none fires. A node a rule built is looked at again (x + neg(y)
    /// built by sub_neg from x - neg(neg(y)) is itself a rule's pattern); older nodes are visited by run().
    void settle(NodeId id) {
        while (true) {
            const auto [to, kind] = rewrite(id);
            if (to == no_node || to == id) return;
            rw_.replace(id, to, kind);
            if (to < first_new_) return;
            id = to;
        }
    }

    // ------------------------------------------------------------ reading through the rewriter
    [[nodiscard]] const Node& at(NodeId id) const { return g_.node(rw_.resolve(id)); }
    [[nodiscard]] bool is_value(NodeId id, double v) const { return is_constant_value(g_, rw_.resolve(id), v); }
    /// The resolved input of a one-input node.
    [[nodiscard]] NodeId operand(const Node& n) const { return rw_.resolve(n.inputs[0]); }

    // ------------------------------------------------------------ builders that simplify what they build
    NodeId reshaped(NodeId x, Dims dims) {  // dims by value: it may live in a node
        x = rw_.resolve(x);
        if (g_.node(x).op == OpKind::reshape) x = operand(g_.node(x));                       // reshape(reshape(x)) -> reshape(x)
        if (g_.node(x).dims == dims) return x;                                              // reshape(x, dims of x) -> x
        Attrs a;
        a.ints = std::move(dims);
        return rw_.add(OpKind::reshape, {x}, std::move(a));
    }
    NodeId broadcasted(NodeId x, Dims dims) {
        x = rw_.resolve(x);
        if (g_.node(x).op == OpKind::broadcast_to) x = operand(g_.node(x));                  // broadcast_to(broadcast_to(x)) -> broadcast_to(x)
        if (g_.node(x).dims == dims) return x;                                              // broadcast_to(x, dims of x) -> x
        Attrs a;
        a.ints = std::move(dims);
        return rw_.add(OpKind::broadcast_to, {x}, std::move(a));
    }
    static bool is_identity(const std::vector<std::size_t>& p) {
        for (std::size_t i = 0; i < p.size(); ++i)
            if (p[i] != i) return false;
        return true;
    }
    NodeId transposed(NodeId x, std::vector<std::size_t> perm) {
        x = rw_.resolve(x);
        if (g_.node(x).op == OpKind::transpose) {  // out axis i is inner axis perm[i], which is x axis inner[perm[i]]
            const Node& inner = g_.node(x);
            std::vector<std::size_t> q(perm.size());
            for (std::size_t i = 0; i < perm.size(); ++i) q[i] = inner.attrs.ints[perm[i]];
            perm = std::move(q);
            x = operand(inner);
        }
        if (is_identity(perm)) return x;
        Attrs a;
        a.ints = std::move(perm);
        return rw_.add(OpKind::transpose, {x}, std::move(a));
    }
    /// mul_scalar(x, c) or add_scalar(x, c), merged with x when x is the same op (when that is safe).
    NodeId scaled(OpKind op, NodeId x, double c) {
        x = rw_.resolve(x);
        const Node& xn = g_.node(x);
        if (xn.op == op && (op == OpKind::mul_scalar ? product_safe(xn.dtype, xn.attrs.scalar, c) : sum_safe(xn.dtype, xn.attrs.scalar, c))) {
            c = op == OpKind::mul_scalar ? xn.attrs.scalar * c : xn.attrs.scalar + c;
            x = operand(xn);
        }
        if ((op == OpKind::mul_scalar && c == 1.0) || (op == OpKind::add_scalar && c == 0.0)) return x;
        Attrs a;
        a.scalar = c;
        return rw_.add(op, {x}, std::move(a));
    }
    NodeId zeros(DType dtype, Dims dims) { return broadcasted(g_.scalar_constant(dtype, 0.0), std::move(dims)); }

    // ------------------------------------------------------------ scalar-chain safety
    static double max_of(DType t) { return t == DType::f32 ? double(std::numeric_limits<float>::max()) : std::numeric_limits<double>::max(); }
    static double min_normal_of(DType t) { return t == DType::f32 ? double(std::numeric_limits<float>::min()) : std::numeric_limits<double>::min(); }
    static bool finite_in(DType t, double v) { return std::isfinite(v) && std::fabs(v) <= max_of(t); }
    /// (x*a)*b == x*(a*b) up to rounding when a, b and a*b are finite and a*b neither overflows nor
    /// underflows in x's type (x*1e30*1e30 is inf in float, x*1e60 would be inf too, but 0*inf is nan).
    static bool product_safe(DType t, double a, double b) {
        const double p = a * b;
        if (!finite_in(t, a) || !finite_in(t, b) || !finite_in(t, p)) return false;
        return p == 0.0 ? (a == 0.0 || b == 0.0) : std::fabs(p) >= min_normal_of(t);
    }
    /// (x+a)+b == x+(a+b) up to rounding when a, b and a+b are finite in x's type.
    static bool sum_safe(DType t, double a, double b) { return finite_in(t, a) && finite_in(t, b) && finite_in(t, a + b); }

    // ------------------------------------------------------------ the rules
    Result rewrite(NodeId id) {
        const Node& nd = g_.node(id);
        const OpInfo& info = op_info(nd.op);
        if (info.cls == OpClass::leaf || !info.pure) return none;
        switch (nd.op) {
            case OpKind::mul: case OpKind::add: case OpKind::sub: case OpKind::div: return binary(id);
            case OpKind::mul_scalar: case OpKind::add_scalar: case OpKind::div_scalar: case OpKind::pow_scalar: return with_scalar(id);
            case OpKind::neg: {
                const Node& a = at(nd.inputs[0]);
                if (a.op == OpKind::neg) return {operand(a), "neg_neg"};                       // neg(neg(x)) -> x
                return none;
            }
            case OpKind::log: {
                const Node& a = at(nd.inputs[0]);
                if (a.op == OpKind::exp) return {operand(a), "log_exp"};                       // log(exp(x)) -> x
                return none;
            }
            case OpKind::transpose: {
                if (is_identity(nd.attrs.ints)) return {operand(nd), "transpose_identity"};   // transpose(x, id) -> x
                if (at(nd.inputs[0]).op != OpKind::transpose) return none;
                return {transposed(nd.inputs[0], nd.attrs.ints), "transpose_transpose"};      // transpose(transpose(x)) -> transpose(x, p∘q)
            }
            case OpKind::reshape: {
                const Node& a = at(nd.inputs[0]);
                if (a.dims == nd.dims) return {operand(nd), "reshape_to_self"};               // reshape(x, dims of x) -> x
                if (a.op != OpKind::reshape) return none;
                return {reshaped(nd.inputs[0], nd.dims), "reshape_reshape"};                  // reshape(reshape(x)) -> reshape(x)
            }
            case OpKind::broadcast_to: {
                const Node& a = at(nd.inputs[0]);
                if (a.dims == nd.dims) return {operand(nd), "broadcast_to_self"};             // broadcast_to(x, dims of x) -> x
                if (a.op != OpKind::broadcast_to) return none;
                return {broadcasted(nd.inputs[0], nd.dims), "broadcast_broadcast"};           // broadcast_to(broadcast_to(x)) -> broadcast_to(x)
            }
            case OpKind::sum: case OpKind::mean: return reduce_of_broadcast(id);
            default: return none;
        }
    }

    Result binary(NodeId id) {
        const Node& nd = g_.node(id);
        const OpKind op = nd.op;
        const DType dtype = nd.dtype;
        const Dims dims = nd.dims;  // a copy: the builders append nodes
        const NodeId a = rw_.resolve(nd.inputs[0]);
        const NodeId b = rw_.resolve(nd.inputs[1]);
        // `x op identity` -> x when x already has the result's type, else only the broadcast remains
        auto keep = [&](NodeId x, const char* kind) -> Result {
            return {g_.node(x).dims == dims ? x : broadcasted(x, dims), kind};
        };
        switch (op) {
            case OpKind::mul:
                if (is_value(b, 1.0)) return keep(a, "mul_by_one");                               // x*1 -> x
                if (is_value(a, 1.0)) return keep(b, "mul_by_one");                               // 1*x -> x
                if (assume_finite_ && (is_value(a, 0.0) || is_value(b, 0.0)))
                    return {zeros(dtype, dims), "mul_by_zero"};                                  // x*0 -> 0 (finite x only)
                if (g_.node(a).op == OpKind::neg && g_.node(b).op == OpKind::neg)                 // neg(x)*neg(y) -> x*y
                    return {rw_.add(OpKind::mul, {operand(g_.node(a)), operand(g_.node(b))}), "neg_times_neg"};
                return none;
            case OpKind::add:
                if (is_value(b, 0.0)) return keep(a, "add_zero");                                 // x+0 -> x
                if (is_value(a, 0.0)) return keep(b, "add_zero");                                 // 0+x -> x
                if (g_.node(b).op == OpKind::neg) return {rw_.add(OpKind::sub, {a, operand(g_.node(b))}), "add_neg"};  // x+neg(y) -> x-y
                if (g_.node(a).op == OpKind::neg) return {rw_.add(OpKind::sub, {b, operand(g_.node(a))}), "add_neg"};  // neg(y)+x -> x-y
                return none;
            case OpKind::sub:
                if (is_value(b, 0.0)) return keep(a, "sub_zero");                                 // x-0 -> x
                if (assume_finite_ && a == b) return {zeros(dtype, dims), "sub_self"};            // x-x -> 0 (finite x only)
                if (g_.node(b).op == OpKind::neg) return {rw_.add(OpKind::add, {a, operand(g_.node(b))}), "sub_neg"};  // x-neg(y) -> x+y
                return none;
            case OpKind::div:
                if (is_value(b, 1.0)) return keep(a, "div_by_one");                               // x/1 -> x
                return none;
            default: return none;
        }
    }

    Result with_scalar(NodeId id) {
        const Node& nd = g_.node(id);
        const OpKind op = nd.op;
        const double c = nd.attrs.scalar;
        const NodeId x = operand(nd);
        const Node& xn = g_.node(x);
        switch (op) {
            case OpKind::mul_scalar:
                if (c == 1.0) return {x, "mul_by_one"};                                         // mul_scalar(x, 1) -> x
                if (assume_finite_ && c == 0.0) {                                               // mul_scalar(x, 0) -> 0 (finite x only)
                    const DType dtype = nd.dtype;
                    const Dims dims = nd.dims;
                    return {zeros(dtype, dims), "mul_by_zero"};
                }
                if (xn.op == OpKind::mul_scalar && product_safe(nd.dtype, xn.attrs.scalar, c))    // (x*a)*b -> x*(a*b)
                    return {scaled(OpKind::mul_scalar, x, c), "mul_scalar_chain"};
                return none;
            case OpKind::add_scalar:
                if (c == 0.0) return {x, "add_zero"};                                           // add_scalar(x, 0) -> x
                if (xn.op == OpKind::add_scalar && sum_safe(nd.dtype, xn.attrs.scalar, c))        // (x+a)+b -> x+(a+b)
                    return {scaled(OpKind::add_scalar, x, c), "add_scalar_chain"};
                return none;
            case OpKind::div_scalar:
                if (c == 1.0) return {x, "div_by_one"};                                         // div_scalar(x, 1) -> x
                return none;
            case OpKind::pow_scalar:
                if (c == 1.0) return {x, "pow_one"};                                            // pow_scalar(x, 1) -> x
                return none;
            default: return none;
        }
    }

    /// sum / mean (all axes, or one) of broadcast_to(x).
    Result reduce_of_broadcast(NodeId id) {
        const Node& nd = g_.node(id);
        const Node& b = at(nd.inputs[0]);
        if (b.op != OpKind::broadcast_to) return none;
        const OpKind op = nd.op;
        const Attrs attrs = nd.attrs;
        const Dims out = nd.dims;
        const NodeId x = operand(b);
        const Dims& xd = g_.node(x).dims;
        const Dims& bd = b.dims;
        const std::size_t nx = g_.node(x).size(), nb = b.size();
        if (nx == 0 || nb == 0) return none;
        const char* kind = op == OpKind::sum ? "sum_of_broadcast" : "mean_of_broadcast";
        if (attrs.all_axes) {
            const auto factor = static_cast<double>(nb / nx);
            Attrs all;
            all.all_axes = true;
            NodeId r = rw_.add(op, {x}, all);                                                    // mean_all(broadcast_to(x)) -> mean_all(x)
            if (op == OpKind::sum) r = scaled(OpKind::mul_scalar, r, factor);                    // sum_all(broadcast_to(x)) -> sum_all(x) * (n/size(x))
            return {reshaped(r, out), kind};
        }
        // one axis: the broadcast must differ from x (with x's dims right-aligned) only along it
        const auto axis = static_cast<std::size_t>(attrs.axis);
        const std::size_t lead = bd.size() - xd.size();
        for (std::size_t i = 0; i < bd.size(); ++i) {
            const std::size_t xi = i < lead ? 1 : xd[i - lead];
            if ((xi != bd[i]) != (i == axis)) return none;
        }
        const auto n = static_cast<double>(bd[axis]);  // size(x) == size(out): only a reshape may remain
        const NodeId r = op == OpKind::sum ? scaled(OpKind::mul_scalar, x, n) : x;              // sum(broadcast_to(x), axis) -> x*n
        return {reshaped(r, out), kind};                                                         // mean(broadcast_to(x), axis) -> x
    }

    Graph& g_;
    Rewriter& rw_;
    bool assume_finite_;
    std::size_t first_new_ = 0;  ///< ids from here on were built by this run
};

}  // namespace detail

/// Algebraic simplification (the rules listed above).
inline Pass simplify() {
    return {"simplify", [](PassContext& ctx, Rewriter& rw) { detail::Simplifier(ctx, rw).run(); }};
}

}  // namespace graft::passes
