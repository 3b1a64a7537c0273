// SPDX-License-Identifier: MIT
// tests/support/random_graph.hpp: random_graph(g, seed) appends a small random DAG of pure ops to g —
// broadcasting operands, shared subexpressions, repeated identical nodes, constants, inputs and params —
// for differential tests (compiled program vs reference evaluator, passes on vs off). Every value's
// dims broadcast to one base shape, and log/sqrt/div/pow only see arguments kept positive.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <graft/core/random.hpp>
#include <graft/exec/reference.hpp>
#include <graft/graph/ir.hpp>

#include "text.hpp"

namespace graft_test {

/// GRAFT_SEED from the environment if set (to replay a failure), else `fallback`.
inline std::uint64_t seed_from_env(std::uint64_t fallback) {
    const char* s = std::getenv("GRAFT_SEED");
    if (!s || !*s) return fallback;
    return std::strtoull(s, nullptr, 0);
}

/// GRAFT_REPEAT from the environment if set (to run a randomised test longer), else 1.
inline std::size_t repeat_from_env() {
    const char* s = std::getenv("GRAFT_REPEAT");
    const unsigned long long n = s && *s ? std::strtoull(s, nullptr, 0) : 1;
    return n ? static_cast<std::size_t>(n) : 1;
}

struct RandomGraphOptions {
    graft::DType dtype = graft::DType::f64;
    std::size_t min_steps = 3, max_steps = 12;  ///< random construction steps (each adds one or a few nodes)
    std::size_t max_rank = 3, max_dim = 4;      ///< of the base shape
    bool empty_axis = false;                    ///< one axis of the base shape has size 0
    /// Half the steps build a pattern some pass rewrites (for the pass property tests): identities
    /// (x*1, x+0, x/1, pow(x,1), ...), double negations, constants-only subtrees, log(1+x), exp(x)-1,
    /// log(softmax), log(sigmoid), 1-sigmoid, log(exp(x)), chains of elementwise ops, matmul + bias +
    /// activation, transpose/reshape/broadcast chains, sums and means of broadcasts, scalar chains, deep
    /// shared subexpressions, x*0 and x-x (which must stay), and pairs of identical dropout masks (impure:
    /// never merged or folded). Off by default, so a given seed gives the same graph as before.
    bool patterns = false;
    bool dropout = true;  ///< with patterns: include the dropout mask pairs
};

struct RandomGraph {
    std::vector<graft::NodeId> outputs;   ///< one to three values the graph computes
    graft::NodeId loss = graft::no_node;  ///< a scalar: sum over outputs of sum(out * fixed direction)
    std::vector<graft::NodeId> wrt;       ///< every input and param (some may not reach the loss)
    graft::reference::Bindings bindings;  ///< values for the inputs; params come from their Init
    graft::Dims base;                     ///< the shape every value broadcasts to
};

namespace detail {

class RandomGraphBuilder {
public:
    RandomGraphBuilder(graft::Graph& g, std::uint64_t seed, const RandomGraphOptions& opt) : g_(g), rng_(seed), opt_(opt) {}

    RandomGraph build() {
        const std::size_t rank = 1 + rng_.below(opt_.max_rank);
        for (std::size_t i = 0; i < rank; ++i) rg_.base.push_back(1 + rng_.below(opt_.max_dim));
        if (opt_.empty_axis) rg_.base[rng_.below(rank)] = 0;
        const std::size_t leaves = 2 + rng_.below(3);
        for (std::size_t i = 0; i < leaves; ++i) pool_.push_back(new_leaf());
        const std::size_t steps = opt_.min_steps + rng_.below(opt_.max_steps - opt_.min_steps + 1);
        for (std::size_t i = 0; i < steps; ++i) pool_.push_back(step());
        // outputs: the last value and up to two others
        rg_.outputs.push_back(pool_.back());
        const std::size_t extra = rng_.below(3);
        for (std::size_t i = 0; i < extra; ++i) {
            const graft::NodeId o = pick();
            bool seen = false;
            for (auto x : rg_.outputs) seen = seen || x == o;
            if (!seen) rg_.outputs.push_back(o);
        }
        graft::NodeId loss = graft::no_node;
        for (graft::NodeId o : rg_.outputs) {
            const graft::NodeId dir = constant(g_.node(o).dims);
            const graft::NodeId term = graft::ir::sum_all(g_, graft::ir::mul(g_, o, dir));
            loss = loss == graft::no_node ? term : graft::ir::add(g_, loss, term);
        }
        rg_.loss = loss;
        return std::move(rg_);
    }

private:
    using NodeId = graft::NodeId;
    using OpKind = graft::OpKind;

