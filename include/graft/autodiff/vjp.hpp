// SPDX-License-Identifier: MIT
// graft/autodiff/vjp.hpp: the VJP column of the op table — one rule per op, in OpKind order.
// A rule receives the forward node `n` (a copy: adding nodes may move the graph's storage), the
// adjoint `gy` of its output, and writes the adjoint of each input into gx[i] (no_node = no gradient).
// Rules only build ordinary, differentiable graph nodes, so grad(grad(...)) works.
// Notation: x, a, b are inputs, y the output, g the upstream adjoint, unb() = unbroadcast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "../graph/ir.hpp"
#include "unbroadcast.hpp"

namespace graft {

/// A VJP rule: given the forward node `n` (a copy) and the adjoint `gy` of its output, adds nodes to `g` and writes each input's adjoint into `gx[i]` (no_node = no gradient).
using VjpFn = void (*)(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx);

namespace vjp {
using ir::add;
using ir::div;
using ir::mul;
using ir::neg;
using ir::sub;

/// The first input of `n` (a, or x for unary ops).
inline NodeId A(const Node& n) { return n.inputs[0]; }
/// The second input of `n` (b).
inline NodeId B(const Node& n) { return n.inputs[1]; }
/// The dims of node `id`, by value: adding nodes may move the graph's storage, so no reference is kept.
inline Dims dims_of(Graph& g, NodeId id) { return g.node(id).dims; }  // a copy: adding nodes moves storage

/// The empty rule: writes no adjoint, so every input keeps no_node (no gradient).
inline void none(Graph&, const Node&, NodeId, std::span<NodeId>) {}

/// VJP of add: `d(a+b) = (g, g)`, each unbroadcast to its input's dims.
inline void add_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = unbroadcast(g, gy, dims_of(g, A(n)));
    gx[1] = unbroadcast(g, gy, dims_of(g, B(n)));
}
/// VJP of sub: `d(a-b) = (g, -g)`, each unbroadcast to its input's dims.
inline void sub_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = unbroadcast(g, gy, dims_of(g, A(n)));
    gx[1] = unbroadcast(g, neg(g, gy), dims_of(g, B(n)));
}
/// VJP of mul: `d(a*b) = (g*b, g*a)`, each unbroadcast to its input's dims.
inline void mul_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = unbroadcast(g, mul(g, gy, B(n)), dims_of(g, A(n)));
    gx[1] = unbroadcast(g, mul(g, gy, A(n)), dims_of(g, B(n)));
}
/// VJP of div: `d(a/b) = (g/b, -g*a/b^2) = (g/b, -(g/b)*y)`, reusing the forward output y.
inline void div_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    const NodeId gb = div(g, gy, B(n));
    gx[0] = unbroadcast(g, gb, dims_of(g, A(n)));
    gx[1] = unbroadcast(g, neg(g, mul(g, gb, n.id)), dims_of(g, B(n)));
}
/// VJP of maximum: `(g*[a>b] + g/2*[a==b], g*[a<b] + g/2*[a==b])`; ties split the gradient evenly.
inline void maximum_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    const NodeId tie = ir::mul_scalar(g, ir::binary(g, OpKind::equal, A(n), B(n)), 0.5);
    const NodeId ma = add(g, ir::binary(g, OpKind::greater, A(n), B(n)), tie);
    const NodeId mb = add(g, ir::binary(g, OpKind::less, A(n), B(n)), tie);
    gx[0] = unbroadcast(g, mul(g, gy, ma), dims_of(g, A(n)));
    gx[1] = unbroadcast(g, mul(g, gy, mb), dims_of(g, B(n)));
}
/// VJP of minimum: `(g*[a<b] + g/2*[a==b], g*[a>b] + g/2*[a==b])`; ties split the gradient evenly.
inline void minimum_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    const NodeId tie = ir::mul_scalar(g, ir::binary(g, OpKind::equal, A(n), B(n)), 0.5);
    const NodeId ma = add(g, ir::binary(g, OpKind::less, A(n), B(n)), tie);
    const NodeId mb = add(g, ir::binary(g, OpKind::greater, A(n), B(n)), tie);
    gx[0] = unbroadcast(g, mul(g, gy, ma), dims_of(g, A(n)));
    gx[1] = unbroadcast(g, mul(g, gy, mb), dims_of(g, B(n)));
}
/// VJP of add_scalar: `d(x+c) = g`.
inline void add_scalar_(Graph&, const Node&, NodeId gy, std::span<NodeId> gx) { gx[0] = gy; }
/// VJP of mul_scalar: `d(x*c) = g*c`, c = attrs.scalar.
inline void mul_scalar_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) { gx[0] = ir::mul_scalar(g, gy, n.attrs.scalar); }
/// VJP of div_scalar: `d(x/c) = g/c`, c = attrs.scalar.
inline void div_scalar_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = ir::with_scalar(g, OpKind::div_scalar, gy, n.attrs.scalar);
}
/// VJP of rsub_scalar: `d(c-x) = -g`.
inline void rsub_scalar_(Graph& g, const Node&, NodeId gy, std::span<NodeId> gx) { gx[0] = neg(g, gy); }
/// VJP of rdiv_scalar: `d(c/x) = -c/x^2 * g = -g*y/x`, reusing the forward output y.
inline void rdiv_scalar_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = neg(g, div(g, mul(g, gy, n.id), A(n)));
}
/// VJP of pow_scalar: `d(x^c) = g * c * x^(c-1)`; zeros for c = 0, g itself for c = 1, `g * 2x` for c = 2.
inline void pow_scalar_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    const double c = n.attrs.scalar;
    if (c == 0.0) {
        gx[0] = ir::zeros(g, n.dtype, n.dims);
        return;
    }
    const NodeId d = c == 1.0 ? ir::scalar(g, A(n), 1.0) : c == 2.0 ? ir::mul_scalar(g, A(n), 2.0)
                                                                      : ir::mul_scalar(g, ir::pow_scalar(g, A(n), c - 1.0), c);
    gx[0] = c == 1.0 ? gy : mul(g, gy, d);
}
/// VJP of clamp: `g * [lo <= x <= hi]` (= `[clamp(x) == x]`; the gradient passes at the bounds, as in PyTorch).
inline void clamp_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = mul(g, gy, ir::binary(g, OpKind::equal, n.id, A(n)));
}
/// VJP of neg: `d(-x) = -g`.
inline void neg_(Graph& g, const Node&, NodeId gy, std::span<NodeId> gx) { gx[0] = neg(g, gy); }
/// VJP of exp: `d exp(x) = g * y`, reusing the forward output y.
inline void exp_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) { gx[0] = mul(g, gy, n.id); }
/// VJP of log: `d log(x) = g / x`.
inline void log_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) { gx[0] = div(g, gy, A(n)); }
/// VJP of log1p: `d log1p(x) = g / (1 + x)`.
inline void log1p_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = div(g, gy, ir::add_scalar(g, A(n), 1.0));
}
/// VJP of expm1: `d expm1(x) = g * (y + 1)`, reusing the forward output y.
inline void expm1_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = mul(g, gy, ir::add_scalar(g, n.id, 1.0));
}
/// VJP of tanh: `d tanh(x) = g * (1 - y^2)`, reusing the forward output y.
inline void tanh_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = mul(g, gy, ir::rsub_scalar(g, ir::unary(g, OpKind::square, n.id), 1.0));
}
/// VJP of sigmoid: `d sigmoid(x) = g * y * (1 - y)`, reusing the forward output y.
inline void sigmoid_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = mul(g, gy, mul(g, n.id, ir::rsub_scalar(g, n.id, 1.0)));
}
/// VJP of softplus: `d softplus(x) = g * sigmoid(x)`.
inline void softplus_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = mul(g, gy, ir::unary(g, OpKind::sigmoid, A(n)));
}
/// VJP of relu: `d relu(x) = g * [x > 0]` (zero gradient at x = 0).
inline void relu_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = mul(g, gy, ir::binary(g, OpKind::greater, A(n), ir::scalar(g, A(n), 0.0)));
}
/// VJP of sqrt: `d sqrt(x) = g / (2 y)`, reusing the forward output y.
inline void sqrt_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = div(g, gy, ir::mul_scalar(g, n.id, 2.0));
}
/// VJP of square: `d x^2 = g * 2x`.
inline void square_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = mul(g, gy, ir::mul_scalar(g, A(n), 2.0));
}
/// VJP of abs: `d |x| = g * sign(x) = g * ([x > 0] - [x < 0])` (zero gradient at x = 0).
inline void abs_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    const NodeId zero = ir::scalar(g, A(n), 0.0);
    const NodeId sign = sub(g, ir::binary(g, OpKind::greater, A(n), zero), ir::binary(g, OpKind::less, A(n), zero));
    gx[0] = mul(g, gy, sign);
}
/// VJP of where: `d where(m, a, b) = (none, where(m, g, 0), where(m, 0, g))`; the mask m gets no gradient.
inline void where_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    const NodeId zero = ir::scalar(g, gy, 0.0);
    gx[1] = unbroadcast(g, ir::where(g, n.inputs[0], gy, zero), dims_of(g, n.inputs[1]));
    gx[2] = unbroadcast(g, ir::where(g, n.inputs[0], zero, gy), dims_of(g, n.inputs[2]));
}
/// VJP of matmul: `d(A @ B) = (g @ B^T, A^T @ g)`, batch dims summed back; rank-1 operands promoted to matrices first.
inline void matmul_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    const Dims da = dims_of(g, A(n)), db = dims_of(g, B(n));
    const NodeId a = da.size() == 1 ? ir::reshape(g, A(n), {1, da[0]}) : A(n);
    const NodeId b = db.size() == 1 ? ir::reshape(g, B(n), {db[0], 1}) : B(n);
    Dims dy = n.dims;  // the promoted output: put back the axes rank-1 operands dropped
    if (da.size() == 1) dy.insert(dy.end() - (db.size() == 1 ? 0 : 1), 1);
    if (db.size() == 1) dy.push_back(1);
    const NodeId gyp = ir::reshape(g, gy, dy);
    const NodeId ga = unbroadcast(g, ir::matmul(g, gyp, ir::transpose_last2(g, b)), dims_of(g, a));
    const NodeId gb = unbroadcast(g, ir::matmul(g, ir::transpose_last2(g, a), gyp), dims_of(g, b));
    gx[0] = ir::reshape(g, ga, da);
    gx[1] = ir::reshape(g, gb, db);
}
/// VJP of transpose: `d transpose(x, p) = transpose(g, p^-1)`, the inverse permutation.
inline void transpose_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    std::vector<std::size_t> inv(n.attrs.ints.size());
    for (std::size_t i = 0; i < inv.size(); ++i) inv[n.attrs.ints[i]] = i;
    gx[0] = ir::transpose(g, gy, inv);
}
/// VJP of reshape: `d reshape(x) = reshape(g, dims(x))`.
inline void reshape_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) { gx[0] = ir::reshape(g, gy, dims_of(g, A(n))); }
/// VJP of checkpoint: `d checkpoint(x) = g` (the identity; the mark stays in the forward sweep only).
inline void checkpoint_(Graph&, const Node&, NodeId gy, std::span<NodeId> gx) { gx[0] = gy; }
/// VJP of broadcast_to: `d broadcast_to(x) = unb(g)`, summed back to x's dims.
inline void broadcast_to_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) { gx[0] = unbroadcast(g, gy, dims_of(g, A(n))); }
/// VJP of concat: `d concat(x0, x1, ...) = (slice of g for x0, slice for x1, ...)` along attrs.axis.
inline void concat_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    const auto ax = static_cast<std::size_t>(n.attrs.axis);
    std::size_t at = 0;
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
        const std::size_t len = dims_of(g, n.inputs[i])[ax];
        gx[i] = ir::slice(g, gy, n.attrs.axis, at, at + len);
        at += len;
    }
}
/// VJP of slice: `d slice(x)[start:stop]` = g placed at `[start:stop]` of zeros shaped like x.
inline void slice_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    const auto ax = static_cast<std::size_t>(n.attrs.axis);
    Dims d = dims_of(g, A(n));
    const std::size_t full = d[ax];
    std::vector<NodeId> parts;
    if (n.attrs.start > 0) {
        d[ax] = n.attrs.start;
        parts.push_back(ir::zeros(g, n.dtype, d));
    }
    parts.push_back(gy);
    if (n.attrs.stop < full) {
        d[ax] = full - n.attrs.stop;
        parts.push_back(ir::zeros(g, n.dtype, d));
    }
    gx[0] = parts.size() == 1 ? gy : ir::concat(g, parts, n.attrs.axis);
}
/// The reduced adjoint reshaped so it broadcasts against the reduction's input (keepdims form).
inline NodeId keepdims_form(Graph& g, const Node& n, NodeId gy) {
    const Dims dx = dims_of(g, A(n));
    Dims keep = dx;
    if (n.attrs.all_axes) keep.assign(dx.size(), 1);
    else keep[static_cast<std::size_t>(n.attrs.axis)] = 1;
    return ir::reshape(g, gy, keep);
}
/// The number of input elements reduced into each output element: the extent of attrs.axis, or the input's size when all_axes.
inline std::size_t reduced_count(Graph& g, const Node& n) {
    const Dims dx = dims_of(g, A(n));
    if (!n.attrs.all_axes) return dx[static_cast<std::size_t>(n.attrs.axis)];
    std::size_t c = 1;
    for (auto d : dx) c *= d;
    return c;
}
/// VJP of sum: `d sum(x) = broadcast(g)` back to x's dims (over attrs.axis, or all axes).
inline void sum_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = ir::broadcast_to(g, keepdims_form(g, n, gy), dims_of(g, A(n)));
}
/// VJP of mean: `d mean(x) = broadcast(g) / count`, count = number of reduced elements.
inline void mean_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    const std::size_t c = reduced_count(g, n);
    gx[0] = ir::broadcast_to(g, ir::mul_scalar(g, keepdims_form(g, n, gy), c ? 1.0 / double(c) : 0.0), dims_of(g, A(n)));
}
/// VJP of max: `d max(x) = broadcast(g) * [x == max] / (number of maxima)`: ties share the gradient.
inline void max_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    const Dims dx = dims_of(g, A(n));
    const NodeId mask = ir::binary(g, OpKind::equal, A(n), keepdims_form(g, n, n.id));
    Attrs at = n.attrs;
    at.keepdims = true;
    const NodeId count = g.add(OpKind::sum, {mask}, at);
    gx[0] = mul(g, ir::broadcast_to(g, div(g, keepdims_form(g, n, gy), count), dx), mask);
}
/// VJP of softmax: `d softmax(x) = y * (g - sum(g*y, axis))`, reusing the forward output y.
inline void softmax_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    const NodeId s = ir::sum_axis(g, mul(g, gy, n.id), n.attrs.axis, true);
    gx[0] = mul(g, n.id, sub(g, gy, s));
}
/// VJP of log_softmax: `d log_softmax(x) = g - softmax(x) * sum(g, axis) = g - exp(y) * sum(g, axis)`.
inline void log_softmax_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    const NodeId s = ir::sum_axis(g, gy, n.attrs.axis, true);
    gx[0] = sub(g, gy, mul(g, ir::unary(g, OpKind::exp, n.id), s));
}

