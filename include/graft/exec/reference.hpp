// SPDX-License-Identifier: MIT
// graft/exec/reference.hpp: reference::evaluate, a deliberately naive evaluator of the IR.
// One node at a time in id order, every value held as double, every op an obviously-correct loop over
// its own index arithmetic: no BLAS, no Eigen, no broadcast plans, no memory plan. It is the yardstick
// compiled programs and passes are compared with, and it reads as a definition of each op.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <string>

#include "../core/random.hpp"
#include <string_view>
#include <vector>

#include "../core/dtype.hpp"
#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "../graph/fused_program.hpp"
#include "../graph/graph.hpp"
#include "../graph/init.hpp"
#include "param_store.hpp"

namespace graft::reference {

/// A value of the reference evaluator: the element type it stands for, its dims (outermost first,
/// empty for a scalar) and its elements in row-major order, held as double whatever the dtype.
struct Value {
    DType dtype = DType::f64;  ///< the element type the value stands for
    Dims dims;                 ///< shape, outermost axis first (empty for a scalar)
    std::vector<double> data;  ///< the elements in row-major order, held as double

    /// Element count: the product of dims (1 for a scalar).
    [[nodiscard]] std::size_t size() const noexcept {
        std::size_t n = 1;
        for (auto d : dims) n *= d;
        return n;
    }
};

/// Every value evaluate_all computed, by node id.
using Values = std::map<NodeId, Value>;

/// What the graph's leaves hold. Inputs must all be given, by name. A param is taken from `params`,
/// else from `store`, else drawn from its Init exactly as a fresh ParamStore would draw it.
struct Bindings {
    std::map<std::string, Value, std::less<>> inputs;  ///< every input of the graph, by name
    std::map<std::string, Value, std::less<>> params;  ///< params to use instead of the store's, by name
    const ParamStore* store = nullptr;                 ///< where params missing from `params` are looked up (may be nullptr)
};

/// `x` as an element of `dtype` holds it: f32 rounds to float, integers truncate.
inline double round_to(DType dtype, double x) {
    switch (dtype) {
        case DType::f32: return static_cast<double>(static_cast<float>(x));
        case DType::f64: return x;
        case DType::i32: return static_cast<double>(static_cast<std::int32_t>(x));
        case DType::u8: return static_cast<double>(static_cast<std::uint8_t>(x));
    }
    return x;
}

/// A Value from raw elements of `dtype` (a Machine's output, a constant's bytes, a ParamStore entry).
inline Value from_bytes(DType dtype, const Dims& dims, const void* bytes) {
    Value v{dtype, dims, {}};
    v.data.resize(v.size());
    const auto* p = static_cast<const unsigned char*>(bytes);
    for (std::size_t i = 0; i < v.data.size(); ++i) {
        const unsigned char* e = p + i * dtype_size(dtype);
        switch (dtype) {
            case DType::f32: { float x; std::memcpy(&x, e, sizeof x); v.data[i] = x; break; }
            case DType::f64: { double x; std::memcpy(&x, e, sizeof x); v.data[i] = x; break; }
            case DType::i32: { std::int32_t x; std::memcpy(&x, e, sizeof x); v.data[i] = x; break; }
            case DType::u8: v.data[i] = *e; break;
        }
    }
    return v;
}

/// The elements of `v` as raw bytes of its dtype (to bind the same value on a Machine).
inline std::vector<unsigned char> to_bytes(const Value& v) {
    std::vector<unsigned char> b(v.data.size() * dtype_size(v.dtype));
    for (std::size_t i = 0; i < v.data.size(); ++i) {
        unsigned char* e = b.data() + i * dtype_size(v.dtype);
        switch (v.dtype) {
            case DType::f32: { const auto x = static_cast<float>(v.data[i]); std::memcpy(e, &x, sizeof x); break; }
            case DType::f64: std::memcpy(e, &v.data[i], sizeof(double)); break;
            case DType::i32: { const auto x = static_cast<std::int32_t>(v.data[i]); std::memcpy(e, &x, sizeof x); break; }
            case DType::u8: *e = static_cast<std::uint8_t>(v.data[i]); break;
        }
    }
    return b;
}

namespace detail {

// ---------------------------------------------------------------- index arithmetic (row-major)
inline std::size_t count(const Dims& d) {
    std::size_t n = 1;
    for (auto x : d) n *= x;
    return n;
}
/// Strides of row-major dims: the last axis has stride 1.
inline std::vector<std::size_t> strides(const Dims& d) {
    std::vector<std::size_t> s(d.size(), 1);
    for (std::size_t i = d.size(); i-- > 1;) s[i - 1] = s[i] * d[i];
    return s;
}
/// The multi-index of flat position `flat` in dims `d` (written into idx, resized to the rank).
inline void unravel(std::size_t flat, const Dims& d, std::vector<std::size_t>& idx) {
    idx.assign(d.size(), 0);
    for (std::size_t k = d.size(); k-- > 0;) {
        idx[k] = flat % d[k];
        flat /= d[k];
    }
}
/// The flat position of multi-index idx in dims d.
inline std::size_t ravel(const std::vector<std::size_t>& idx, const Dims& d) {
    std::size_t flat = 0;
    for (std::size_t k = 0; k < d.size(); ++k) flat = flat * d[k] + idx[k];
    return flat;
}
/// NumPy broadcasting: the flat position in an operand of dims `d` of the element that output
/// multi-index `out_idx` reads. Dims align on the right; an operand axis of size 1 always reads index 0;
/// output axes left of the operand's rank are ignored.
inline std::size_t broadcast_offset(const std::vector<std::size_t>& out_idx, const Dims& d) {
    const std::size_t shift = out_idx.size() - d.size();
    std::size_t flat = 0;
    for (std::size_t k = 0; k < d.size(); ++k) flat = flat * d[k] + (d[k] == 1 ? 0 : out_idx[shift + k]);
    return flat;
}
/// NumPy broadcast of two dims lists: align right, each pair equal or one of them 1.
inline Dims broadcast_dims(const Dims& a, const Dims& b) {
    const std::size_t r = a.size() > b.size() ? a.size() : b.size();
    Dims out(r, 1);
    for (std::size_t i = 0; i < r; ++i) {
        const std::size_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
        const std::size_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
        if (da != db && da != 1 && db != 1)
            throw Error("reference::evaluate", "shapes that broadcast", shape_string(a) + " and " + shape_string(b));
        out[r - 1 - i] = da == 1 ? db : da;
    }
    return out;
}
inline std::size_t axis_of(std::int64_t axis, std::size_t rank) {
    const auto r = static_cast<std::int64_t>(rank);
    if (axis < -r || axis >= r)
        throw Error("reference::evaluate", "an axis in [-rank, rank)", "axis " + std::to_string(axis) + " of rank " + std::to_string(rank));
    return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}
inline double nan() { return std::numeric_limits<double>::quiet_NaN(); }

/// out[i] = f(in0[i'], in1[i'], ...) where every operand is broadcast to the common dims.
template <class F>
Value elementwise(DType dtype, std::span<const Value> in, F f) {
    Value out{dtype, {}, {}};
    for (const Value& x : in) out.dims = broadcast_dims(out.dims, x.dims);
    out.data.resize(out.size());
    std::vector<std::size_t> idx;
    std::vector<double> args(in.size());
    for (std::size_t o = 0; o < out.data.size(); ++o) {
        unravel(o, out.dims, idx);
        for (std::size_t k = 0; k < in.size(); ++k) args[k] = in[k].data[broadcast_offset(idx, in[k].dims)];
        out.data[o] = f(args);
    }
    return out;
}

/// x repeated to exactly `dims` (broadcast_to).
inline Value broadcast_to(const Value& x, const Dims& dims) {
    if (broadcast_dims(x.dims, dims) != dims)
        throw Error("reference::evaluate(broadcast_to)", "a shape that broadcasts to " + shape_string(dims), shape_string(x.dims));
    Value out{x.dtype, dims, std::vector<double>(count(dims))};
    std::vector<std::size_t> idx;
    for (std::size_t o = 0; o < out.data.size(); ++o) {
        unravel(o, dims, idx);
        out.data[o] = x.data[broadcast_offset(idx, x.dims)];
    }
    return out;
}

/// NumPy matmul. A rank-1 left operand [k] acts as the row [1, k] and a rank-1 right operand [k] as
/// the column [k, 1]; the added axis is dropped from the result. Leading (batch) axes broadcast.
///   out[b..., i, j] = sum_p a[b..., i, p] * b[b..., p, j]
inline Value matmul(const Value& a, const Value& b) {
    if (a.dims.empty() || b.dims.empty())
        throw Error("reference::evaluate(matmul)", "operands of rank >= 1", shape_string(a.dims) + " x " + shape_string(b.dims));
    Dims ad = a.dims, bd = b.dims;
    if (ad.size() == 1) ad.insert(ad.begin(), 1);  // [k] -> [1, k]
    if (bd.size() == 1) bd.push_back(1);           // [k] -> [k, 1]
    const std::size_t M = ad[ad.size() - 2], K = ad.back(), N = bd.back();
    if (bd[bd.size() - 2] != K)
        throw Error("reference::evaluate(matmul)", "equal inner dimensions", shape_string(a.dims) + " x " + shape_string(b.dims));
    const Dims abatch(ad.begin(), ad.end() - 2), bbatch(bd.begin(), bd.end() - 2);
    const Dims batch = broadcast_dims(abatch, bbatch);
    Value out{a.dtype, batch, {}};
    out.dims.push_back(M);
    out.dims.push_back(N);
    out.data.assign(out.size(), 0.0);
    std::vector<std::size_t> idx;
    for (std::size_t t = 0; t < count(batch); ++t) {
        unravel(t, batch, idx);
        const double* A = a.data.data() + broadcast_offset(idx, abatch) * M * K;
        const double* B = b.data.data() + broadcast_offset(idx, bbatch) * K * N;
        double* C = out.data.data() + t * M * N;
        for (std::size_t i = 0; i < M; ++i)
            for (std::size_t j = 0; j < N; ++j) {
                double acc = 0.0;
                for (std::size_t p = 0; p < K; ++p) acc += A[i * K + p] * B[p * N + j];
                C[i * N + j] = acc;
            }
    }
    if (b.dims.size() == 1) out.dims.pop_back();                   // drop the column's 1
    if (a.dims.size() == 1) out.dims.erase(out.dims.end() - (b.dims.size() == 1 ? 1 : 2));  // drop the row's 1
    return out;
}

/// y[i_0, ..., i_{r-1}] = x[i at positions perm^-1]: output axis k is input axis perm[k].
inline Value transpose(const Value& x, const std::vector<std::size_t>& perm_in) {
    std::vector<std::size_t> perm = perm_in;
    if (perm.empty())  // the IR's default: reverse every axis
        for (std::size_t i = x.dims.size(); i-- > 0;) perm.push_back(i);
    if (perm.size() != x.dims.size())
        throw Error("reference::evaluate(transpose)", "a permutation of " + std::to_string(x.dims.size()) + " axes", shape_string(perm));
    Value out{x.dtype, Dims(perm.size()), std::vector<double>(x.size())};
    for (std::size_t k = 0; k < perm.size(); ++k) out.dims[k] = x.dims[perm[k]];
    std::vector<std::size_t> oi, xi(x.dims.size());
    for (std::size_t o = 0; o < out.data.size(); ++o) {
        unravel(o, out.dims, oi);
        for (std::size_t k = 0; k < perm.size(); ++k) xi[perm[k]] = oi[k];
        out.data[o] = x.data[ravel(xi, x.dims)];
    }
    return out;
}

/// Inputs joined along `axis`: out[..., j, ...] comes from the input whose extents cover j.
inline Value concat(std::span<const Value> in, std::int64_t axis_attr) {
    const std::size_t ax = axis_of(axis_attr, in[0].dims.size());
    Value out{in[0].dtype, in[0].dims, {}};
    out.dims[ax] = 0;
    for (const Value& x : in) {
        Dims a = x.dims, b = in[0].dims;
        if (a.size() != b.size()) throw Error("reference::evaluate(concat)", "inputs of one rank", shape_string(x.dims));
        a[ax] = b[ax] = 0;
        if (a != b) throw Error("reference::evaluate(concat)", "inputs equal off axis " + std::to_string(ax), shape_string(x.dims));
        out.dims[ax] += x.dims[ax];
    }
    out.data.resize(out.size());
    std::vector<std::size_t> idx;
    for (std::size_t o = 0; o < out.data.size(); ++o) {
        unravel(o, out.dims, idx);
        std::size_t k = 0;
        while (idx[ax] >= in[k].dims[ax]) idx[ax] -= in[k++].dims[ax];  // find the input holding position j
        out.data[o] = in[k].data[ravel(idx, in[k].dims)];
    }
    return out;
}

/// out[..., j, ...] = x[..., start + j, ...] for j < stop - start.
inline Value slice(const Value& x, std::int64_t axis_attr, std::size_t start, std::size_t stop) {
    const std::size_t ax = axis_of(axis_attr, x.dims.size());
    if (start > stop || stop > x.dims[ax])
        throw Error("reference::evaluate(slice)", "0 <= start <= stop <= " + std::to_string(x.dims[ax]),
                    "[" + std::to_string(start) + ", " + std::to_string(stop) + ")");
    Value out{x.dtype, x.dims, {}};
    out.dims[ax] = stop - start;
    out.data.resize(out.size());
    std::vector<std::size_t> idx;
    for (std::size_t o = 0; o < out.data.size(); ++o) {
        unravel(o, out.dims, idx);
        idx[ax] += start;
        out.data[o] = x.data[ravel(idx, x.dims)];
    }
    return out;
}

/// The dims of a reduction over `ax` (or every axis), with the reduced axes kept as 1 or dropped.
inline Dims reduced_dims(const Dims& d, bool all_axes, std::size_t ax, bool keepdims) {
    if (all_axes) return keepdims ? Dims(d.size(), 1) : Dims{};
    Dims out = d;
    if (keepdims) out[ax] = 1;
    else out.erase(out.begin() + static_cast<std::ptrdiff_t>(ax));
    return out;
}
/// sum, mean or max over one axis (or all): out[o] = op over the j reduced into o.
///   sum  = x_0 + x_1 + ...          mean = sum / n (0/0 = NaN for an empty axis)
///   max  = the largest x_j (-inf for an empty axis; NaN if any x_j is NaN)
inline Value reduce(OpKind op, const Value& x, const Attrs& at) {
    const std::size_t ax = at.all_axes ? 0 : axis_of(at.axis, x.dims.size());
    const Dims kept = reduced_dims(x.dims, at.all_axes, ax, true);  // keepdims form, for indexing
    Value out{x.dtype, reduced_dims(x.dims, at.all_axes, ax, at.keepdims), {}};
    const double init = op == OpKind::max ? -std::numeric_limits<double>::infinity() : 0.0;
    out.data.assign(count(kept), init);
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < x.data.size(); ++i) {
        unravel(i, x.dims, idx);
        for (std::size_t k = 0; k < idx.size(); ++k)
            if (at.all_axes || k == ax) idx[k] = 0;  // the reduced axes collapse to index 0
        double& acc = out.data[ravel(idx, kept)];
        const double v = x.data[i];
        if (op == OpKind::max) acc = (std::isnan(acc) || std::isnan(v)) ? nan() : (v > acc ? v : acc);
        else acc += v;
    }
    if (op == OpKind::mean) {
        const double n = static_cast<double>(at.all_axes ? x.size() : x.dims[ax]);
        for (double& v : out.data) v /= n;
    }
    return out;
}

/// Along `axis`, for every line x_0..x_{n-1} (the other indices fixed), with m = max_j x_j:
///   softmax:     y_j = exp(x_j - m) / sum_k exp(x_k - m)     (= exp(x_j) / sum_k exp(x_k))
///   log_softmax: y_j = x_j - m - log(sum_k exp(x_k - m))     (= x_j - log(sum_k exp(x_k)))
/// Subtracting m changes nothing mathematically and keeps exp from overflowing.
inline Value softmax(const Value& x, std::int64_t axis_attr, bool log_out) {
    const std::size_t ax = axis_of(axis_attr, x.dims.size());
    const std::size_t n = x.dims[ax], stride = strides(x.dims)[ax];
    Value out{x.dtype, x.dims, std::vector<double>(x.size())};
    std::vector<std::size_t> idx;
    for (std::size_t first = 0; first < x.data.size(); ++first) {
        unravel(first, x.dims, idx);
        if (idx[ax] != 0) continue;  // each line starts where its axis index is 0
        double m = -std::numeric_limits<double>::infinity();
        for (std::size_t j = 0; j < n; ++j) m = std::max(m, x.data[first + j * stride]);
        double s = 0.0;
        for (std::size_t j = 0; j < n; ++j) s += std::exp(x.data[first + j * stride] - m);
        for (std::size_t j = 0; j < n; ++j) {
            const double xj = x.data[first + j * stride];
            out.data[first + j * stride] = log_out ? xj - m - std::log(s) : std::exp(xj - m) / s;
        }
    }
    return out;
}

/// out[..., c] = 1 if labels[...] == c else 0, for c < depth; a label outside [0, depth) is a graft::Error.
inline Value one_hot(const Value& labels, std::size_t depth, DType dtype) {
    Value out{dtype, labels.dims, {}};
    out.dims.push_back(depth);
    out.data.assign(out.size(), 0.0);
    for (std::size_t i = 0; i < labels.data.size(); ++i) {
        const double c = labels.data[i];
        if (!(c >= 0 && c < static_cast<double>(depth))) {
            std::string found = std::to_string(static_cast<long long>(c));  // an int32 label
            found += " at label index ";
            found += std::to_string(i);
            throw Error("reference::evaluate(one_hot)", "labels in [0, " + std::to_string(depth) + ")", found);
        }
        out.data[i * depth + static_cast<std::size_t>(c)] = 1.0;
    }
    return out;
}

/// The index j of the first maximum x_j along `axis` (the first NaN, if any: NumPy's rule), as int32.
inline Value argmax(const Value& x, std::int64_t axis_attr, bool keepdims) {
    const std::size_t ax = axis_of(axis_attr, x.dims.size());
    if (x.dims[ax] == 0) throw Error("reference::evaluate(argmax)", "a non-empty axis", shape_string(x.dims));
    const std::size_t n = x.dims[ax], stride = strides(x.dims)[ax];
    const Dims kept = reduced_dims(x.dims, false, ax, true);
    Value out{DType::i32, reduced_dims(x.dims, false, ax, keepdims), std::vector<double>(count(kept))};
    std::vector<std::size_t> idx;
    for (std::size_t first = 0; first < x.data.size(); ++first) {
        unravel(first, x.dims, idx);
        if (idx[ax] != 0) continue;
        std::size_t best = 0;
        for (std::size_t j = 1; j < n && !std::isnan(x.data[first + best * stride]); ++j) {
            const double v = x.data[first + j * stride];
            if (std::isnan(v) || v > x.data[first + best * stride]) best = j;
        }
        out.data[ravel(idx, kept)] = static_cast<double>(best);
    }
    return out;
}

// ---------------------------------------------------------------- convolution and pooling (NCHW)
/// Output extent of a window: positions o with o*stride - pad_lo + dilation*(k-1) < in + pad_hi.
inline std::size_t window_extent(std::size_t in, std::size_t pad_lo, std::size_t pad_hi, std::size_t k, std::size_t stride,
                                 std::size_t dilation) {
    std::size_t o = 0;
    while (o * stride + dilation * (k - 1) < in + pad_lo + pad_hi) ++o;
    return o;
}
/// Every tap of conv2d with input dims x, weight dims w and output dims y: f(xi, wi, yi) says that
/// output element yi = (n, o, oh, ow) adds x[xi] * w[wi], where
///   xi = (n, g*Cg + c, oh*sh - pad_top + kh*dh, ow*sw - pad_left + kw*dw),  wi = (o, c, kh, kw),
/// g = o / (O/groups) the group of o and Cg = C/groups. Taps landing in the padding read zeros: skipped.
template <class F>
void conv2d_taps(const Dims& x, const Dims& w, const Dims& y, const Conv2dParams& p, F f) {
    const std::size_t C = x[1], H = x[2], W = x[3], O = w[0], Cg = w[1], KH = w[2], KW = w[3], OH = y[2], OW = y[3];
    const std::size_t Og = O / p.groups;
    for (std::size_t n = 0; n < x[0]; ++n)
        for (std::size_t o = 0; o < O; ++o)
            for (std::size_t oh = 0; oh < OH; ++oh)
                for (std::size_t ow = 0; ow < OW; ++ow)
                    for (std::size_t c = 0; c < Cg; ++c)
                        for (std::size_t kh = 0; kh < KH; ++kh)
                            for (std::size_t kw = 0; kw < KW; ++kw) {
                                const auto ih = static_cast<std::ptrdiff_t>(oh * p.stride_h + kh * p.dilation_h) - static_cast<std::ptrdiff_t>(p.pad_top);
                                const auto iw = static_cast<std::ptrdiff_t>(ow * p.stride_w + kw * p.dilation_w) - static_cast<std::ptrdiff_t>(p.pad_left);
                                if (ih < 0 || iw < 0 || ih >= static_cast<std::ptrdiff_t>(H) || iw >= static_cast<std::ptrdiff_t>(W)) continue;
                                const std::size_t ci = (o / Og) * Cg + c;
                                f(((n * C + ci) * H + std::size_t(ih)) * W + std::size_t(iw), ((o * Cg + c) * KH + kh) * KW + kw,
                                  ((n * O + o) * OH + oh) * OW + ow);
                            }
}
inline Dims conv2d_dims(const Dims& x, const Dims& w, const Conv2dParams& p) {
    if (x.size() != 4 || w.size() != 4 || x[1] != p.groups * w[1] || w[0] % p.groups)
        throw Error("reference::evaluate(conv2d)", "x [N,C,H,W] and w [O,C/groups,KH,KW]", shape_string(x) + " and " + shape_string(w));
    return {x[0], w[0], window_extent(x[2], p.pad_top, p.pad_bottom, w[2], p.stride_h, p.dilation_h),
            window_extent(x[3], p.pad_left, p.pad_right, w[3], p.stride_w, p.dilation_w)};
}
/// conv2d:             y[yi]  += x[xi] * w[wi]   over every tap
/// conv2d_grad_input:  dx[xi] += dy[yi] * w[wi]  (the transpose of conv2d in x)
/// conv2d_grad_weight: dw[wi] += x[xi] * dy[yi]  (the transpose of conv2d in w)
inline Value conv2d_family(const Node& n, std::span<const Value> in) {
    const Conv2dParams p = Conv2dParams::decode(n.attrs, "reference::evaluate(conv2d)");
    const Dims given(n.attrs.ints.begin() + static_cast<std::ptrdiff_t>(std::min(n.attrs.ints.size(), Conv2dParams::count)), n.attrs.ints.end());
    Value out{in[0].dtype, {}, {}};
    switch (n.op) {
        case OpKind::conv2d: {
            out.dims = conv2d_dims(in[0].dims, in[1].dims, p);
            out.data.assign(count(out.dims), 0.0);
            conv2d_taps(in[0].dims, in[1].dims, out.dims, p, [&](std::size_t xi, std::size_t wi, std::size_t yi) {
                out.data[yi] += in[0].data[xi] * in[1].data[wi];
            });
            break;
        }
        case OpKind::conv2d_grad_input: {
            out.dims = given;
            out.data.assign(count(out.dims), 0.0);
            conv2d_taps(given, in[1].dims, in[0].dims, p, [&](std::size_t xi, std::size_t wi, std::size_t yi) {
                out.data[xi] += in[0].data[yi] * in[1].data[wi];
            });
            break;
        }
        default: {  // conv2d_grad_weight
            out.dims = given;
            out.data.assign(count(out.dims), 0.0);
            conv2d_taps(in[0].dims, given, in[1].dims, p, [&](std::size_t xi, std::size_t wi, std::size_t yi) {
                out.data[wi] += in[0].data[xi] * in[1].data[yi];
            });
        }
    }
    return out;
}
/// The input positions of each pooling window: f(yi, xis) for output yi = (n, c, oh, ow), with xis the
/// flat positions of x[n, c, oh*sh - pad_top + i, ow*sw - pad_left + j] inside the input (row-major
/// over i < KH, j < KW; padding is left out).
template <class F>
void pool2d_windows(const Dims& x, const Pool2dParams& p, F f) {
    const std::size_t H = x[2], W = x[3];
    const std::size_t OH = window_extent(H, p.pad_top, p.pad_bottom, p.kernel_h, p.stride_h, 1);
    const std::size_t OW = window_extent(W, p.pad_left, p.pad_right, p.kernel_w, p.stride_w, 1);
    std::vector<std::size_t> xis;
    for (std::size_t nc = 0; nc < x[0] * x[1]; ++nc)
        for (std::size_t oh = 0; oh < OH; ++oh)
            for (std::size_t ow = 0; ow < OW; ++ow) {
                xis.clear();
                for (std::size_t i = 0; i < p.kernel_h; ++i)
                    for (std::size_t j = 0; j < p.kernel_w; ++j) {
                        const auto ih = static_cast<std::ptrdiff_t>(oh * p.stride_h + i) - static_cast<std::ptrdiff_t>(p.pad_top);
                        const auto iw = static_cast<std::ptrdiff_t>(ow * p.stride_w + j) - static_cast<std::ptrdiff_t>(p.pad_left);
                        if (ih < 0 || iw < 0 || ih >= static_cast<std::ptrdiff_t>(H) || iw >= static_cast<std::ptrdiff_t>(W)) continue;
                        xis.push_back((nc * H + std::size_t(ih)) * W + std::size_t(iw));
                    }
                f((nc * OH + oh) * OW + ow, xis);
            }
}
/// The first maximum of x over `xis` (the first NaN, if any, as argmax).
inline std::size_t first_max(const Value& x, const std::vector<std::size_t>& xis) {
    std::size_t best = xis.at(0);
    for (std::size_t k = 1; k < xis.size() && !std::isnan(x.data[best]); ++k)
        if (std::isnan(x.data[xis[k]]) || x.data[xis[k]] > x.data[best]) best = xis[k];
    return best;
}
/// max_pool2d:      y[yi] = x[first max of the window]      (padding is -inf: never chosen)
/// max_pool2d_grad: dx[first max of window yi] += dy[yi]
/// avg_pool2d:      y[yi] = sum of the window / (KH*KW)      (padding counts as zeros: count_include_pad)
/// avg_pool2d_grad: dx[xi] += dy[yi] / (KH*KW) for each xi of window yi
inline Value pool2d_family(const Node& n, std::span<const Value> in) {
    const Pool2dParams p = Pool2dParams::decode(n.attrs, "reference::evaluate(pool2d)");
    const double area = static_cast<double>(p.kernel_h * p.kernel_w);
    const Value& x = in[0];
    Value out{x.dtype, x.dims, {}};
    if (n.op == OpKind::max_pool2d || n.op == OpKind::avg_pool2d) {
        out.dims = {x.dims[0], x.dims[1], window_extent(x.dims[2], p.pad_top, p.pad_bottom, p.kernel_h, p.stride_h, 1),
                    window_extent(x.dims[3], p.pad_left, p.pad_right, p.kernel_w, p.stride_w, 1)};
        out.data.assign(count(out.dims), 0.0);
        pool2d_windows(x.dims, p, [&](std::size_t yi, const std::vector<std::size_t>& xis) {
            if (n.op == OpKind::max_pool2d) {
                out.data[yi] = x.data[first_max(x, xis)];
            } else {
                double s = 0.0;
                for (std::size_t xi : xis) s += x.data[xi];
                out.data[yi] = s / area;
            }
        });
    } else if (n.op == OpKind::max_pool2d_grad) {  // inputs x, dy
        out.data.assign(x.size(), 0.0);
        pool2d_windows(x.dims, p, [&](std::size_t yi, const std::vector<std::size_t>& xis) { out.data[first_max(x, xis)] += in[1].data[yi]; });
    } else {  // avg_pool2d_grad(dy): the input dims follow the window attributes
        out.dims.assign(n.attrs.ints.begin() + static_cast<std::ptrdiff_t>(Pool2dParams::count), n.attrs.ints.end());
        out.data.assign(count(out.dims), 0.0);
        pool2d_windows(out.dims, p, [&](std::size_t yi, const std::vector<std::size_t>& xis) {
            for (std::size_t xi : xis) out.data[xi] += x.data[yi] / area;
        });
    }
    return out;
}

inline Value evaluate_one(const Node& n, std::span<const Value> in);  // evaluate_op, defined below it

/// A fused node, step by step as the unfused nodes it replaces: registers 0..k-1 are the inputs
/// broadcast to the node's dims; each step is evaluated like the op it names (c = constants[b],
/// clamp's hi = constants[c]) and rounded to the dtype, as the node it came from was.
inline Value fused(const Node& n, std::span<const Value> in) {
    const FusedProgram p = FusedProgram::decode(n.attrs, in.size());
    std::vector<Value> r(p.registers);
    for (std::size_t k = 0; k < in.size(); ++k) r[k] = broadcast_to(in[k], p.dims);
    for (const FusedStep& st : p.steps) {
        Node op;
        op.op = st.op;
        op.dtype = p.dtype;
        op.dims = p.dims;
        std::vector<Value> args{r[st.a]};
        switch (fused_form(st.op)) {
            case FusedForm::regs3: args = {r[st.a], r[st.b], r[st.c]}; break;
            case FusedForm::regs2: args.push_back(r[st.b]); break;
            case FusedForm::scalar2: op.attrs.scalar2 = p.constants[st.c]; [[fallthrough]];
            case FusedForm::scalar1: op.attrs.scalar = p.constants[st.b]; break;
            default: break;
        }
        Value v = evaluate_one(op, args);
        for (double& x : v.data) x = round_to(p.dtype, x);
        r[st.dst] = std::move(v);
    }
    return r[p.result()];
}

/// matmul_bias_act(a, b, bias) = act(a @ b + bias), each step rounded to the dtype like the matmul,
/// add and activation nodes it replaces.
inline Value matmul_bias_act(const Node& n, std::span<const Value> in) {
    Node step;
    step.dtype = n.dtype;
    auto run = [&](OpKind op, std::vector<Value> args) {
        step.op = op;
        Value v = evaluate_one(step, args);
        for (double& x : v.data) x = round_to(n.dtype, x);
        return v;
    };
    Value y = run(OpKind::add, {run(OpKind::matmul, {in[0], in[1]}), in[2]});
    switch (static_cast<Epilogue>(n.attrs.ints.at(0))) {
        case Epilogue::none: return y;
        case Epilogue::relu: return run(OpKind::relu, {y});
        case Epilogue::tanh: return run(OpKind::tanh, {y});
        case Epilogue::sigmoid: return run(OpKind::sigmoid, {y});
    }
    throw Error("reference::evaluate(matmul_bias_act)", "an epilogue of none, relu, tanh or sigmoid", std::to_string(n.attrs.ints[0]));
}

}  // namespace detail