    double uniform(double lo, double hi) { return rng_.uniform(lo, hi); }
    bool coin() { return rng_.below(2) == 0; }
    template <class T>
    const T& one_of(const std::vector<T>& v) { return v[rng_.below(v.size())]; }

    /// A value from the pool, recent ones more often (so chains grow deep as well as wide).
    NodeId pick() {
        if (coin() && pool_.size() > 2) return pool_[pool_.size() - 1 - rng_.below(3)];
        return pool_[rng_.below(pool_.size())];
    }
    NodeId pick_ranked() {  // a value of rank >= 1 (broadcast to the base shape if needed)
        const NodeId x = pick();
        return g_.node(x).dims.empty() ? graft::ir::broadcast_to(g_, x, rg_.base) : x;
    }
    /// Dims that broadcast to the base shape: leading axes dropped, some axes set to 1.
    graft::Dims sub_dims() {
        const std::size_t drop = rng_.below(rg_.base.size() + 1);
        graft::Dims d(rg_.base.begin() + static_cast<std::ptrdiff_t>(drop), rg_.base.end());
        for (auto& x : d)
            if (rng_.below(3) == 0) x = 1;
        return d;
    }
    std::vector<double> values(std::size_t n) {
        std::vector<double> v(n);
        for (auto& x : v) x = graft::reference::round_to(opt_.dtype, uniform(-1, 1));
        return v;
    }
    static std::size_t count(const graft::Dims& d) {
        std::size_t n = 1;
        for (auto x : d) n *= x;
        return n;
    }
    NodeId constant(const graft::Dims& d) {
        const std::vector<double> v = values(count(d));
        const auto bytes = graft::reference::to_bytes({opt_.dtype, d, v});
        return g_.constant(opt_.dtype, d, bytes.data());
    }
    NodeId new_leaf(graft::Dims d) {
        switch (rng_.below(4)) {
            case 0: {
                const std::string name = cat("p", std::to_string(leaf_count_++));
                const NodeId p = g_.param(name, opt_.dtype, d, graft::init::uniform(-1, 1, rng_.next()));
                rg_.wrt.push_back(p);
                return p;
            }
            case 1: return constant(d);
            default: {
                const std::string name = cat("x", std::to_string(leaf_count_++));
                const NodeId x = g_.input(name, opt_.dtype, d);
                rg_.bindings.inputs[name] = graft::reference::Value{opt_.dtype, d, values(count(d))};
                rg_.wrt.push_back(x);
                return x;
            }
        }
    }
    NodeId new_leaf() { return new_leaf(sub_dims()); }

    /// sigmoid(x) + 1/4, in (1/4, 5/4): the argument for log, sqrt, division and fractional powers.
    NodeId positive(NodeId x) { return graft::ir::add_scalar(g_, graft::ir::unary(g_, OpKind::sigmoid, x), 0.25); }

