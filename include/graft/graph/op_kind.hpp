// SPDX-License-Identifier: MIT
// graft/graph/op_kind.hpp: enum class OpKind, every operation the IR knows, grouped by family.
// The order here is the order of the rows in op_table.hpp; op_table static_asserts that they match.
#pragma once

#include <cstdint>

namespace graft {

/// Every operation a graph node can hold, grouped by family; one byte per node. The order is the row
/// order of the op table (op_table.hpp), so op_info(op) is a direct index.
enum class OpKind : std::uint8_t {
    // leaves: values that enter the graph
    input,     ///< bound per run with Machine::let
    param,     ///< persistent, trainable, lives in a ParamStore
    constant,  ///< known when the graph is built
    // elementwise binary, NumPy broadcasting
    add,      ///< a + b
    sub,      ///< a - b
    mul,      ///< a * b
    div,      ///< a / b (IEEE: x/0 is ±inf or NaN)
    maximum,  ///< max(a, b), NaN propagating
    minimum,  ///< min(a, b), NaN propagating
    // comparisons: 1 where true, 0 where false, in the operands' dtype (not differentiable)
    greater,  ///< a > b
    less,     ///< a < b
    equal,    ///< a == b
    // elementwise with a scalar attribute
    add_scalar,   ///< x + c
    mul_scalar,   ///< x * c
    div_scalar,   ///< x / c
    rsub_scalar,  ///< c - x
    rdiv_scalar,  ///< c / x
    pow_scalar,   ///< x ^ c
    clamp,        ///< min(max(x, lo), hi)
    // elementwise unary
    neg,       ///< -x
    exp,       ///< e^x
    log,       ///< natural logarithm (log 0 = -inf, log of a negative = NaN)
    log1p,     ///< log(1 + x), accurate for small x
    expm1,     ///< e^x - 1, accurate for small x
    tanh,      ///< hyperbolic tangent
    sigmoid,   ///< 1 / (1 + e^-x), saturating to exact 0 and 1
    softplus,  ///< log(1 + e^x), stable for any x
    relu,      ///< max(x, 0)
    sqrt,      ///< square root
    square,    ///< x * x
    abs,       ///< |x|
    // selection
    where,  ///< where(mask, a, b): a where mask != 0, else b (broadcasting all three)
    // linear algebra
    matmul,  ///< NumPy matmul: 2-D, batched with broadcast batch dims, rank-1 operands
    // shape
    transpose,     ///< permute axes (attrs.ints = permutation)
    reshape,       ///< same elements, new dims
    broadcast_to,  ///< repeat along size-1 / missing leading axes
    concat,        ///< join inputs along attrs.axis
    slice,         ///< [start, stop) along attrs.axis
    // reductions over one axis or all (attrs.all_axes), keepdims or not
    sum,   ///< sum over attrs.axis (or all axes)
    mean,  ///< mean over attrs.axis (or all axes)
    max,   ///< maximum over attrs.axis (or all axes), NaN propagating
    // normalisations along an axis
    softmax,      ///< exp(x - max) / sum exp(x - max) along attrs.axis
    log_softmax,  ///< x - max - log sum exp(x - max) along attrs.axis
    // convolution and pooling over NCHW images (attrs.ints: graph/conv_params.hpp)
    conv2d,              ///< conv2d(x [N,C,H,W], w [O,C/groups,KH,KW]) -> [N,O,OH,OW] (cross-correlation, no bias)
    conv2d_grad_input,   ///< conv2d_grad_input(dy, w) -> dx [N,C,H,W]: conv2d's adjoint in x (gemm + col2im)
    conv2d_grad_weight,  ///< conv2d_grad_weight(x, dy) -> dw [O,C/groups,KH,KW]: conv2d's adjoint in w (im2col + gemm)
    max_pool2d,          ///< max over each window (padding counts as -inf) -> [N,C,OH,OW]
    max_pool2d_grad,     ///< max_pool2d_grad(x, dy) -> like x: dy routed to the first maximum of each window
    avg_pool2d,          ///< mean over each window, padding counted as zeros (count_include_pad) -> [N,C,OH,OW]
    avg_pool2d_grad,     ///< avg_pool2d_grad(dy) -> [N,C,H,W]: dy / (KH*KW) spread over each window
    // integer-valued, not differentiable
    one_hot,  ///< int32 labels -> one-hot rows of attrs.dtype, depth attrs.start (other labels: graft::Error)
    argmax,   ///< index of the first maximum along an axis, int32
    // random, impure: a new value every run (never folded or merged by passes)
    dropout_mask,  ///< like x: 0 with probability attrs.scalar, else 1/(1-p); seed attrs.start, varies per run
    // gradient checkpointing: the identity, marking a value passes::recompute() keeps (lowered as an alias)
    checkpoint,    ///< checkpoint(x) = x; the recompute pass recomputes the values between checkpoints
    // made by the fusion passes only (not differentiable: take grad() before optimizing)
    fused,            ///< elementwise register program over broadcasting inputs (graph/fused_program.hpp)
    matmul_bias_act,  ///< act(a @ b + bias): one GEMM, then one epilogue pass (attrs.ints[0] = Epilogue)
    count     ///< number of ops (not an op)
};

}  // namespace graft