/// The forward of one non-leaf op: `n`'s op and attributes applied to `in` (the values of n.inputs).
/// The result's dims are derived here, independently of the graph's shape rules; evaluate() checks
/// that they agree with n.dims. Each case states its formula; x, a, b are inputs, c = attrs.scalar.
inline Value evaluate_op(const Node& n, std::span<const Value> in) {
    using detail::elementwise;
    using Args = const std::vector<double>&;
    const DType t = n.dtype;
    const double c = n.attrs.scalar, c2 = n.attrs.scalar2;
    if (n.op >= OpKind::count) throw Error("reference::evaluate", "an op of op_table", "OpKind " + std::to_string(static_cast<int>(n.op)));
    const std::string where = "reference::evaluate(" + std::string(op_name(n.op)) + ")";
    const OpInfo& info = op_info(n.op);
    if (info.cls != OpClass::leaf && ((info.arity >= 0 && in.size() != static_cast<std::size_t>(info.arity)) || in.empty()))
        throw Error(where, std::to_string(info.arity) + " inputs", std::to_string(in.size()));
    auto unary = [&](double (*f)(double)) { return elementwise(t, in, [f](Args v) { return f(v[0]); }); };
    switch (n.op) {
        // leaves are bound by evaluate(), not computed
        case OpKind::input:
        case OpKind::param:
        case OpKind::constant:
        case OpKind::count: break;
        // ---------------------------------------------------- binary, NumPy broadcasting
        case OpKind::add: return elementwise(t, in, [](Args v) { return v[0] + v[1]; });  // a + b
        case OpKind::sub: return elementwise(t, in, [](Args v) { return v[0] - v[1]; });  // a - b
        case OpKind::mul: return elementwise(t, in, [](Args v) { return v[0] * v[1]; });  // a * b
        case OpKind::div: return elementwise(t, in, [](Args v) { return v[0] / v[1]; });  // a / b
        case OpKind::maximum:  // max(a, b); NaN if either is NaN
            return elementwise(t, in, [](Args v) { return std::isnan(v[0]) || std::isnan(v[1]) ? detail::nan() : v[0] > v[1] ? v[0] : v[1]; });
        case OpKind::minimum:  // min(a, b); NaN if either is NaN
            return elementwise(t, in, [](Args v) { return std::isnan(v[0]) || std::isnan(v[1]) ? detail::nan() : v[0] < v[1] ? v[0] : v[1]; });
        // ---------------------------------------------------- comparisons: 1 where true, else 0
        case OpKind::greater: return elementwise(t, in, [](Args v) { return v[0] > v[1] ? 1.0 : 0.0; });   // [a > b]
        case OpKind::less: return elementwise(t, in, [](Args v) { return v[0] < v[1] ? 1.0 : 0.0; });      // [a < b]
        case OpKind::equal: return elementwise(t, in, [](Args v) { return v[0] == v[1] ? 1.0 : 0.0; });    // [a == b]
        // ---------------------------------------------------- with a scalar attribute c
        case OpKind::add_scalar: return elementwise(t, in, [c](Args v) { return v[0] + c; });          // x + c
        case OpKind::mul_scalar: return elementwise(t, in, [c](Args v) { return v[0] * c; });          // x * c
        case OpKind::div_scalar: return elementwise(t, in, [c](Args v) { return v[0] / c; });          // x / c
        case OpKind::rsub_scalar: return elementwise(t, in, [c](Args v) { return c - v[0]; });         // c - x
        case OpKind::rdiv_scalar: return elementwise(t, in, [c](Args v) { return c / v[0]; });         // c / x
        case OpKind::pow_scalar: return elementwise(t, in, [c](Args v) { return std::pow(v[0], c); }); // x ^ c
        case OpKind::clamp:  // min(max(x, lo), hi) with lo = c, hi = c2
            return elementwise(t, in, [c, c2](Args v) { return v[0] < c ? c : v[0] > c2 ? c2 : v[0]; });
        // ---------------------------------------------------- unary
        case OpKind::neg: return elementwise(t, in, [](Args v) { return -v[0]; });  // -x
        case OpKind::exp: return unary([](double x) { return std::exp(x); });      // e^x
        case OpKind::log: return unary([](double x) { return std::log(x); });      // ln x
        case OpKind::log1p: return unary([](double x) { return std::log1p(x); });  // ln(1 + x)
        case OpKind::expm1: return unary([](double x) { return std::expm1(x); });  // e^x - 1
        case OpKind::tanh: return unary([](double x) { return std::tanh(x); });    // (e^x - e^-x) / (e^x + e^-x)
        case OpKind::sigmoid: return unary([](double x) { return 1.0 / (1.0 + std::exp(-x)); });  // 1 / (1 + e^-x)
        case OpKind::softplus:  // ln(1 + e^x), written max(x, 0) + ln(1 + e^-|x|) so e^x cannot overflow
            return unary([](double x) { return (x > 0 ? x : 0.0) + std::log1p(std::exp(-std::fabs(x))); });
        case OpKind::relu: return unary([](double x) { return std::isnan(x) ? x : x > 0 ? x : 0.0; });  // max(x, 0)
        case OpKind::sqrt: return unary([](double x) { return std::sqrt(x); });  // x^(1/2)
        case OpKind::square: return unary([](double x) { return x * x; });       // x^2
        case OpKind::abs: return unary([](double x) { return std::fabs(x); });   // |x|
        // ---------------------------------------------------- selection: a where mask != 0, else b
        case OpKind::where: return elementwise(t, in, [](Args v) { return v[0] != 0.0 ? v[1] : v[2]; });
        // ---------------------------------------------------- linear algebra
        case OpKind::matmul: return detail::matmul(in[0], in[1]);
        // ---------------------------------------------------- shape
        case OpKind::transpose: return detail::transpose(in[0], n.attrs.ints);
        case OpKind::reshape: {  // the same elements in the same order, new dims
            if (detail::count(n.attrs.ints) != in[0].size())
                throw Error(where, "a target with " + std::to_string(in[0].size()) + " elements", shape_string(n.attrs.ints));
            return Value{t, n.attrs.ints, in[0].data};
        }
        case OpKind::broadcast_to: return detail::broadcast_to(in[0], n.attrs.ints);
        case OpKind::concat: return detail::concat(in, n.attrs.axis);
        case OpKind::slice: return detail::slice(in[0], n.attrs.axis, n.attrs.start, n.attrs.stop);
        // ---------------------------------------------------- reductions
        case OpKind::sum:
        case OpKind::mean:
        case OpKind::max: return detail::reduce(n.op, in[0], n.attrs);
        // ---------------------------------------------------- normalisations
        case OpKind::softmax: return detail::softmax(in[0], n.attrs.axis, false);
        case OpKind::log_softmax: return detail::softmax(in[0], n.attrs.axis, true);
        // ---------------------------------------------------- convolution and pooling (NCHW)
        case OpKind::conv2d:
        case OpKind::conv2d_grad_input:
        case OpKind::conv2d_grad_weight: return detail::conv2d_family(n, in);
        case OpKind::max_pool2d:
        case OpKind::max_pool2d_grad:
        case OpKind::avg_pool2d:
        case OpKind::avg_pool2d_grad: return detail::pool2d_family(n, in);
        // ---------------------------------------------------- integer-valued
        case OpKind::one_hot: return detail::one_hot(in[0], n.attrs.start, n.attrs.dtype);
        case OpKind::argmax: return detail::argmax(in[0], n.attrs.axis, n.attrs.keepdims);
        // ---------------------------------------------------- random (the reference evaluates run 0)
        case OpKind::dropout_mask: {
            Value v{t, in[0].dims, std::vector<double>(in[0].size())};
            for (std::size_t i = 0; i < v.data.size(); ++i) v.data[i] = dropout_mask_value(n.attrs.start, 0, i, n.attrs.scalar);
            return v;
        }
        // ---------------------------------------------------- gradient checkpointing
        case OpKind::checkpoint: return in[0];  // the identity
        // ---------------------------------------------------- made by the fusion passes
        case OpKind::fused: return detail::fused(n, in);
        case OpKind::matmul_bias_act: return detail::matmul_bias_act(n, in);
    }  // no default: -Wswitch (an error under -Werror) names any OpKind this switch forgets
    throw Error(where, "a non-leaf op", std::string(op_name(n.op)));
}