    NodeId unary(NodeId x) {
        static const std::vector<OpKind> ops = {OpKind::neg,  OpKind::exp,  OpKind::log,    OpKind::log1p,
                                                OpKind::expm1, OpKind::tanh, OpKind::sigmoid, OpKind::softplus,
                                                OpKind::relu, OpKind::sqrt, OpKind::square, OpKind::abs};
        const OpKind op = one_of(ops);
        const bool needs_positive = op == OpKind::log || op == OpKind::log1p || op == OpKind::sqrt;
        return graft::ir::unary(g_, op, needs_positive ? positive(x) : x);
    }
    NodeId scalar_op(NodeId x) {
        switch (rng_.below(8)) {
            case 0: return graft::ir::add_scalar(g_, x, uniform(-2, 2));
            case 1: return graft::ir::mul_scalar(g_, x, uniform(-2, 2));
            case 2: return graft::ir::with_scalar(g_, OpKind::div_scalar, x, coin() ? uniform(0.5, 2) : -uniform(0.5, 2));
            case 3: return graft::ir::rsub_scalar(g_, x, uniform(-2, 2));
            case 4: return graft::ir::with_scalar(g_, OpKind::rdiv_scalar, positive(x), uniform(-2, 2));
            case 5: return graft::ir::pow_scalar(g_, positive(x), one_of(std::vector<double>{0.5, -1.0, 1.5, 2.5, -0.5}));
            case 6: return graft::ir::pow_scalar(g_, x, one_of(std::vector<double>{2.0, 3.0, 1.0}));
            default: {
                graft::Attrs a;
                a.scalar = uniform(-1, 0.2);
                a.scalar2 = a.scalar + uniform(0.1, 1.5);
                return g_.add(OpKind::clamp, {x}, a);
            }
        }
    }
    NodeId binary(NodeId a, NodeId b) {
        static const std::vector<OpKind> ops = {OpKind::add, OpKind::sub, OpKind::mul, OpKind::div, OpKind::maximum, OpKind::minimum};
        const OpKind op = one_of(ops);
        return graft::ir::binary(g_, op, a, op == OpKind::div ? positive(b) : b);
    }
    /// x @ W with W a new leaf [k, m] (stored transposed, or batched) or a vector [k] (then reshaped).
    NodeId matmul() {
        const NodeId x = pick_ranked();
        const graft::Dims xd = g_.node(x).dims;
        const std::size_t k = xd.back(), m = rg_.base.back();
        switch (rng_.below(4)) {
            case 0: return graft::ir::matmul(g_, x, new_leaf({k, m}));
            case 1: return graft::ir::matmul(g_, x, graft::ir::transpose_last2(g_, new_leaf({m, k})));
            case 2:
                if (xd.size() >= 2 && rg_.base.size() == 3)
                    return graft::ir::matmul(g_, x, new_leaf({coin() ? rg_.base[0] : 1, k, m}));
                return graft::ir::matmul(g_, x, new_leaf({k, m}));
            default: {  // a rank-1 right operand drops the last axis: put it back as 1
                graft::Dims back(xd.begin(), xd.end() - 1);
                back.push_back(1);
                return graft::ir::reshape(g_, graft::ir::matmul(g_, x, new_leaf({k})), back);
            }
        }
    }
    NodeId reduce() {
        static const std::vector<OpKind> ops = {OpKind::sum, OpKind::mean, OpKind::max};
        const OpKind op = one_of(ops);
        const NodeId x = pick_ranked();
        const std::size_t r = g_.node(x).dims.size();
        graft::Attrs a;
        switch (rng_.below(3)) {
            case 0:  // any axis, kept as 1
                a.axis = static_cast<std::int64_t>(rng_.below(r));
                a.keepdims = true;
                break;
            case 1: a.axis = 0; break;  // the leading axis, dropped: the rest stays right-aligned
            default:
                a.all_axes = true;
                a.keepdims = coin();
        }
        return g_.add(op, {x}, a);
    }
    NodeId softmax() {
        const NodeId x = pick_ranked();
        graft::Attrs a;
        a.axis = static_cast<std::int64_t>(rng_.below(g_.node(x).dims.size()));
        return g_.add(coin() ? OpKind::softmax : OpKind::log_softmax, {x}, a);
    }
    /// concat of two values broadcast to a common shape, then a window of the original length.
    NodeId concat_slice() {
        const NodeId x = pick_ranked(), y = pick();
        const graft::ValueType tx{opt_.dtype, g_.node(x).dims}, ty{opt_.dtype, g_.node(y).dims};
        const graft::ValueType both[] = {tx, ty};
        const graft::Dims d = graft::infer::broadcast_dims("concat_slice", both);
        const NodeId xb = graft::ir::broadcast_to(g_, x, d), yb = graft::ir::broadcast_to(g_, y, d);
        const auto ax = static_cast<std::int64_t>(rng_.below(d.size()));
        const std::size_t len = d[static_cast<std::size_t>(ax)];
        std::vector<NodeId> parts = {xb, yb};
        if (coin()) parts.push_back(xb);
        const NodeId c = graft::ir::concat(g_, parts, ax);
        const std::size_t start = rng_.below(len + 1);
        return graft::ir::slice(g_, c, ax, start, start + len);
    }
    /// transpose, an elementwise op, and the inverse transpose.
    NodeId transpose_round_trip() {
        const NodeId x = pick_ranked();
        const std::size_t r = g_.node(x).dims.size();
        std::vector<std::size_t> p(r), inv(r);
        for (std::size_t i = 0; i < r; ++i) p[i] = i;
        for (std::size_t i = r; i > 1; --i) std::swap(p[i - 1], p[rng_.below(i)]);
        for (std::size_t i = 0; i < r; ++i) inv[p[i]] = i;
        const NodeId t = graft::ir::transpose(g_, x, p);
        return graft::ir::transpose(g_, coin() ? unary(t) : scalar_op(t), inv);
    }
    /// flatten (or add an axis), an elementwise op, and back.
    NodeId reshape_round_trip() {
        const NodeId x = pick();
        const graft::Dims d = g_.node(x).dims;
        const graft::Dims flat = d.size() == 1 ? graft::Dims{1, d[0]} : graft::Dims{count(d)};
        return graft::ir::reshape(g_, unary(graft::ir::reshape(g_, x, flat)), d);
    }
    NodeId where() {
        static const std::vector<OpKind> cmp = {OpKind::greater, OpKind::less, OpKind::equal};
        const NodeId a = pick(), b = coin() ? pick() : graft::ir::scalar(g_, a, uniform(-0.5, 0.5));
        const NodeId mask = graft::ir::binary(g_, one_of(cmp), a, b);
        return graft::ir::where(g_, mask, pick(), pick());
    }
    /// An exact copy of a recent op node: the same op, inputs and attributes (a shared subexpression).
    NodeId duplicate() {
        for (std::size_t tries = 0; tries < 4; ++tries) {
            const graft::Node n = g_.node(pick());
            if (graft::op_info(n.op).cls == graft::OpClass::leaf) continue;
            return g_.add(n.op, n.inputs, n.attrs);
        }
        return unary(pick());
    }

