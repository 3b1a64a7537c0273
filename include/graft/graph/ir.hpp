// SPDX-License-Identifier: MIT
// graft/graph/ir.hpp: short untyped builders over Graph::add, for code that writes IR directly
// (VJP rules, passes, tests): ir::mul(g, a, b), ir::sum_axis(g, x, 1, true), ir::scalar(g, like, 0)...
// Each one is a single checked Graph::add call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph.hpp"

namespace graft::ir {

/// A two-input node of kind `op` over (a, b), e.g. binary(g, OpKind::maximum, a, b).
inline NodeId binary(Graph& g, OpKind op, NodeId a, NodeId b) { return g.add(op, {a, b}); }
/// a + b, broadcasting.
inline NodeId add(Graph& g, NodeId a, NodeId b) { return g.add(OpKind::add, {a, b}); }
/// a - b, broadcasting.
inline NodeId sub(Graph& g, NodeId a, NodeId b) { return g.add(OpKind::sub, {a, b}); }
/// a * b elementwise, broadcasting.
inline NodeId mul(Graph& g, NodeId a, NodeId b) { return g.add(OpKind::mul, {a, b}); }
/// a / b elementwise, broadcasting.
inline NodeId div(Graph& g, NodeId a, NodeId b) { return g.add(OpKind::div, {a, b}); }
/// A one-input node of kind `op` with no attributes (exp, tanh, relu...).
inline NodeId unary(Graph& g, OpKind op, NodeId a) { return g.add(op, {a}); }
/// -a, elementwise.
inline NodeId neg(Graph& g, NodeId a) { return g.add(OpKind::neg, {a}); }
/// A one-input node of kind `op` with attrs.scalar = c (add_scalar, mul_scalar, div_scalar...).
inline NodeId with_scalar(Graph& g, OpKind op, NodeId a, double c) {
    Attrs at;
    at.scalar = c;
    return g.add(op, {a}, at);
}
/// a * c, elementwise.
inline NodeId mul_scalar(Graph& g, NodeId a, double c) { return with_scalar(g, OpKind::mul_scalar, a, c); }
/// a + c, elementwise.
inline NodeId add_scalar(Graph& g, NodeId a, double c) { return with_scalar(g, OpKind::add_scalar, a, c); }
/// c - a, elementwise.
inline NodeId rsub_scalar(Graph& g, NodeId a, double c) { return with_scalar(g, OpKind::rsub_scalar, a, c); }
/// a raised to the constant power c, elementwise.
inline NodeId pow_scalar(Graph& g, NodeId a, double c) { return with_scalar(g, OpKind::pow_scalar, a, c); }
/// A rank-0 constant with the dtype of node `like`.
inline NodeId scalar(Graph& g, NodeId like, double value) { return g.scalar_constant(g.node(like).dtype, value); }
/// a where mask m != 0, else b; all three broadcast together.
inline NodeId where(Graph& g, NodeId m, NodeId a, NodeId b) { return g.add(OpKind::where, {m, a, b}); }
/// Matrix product of a and b, NumPy matmul semantics.
inline NodeId matmul(Graph& g, NodeId a, NodeId b) { return g.add(OpKind::matmul, {a, b}); }
/// checkpoint(a) = a, a value passes::recompute() keeps (graph/build.hpp: graft::checkpoint).
inline NodeId checkpoint(Graph& g, NodeId a) { return g.add(OpKind::checkpoint, {a}); }
/// a with its axes permuted: output axis i is input axis perm[i].
inline NodeId transpose(Graph& g, NodeId a, std::vector<std::size_t> perm) {
    Attrs at;
    at.ints = std::move(perm);
    return g.add(OpKind::transpose, {a}, at);
}
/// Swap the last two axes (a matrix transpose, batched).
inline NodeId transpose_last2(Graph& g, NodeId a) {
    const std::size_t r = g.node(a).dims.size();
    if (r < 2) throw Error("ir::transpose_last2", "a value of rank >= 2", "rank " + std::to_string(r));
    std::vector<std::size_t> p(r);
    for (std::size_t i = 0; i < r; ++i) p[i] = i;
    std::swap(p[r - 1], p[r - 2]);
    return transpose(g, a, p);
}
/// a with new dims of the same size; returns a itself (no node) when its dims already equal dims.
inline NodeId reshape(Graph& g, NodeId a, Dims dims) {
    if (g.node(a).dims == dims) return a;
    Attrs at;
    at.ints = std::move(dims);
    return g.add(OpKind::reshape, {a}, at);
}
/// a repeated along size-1 and missing leading axes to exactly dims; returns a itself when already that shape.
inline NodeId broadcast_to(Graph& g, NodeId a, Dims dims) {
    if (g.node(a).dims == dims) return a;
    Attrs at;
    at.ints = std::move(dims);
    return g.add(OpKind::broadcast_to, {a}, at);
}
/// Reduction `op` (sum, mean or max) of a along axis, kept as a size-1 axis when keepdims.
inline NodeId reduce(Graph& g, OpKind op, NodeId a, std::int64_t axis, bool keepdims) {
    Attrs at;
    at.axis = axis;
    at.keepdims = keepdims;
    return g.add(op, {a}, at);
}
/// Sum of a along axis, kept as a size-1 axis when keepdims.
inline NodeId sum_axis(Graph& g, NodeId a, std::int64_t axis, bool keepdims) { return reduce(g, OpKind::sum, a, axis, keepdims); }
/// Sum of every element of a: a rank-0 node.
inline NodeId sum_all(Graph& g, NodeId a) {
    Attrs at;
    at.all_axes = true;
    return g.add(OpKind::sum, {a}, at);
}
/// Elements [start, stop) of a along axis.
inline NodeId slice(Graph& g, NodeId a, std::int64_t axis, std::size_t start, std::size_t stop) {
    Attrs at;
    at.axis = axis;
    at.start = start;
    at.stop = stop;
    return g.add(OpKind::slice, {a}, at);
}
/// `parts`, in order, joined along axis.
inline NodeId concat(Graph& g, std::vector<NodeId> parts, std::int64_t axis) {
    Attrs at;
    at.axis = axis;
    return g.add(OpKind::concat, std::move(parts), at);
}
/// Numerically stable softmax of a along axis.
inline NodeId softmax(Graph& g, NodeId a, std::int64_t axis) {
    Attrs at;
    at.axis = axis;
    return g.add(OpKind::softmax, {a}, at);
}
/// Zeros with the given dtype and dims (a broadcast scalar: no large constant is stored).
inline NodeId zeros(Graph& g, DType dtype, Dims dims) {  // dims by value: it may live in g
    return broadcast_to(g, g.scalar_constant(dtype, 0.0), std::move(dims));
}

}  // namespace graft::ir
