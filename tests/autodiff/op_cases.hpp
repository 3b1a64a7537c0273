// SPDX-License-Identifier: MIT
// tests/autodiff/op_cases.hpp: the catalog of op instances both autodiff harnesses walk (ggml's test_case).
// Each case names its op, the shapes and value ranges of its inputs (chosen away from kinks, poles and
// ties) and builds one instance of the op from input nodes of any float dtype. The gradcheck test runs
// every differentiable case in double; the reference test runs every case in float and double.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <graft/core/random.hpp>
#include <graft/graph/ir.hpp>
#include <graft/graph/op_table.hpp>

#include "support/text.hpp"

namespace graft_test {

/// Draws `n` values for one input.
using Draw = std::function<std::vector<double>(graft::Rng&, std::size_t n)>;

/// Uniform in [lo, hi).
inline Draw uniform(double lo, double hi) {
    return [=](graft::Rng& r, std::size_t n) {
        std::vector<double> v(n);
        for (auto& x : v) x = r.uniform(lo, hi);
        return v;
    };
}
/// Uniform in [lo, hi) but at least `margin` away from each of `points` (kinks: relu/abs at 0, clamp bounds).
inline Draw away_from(double lo, double hi, std::vector<double> points, double margin = 0.05) {
    return [=](graft::Rng& r, std::size_t n) {
        std::vector<double> v(n);
        for (auto& x : v) {
            bool near = true;
            while (near) {
                x = r.uniform(lo, hi);
                near = std::any_of(points.begin(), points.end(), [&](double p) { return x > p - margin && x < p + margin; });
            }
        }
        return v;
    };
}
/// Magnitude in [lo, hi), random sign: denominators away from 0.
inline Draw signed_magnitude(double lo, double hi) {
    return [=](graft::Rng& r, std::size_t n) {
        std::vector<double> v(n);
        for (auto& x : v) x = r.uniform(lo, hi) * (r.below(2) ? 1.0 : -1.0);
        return v;
    };
}
/// Odd (odd = true) or even multiples of 0.05 in [-1, 1]: an odd and an even draw never tie, whatever
/// broadcasting pairs them with (maximum/minimum).
inline Draw grid(bool odd) {
    return [=](graft::Rng& r, std::size_t n) {
        std::vector<double> v(n);
        for (auto& x : v) x = (2.0 * static_cast<double>(r.below(20)) - 20.0 + (odd ? 1.0 : 0.0)) * 0.05;
        return v;
    };
}
/// Integers in [lo, hi]: ties on purpose (comparisons, argmax) or labels.
inline Draw integers(int lo, int hi) {
    return [=](graft::Rng& r, std::size_t n) {
        std::vector<double> v(n);
        for (auto& x : v) x = lo + static_cast<double>(r.below(static_cast<std::uint64_t>(hi - lo + 1)));
        return v;
    };
}
/// n distinct values spread over [lo, hi), shuffled: no two within (hi-lo)/(2n) (max reductions).
inline Draw distinct(double lo, double hi) {
    return [=](graft::Rng& r, std::size_t n) {
        std::vector<double> v(n);
        for (std::size_t i = 0; i < n; ++i)
            v[i] = lo + (hi - lo) * (static_cast<double>(i) + 0.25 + 0.5 * r.uniform()) / static_cast<double>(n);
        for (std::size_t i = n; i > 1; --i) std::swap(v[i - 1], v[r.below(i)]);
        return v;
    };
}

/// One input of a case: dims, how its values are drawn, and whether it holds int32 labels.
struct InputSpec {
    graft::Dims dims;
    Draw draw = uniform(-1.0, 1.0);
    bool labels = false;
};

/// Builds the op instance from input nodes; `ftype` is the float dtype of the run (f32 or f64).
using CaseBuild = std::function<graft::NodeId(graft::Graph&, std::span<const graft::NodeId>, graft::DType ftype)>;

struct OpCase {
    graft::OpKind op;
    std::string label;
    std::vector<InputSpec> inputs;
    CaseBuild build;
    // gradcheck tolerances, |analytic - numeric| <= atol + rtol |numeric| with eps = 1e-6. Every case
    // passes at these defaults (tighter than PyTorch's 1e-5/1e-3): inputs stay within [-3, 3], away from
    // kinks and poles, so the central difference's O(eps^2) truncation and O(1e-16/eps) rounding stay
    // near 1e-10. A case that needs looser bounds sets them here and says why.
    double atol = 1e-6;
    double rtol = 1e-4;
};

inline std::string dims_label(const graft::Dims& d) {
    std::string s = "[";
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (i) s += ',';
        s += std::to_string(d[i]);
    }
    s += ']';
    return s;
}

