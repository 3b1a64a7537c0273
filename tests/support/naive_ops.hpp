// SPDX-License-Identifier: MIT
// tests/support/naive_ops.hpp: the forward of every IR op as a deliberately naive loop in double.
// The yardstick the compiled kernels are compared with: NumPy semantics (broadcasting, matmul's rank-1
// rules, keepdims, first-index argmax), one output element at a time, over runtime dims. It reads only
// graft's IR vocabulary (OpKind, Attrs, Dims), never a graft kernel or shape rule: out dims are derived
// here independently, so a test also checks each op's shape rule.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <graft/core/random.hpp>
#include <graft/graph/node.hpp>

#include "naive_conv.hpp"
#include "reference.hpp"
#include "text.hpp"

namespace graft_test {

/// A value in double: row-major elements and their dims (empty dims = rank-0 scalar).
struct NaiveValue {
    graft::Dims dims;
    std::vector<double> v;
};

namespace detail {

inline std::size_t norm_axis(std::int64_t axis, std::size_t rank) {
    const auto r = static_cast<std::int64_t>(rank);
    if (axis < -r || axis >= r) throw std::logic_error("naive_forward: axis out of range");
    return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

/// NumPy broadcast of several dims lists; throws std::logic_error when they do not broadcast.
inline graft::Dims broadcast_all(const std::vector<const graft::Dims*>& ds) {
    graft::Dims out;
    for (const auto* d : ds) {
        graft::Dims next;
        if (!broadcast_dims(out, *d, next)) throw std::logic_error("naive_forward: shapes do not broadcast");
        out = next;
    }
    return out;
}

/// Output dims and the element at flat index o for every output position, broadcasting `ins`.
template <class F>
NaiveValue broadcast_map(const std::vector<NaiveValue>& in, F f) {
    std::vector<const graft::Dims*> ds;
    for (const auto& x : in) ds.push_back(&x.dims);
    NaiveValue out;
    out.dims = broadcast_all(ds);
    const std::size_t n = count_of(out.dims);
    out.v.resize(n);
    std::vector<double> args(in.size());
    for (std::size_t o = 0; o < n; ++o) {
        const auto idx = unravel(o, out.dims);
        for (std::size_t k = 0; k < in.size(); ++k) args[k] = in[k].v[broadcast_offset(idx, in[k].dims)];
        out.v[o] = f(args);
    }
    return out;
}

template <class F>
NaiveValue map1(const NaiveValue& x, F f) {
    NaiveValue out{x.dims, std::vector<double>(x.v.size())};
    for (std::size_t i = 0; i < x.v.size(); ++i) out.v[i] = f(x.v[i]);
    return out;
}

/// [outer, len, inner] around `axis` of dims d.
struct AxisBlocks {
    std::size_t outer = 1, len = 1, inner = 1;
};
inline AxisBlocks blocks(const graft::Dims& d, std::size_t axis) {
    AxisBlocks b;
    for (std::size_t i = 0; i < axis; ++i) b.outer *= d[i];
    b.len = d[axis];
    for (std::size_t i = axis + 1; i < d.size(); ++i) b.inner *= d[i];
    return b;
}

inline NaiveValue reduce(graft::OpKind op, const graft::Attrs& at, const NaiveValue& x) {
    graft::Dims red_dims;
    AxisBlocks b;
    if (at.all_axes) {
        b.len = count_of(x.dims);
        red_dims = at.keepdims ? graft::Dims(x.dims.size(), 1) : graft::Dims{};
    } else {
        const std::size_t ax = norm_axis(at.axis, x.dims.size());
        b = blocks(x.dims, ax);
        red_dims = x.dims;
        if (at.keepdims) red_dims[ax] = 1;
        else red_dims.erase(red_dims.begin() + static_cast<std::ptrdiff_t>(ax));
    }
    NaiveValue out{red_dims, std::vector<double>(b.outer * b.inner)};
    for (std::size_t o = 0; o < b.outer; ++o)
        for (std::size_t i = 0; i < b.inner; ++i) {
            double acc = op == graft::OpKind::max ? -std::numeric_limits<double>::infinity() : 0.0;
            for (std::size_t j = 0; j < b.len; ++j) {
                const double e = x.v[(o * b.len + j) * b.inner + i];
                if (op == graft::OpKind::max) acc = (e > acc || std::isnan(e)) && !std::isnan(acc) ? e : acc;
                else acc += e;
            }
            if (op == graft::OpKind::mean) acc = b.len ? acc / static_cast<double>(b.len) : std::nan("");
            out.v[o * b.inner + i] = acc;
        }
    return out;
}

inline NaiveValue softmax(bool log_out, const graft::Attrs& at, const NaiveValue& x) {
    const std::size_t ax = norm_axis(at.axis, x.dims.size());
    const AxisBlocks b = blocks(x.dims, ax);
    NaiveValue out{x.dims, std::vector<double>(x.v.size())};
    for (std::size_t o = 0; o < b.outer; ++o)
        for (std::size_t i = 0; i < b.inner; ++i) {
            auto at_j = [&](std::size_t j) { return (o * b.len + j) * b.inner + i; };
            double m = -std::numeric_limits<double>::infinity();
            for (std::size_t j = 0; j < b.len; ++j) m = std::max(m, x.v[at_j(j)]);
            double s = 0;
            for (std::size_t j = 0; j < b.len; ++j) s += std::exp(x.v[at_j(j)] - m);
            for (std::size_t j = 0; j < b.len; ++j)
                out.v[at_j(j)] = log_out ? x.v[at_j(j)] - m - std::log(s) : std::exp(x.v[at_j(j)] - m) / s;
        }
    return out;
}

inline NaiveValue matmul(const NaiveValue& a, const NaiveValue& b) {
    if (a.dims.empty() || b.dims.empty()) throw std::logic_error("naive_forward: matmul of a scalar");
    // NumPy: a rank-1 left operand is [1,K] and a rank-1 right operand [K,1]; the added axis is dropped.
    graft::Dims da = a.dims, db = b.dims;
    if (da.size() == 1) da.insert(da.begin(), 1);
    if (db.size() == 1) db.push_back(1);
    const std::size_t M = da[da.size() - 2], K = da.back(), N = db.back();
    if (db[db.size() - 2] != K) throw std::logic_error("naive_forward: matmul inner dims differ");
    const graft::Dims ba(da.begin(), da.end() - 2), bb(db.begin(), db.end() - 2);
    graft::Dims bo;
    if (!broadcast_dims(ba, bb, bo)) throw std::logic_error("naive_forward: matmul batch dims do not broadcast");
    const std::size_t nb = count_of(bo);
    NaiveValue out;
    out.dims = bo;
    if (a.dims.size() >= 2) out.dims.push_back(M);
    if (b.dims.size() >= 2) out.dims.push_back(N);
    out.v.assign(nb * M * N, 0.0);
    for (std::size_t t = 0; t < nb; ++t) {
        const auto idx = unravel(t, bo);
        const std::size_t oa = broadcast_offset(idx, ba) * M * K, ob = broadcast_offset(idx, bb) * K * N;
        for (std::size_t i = 0; i < M; ++i)
            for (std::size_t j = 0; j < N; ++j) {
                double acc = 0;
                for (std::size_t p = 0; p < K; ++p) acc += a.v[oa + i * K + p] * b.v[ob + p * N + j];
                out.v[(t * M + i) * N + j] = acc;
            }
    }
    return out;
}

inline NaiveValue transpose(const graft::Attrs& at, const NaiveValue& x) {
    const std::size_t r = x.dims.size();
    std::vector<std::size_t> perm = at.ints;
    if (perm.empty())
        for (std::size_t i = r; i-- > 0;) perm.push_back(i);
    if (perm.size() != r) throw std::logic_error("naive_forward: bad permutation");
    NaiveValue out;
    for (std::size_t k = 0; k < r; ++k) out.dims.push_back(x.dims.at(perm[k]));
    out.v.resize(x.v.size());
    const auto in_strides = strides_of(x.dims);
    for (std::size_t o = 0; o < out.v.size(); ++o) {
        const auto idx = unravel(o, out.dims);
        std::size_t off = 0;
        for (std::size_t k = 0; k < r; ++k) off += idx[k] * in_strides[perm[k]];
        out.v[o] = x.v[off];
    }
    return out;
}

inline NaiveValue concat(const graft::Attrs& at, const std::vector<NaiveValue>& in) {
    const std::size_t ax = norm_axis(at.axis, in.at(0).dims.size());
    NaiveValue out{in[0].dims, {}};
    out.dims[ax] = 0;
    for (const auto& x : in) out.dims[ax] += x.dims[ax];
    const AxisBlocks ob = blocks(out.dims, ax);
    out.v.resize(count_of(out.dims));
    for (std::size_t o = 0; o < ob.outer; ++o) {
        std::size_t base = 0;  // first index along the axis taken by this input
        for (const auto& x : in) {
            const AxisBlocks xb = blocks(x.dims, ax);
            for (std::size_t j = 0; j < xb.len; ++j)
                for (std::size_t i = 0; i < xb.inner; ++i)
                    out.v[(o * ob.len + base + j) * ob.inner + i] = x.v[(o * xb.len + j) * xb.inner + i];
            base += xb.len;
        }
    }
    return out;
}

inline NaiveValue slice(const graft::Attrs& at, const NaiveValue& x) {
    const std::size_t ax = norm_axis(at.axis, x.dims.size());
    if (at.start > at.stop || at.stop > x.dims[ax]) throw std::logic_error("naive_forward: slice out of range");
    const AxisBlocks b = blocks(x.dims, ax);
    NaiveValue out{x.dims, {}};
    out.dims[ax] = at.stop - at.start;
    const std::size_t len = out.dims[ax];
    out.v.resize(count_of(out.dims));
    for (std::size_t o = 0; o < b.outer; ++o)
        for (std::size_t j = 0; j < len; ++j)
            for (std::size_t i = 0; i < b.inner; ++i)
                out.v[(o * len + j) * b.inner + i] = x.v[(o * b.len + at.start + j) * b.inner + i];
    return out;
}

inline NaiveValue argmax(const graft::Attrs& at, const NaiveValue& x) {
    const std::size_t ax = norm_axis(at.axis, x.dims.size());
    const AxisBlocks b = blocks(x.dims, ax);
    NaiveValue out{x.dims, std::vector<double>(b.outer * b.inner)};
    if (at.keepdims) out.dims[ax] = 1;
    else out.dims.erase(out.dims.begin() + static_cast<std::ptrdiff_t>(ax));
    for (std::size_t o = 0; o < b.outer; ++o)
        for (std::size_t i = 0; i < b.inner; ++i) {
            std::size_t best = 0;
            for (std::size_t j = 1; j < b.len; ++j)
                if (x.v[(o * b.len + j) * b.inner + i] > x.v[(o * b.len + best) * b.inner + i]) best = j;
            out.v[o * b.inner + i] = static_cast<double>(best);
        }
    return out;
}

inline NaiveValue one_hot(const graft::Attrs& at, const NaiveValue& labels) {
    const std::size_t depth = at.start;
    NaiveValue out{labels.dims, std::vector<double>(labels.v.size() * depth, 0.0)};
    out.dims.push_back(depth);
    for (std::size_t i = 0; i < labels.v.size(); ++i) {
        const double l = labels.v[i];
        if (!(l >= 0 && l < static_cast<double>(depth))) throw std::logic_error("naive_forward: one_hot label outside [0, depth)");
        out.v[i * depth + static_cast<std::size_t>(l)] = 1.0;
    }
    return out;
}

inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

}  // namespace detail

inline NaiveValue naive_forward(graft::OpKind op, const graft::Attrs& at, const std::vector<NaiveValue>& in);

namespace detail {
/// A fused node's program, decoded here from its documented layout (not with graft's decoder):
/// attrs.ints = [rank, dims..., registers, then (op, dst, a, b, c) per step], attrs.reals = constants;
/// registers 0..k-1 are the inputs broadcast to dims; scalar ops read reals[b] (clamp: reals[b], reals[c]).
inline NaiveValue fused(const graft::Attrs& at, const std::vector<NaiveValue>& in) {
    using graft::OpKind;
    const auto& w = at.ints;
    const std::size_t rank = w.at(0);
    const graft::Dims dims(w.begin() + 1, w.begin() + 1 + static_cast<std::ptrdiff_t>(rank));
    std::vector<NaiveValue> r(w.at(rank + 1));
    const NaiveValue shape{dims, std::vector<double>(count_of(dims), 0.0)};
    for (std::size_t k = 0; k < in.size(); ++k) r.at(k) = broadcast_map({in[k], shape}, [](const std::vector<double>& a) { return a[0]; });
    std::size_t result = 0;
    for (std::size_t p = rank + 2; p + 5 <= w.size(); p += 5) {
        const auto op = static_cast<OpKind>(w[p]);
        const std::size_t dst = w[p + 1], a = w[p + 2], b = w[p + 3], c = w[p + 4];
        graft::Attrs s;
        std::vector<NaiveValue> args{r.at(a)};
        switch (op) {
            case OpKind::add: case OpKind::sub: case OpKind::mul: case OpKind::div: case OpKind::maximum: case OpKind::minimum:
            case OpKind::greater: case OpKind::less: case OpKind::equal:
                args.push_back(r.at(b));
                break;
            case OpKind::where: args = {r.at(a), r.at(b), r.at(c)}; break;
            case OpKind::clamp: s.scalar2 = at.reals.at(c); [[fallthrough]];
            case OpKind::add_scalar: case OpKind::mul_scalar: case OpKind::div_scalar: case OpKind::rsub_scalar:
            case OpKind::rdiv_scalar: case OpKind::pow_scalar:
                s.scalar = at.reals.at(b);
                break;
            default: break;  // unary
        }
        r.at(dst) = naive_forward(op, s, args);
        result = dst;
    }
    return r.at(result);
}
}  // namespace detail

/// The forward of `op` on `in` (attributes as Graph::add received them; negative axes allowed).
/// Throws std::logic_error for an op it has no rule for, so a new op cannot slip through a test.
inline NaiveValue naive_forward(graft::OpKind op, const graft::Attrs& at, const std::vector<NaiveValue>& in) {
    using graft::OpKind;
    namespace d = detail;
    using Args = const std::vector<double>&;
    const double c = at.scalar;
    switch (op) {
        case OpKind::add: return d::broadcast_map(in, [](Args a) { return a[0] + a[1]; });
        case OpKind::sub: return d::broadcast_map(in, [](Args a) { return a[0] - a[1]; });
        case OpKind::mul: return d::broadcast_map(in, [](Args a) { return a[0] * a[1]; });
        case OpKind::div: return d::broadcast_map(in, [](Args a) { return a[0] / a[1]; });
        case OpKind::maximum:
            return d::broadcast_map(in, [](Args a) { return std::isnan(a[0]) || std::isnan(a[1]) ? std::nan("") : std::max(a[0], a[1]); });
        case OpKind::minimum:
            return d::broadcast_map(in, [](Args a) { return std::isnan(a[0]) || std::isnan(a[1]) ? std::nan("") : std::min(a[0], a[1]); });
        case OpKind::greater: return d::broadcast_map(in, [](Args a) { return a[0] > a[1] ? 1.0 : 0.0; });
        case OpKind::less: return d::broadcast_map(in, [](Args a) { return a[0] < a[1] ? 1.0 : 0.0; });
        case OpKind::equal: return d::broadcast_map(in, [](Args a) { return a[0] == a[1] ? 1.0 : 0.0; });
        case OpKind::add_scalar: return d::map1(in.at(0), [c](double x) { return x + c; });
        case OpKind::mul_scalar: return d::map1(in.at(0), [c](double x) { return x * c; });
        case OpKind::div_scalar: return d::map1(in.at(0), [c](double x) { return x / c; });
        case OpKind::rsub_scalar: return d::map1(in.at(0), [c](double x) { return c - x; });
        case OpKind::rdiv_scalar: return d::map1(in.at(0), [c](double x) { return c / x; });
        case OpKind::pow_scalar: return d::map1(in.at(0), [c](double x) { return std::pow(x, c); });
        case OpKind::clamp: {
            const double lo = at.scalar, hi = at.scalar2;
            return d::map1(in.at(0), [lo, hi](double x) { return std::isnan(x) ? x : std::min(std::max(x, lo), hi); });
        }
        case OpKind::neg: return d::map1(in.at(0), [](double x) { return -x; });
        case OpKind::exp: return d::map1(in.at(0), [](double x) { return std::exp(x); });
        case OpKind::log: return d::map1(in.at(0), [](double x) { return std::log(x); });
        case OpKind::log1p: return d::map1(in.at(0), [](double x) { return std::log1p(x); });
        case OpKind::expm1: return d::map1(in.at(0), [](double x) { return std::expm1(x); });
        case OpKind::tanh: return d::map1(in.at(0), [](double x) { return std::tanh(x); });
        case OpKind::sigmoid: return d::map1(in.at(0), d::sigmoid);
        case OpKind::softplus: return d::map1(in.at(0), d::softplus);
        case OpKind::relu: return d::map1(in.at(0), [](double x) { return x < 0 ? 0.0 : x; });
        case OpKind::sqrt: return d::map1(in.at(0), [](double x) { return std::sqrt(x); });
        case OpKind::square: return d::map1(in.at(0), [](double x) { return x * x; });
        case OpKind::abs: return d::map1(in.at(0), [](double x) { return std::fabs(x); });
        case OpKind::where: return d::broadcast_map(in, [](Args a) { return a[0] != 0.0 ? a[1] : a[2]; });
        case OpKind::matmul: return d::matmul(in.at(0), in.at(1));
        case OpKind::transpose: return d::transpose(at, in.at(0));
        case OpKind::reshape:
            if (count_of(at.ints) != in.at(0).v.size()) throw std::logic_error("naive_forward: reshape size differs");
            return {at.ints, in[0].v};
        case OpKind::broadcast_to: {
            NaiveValue target{at.ints, std::vector<double>(count_of(at.ints), 0.0)};
            NaiveValue out = d::broadcast_map({in.at(0), target}, [](Args a) { return a[0]; });
            if (out.dims != at.ints) throw std::logic_error("naive_forward: broadcast_to changes the target");
            return out;
        }
        case OpKind::concat: return d::concat(at, in);
        case OpKind::slice: return d::slice(at, in.at(0));
        case OpKind::sum:
        case OpKind::mean:
        case OpKind::max: return d::reduce(op, at, in.at(0));
        case OpKind::softmax: return d::softmax(false, at, in.at(0));
        case OpKind::log_softmax: return d::softmax(true, at, in.at(0));
        case OpKind::one_hot: return d::one_hot(at, in.at(0));
        case OpKind::argmax: return d::argmax(at, in.at(0));
        case OpKind::dropout_mask: {  // run 0 of the counter-based generator: its definition
            NaiveValue out{in.at(0).dims, std::vector<double>(in.at(0).v.size())};
            for (std::size_t i = 0; i < out.v.size(); ++i)
                out.v[i] = graft::counter_uniform(at.start, 0, i) < at.scalar ? 0.0 : 1.0 / (1.0 - at.scalar);
            return out;
        }
        case OpKind::checkpoint: return in.at(0);  // the identity
        case OpKind::conv2d:
        case OpKind::conv2d_grad_input:
        case OpKind::conv2d_grad_weight:
        case OpKind::max_pool2d:
        case OpKind::max_pool2d_grad:
        case OpKind::avg_pool2d:
        case OpKind::avg_pool2d_grad: {  // NCHW windows: tests/support/naive_conv.hpp
            std::vector<graft::Dims> ds;
            std::vector<std::vector<double>> vs;
            for (const auto& x : in) ds.push_back(x.dims), vs.push_back(x.v);
            NaiveValue out;
            naive_conv::forward(op, at, ds, vs, out.dims, out.v);
            return out;
        }
        case OpKind::fused: return d::fused(at, in);
        case OpKind::matmul_bias_act: {  // act(a @ b + bias); attrs.ints[0]: 0 none, 1 relu, 2 tanh, 3 sigmoid
            const NaiveValue y = d::broadcast_map({d::matmul(in.at(0), in.at(1)), in.at(2)}, [](Args a) { return a[0] + a[1]; });
            switch (at.ints.at(0)) {
                case 0: return y;
                case 1: return naive_forward(OpKind::relu, {}, {y});
                case 2: return naive_forward(OpKind::tanh, {}, {y});
                case 3: return naive_forward(OpKind::sigmoid, {}, {y});
                default: throw std::logic_error("naive_forward: matmul_bias_act with an unknown activation");
            }
        }
        default: break;
    }
    throw std::logic_error(cat("naive_forward: no rule for op #", std::to_string(static_cast<int>(op))));
}

}  // namespace graft_test