    // ------------------------------------------------------------ patterns the passes rewrite
    /// A constant of dims `d` every element of which is `v`.
    NodeId filled(const graft::Dims& d, double v) {
        const auto bytes = graft::reference::to_bytes({opt_.dtype, d, std::vector<double>(count(d), v)});
        return g_.constant(opt_.dtype, d, bytes.data());
    }
    /// The constant `v` in dims that broadcast with x's: rank 0, x's own, or dims that broadcast x up.
    NodeId filled_like(NodeId x, double v) {
        switch (rng_.below(4)) {
            case 0: return filled({}, v);
            case 1: return filled(sub_dims(), v);
            default: return filled(g_.node(x).dims, v);
        }
    }
    NodeId add_op(OpKind op, std::vector<NodeId> in, graft::Attrs a = {}) { return g_.add(op, std::move(in), a); }
    /// x*1, 1*x, x+0, 0+x, x-0, x/1 and their scalar forms, pow(x, 1); x*0 and x-x (not rewritten by default).
    NodeId identity() {
        const NodeId x = pick();
        switch (rng_.below(12)) {
            case 0: return graft::ir::mul(g_, x, filled_like(x, 1));
            case 1: return graft::ir::mul(g_, filled_like(x, 1), x);
            case 2: return graft::ir::add(g_, x, filled_like(x, 0));
            case 3: return graft::ir::add(g_, filled_like(x, 0), x);
            case 4: return graft::ir::sub(g_, x, filled_like(x, 0));
            case 5: return graft::ir::div(g_, x, filled_like(x, 1));
            case 6: return graft::ir::mul_scalar(g_, x, 1.0);
            case 7: return graft::ir::add_scalar(g_, x, 0.0);
            case 8: return graft::ir::with_scalar(g_, OpKind::div_scalar, x, 1.0);
            case 9: return graft::ir::pow_scalar(g_, x, 1.0);
            case 10: return graft::ir::mul(g_, x, filled_like(x, 0));
            default: return graft::ir::sub(g_, x, x);
        }
    }
    /// neg(neg(x)), x - neg(y), x + neg(y), neg(y) + x, neg(x) * neg(y).
    NodeId negations() {
        const NodeId x = pick(), y = pick();
        switch (rng_.below(5)) {
            case 0: return graft::ir::neg(g_, graft::ir::neg(g_, x));
            case 1: return graft::ir::sub(g_, x, graft::ir::neg(g_, y));
            case 2: return graft::ir::add(g_, x, graft::ir::neg(g_, y));
            case 3: return graft::ir::add(g_, graft::ir::neg(g_, y), x);
            default: return graft::ir::mul(g_, graft::ir::neg(g_, x), graft::ir::neg(g_, y));
        }
    }
    /// A subtree of one to three ops over constants only (folded at compile time), combined with a value.
    NodeId constant_subtree() {
        NodeId k = constant(sub_dims());
        const std::size_t depth = 1 + rng_.below(3);
        for (std::size_t i = 0; i < depth; ++i) {
            switch (rng_.below(4)) {
                case 0: k = unary(k); break;
                case 1: k = scalar_op(k); break;
                case 2: k = binary(k, constant(sub_dims())); break;
                default: {
                    const NodeId b = graft::ir::broadcast_to(g_, k, rg_.base);
                    k = g_.node(b).dims.empty() ? b : graft::ir::sum_axis(g_, b, 0, true);
                }
            }
        }
        return coin() ? binary(pick(), k) : binary(k, pick());
    }
    /// The formulas the stability pass rewrites: log(1+x), exp(x)-1, log(softmax), log(sigmoid), 1-sigmoid.
    NodeId unstable() {
        const NodeId x = pick();
        switch (rng_.below(9)) {
            case 0: {  // 1 + p with p > -1
                const NodeId p = graft::ir::unary(g_, OpKind::sigmoid, x);
                return graft::ir::unary(g_, OpKind::log, graft::ir::add(g_, filled_like(p, 1), p));
            }
            case 1: {
                const NodeId p = graft::ir::unary(g_, OpKind::square, x);
                return graft::ir::unary(g_, OpKind::log, graft::ir::add(g_, p, filled_like(p, 1)));
            }
            case 2: return graft::ir::unary(g_, OpKind::log, graft::ir::add_scalar(g_, graft::ir::unary(g_, OpKind::abs, x), 1.0));
            case 3: return graft::ir::sub(g_, graft::ir::unary(g_, OpKind::exp, x), filled_like(x, 1));
            case 4: return graft::ir::add_scalar(g_, graft::ir::unary(g_, OpKind::exp, x), -1.0);
            case 5: {
                const NodeId r = pick_ranked();
                const auto axis = static_cast<std::int64_t>(rng_.below(g_.node(r).dims.size()));
                return graft::ir::unary(g_, OpKind::log, graft::ir::softmax(g_, r, axis));
            }
            case 6: return graft::ir::unary(g_, OpKind::log, graft::ir::unary(g_, OpKind::sigmoid, x));
            case 7: {
                const NodeId s = graft::ir::unary(g_, OpKind::sigmoid, x);
                return graft::ir::sub(g_, filled_like(s, 1), s);
            }
            default: return graft::ir::rsub_scalar(g_, graft::ir::unary(g_, OpKind::sigmoid, x), 1.0);
        }
    }
    /// Two to six elementwise ops in a row (what elementwise fusion takes), some with a second operand.
    NodeId elementwise_chain() {
        NodeId x = pick();
        const std::size_t len = 2 + rng_.below(5);
        for (std::size_t i = 0; i < len; ++i) {
            switch (rng_.below(4)) {
                case 0: x = unary(x); break;
                case 1: x = scalar_op(x); break;
                case 2: x = binary(x, pick()); break;
                default: x = binary(pick(), x);
            }
        }
        return x;
    }
    /// act(x @ W + b) on 2-D operands (x flattened to rows first, and back after): what fuse_matmul_epilogue takes.
    NodeId dense() {
        const NodeId x = pick_ranked();
        const graft::Dims xd = g_.node(x).dims;
        const std::size_t k = xd.back(), m = rg_.base.back();
        const graft::Dims rows{count(graft::Dims(xd.begin(), xd.end() - 1)), k};  // [prod of leading dims, k]
        const NodeId x2 = graft::ir::reshape(g_, x, rows);
        const NodeId w = coin() ? new_leaf({k, m}) : graft::ir::transpose_last2(g_, new_leaf({m, k}));
        const NodeId b = new_leaf(coin() ? graft::Dims{m} : graft::Dims{1, m});
        const NodeId mm = graft::ir::matmul(g_, x2, w);
        NodeId y = coin() ? graft::ir::add(g_, mm, b) : graft::ir::add(g_, b, mm);
        switch (rng_.below(4)) {
            case 0: y = graft::ir::unary(g_, OpKind::relu, y); break;
            case 1: y = graft::ir::unary(g_, OpKind::tanh, y); break;
            case 2: y = graft::ir::unary(g_, OpKind::sigmoid, y); break;
            default: break;
        }
        graft::Dims back = xd;
        back.back() = m;
        return graft::ir::reshape(g_, y, back);
    }
    /// transpose(transpose(x)), identity transposes, reshape chains and reshapes to self, broadcast chains.
    NodeId shape_chain() {
        const NodeId x = pick_ranked();
        const graft::Dims d = g_.node(x).dims;
        const std::size_t r = d.size();
        auto perm = [&] {
            std::vector<std::size_t> p(r);
            for (std::size_t i = 0; i < r; ++i) p[i] = i;
            for (std::size_t i = r; i > 1; --i) std::swap(p[i - 1], p[rng_.below(i)]);
            return p;
        };
        switch (rng_.below(6)) {
            case 0: {  // back to x's dims through two random permutations and a third that undoes them
                const auto p = perm(), q = perm();
                const NodeId t = graft::ir::transpose(g_, graft::ir::transpose(g_, x, p), q);
                std::vector<std::size_t> pq(r), inv(r);
                for (std::size_t i = 0; i < r; ++i) pq[i] = p[q[i]];
                for (std::size_t i = 0; i < r; ++i) inv[pq[i]] = i;
                return graft::ir::transpose(g_, t, inv);
            }
            case 1: {
                std::vector<std::size_t> id(r);
                for (std::size_t i = 0; i < r; ++i) id[i] = i;
                graft::Attrs a;
                a.ints = id;
                return add_op(OpKind::transpose, {x}, a);
            }
            case 2: {
                const graft::Dims flat{count(d)}, wide{1, count(d)};
                return graft::ir::reshape(g_, graft::ir::reshape(g_, graft::ir::reshape(g_, x, wide), flat), d);
            }
            case 3: {
                graft::Attrs a;
                a.ints = d;
                return add_op(OpKind::reshape, {x}, a);
            }
            case 4: {
                graft::Attrs a;
                a.ints = d;
                return add_op(OpKind::broadcast_to, {x}, a);
            }
            default: {  // x -> dims between x's and the base -> the base
                const NodeId small = new_leaf();
                const graft::Dims sd = g_.node(small).dims;
                graft::Dims mid(rg_.base.end() - static_cast<std::ptrdiff_t>(sd.size()), rg_.base.end());
                for (std::size_t i = 0; i < mid.size(); ++i)
                    if (sd[i] == 1 && coin()) mid[i] = 1;
                graft::Attrs a1, a2;
                a1.ints = mid;
                a2.ints = rg_.base;
                return add_op(OpKind::broadcast_to, {add_op(OpKind::broadcast_to, {small}, a1)}, a2);
            }
        }
    }
    /// sum or mean of a broadcast, over all axes or one.
    NodeId reduce_of_broadcast() {
        const NodeId x = new_leaf();
        graft::Attrs b;
        b.ints = rg_.base;
        const NodeId xb = add_op(OpKind::broadcast_to, {x}, b);
        graft::Attrs a;
        if (coin()) {
            a.all_axes = true;
            a.keepdims = coin();
        } else {
            a.axis = static_cast<std::int64_t>(rng_.below(rg_.base.size()));
            a.keepdims = true;
        }
        return add_op(coin() ? OpKind::sum : OpKind::mean, {xb}, a);
    }
    /// mul_scalar(mul_scalar(x, a), b), add_scalar(add_scalar(x, a), b), log(exp(x)).
    NodeId scalar_chain() {
        const NodeId x = pick();
        switch (rng_.below(3)) {
            case 0: return graft::ir::mul_scalar(g_, graft::ir::mul_scalar(g_, x, uniform(-2, 2)), uniform(-2, 2));
            case 1: return graft::ir::add_scalar(g_, graft::ir::add_scalar(g_, x, uniform(-2, 2)), uniform(-2, 2));
            default: return graft::ir::unary(g_, OpKind::log, graft::ir::unary(g_, OpKind::exp, x));
        }
    }
    /// A copy of a recent op node with copies of its op inputs too (a two-level shared subexpression).
    NodeId deep_duplicate(NodeId id, int depth) {
        const graft::Node n = g_.node(id);
        if (depth == 0 || graft::op_info(n.op).cls == graft::OpClass::leaf) return id;
        std::vector<NodeId> in;
        for (NodeId i : n.inputs) in.push_back(deep_duplicate(i, depth - 1));
        return g_.add(n.op, in, n.attrs);
    }
    /// x * mask1 + x * mask2 with two identical dropout masks: impure, so never merged, never folded.
    NodeId dropout_pair() {
        const NodeId x = coin() ? pick() : constant(sub_dims());
        graft::Attrs a;
        a.scalar = one_of(std::vector<double>{0.0, 0.25, 0.5});
        a.start = rng_.below(1000);
        const NodeId m1 = add_op(OpKind::dropout_mask, {x}, a), m2 = add_op(OpKind::dropout_mask, {x}, a);
        return graft::ir::add(g_, graft::ir::mul(g_, x, m1), graft::ir::mul(g_, x, m2));
    }
    NodeId pattern() {
        switch (rng_.below(15)) {
            case 0: return identity();
            case 1: return negations();
            case 2:
            case 3: return constant_subtree();
            case 4: return unstable();
            case 5:
            case 6: return elementwise_chain();
            case 7:
            case 8:
            case 9: return dense();
            case 10: return shape_chain();
            case 11: return reduce_of_broadcast();
            case 12: return scalar_chain();
            case 13: return deep_duplicate(pick(), 1 + static_cast<int>(rng_.below(2)));
            default: return opt_.dropout ? dropout_pair() : identity();
        }
    }

