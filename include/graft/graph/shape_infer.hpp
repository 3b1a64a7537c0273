// SPDX-License-Identifier: MIT
// graft/graph/shape_infer.hpp: the run-time shape rules of the untyped IR, one function per op family.
// Each takes the inputs' (dtype, dims) and the attributes, normalises the attributes (negative axes),
// and returns the output's (dtype, dims) or throws graft::Error naming the op, what it expected and
// what it found. The typed front checks the same rules at compile time (core/shape_rules.hpp).
#pragma once

#include <algorithm>
#include <span>
#include <string>

#include "../core/dtype.hpp"
#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "conv_params.hpp"
#include "fused_program.hpp"
#include "node.hpp"

namespace graft {

/// What an op's output is: its element type and dims.
struct ValueType {
    DType dtype = DType::f32;  ///< element type
    Dims dims;                 ///< runtime dims, outermost first; empty for a scalar
    /// Same dtype and same dims.
    bool operator==(const ValueType&) const = default;
};

/// "f32 Shape<64,784>"
inline std::string type_string(const ValueType& t) {
    return std::string(dtype_name(t.dtype)) + " " + shape_string(t.dims);
}

namespace infer {

/// The input types of an op, in input order (the argument every shape rule takes).
using Ins = std::span<const ValueType>;

/// The `where` of a shape error: "graph op " followed by the op's name.
inline std::string where_of(std::string_view op) { return "graph op " + std::string(op); }

/// True for the floating-point dtypes f32 and f64.
inline bool is_float(DType d) { return d == DType::f32 || d == DType::f64; }

/// Throws graft::Error unless `t` has a float or double element type.
inline void require_float(std::string_view op, const ValueType& t) {
    if (!is_float(t.dtype))
        throw Error(where_of(op), "a float or double operand", type_string(t));
}
/// Throws graft::Error unless every input has the element type of the first.
inline void require_same_dtype(std::string_view op, Ins in) {
    for (const auto& t : in)
        if (t.dtype != in[0].dtype)
            throw Error(where_of(op), "operands of one element type", type_string(in[0]) + " and " + type_string(t));
}
/// Normalises a possibly negative axis against `rank`; throws when out of range.
inline std::size_t axis_of(std::string_view op, std::int64_t& axis, std::size_t rank) {
    const auto r = static_cast<std::int64_t>(rank);
    if (axis < -r || axis >= r)
        throw Error(where_of(op), "an axis in [" + std::to_string(-r) + ", " + std::to_string(r) + ")",
                    "axis " + std::to_string(axis) + " for rank " + std::to_string(rank));
    if (axis < 0) axis += r;
    return static_cast<std::size_t>(axis);
}

/// NumPy broadcast of several dims lists.
inline Dims broadcast_dims(std::string_view op, Ins in) {
    std::size_t r = 0;
    for (const auto& t : in) r = std::max(r, t.dims.size());
    Dims out(r, 1);
    for (std::size_t i = 0; i < r; ++i) {
        std::size_t& o = out[r - 1 - i];
        for (const auto& t : in) {
            if (i >= t.dims.size()) continue;
            const std::size_t d = t.dims[t.dims.size() - 1 - i];
            if (d == o || d == 1) continue;
            if (o == 1) {
                o = d;
                continue;
            }
            std::string found;
            for (const auto& u : in) found += (found.empty() ? "" : " and ") + shape_string(u.dims);
            throw Error(where_of(op), "shapes that broadcast (each dim equal or 1)", found);
        }
    }
    return out;
}

/// add, sub, mul, div, maximum, minimum, greater, less, equal: one float dtype for all inputs, NumPy-broadcast dims.
inline ValueType broadcast(std::string_view op, Ins in, Attrs&) {
    require_same_dtype(op, in);
    require_float(op, in[0]);
    return {in[0].dtype, broadcast_dims(op, in)};
}
/// Scalar-attribute and unary ops (add_scalar ... pow_scalar, neg ... abs): the type of x, which must be float.
inline ValueType same_float(std::string_view op, Ins in, Attrs&) {
    require_float(op, in[0]);
    return in[0];
}

/// clamp: the type of x; bounds lo = attrs.scalar <= hi = attrs.scalar2 (graft::clamp checks the same).
inline ValueType clamp(std::string_view op, Ins in, Attrs& at) {
    if (!(at.scalar <= at.scalar2))
        throw Error(where_of(op), "bounds lo <= hi", "lo " + std::to_string(at.scalar) + " > hi " + std::to_string(at.scalar2));
    return same_float(op, in, at);
}
/// checkpoint: the type of x, any dtype.
inline ValueType identity(std::string_view, Ins in, Attrs&) { return in[0]; }
/// where(m, a, b): one float dtype for the mask and both branches; dims are the broadcast of all three.
inline ValueType where(std::string_view op, Ins in, Attrs&) {
    require_same_dtype(op, in);
    require_float(op, in[0]);
    return {in[0].dtype, broadcast_dims(op, in)};
}

/// matmul(a, b): `[..., m, k] @ [..., k, n] -> [..., m, n]` with batch dims broadcast; a rank-1 a or b has its m or n axis dropped (NumPy rules).
inline ValueType matmul(std::string_view op, Ins in, Attrs&) {
    require_same_dtype(op, in);
    require_float(op, in[0]);
    const Dims& a = in[0].dims;
    const Dims& b = in[1].dims;
    if (a.empty() || b.empty()) throw Error(where_of(op), "operands of rank >= 1", shape_string(a) + " x " + shape_string(b));
    const std::size_t ka = a.back();
    const std::size_t kb = b.size() == 1 ? b[0] : b[b.size() - 2];
    if (ka != kb)
        throw Error(where_of(op), "equal inner dimensions", shape_string(a) + " x " + shape_string(b));
    Dims ba(a.begin(), a.end() - std::min<std::size_t>(a.size(), 2));
    Dims bb(b.begin(), b.end() - std::min<std::size_t>(b.size(), 2));
    const ValueType ta{in[0].dtype, ba}, tb{in[0].dtype, bb};
    const ValueType both[] = {ta, tb};
    Dims out;
    try {
        out = broadcast_dims(op, both);
    } catch (const Error&) {
        throw Error(where_of(op), "batch dimensions that broadcast", shape_string(a) + " x " + shape_string(b));
    }
    if (a.size() >= 2) out.push_back(a[a.size() - 2]);
    if (b.size() >= 2) out.push_back(b.back());
    return {in[0].dtype, out};
}

/// transpose: permutes dims by attrs.ints (output axis i is input axis `ints[i]`); empty ints is filled in as the full reversal.
inline ValueType transpose(std::string_view op, Ins in, Attrs& at) {
    const Dims& d = in[0].dims;
    if (at.ints.empty())  // default: reverse all axes
        for (std::size_t i = d.size(); i-- > 0;) at.ints.push_back(i);
    std::vector<bool> seen(d.size(), false);
    bool ok = at.ints.size() == d.size();
    for (std::size_t p : at.ints) {
        if (!ok || p >= d.size() || seen[p]) {
            ok = false;
            break;
        }
        seen[p] = true;
    }
    if (!ok) throw Error(where_of(op), "a permutation of the " + std::to_string(d.size()) + " axes of " + shape_string(d), shape_string(at.ints));
    Dims out(d.size());
    for (std::size_t i = 0; i < d.size(); ++i) out[i] = d[at.ints[i]];
    return {in[0].dtype, out};
}

/// The number of elements of a tensor with dims `d` (1 for a scalar).
inline std::size_t product(const Dims& d) {
    std::size_t n = 1;
    for (auto x : d) n *= x;
    return n;
}

/// reshape: the dims attrs.ints, which must hold as many elements as x; the dtype of x.
inline ValueType reshape(std::string_view op, Ins in, Attrs& at) {
    if (product(at.ints) != product(in[0].dims))
        throw Error(where_of(op), "a target with " + std::to_string(product(in[0].dims)) + " elements like " + shape_string(in[0].dims),
                    shape_string(at.ints));
    return {in[0].dtype, at.ints};
}

/// broadcast_to: the dims attrs.ints, to which x (of no greater rank) must NumPy-broadcast exactly; the dtype of x.
inline ValueType broadcast_to(std::string_view op, Ins in, Attrs& at) {
    const ValueType target{in[0].dtype, at.ints};
    const ValueType both[] = {in[0], target};
    Dims out;
    bool ok = in[0].dims.size() <= at.ints.size();
    if (ok) {
        try {
            out = broadcast_dims(op, both);
        } catch (const Error&) {
            ok = false;
        }
    }
    if (!ok || out != at.ints)
        throw Error(where_of(op), "a shape that broadcasts to " + shape_string(at.ints), shape_string(in[0].dims));
    return {in[0].dtype, at.ints};
}

/// concat: inputs of one dtype and rank, equal in every axis but attrs.axis, whose extents add up.
inline ValueType concat(std::string_view op, Ins in, Attrs& at) {
    if (in.empty()) throw Error(where_of(op), "at least one input", "none");
    require_same_dtype(op, in);
    const std::size_t ax = axis_of(op, at.axis, in[0].dims.size());
    Dims out = in[0].dims;
    out[ax] = 0;
    for (const auto& t : in) {
        bool ok = t.dims.size() == out.size();
        for (std::size_t i = 0; ok && i < out.size(); ++i) ok = i == ax || t.dims[i] == out[i];
        if (!ok)
            throw Error(where_of(op), "inputs equal in every axis but " + std::to_string(ax) + " like " + shape_string(in[0].dims),
                        shape_string(t.dims));
        out[ax] += t.dims[ax];
    }
    return {in[0].dtype, out};
}

/// slice: x with attrs.axis cut to `[start, stop)`; requires `start <= stop <= dims[axis]`.
inline ValueType slice(std::string_view op, Ins in, Attrs& at) {
    const std::size_t ax = axis_of(op, at.axis, in[0].dims.size());
    if (at.start > at.stop || at.stop > in[0].dims[ax])
        throw Error(where_of(op), "0 <= start <= stop <= " + std::to_string(in[0].dims[ax]) + " on axis " + std::to_string(ax),
                    "[" + std::to_string(at.start) + ", " + std::to_string(at.stop) + ")");
    Dims out = in[0].dims;
    out[ax] = at.stop - at.start;
    return {in[0].dtype, out};
}

/// sum, mean, max: a float x reduced over attrs.axis, or over every axis when all_axes; keepdims leaves the reduced axes as 1.
inline ValueType reduce(std::string_view op, Ins in, Attrs& at) {
    require_float(op, in[0]);
    const Dims& d = in[0].dims;
    if (at.all_axes) return {in[0].dtype, at.keepdims ? Dims(d.size(), 1) : Dims{}};
    const std::size_t ax = axis_of(op, at.axis, d.size());
    Dims out = d;
    if (at.keepdims) out[ax] = 1;
    else out.erase(out.begin() + static_cast<std::ptrdiff_t>(ax));
    return {in[0].dtype, out};
}

/// softmax and argmax work along one axis: all_axes (a reduction's flag) would be silently ignored here
/// but not by every consumer of the attributes, so it is refused.
inline void require_one_axis(std::string_view op, const Attrs& at) {
    if (at.all_axes) throw Error(where_of(op), "one axis (attrs.axis; all_axes unset)", "all_axes set");
}

/// softmax, log_softmax: the type of a float x; attrs.axis (one axis, all_axes unset) is normalised in place.
inline ValueType softmax(std::string_view op, Ins in, Attrs& at) {
    require_float(op, in[0]);
    require_one_axis(op, at);
    axis_of(op, at.axis, in[0].dims.size());
    return in[0];
}

/// one_hot: int32 labels -> attrs.dtype (float or double) with a new last axis of depth attrs.start (>= 1).
inline ValueType one_hot(std::string_view op, Ins in, Attrs& at) {
    if (in[0].dtype != DType::i32) throw Error(where_of(op), "int32 labels", type_string(in[0]));
    if (!is_float(at.dtype)) throw Error(where_of(op), "a float or double output type", std::string(dtype_name(at.dtype)));
    if (at.start == 0) throw Error(where_of(op), "a depth >= 1", "0");
    Dims out = in[0].dims;
    out.push_back(at.start);
    return {at.dtype, out};
}

/// argmax: int32 indices of a float x along attrs.axis (non-empty; all_axes unset); keepdims leaves that axis as 1.
inline ValueType argmax(std::string_view op, Ins in, Attrs& at) {
    require_float(op, in[0]);
    require_one_axis(op, at);
    const std::size_t ax = axis_of(op, at.axis, in[0].dims.size());
    if (in[0].dims[ax] == 0) throw Error(where_of(op), "a non-empty axis", shape_string(in[0].dims));
    Dims out = in[0].dims;
    if (at.keepdims) out[ax] = 1;
    else out.erase(out.begin() + static_cast<std::ptrdiff_t>(ax));
    return {DType::i32, out};
}

/// dropout_mask: the type of x; drop probability attrs.scalar in [0, 1).
inline ValueType dropout_mask(std::string_view op, Ins in, Attrs& at) {
    require_float(op, in[0]);
    if (!(at.scalar >= 0.0 && at.scalar < 1.0))
        throw Error(where_of(op), "a drop probability p with 0 <= p < 1", std::to_string(at.scalar));
    return in[0];
}

/// fused: the program's own dtype and dims (graph/fused_program.hpp); every input has that dtype and
/// broadcasts to those dims.
inline ValueType fused(std::string_view op, Ins in, Attrs& at) {
    const FusedProgram p = FusedProgram::decode(at, in.size());
    require_float(op, {p.dtype, p.dims});
    for (const auto& t : in) {
        if (t.dtype != p.dtype)
            throw Error(where_of(op), "inputs of the program's type " + std::string(dtype_name(p.dtype)), type_string(t));
        const ValueType both[] = {t, {p.dtype, p.dims}};
        bool ok = t.dims.size() <= p.dims.size();
        if (ok) {
            try {
                ok = broadcast_dims(op, both) == p.dims;
            } catch (const Error&) {
                ok = false;
            }
        }
        if (!ok) throw Error(where_of(op), "inputs that broadcast to " + shape_string(p.dims), shape_string(t.dims));
    }
    return {p.dtype, p.dims};
}

/// matmul_bias_act(a, b, bias) = act(a @ b + bias): a [m,k], b [k,n], bias [n] or [1,n]; attrs.ints = {Epilogue}.
inline ValueType matmul_bias_act(std::string_view op, Ins in, Attrs& at) {
    if (at.ints.size() != 1 || at.ints[0] > static_cast<std::size_t>(Epilogue::sigmoid))
        throw Error(where_of(op), "attrs.ints = {epilogue: 0 none, 1 relu, 2 tanh, 3 sigmoid}", shape_string(at.ints));
    require_same_dtype(op, in);
    require_float(op, in[0]);
    if (in[0].dims.size() != 2 || in[1].dims.size() != 2)
        throw Error(where_of(op), "2-D operands", shape_string(in[0].dims) + " x " + shape_string(in[1].dims));
    Attrs none;
    const ValueType out = matmul(op, in.first(2), none);
    const Dims& b = in[2].dims;
    const std::size_t n = out.dims[1];
    if (!((b.size() == 1 && b[0] == n) || (b.size() == 2 && b[0] == 1 && b[1] == n)))
        throw Error(where_of(op), "a bias of dims [" + std::to_string(n) + "] or [1," + std::to_string(n) + "]", shape_string(b));
    return out;
}

// ---------------------------------------------------------------- convolution and pooling (NCHW)
/// Throws graft::Error unless `t` has rank 4; `what` names the operand, e.g. "an input [N,C,H,W]".
inline void require_rank4(std::string_view op, const char* what, const ValueType& t) {
    if (t.dims.size() != 4) throw Error(where_of(op), std::string(what) + " of rank 4", shape_string(t.dims));
}
/// The output dims of conv2d for input dims x and weight dims w under p; throws naming both shapes.
inline Dims conv2d_out(std::string_view op, const Dims& x, const Dims& w, const Conv2dParams& p) {
    const std::string both = shape_string(x) + " and weight " + shape_string(w);
    if (x[1] != p.groups * w[1] || w[0] % p.groups != 0)
        throw Error(where_of(op),
                    "input channels = groups (" + std::to_string(p.groups) + ") * weight dim 1, and groups dividing weight dim 0",
                    "input " + both);
    const std::size_t oh = p.out_h(x[2], w[2]), ow = p.out_w(x[3], w[3]);
    if (oh == 0 || ow == 0 || w[2] == 0 || w[3] == 0)
        throw Error(where_of(op), "a kernel no larger than the padded input (" + p.text() + ")", "input " + both);
    return {x[0], w[0], oh, ow};
}
/// Decodes Conv2dParams from attrs.ints; throws graft::Error when attrs.ints does not hold exactly `ints` values or a parameter is invalid.
inline Conv2dParams conv_params_of(std::string_view op, const Attrs& at, std::size_t ints) {
    if (at.ints.size() != ints)
        throw Error(where_of(op), std::to_string(ints) + " attrs.ints (graph/conv_params.hpp)", shape_string(at.ints));
    return Conv2dParams::decode(at, where_of(op));
}
/// conv2d(x [N,C,H,W], w [O,C/groups,KH,KW]) -> [N,O,OH,OW]; attrs.ints = Conv2dParams.
inline ValueType conv2d(std::string_view op, Ins in, Attrs& at) {
    require_same_dtype(op, in);
    require_float(op, in[0]);
    require_rank4(op, "an input [N,C,H,W]", in[0]);
    require_rank4(op, "a weight [O,C/groups,KH,KW]", in[1]);
    return {in[0].dtype, conv2d_out(op, in[0].dims, in[1].dims, conv_params_of(op, at, Conv2dParams::count))};
}
/// conv2d_grad_input(dy, w) -> dx with the input dims stored after the Conv2dParams.
inline ValueType conv2d_grad_input(std::string_view op, Ins in, Attrs& at) {
    require_same_dtype(op, in);
    require_float(op, in[0]);
    const Conv2dParams p = conv_params_of(op, at, Conv2dParams::count + 4);
    const Dims x = trailing_dims(at, Conv2dParams::count, where_of(op));
    require_rank4(op, "an output gradient [N,O,OH,OW]", in[0]);
    require_rank4(op, "a weight [O,C/groups,KH,KW]", in[1]);
    if (conv2d_out(op, x, in[1].dims, p) != in[0].dims)
        throw Error(where_of(op), "an output gradient of dims " + shape_string(conv2d_out(op, x, in[1].dims, p)),
                    shape_string(in[0].dims));
    return {in[0].dtype, x};
}
/// conv2d_grad_weight(x, dy) -> dw with the weight dims stored after the Conv2dParams.
inline ValueType conv2d_grad_weight(std::string_view op, Ins in, Attrs& at) {
    require_same_dtype(op, in);
    require_float(op, in[0]);
    const Conv2dParams p = conv_params_of(op, at, Conv2dParams::count + 4);
    const Dims w = trailing_dims(at, Conv2dParams::count, where_of(op));
    require_rank4(op, "an input [N,C,H,W]", in[0]);
    require_rank4(op, "an output gradient [N,O,OH,OW]", in[1]);
    if (conv2d_out(op, in[0].dims, w, p) != in[1].dims)
        throw Error(where_of(op), "an output gradient of dims " + shape_string(conv2d_out(op, in[0].dims, w, p)),
                    shape_string(in[1].dims));
    return {in[0].dtype, w};
}
/// Pooling output dims for input dims x under p; throws when the window does not fit.
inline Dims pool2d_out(std::string_view op, const Dims& x, const Pool2dParams& p) {
    const std::size_t oh = p.out_h(x[2]), ow = p.out_w(x[3]);
    if (oh == 0 || ow == 0)
        throw Error(where_of(op), "a window no larger than the padded input (" + p.text() + ")", "input " + shape_string(x));
    return {x[0], x[1], oh, ow};
}
/// Decodes Pool2dParams from attrs.ints; throws graft::Error when attrs.ints does not hold exactly `ints` values or a parameter is invalid.
inline Pool2dParams pool_params_of(std::string_view op, const Attrs& at, std::size_t ints) {
    if (at.ints.size() != ints)
        throw Error(where_of(op), std::to_string(ints) + " attrs.ints (graph/conv_params.hpp)", shape_string(at.ints));
    return Pool2dParams::decode(at, where_of(op));
}
/// max_pool2d(x), avg_pool2d(x): [N,C,H,W] -> [N,C,OH,OW]; attrs.ints = Pool2dParams.
inline ValueType pool2d(std::string_view op, Ins in, Attrs& at) {
    require_float(op, in[0]);
    require_rank4(op, "an input [N,C,H,W]", in[0]);
    return {in[0].dtype, pool2d_out(op, in[0].dims, pool_params_of(op, at, Pool2dParams::count))};
}
/// max_pool2d_grad(x, dy) -> like x; dy has max_pool2d(x)'s dims.
inline ValueType max_pool2d_grad(std::string_view op, Ins in, Attrs& at) {
    require_same_dtype(op, in);
    require_float(op, in[0]);
    require_rank4(op, "an input [N,C,H,W]", in[0]);
    const Dims y = pool2d_out(op, in[0].dims, pool_params_of(op, at, Pool2dParams::count));
    if (in[1].dims != y) throw Error(where_of(op), "an output gradient of dims " + shape_string(y), shape_string(in[1].dims));
    return in[0];
}
/// avg_pool2d_grad(dy) -> the input dims stored after the Pool2dParams.
inline ValueType avg_pool2d_grad(std::string_view op, Ins in, Attrs& at) {
    require_float(op, in[0]);
    const Pool2dParams p = pool_params_of(op, at, Pool2dParams::count + 4);
    const Dims x = trailing_dims(at, Pool2dParams::count, where_of(op));
    const Dims y = pool2d_out(op, x, p);
    if (in[0].dims != y) throw Error(where_of(op), "an output gradient of dims " + shape_string(y), shape_string(in[0].dims));
    return {in[0].dtype, x};
}

/// input, param, constant: always throws graft::Error, since leaves are made by Graph::input/param/constant, not Graph::add.
inline ValueType leaf(std::string_view op, Ins, Attrs&) {
    throw Error(where_of(op), "a leaf made by Graph::input/param/constant", "a leaf op added through Graph::add");
}

}  // namespace infer
}  // namespace graft