// ---------------------------------------------------------------- convolution and pooling
// conv2d is bilinear: y = conv(x, w) = A_w x = B_x w. Its gradient ops are the adjoints
// conv2d_grad_input(dy, w) = A_w^T dy and conv2d_grad_weight(x, dy) = B_x^T dy, themselves bilinear, so
// every rule below is built from the same three ops and higher-order gradients work.
/// attrs.ints of a gradient op: the conv2d (or pool) attributes of `n`, then `dims`.
inline Attrs window_attrs(const Node& n, std::size_t count, const Dims& dims) {
    Attrs a;
    a.ints.assign(n.attrs.ints.begin(), n.attrs.ints.begin() + static_cast<std::ptrdiff_t>(count));
    a.ints.insert(a.ints.end(), dims.begin(), dims.end());
    return a;
}
/// VJP of conv2d: `d conv2d(x, w) = (conv2d_grad_input(g, w), conv2d_grad_weight(x, g))`.
inline void conv2d_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = g.add(OpKind::conv2d_grad_input, {gy, B(n)}, window_attrs(n, Conv2dParams::count, dims_of(g, A(n))));
    gx[1] = g.add(OpKind::conv2d_grad_weight, {A(n), gy}, window_attrs(n, Conv2dParams::count, dims_of(g, B(n))));
}
/// VJP of conv2d_grad_input: `z = A_w^T dy`, `<z, g> = <dy, conv(g, w)>`: `d/d(dy) = conv2d(g, w)`, `d/dw = conv2d_grad_weight(g, dy)`.
inline void conv2d_grad_input_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = g.add(OpKind::conv2d, {gy, B(n)}, window_attrs(n, Conv2dParams::count, {}));
    gx[1] = g.add(OpKind::conv2d_grad_weight, {gy, A(n)}, window_attrs(n, Conv2dParams::count, dims_of(g, B(n))));
}
/// VJP of conv2d_grad_weight: `v = B_x^T dy`, `<v, g> = <dy, conv(x, g)>`: `d/dx = conv2d_grad_input(dy, g)`, `d/d(dy) = conv2d(x, g)`.
inline void conv2d_grad_weight_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = g.add(OpKind::conv2d_grad_input, {B(n), gy}, window_attrs(n, Conv2dParams::count, dims_of(g, A(n))));
    gx[1] = g.add(OpKind::conv2d, {A(n), gy}, window_attrs(n, Conv2dParams::count, {}));
}
/// VJP of max_pool2d: g routed to the first maximum of each window (summed where windows overlap), via max_pool2d_grad.
inline void max_pool2d_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = g.add(OpKind::max_pool2d_grad, {A(n), gy}, n.attrs);
}
/// VJP of avg_pool2d: `g / (KH*KW)` spread over each window (the adjoint of the linear map avg_pool2d), via avg_pool2d_grad.
inline void avg_pool2d_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = g.add(OpKind::avg_pool2d_grad, {gy}, window_attrs(n, Pool2dParams::count, dims_of(g, A(n))));
}
/// VJP of avg_pool2d_grad: it is the adjoint of avg_pool2d, so its own adjoint is avg_pool2d: `d = avg_pool2d(g)`.
inline void avg_pool2d_grad_(Graph& g, const Node& n, NodeId gy, std::span<NodeId> gx) {
    gx[0] = g.add(OpKind::avg_pool2d, {gy}, window_attrs(n, Pool2dParams::count, {}));
}
}  // namespace vjp