namespace cases {
using graft::Dims;
using graft::DType;
using graft::Graph;
using graft::NodeId;
using graft::OpKind;
using Ids = std::span<const NodeId>;

inline graft::Attrs axis_attrs(std::int64_t axis, bool keepdims = false, bool all_axes = false) {
    graft::Attrs a;
    a.axis = axis;
    a.keepdims = keepdims;
    a.all_axes = all_axes;
    return a;
}

inline void binary(std::vector<OpCase>& out) {
    const std::vector<std::pair<Dims, Dims>> shapes = {
        {{3, 4}, {3, 4}}, {{3, 1}, {1, 4}}, {{4}, {2, 3, 4}}, {{}, {2, 3}}, {{2, 3}, {}}, {{2, 1, 4}, {3, 1}}, {{1}, {5}}};
    for (OpKind op : {OpKind::add, OpKind::sub, OpKind::mul, OpKind::div, OpKind::maximum, OpKind::minimum})
        for (const auto& [a, b] : shapes) {
            InputSpec ia{a}, ib{b};
            if (op == OpKind::div) ib.draw = signed_magnitude(0.5, 1.5);  // denominators away from 0
            if (op == OpKind::maximum || op == OpKind::minimum) {        // no ties under any broadcast pairing
                ia.draw = grid(true);
                ib.draw = grid(false);
            }
            out.push_back({op, cat(graft::op_name(op), " ", dims_label(a), " ", dims_label(b)), {ia, ib},
                           [op](Graph& g, Ids x, DType) { return graft::ir::binary(g, op, x[0], x[1]); }});
        }
}

inline void compare(std::vector<OpCase>& out) {  // forward only (not differentiable); integer values make ties
    const std::vector<std::pair<Dims, Dims>> shapes = {{{3, 4}, {3, 4}}, {{3, 1}, {1, 4}}, {{}, {2, 3}}, {{4}, {2, 3, 4}}};
    for (OpKind op : {OpKind::greater, OpKind::less, OpKind::equal})
        for (const auto& [a, b] : shapes)
            out.push_back({op, cat(graft::op_name(op), " ", dims_label(a), " ", dims_label(b)),
                           {{a, integers(-1, 1)}, {b, integers(-1, 1)}},
                           [op](Graph& g, Ids x, DType) { return graft::ir::binary(g, op, x[0], x[1]); }});
}

inline void scalar(std::vector<OpCase>& out) {
    struct S {
        OpKind op;
        double c;
        Draw draw;
    };
    const std::vector<S> ops = {
        {OpKind::add_scalar, 0.7, uniform(-1, 1)},
        {OpKind::add_scalar, -2.5, uniform(-1, 1)},
        {OpKind::mul_scalar, -1.3, uniform(-1, 1)},
        {OpKind::mul_scalar, 0.0, uniform(-1, 1)},
        {OpKind::div_scalar, 0.8, uniform(-1, 1)},
        {OpKind::div_scalar, -2.5, uniform(-1, 1)},
        {OpKind::rsub_scalar, 1.5, uniform(-1, 1)},
        {OpKind::rdiv_scalar, 1.7, signed_magnitude(0.5, 1.5)},  // c / x: x away from the pole
        {OpKind::rdiv_scalar, -0.4, signed_magnitude(0.5, 1.5)},
        // x^c on positive x for every exponent; integer exponents also on negative x
        {OpKind::pow_scalar, 2.0, uniform(-1, 1)},
        {OpKind::pow_scalar, 3.0, uniform(-1, 1)},
        {OpKind::pow_scalar, 0.5, uniform(0.5, 1.5)},
        {OpKind::pow_scalar, -1.0, uniform(0.5, 1.5)},
        {OpKind::pow_scalar, 1.5, uniform(0.5, 1.5)},
        {OpKind::pow_scalar, -0.5, uniform(0.5, 1.5)},
        {OpKind::pow_scalar, 2.7, uniform(0.5, 1.5)},
        {OpKind::pow_scalar, 1.0, uniform(-1, 1)},
        {OpKind::pow_scalar, 0.0, uniform(0.5, 1.5)},
    };
    const std::vector<Dims> shapes = {{3, 4}, {5}, {}};
    for (const auto& s : ops)
        for (const Dims& d : shapes)
            out.push_back({s.op, cat(graft::op_name(s.op), "(c=", std::to_string(s.c), ") ", dims_label(d)), {{d, s.draw}},
                           [s](Graph& g, Ids x, DType) { return graft::ir::with_scalar(g, s.op, x[0], s.c); }});
    // clamp: inputs kept away from both bounds, where the derivative jumps
    const std::vector<std::pair<double, double>> bounds = {{-0.5, 0.5}, {0.0, 0.3}, {-2.0, 2.0}};
    for (const auto& [lo, hi] : bounds)
        for (const Dims& d : shapes)
            out.push_back({OpKind::clamp, cat("clamp(", std::to_string(lo), ", ", std::to_string(hi), ") ", dims_label(d)),
                           {{d, away_from(-1, 1, {lo, hi})}}, [lo = lo, hi = hi](Graph& g, Ids x, DType) {
                               graft::Attrs a;
                               a.scalar = lo;
                               a.scalar2 = hi;
                               return g.add(OpKind::clamp, {x[0]}, a);
                           }});
}

inline void unary(std::vector<OpCase>& out) {
    const std::vector<std::pair<OpKind, Draw>> ops = {
        {OpKind::neg, uniform(-1, 1)},
        {OpKind::exp, uniform(-2, 2)},
        {OpKind::log, uniform(0.2, 2)},       // positive inputs
        {OpKind::log1p, uniform(-0.5, 2)},    // inputs > -1
        {OpKind::expm1, uniform(-2, 2)},
        {OpKind::tanh, uniform(-2, 2)},
        {OpKind::sigmoid, uniform(-3, 3)},
        {OpKind::softplus, uniform(-3, 3)},
        {OpKind::relu, away_from(-1, 1, {0.0})},  // off the kink
        {OpKind::sqrt, uniform(0.2, 2)},          // positive inputs
        {OpKind::square, uniform(-1.5, 1.5)},
        {OpKind::abs, away_from(-1, 1, {0.0})},   // off the kink
    };
    const std::vector<Dims> shapes = {{3, 4}, {2, 3, 2}, {}};
    for (const auto& [op, draw] : ops)
        for (const Dims& d : shapes)
            out.push_back({op, cat(graft::op_name(op), " ", dims_label(d)), {{d, draw}},
                           [op = op](Graph& g, Ids x, DType) { return graft::ir::unary(g, op, x[0]); }});
}

inline void where(std::vector<OpCase>& out) {
    // mask = [m > 0] from an input kept away from 0, so finite differences never flip it
    struct W {
        Dims m, a, b;
    };
    const std::vector<W> shapes = {{{3, 4}, {3, 4}, {3, 4}}, {{3, 1}, {3, 4}, {4}}, {{}, {2, 3}, {2, 3}},
                                   {{2, 1, 4}, {3, 1}, {}}, {{4}, {2, 4}, {1, 4}}};
    for (const auto& s : shapes)
        out.push_back({OpKind::where, cat("where ", dims_label(s.m), " ", dims_label(s.a), " ", dims_label(s.b)),
                       {{s.m, away_from(-1, 1, {0.0})}, {s.a}, {s.b}}, [](Graph& g, Ids x, DType) {
                           const NodeId mask = graft::ir::binary(g, OpKind::greater, x[0], graft::ir::scalar(g, x[0], 0.0));
                           return graft::ir::where(g, mask, x[1], x[2]);
                       }});
}

inline void matmul(std::vector<OpCase>& out) {
    using graft::ir::transpose_last2;
    const std::vector<std::pair<Dims, Dims>> shapes = {
        {{2, 3}, {3, 4}},       {{1, 3}, {3, 1}},    {{2, 2, 3}, {3, 4}},  {{2, 3}, {2, 3, 4}},
        {{2, 1, 2, 3}, {3, 3, 2}},  // batch dims [2,1] and [3] broadcast to [2,3]
        {{3}, {3, 4}},          {{2, 3}, {3}},       {{3}, {3}},           {{4}, {2, 4, 3}},
        {{2, 3, 4}, {4}}};
    for (const auto& [a, b] : shapes)
        out.push_back({OpKind::matmul, cat("matmul ", dims_label(a), " ", dims_label(b)), {{a}, {b}},
                       [](Graph& g, Ids x, DType) { return graft::ir::matmul(g, x[0], x[1]); }});
    // transposed operands (folded into GEMM flags by compile)
    out.push_back({OpKind::matmul, "matmul [3,2]^T [3,4]", {{{3, 2}}, {{3, 4}}},
                   [](Graph& g, Ids x, DType) { return graft::ir::matmul(g, transpose_last2(g, x[0]), x[1]); }});
    out.push_back({OpKind::matmul, "matmul [2,3] [4,3]^T", {{{2, 3}}, {{4, 3}}},
                   [](Graph& g, Ids x, DType) { return graft::ir::matmul(g, x[0], transpose_last2(g, x[1])); }});
    out.push_back({OpKind::matmul, "matmul [2,3,2]^T [2,4,3]^T", {{{2, 3, 2}}, {{2, 4, 3}}}, [](Graph& g, Ids x, DType) {
                       return graft::ir::matmul(g, transpose_last2(g, x[0]), transpose_last2(g, x[1]));
                   }});
    out.push_back({OpKind::matmul, "matmul [2,3,2]^T [3,4]", {{{2, 3, 2}}, {{3, 4}}},
                   [](Graph& g, Ids x, DType) { return graft::ir::matmul(g, transpose_last2(g, x[0]), x[1]); }});
}

inline void shape(std::vector<OpCase>& out) {
    const std::vector<std::pair<Dims, std::vector<std::size_t>>> perms = {
        {{2, 3}, {1, 0}}, {{2, 3, 4}, {2, 0, 1}}, {{2, 3, 4}, {0, 2, 1}}, {{2, 3, 4}, {1, 0, 2}}, {{4}, {0}}};
    for (const auto& [d, p] : perms)
        out.push_back({OpKind::transpose, cat("transpose ", dims_label(d), " perm ", dims_label(p)), {{d}},
                       [p = p](Graph& g, Ids x, DType) { return graft::ir::transpose(g, x[0], p); }});
    const std::vector<std::pair<Dims, Dims>> reshapes = {{{2, 3, 4}, {6, 4}}, {{6}, {2, 1, 3}}, {{2, 3}, {6}}, {{}, {1, 1}}};
    for (const auto& [d, to] : reshapes)
        out.push_back({OpKind::reshape, cat("reshape ", dims_label(d), " -> ", dims_label(to)), {{d}},
                       [to = to](Graph& g, Ids x, DType) { return graft::ir::reshape(g, x[0], to); }});
    for (const Dims& d : std::vector<Dims>{{2, 3}, {}})  // checkpoint(x) = x, read twice so the alias is read late
        out.push_back({OpKind::checkpoint, cat("checkpoint ", dims_label(d)), {{d}},
                       [](Graph& g, Ids x, DType) { return graft::ir::mul(g, graft::ir::checkpoint(g, x[0]), x[0]); }});
    const std::vector<std::pair<Dims, Dims>> bcasts = {{{3, 1}, {2, 3, 4}}, {{}, {2, 3}}, {{4}, {3, 4}}, {{1}, {5}}};
    for (const auto& [d, to] : bcasts)
        out.push_back({OpKind::broadcast_to, cat("broadcast_to ", dims_label(d), " -> ", dims_label(to)), {{d}},
                       [to = to](Graph& g, Ids x, DType) { return graft::ir::broadcast_to(g, x[0], to); }});
    struct C {
        std::vector<Dims> parts;
        std::int64_t axis;
    };
    const std::vector<C> concats = {{{{2, 3}, {1, 3}, {3, 3}}, 0}, {{{2, 1}, {2, 3}}, 1},        {{{2, 3, 1}, {2, 3, 2}}, 2},
                                    {{{1, 3, 2}, {2, 3, 2}}, 0},   {{{2, 2, 2}, {2, 1, 2}}, 1}, {{{4}, {2}}, -1},
                                    {{{2, 3}}, 1}};
    for (const auto& c : concats) {
        std::vector<InputSpec> ins;
        std::string label = cat("concat axis ", std::to_string(c.axis));
        for (const auto& d : c.parts) {
            ins.push_back({d});
            label += cat(" ", dims_label(d));
        }
        out.push_back({OpKind::concat, label, ins, [axis = c.axis](Graph& g, Ids x, DType) {
                           return graft::ir::concat(g, std::vector<NodeId>(x.begin(), x.end()), axis);
                       }});
    }
    struct Sl {
        Dims d;
        std::int64_t axis;
        std::size_t start, stop;
    };
    const std::vector<Sl> slices = {{{4, 3}, 0, 1, 3}, {{4, 3}, 1, 0, 2}, {{2, 3, 4}, 0, 1, 2}, {{2, 3, 4}, 1, 0, 3},
                                    {{2, 3, 4}, 2, 1, 4}, {{2, 3, 4}, -1, 2, 3}, {{5}, 0, 4, 5}};
    for (const auto& s : slices)
        out.push_back({OpKind::slice,
                       cat("slice ", dims_label(s.d), " axis ", std::to_string(s.axis), " [", std::to_string(s.start), ", ",
                           std::to_string(s.stop), ")"),
                       {{s.d}}, [s](Graph& g, Ids x, DType) { return graft::ir::slice(g, x[0], s.axis, s.start, s.stop); }});
}

inline void reduce(std::vector<OpCase>& out) {
    struct R {
        Dims d;
        std::int64_t axis;
        bool keepdims, all_axes;
    };
    std::vector<R> rs;
    for (std::int64_t ax = 0; ax < 3; ++ax)
        for (bool keep : {false, true}) rs.push_back({{2, 3, 4}, ax, keep, false});
    for (bool keep : {false, true}) rs.push_back({{2, 3, 4}, 0, keep, true});
    rs.push_back({{5}, 0, false, false});
    rs.push_back({{3, 4}, -1, true, false});
    rs.push_back({{3, 1}, 1, false, false});  // a length-1 axis
    for (OpKind op : {OpKind::sum, OpKind::mean, OpKind::max})
        for (const auto& r : rs) {
            const std::string how = r.all_axes ? std::string("all axes") : cat("axis ", std::to_string(r.axis));
            // max: distinct values, so a step of eps never changes which element is the maximum
            out.push_back({op, cat(graft::op_name(op), " ", dims_label(r.d), " ", how, r.keepdims ? " keepdims" : ""),
                           {{r.d, op == OpKind::max ? distinct(-1, 1) : uniform(-1, 1)}}, [op, r](Graph& g, Ids x, DType) {
                               return g.add(op, {x[0]}, axis_attrs(r.axis, r.keepdims, r.all_axes));
                           }});
        }
}

inline void softmax(std::vector<OpCase>& out) {
    const std::vector<std::pair<Dims, std::int64_t>> rs = {{{2, 3, 4}, 0}, {{2, 3, 4}, 1}, {{2, 3, 4}, 2},
                                                           {{5}, 0},       {{3, 4}, -1},   {{1, 4}, 0}};
    for (OpKind op : {OpKind::softmax, OpKind::log_softmax})
        for (const auto& [d, ax] : rs)
            out.push_back({op, cat(graft::op_name(op), " ", dims_label(d), " axis ", std::to_string(ax)), {{d, uniform(-2, 2)}},
                           [op = op, ax = ax](Graph& g, Ids x, DType) { return g.add(op, {x[0]}, axis_attrs(ax)); }});
}

inline void conv(std::vector<OpCase>& out) {  // NCHW convolution and pooling, small odd sizes
    using graft::Conv2dParams;
    using graft::Pool2dParams;
    struct C {
        Dims x, w;
        Conv2dParams p;
        const char* what;
    };
    const std::vector<C> convs = {
        {{2, 3, 7, 6}, {4, 3, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1}, "3x3 pad 1"},
        {{2, 4, 7, 6}, {6, 2, 3, 2}, {2, 2, 1, 0, 0, 1, 1, 1, 2}, "3x2 stride 2, asymmetric pad, groups 2"},
        {{1, 2, 7, 6}, {3, 2, 2, 3}, {2, 1, 0, 1, 1, 0, 2, 2, 1}, "2x3 stride 2x1, dilation 2"},
        {{2, 3, 5, 4}, {2, 3, 1, 1}, {1, 1, 0, 0, 0, 0, 1, 1, 1}, "1x1 (x read as the columns)"},
    };
    auto with_dims = [](const Conv2dParams& p, const Dims& d) {
        graft::Attrs a = p.attrs();
        a.ints.insert(a.ints.end(), d.begin(), d.end());
        return a;
    };
    for (const auto& c : convs) {
        const Dims y = {c.x[0], c.w[0], c.p.out_h(c.x[2], c.w[2]), c.p.out_w(c.x[3], c.w[3])};
        out.push_back({OpKind::conv2d, cat("conv2d ", c.what, " ", dims_label(c.x), " ", dims_label(c.w)), {{c.x}, {c.w}},
                       [p = c.p](Graph& g, Ids x, DType) { return g.add(OpKind::conv2d, {x[0], x[1]}, p.attrs()); }});
        out.push_back({OpKind::conv2d_grad_input, cat("conv2d_grad_input ", c.what, " dy ", dims_label(y)), {{y}, {c.w}},
                       [p = c.p, xd = c.x, with_dims](Graph& g, Ids x, DType) {
                           return g.add(OpKind::conv2d_grad_input, {x[0], x[1]}, with_dims(p, xd));
                       }});
        out.push_back({OpKind::conv2d_grad_weight, cat("conv2d_grad_weight ", c.what, " x ", dims_label(c.x)), {{c.x}, {y}},
                       [p = c.p, wd = c.w, with_dims](Graph& g, Ids x, DType) {
                           return g.add(OpKind::conv2d_grad_weight, {x[0], x[1]}, with_dims(p, wd));
                       }});
    }
    struct P {
        Dims x;
        Pool2dParams p;
        const char* what;
    };
    const std::vector<P> pools = {
        {{2, 3, 7, 6}, {2, 2, 2, 2, 0, 0, 0, 0}, "2x2 stride 2 (last row dropped)"},
        {{2, 3, 7, 6}, {3, 3, 2, 2, 1, 1, 1, 1}, "3x3 stride 2 pad 1 (overlapping windows)"},
        {{1, 2, 5, 7}, {2, 3, 1, 2, 1, 0, 0, 2}, "2x3 stride 1x2, asymmetric pad"},
    };
    for (const auto& c : pools) {
        const Dims y = {c.x[0], c.x[1], c.p.out_h(c.x[2]), c.p.out_w(c.x[3])};
        // max: distinct values, so a step of eps never changes which element of a window is the maximum
        out.push_back({OpKind::max_pool2d, cat("max_pool2d ", c.what, " ", dims_label(c.x)), {{c.x, distinct(-1, 1)}},
                       [p = c.p](Graph& g, Ids x, DType) { return g.add(OpKind::max_pool2d, {x[0]}, p.attrs()); }});
        out.push_back({OpKind::max_pool2d_grad, cat("max_pool2d_grad ", c.what, " ", dims_label(c.x)), {{c.x, distinct(-1, 1)}, {y}},
                       [p = c.p](Graph& g, Ids x, DType) { return g.add(OpKind::max_pool2d_grad, {x[0], x[1]}, p.attrs()); }});
        out.push_back({OpKind::avg_pool2d, cat("avg_pool2d ", c.what, " ", dims_label(c.x)), {{c.x}},
                       [p = c.p](Graph& g, Ids x, DType) { return g.add(OpKind::avg_pool2d, {x[0]}, p.attrs()); }});
        out.push_back({OpKind::avg_pool2d_grad, cat("avg_pool2d_grad ", c.what, " dy ", dims_label(y)), {{y}},
                       [p = c.p, xd = c.x](Graph& g, Ids x, DType) {
                           graft::Attrs a = p.attrs();
                           a.ints.insert(a.ints.end(), xd.begin(), xd.end());
                           return g.add(OpKind::avg_pool2d_grad, {x[0]}, a);
                       }});
    }
}

inline void index(std::vector<OpCase>& out) {  // integer-valued, forward only
    const std::vector<std::pair<Dims, std::size_t>> hot = {{{5}, 4}, {{2, 3}, 3}, {{}, 2}};
    for (const auto& [d, depth] : hot)
        out.push_back({OpKind::one_hot, cat("one_hot ", dims_label(d), " depth ", std::to_string(depth)),
                       {{d, integers(0, static_cast<int>(depth) - 1), true}},  // every class; out of range is refused (ops_forward_test)
                       [depth = depth](Graph& g, Ids x, DType ftype) {
                           graft::Attrs a;
                           a.start = depth;
                           a.dtype = ftype;
                           return g.add(OpKind::one_hot, {x[0]}, a);
                       }});
    const std::vector<std::tuple<Dims, std::int64_t, bool>> arg = {
        {{3, 4}, 0, false}, {{3, 4}, 1, true}, {{3, 4}, -1, false}, {{2, 3, 4}, 1, false}, {{5}, 0, false}};
    for (const auto& [d, ax, keep] : arg)
        out.push_back({OpKind::argmax, cat("argmax ", dims_label(d), " axis ", std::to_string(ax), keep ? " keepdims" : ""),
                       {{d, integers(0, 2)}},  // ties: the first maximum wins
                       [ax = ax, keep = keep](Graph& g, Ids x, DType) { return g.add(OpKind::argmax, {x[0]}, axis_attrs(ax, keep)); }});
}

inline void random(std::vector<OpCase>& out) {  // impure; the reference evaluates run 0, as a first run() does
    for (const auto& d : std::vector<Dims>{{4, 5}, {7}, {}})
        out.push_back({OpKind::dropout_mask, cat("dropout_mask ", dims_label(d)), {{d, uniform(-2, 2)}},
                       [](Graph& g, Ids x, DType) {
                           graft::Attrs a;
                           a.scalar = 0.4;
                           a.start = 5;
                           return g.add(OpKind::mul, {x[0], g.add(OpKind::dropout_mask, {x[0]}, a)});
                       }});
}

inline void fusion(std::vector<OpCase>& out) {  // made by the fusion passes; not differentiable, forward only
    out.push_back({OpKind::fused, "fused sigmoid(a*b - c)^2 + clamp(a), b [4] and c [3,1] broadcast",
                   {{{3, 4}}, {{4}}, {{3, 1}}}, [](Graph& g, Ids x, DType ftype) {
                       graft::FusedProgram p;
                       p.dtype = ftype;
                       p.dims = {3, 4};
                       p.inputs = 3;
                       p.registers = 5;
                       p.steps = {{OpKind::mul, 3, 0, 1, 0}, {OpKind::sub, 3, 3, 2, 0}, {OpKind::sigmoid, 3, 3, 0, 0},
                                  {OpKind::square, 3, 3, 0, 0}, {OpKind::clamp, 4, 0, 0, 1}, {OpKind::add, 3, 3, 4, 0}};
                       p.constants = {-0.5, 0.5};
                       return g.add(OpKind::fused, {x[0], x[1], x[2]}, p.encode());
                   }});
    for (std::size_t act = 0; act < 4; ++act)
        out.push_back({OpKind::matmul_bias_act, cat("matmul_bias_act [5,3] x [3,4] + [4] ", graft::epilogue_name(graft::Epilogue(act))),
                       {{{5, 3}}, {{3, 4}}, {{4}}}, [act](Graph& g, Ids x, DType) {
                           graft::Attrs a;
                           a.ints = {act};
                           return g.add(OpKind::matmul_bias_act, {x[0], x[1], x[2]}, a);
                       }});
}

}  // namespace cases

/// Every case, for every op that has one.
inline const std::vector<OpCase>& op_cases() {
    static const std::vector<OpCase> all = [] {
        std::vector<OpCase> v;
        cases::binary(v);
        cases::compare(v);
        cases::scalar(v);
        cases::unary(v);
        cases::where(v);
        cases::matmul(v);
        cases::shape(v);
        cases::reduce(v);
        cases::softmax(v);
        cases::conv(v);
        cases::index(v);
        cases::random(v);
        cases::fusion(v);
        return v;
    }();
    return all;
}

/// True when the graph holds a node of op `op` (a case must really build the op it is filed under).
inline bool graph_has_op(const graft::Graph& g, graft::OpKind op) {
    for (const auto& n : g.nodes())
        if (n.op == op) return true;
    return false;
}

}  // namespace graft_test