namespace detail {
inline Value evaluate_one(const Node& n, std::span<const Value> in) { return evaluate_op(n, in); }
}  // namespace detail

/// Every value the outputs need, evaluated one node at a time in id order (ids are topological).
/// Each result is rounded to its node's dtype (an f32 node holds floats) and its dims are checked
/// against the node's. Throws graft::Error for an unbound input or a leaf bound with the wrong type.
inline Values evaluate_all(const Graph& g, std::span<const NodeId> outputs, const Bindings& b = {}) {
    std::vector<bool> needed(g.size(), false);
    for (NodeId o : outputs) (void)g.node(o), needed[o] = true;  // g.node range-checks the id
    for (NodeId i = static_cast<NodeId>(g.size()); i-- > 0;)
        if (needed[i])
            for (NodeId in : g.node(i).inputs) needed[in] = true;
    Values vals;
    auto check = [&](const Node& n, const Value& v, const std::string& what) {
        if (v.dtype != n.dtype || v.dims != n.dims || v.data.size() != n.size())
            throw Error("reference::evaluate: " + what, std::string(dtype_name(n.dtype)) + " " + shape_string(n.dims) + " (" +
                            std::to_string(n.size()) + " values)",
                        std::string(dtype_name(v.dtype)) + " " + shape_string(v.dims) + " (" + std::to_string(v.data.size()) + " values)");
    };
    for (NodeId id = 0; id < g.size(); ++id) {
        if (!needed[id]) continue;
        const Node& n = g.node(id);
        Value v;
        switch (n.op) {
            case OpKind::input: {
                auto it = b.inputs.find(n.name);
                if (it == b.inputs.end())
                    throw Error("reference::evaluate", "a value for every input", "input \"" + n.name + "\" unbound");
                v = it->second;
                check(n, v, "input \"" + n.name + "\"");
                break;
            }
            case OpKind::param: {
                if (auto it = b.params.find(n.name); it != b.params.end()) {
                    v = it->second;
                } else if (const ParamStore::Entry* e = b.store ? b.store->find(n.name) : nullptr) {
                    v = from_bytes(e->dtype, e->dims, e->data.data());
                } else {  // drawn as a fresh ParamStore draws it
                    v = Value{n.dtype, n.dims, std::vector<double>(n.size())};
                    init::fill(n.init, n.dims, std::span<double>(v.data));
                }
                check(n, v, "param \"" + n.name + "\"");
                break;
            }
            case OpKind::constant: v = from_bytes(n.dtype, n.dims, g.constant_bytes(n).data()); break;
            default: {
                std::vector<Value> in;
                for (NodeId i : n.inputs) in.push_back(vals.at(i));
                v = evaluate_op(n, in);
                check(n, v, "node %" + std::to_string(id) + " = " + std::string(op_name(n.op)));
            }
        }
        for (double& x : v.data) x = round_to(n.dtype, x);
        vals[id] = std::move(v);
    }
    return vals;
}

/// The values of `outputs`, in order.
inline std::vector<Value> evaluate(const Graph& g, std::span<const NodeId> outputs, const Bindings& b = {}) {
    Values all = evaluate_all(g, outputs, b);
    std::vector<Value> out;
    for (NodeId o : outputs) out.push_back(all.at(o));
    return out;
}
/// The value of one output.
inline Value evaluate(const Graph& g, NodeId output, const Bindings& b = {}) {
    const NodeId o[] = {output};
    return evaluate(g, o, b).front();
}

}  // namespace graft::reference