// clang-format off
/// The VJP column, in OpKind order (nullptr: the op has no gradient).
inline constexpr VjpFn vjp_table[] = {
    nullptr, nullptr, nullptr,                          // input param constant (leaves)
    vjp::add_, vjp::sub_, vjp::mul_, vjp::div_, vjp::maximum_, vjp::minimum_,
    nullptr, nullptr, nullptr,                          // greater less equal (stop gradients)
    vjp::add_scalar_, vjp::mul_scalar_, vjp::div_scalar_, vjp::rsub_scalar_, vjp::rdiv_scalar_, vjp::pow_scalar_, vjp::clamp_,
    vjp::neg_, vjp::exp_, vjp::log_, vjp::log1p_, vjp::expm1_, vjp::tanh_, vjp::sigmoid_, vjp::softplus_,
    vjp::relu_, vjp::sqrt_, vjp::square_, vjp::abs_,
    vjp::where_,
    vjp::matmul_,
    vjp::transpose_, vjp::reshape_, vjp::broadcast_to_, vjp::concat_, vjp::slice_,
    vjp::sum_, vjp::mean_, vjp::max_,
    vjp::softmax_, vjp::log_softmax_,
    vjp::conv2d_, vjp::conv2d_grad_input_, vjp::conv2d_grad_weight_,
    vjp::max_pool2d_, nullptr,                          // max_pool2d_grad (piecewise constant in x; see docs/cnn.md)
    vjp::avg_pool2d_, vjp::avg_pool2d_grad_,
    nullptr, nullptr,                                   // one_hot argmax (integer-valued)
    nullptr,                                            // dropout_mask (random: no gradient to x's values)
    vjp::checkpoint_,
    nullptr, nullptr,                                   // fused matmul_bias_act (made by passes: grad() comes first)
};
// clang-format on

static_assert(std::size(vjp_table) == static_cast<std::size_t>(OpKind::count), "graft: vjp_table needs one entry per OpKind");
namespace detail {
// A null rule is recognised by matching it as a template argument, not by `rule != nullptr`: with
// -fsanitize=null (part of UBSan) GCC will not fold that comparison for an inline function.
template <VjpFn F>
inline constexpr bool is_null_vjp = false;
template <>
inline constexpr bool is_null_vjp<nullptr> = true;
template <std::size_t... I>
constexpr bool vjp_table_matches_op_table(std::index_sequence<I...>) {
    return ((!is_null_vjp<vjp_table[I]> == op_table[I].differentiable) && ...);
}
}  // namespace detail
static_assert(detail::vjp_table_matches_op_table(std::make_index_sequence<std::size(vjp_table)>{}),
              "graft: an op is marked differentiable in op_table but has no VJP rule, or the reverse");

/// The VJP rule of an op (nullptr if it is not differentiable).
constexpr VjpFn vjp_of(OpKind k) { return vjp_table[static_cast<std::size_t>(k)]; }

}  // namespace graft
