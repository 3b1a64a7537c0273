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

    NodeId step() {
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