    NodeId step() {
        if (opt_.patterns && coin()) return pattern();
        switch (rng_.below(14)) {
            case 0:
            case 1:
            case 2: return binary(pick(), pick());
            case 3:
            case 4: return unary(pick());
            case 5: return scalar_op(pick());
            case 6: return where();
            case 7: return matmul();
            case 8: return reduce();
            case 9: return softmax();
            case 10: return concat_slice();
            case 11: return coin() ? transpose_round_trip() : reshape_round_trip();
            case 12: return coin() ? duplicate() : graft::ir::broadcast_to(g_, pick(), rg_.base);
            default: return binary(pick(), new_leaf());
        }
    }

    graft::Graph& g_;
    graft::Rng rng_;
    RandomGraphOptions opt_;
    RandomGraph rg_;
    std::vector<NodeId> pool_;
    std::size_t leaf_count_ = 0;
};

}  // namespace detail

/// Appends a random graph to `g` (best empty: leaf names are x0, p1, ...) and returns its outputs,
/// its scalar loss, the leaves to differentiate and the input values. The same seed gives the same graph.
inline RandomGraph random_graph(graft::Graph& g, std::uint64_t seed, const RandomGraphOptions& opt = {}) {
    return detail::RandomGraphBuilder(g, seed, opt).build();
}

}  // namespace graft_test
