// SPDX-License-Identifier: MIT
// graft/graph/op_table.hpp: one row per op — name, arity, purity, differentiability, family, shape rule.
// Everything that needs to know about an op reads its row; adding an op is one enum entry plus one row,
// and the static_asserts below fail until both exist in the same order (ggml's GGML_OP_COUNT check).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "op_kind.hpp"
#include "shape_infer.hpp"

namespace graft {

/// The family of an op: how kernels run it and how passes may treat it.
enum class OpClass : std::uint8_t {
    leaf,     ///< input, param, constant
    binary,   ///< elementwise, two operands, broadcasting
    compare,  ///< elementwise comparison (0/1 result)
    scalar,   ///< elementwise with scalar attributes
    unary,    ///< elementwise, one operand
    select,   ///< where(mask, a, b)
    matmul,   ///< GEMM
    shape,    ///< moves elements without arithmetic
    reduce,   ///< sum / mean / max over axes
    softmax,  ///< softmax / log_softmax along an axis
    conv,     ///< convolution and pooling over NCHW images, and their gradients
    index,    ///< one_hot, argmax
    random,   ///< impure: dropout_mask
    fused     ///< made by fusion passes: a fused elementwise program, a GEMM with an epilogue
};

/// An op's run-time shape rule: output (dtype, dims) from the inputs' and the attributes (which it may
/// normalise, e.g. negative axes); throws graft::Error naming `op` on a mismatch.
using ShapeRule = ValueType (*)(std::string_view op, infer::Ins inputs, Attrs& attrs);

/// One row of the op table.
struct OpInfo {
    OpKind kind;          ///< the op this row describes (rows are in OpKind order)
    std::string_view name;  ///< lower-case name used by print, DOT and error messages
    int arity;            ///< number of inputs; -1 = one or more (concat)
    bool pure;            ///< same inputs, same output, no side effect: may be folded and merged
    bool differentiable;  ///< has a VJP (gradients flow through it)
    OpClass cls;          ///< family: how kernels run it and how passes may treat it
    ShapeRule shape;      ///< computes the output type; Graph::add calls it on every new node
};

/// Every op's row, indexed by OpKind (op_info() reads it).
// clang-format off
inline constexpr OpInfo op_table[] = {
    // kind                  name            arity pure  diff   class             shape rule
    {OpKind::input,        "input",         0,  true,  false, OpClass::leaf,    infer::leaf},
    {OpKind::param,        "param",         0,  true,  false, OpClass::leaf,    infer::leaf},
    {OpKind::constant,     "constant",      0,  true,  false, OpClass::leaf,    infer::leaf},
    {OpKind::add,          "add",           2,  true,  true,  OpClass::binary,  infer::broadcast},
    {OpKind::sub,          "sub",           2,  true,  true,  OpClass::binary,  infer::broadcast},
    {OpKind::mul,          "mul",           2,  true,  true,  OpClass::binary,  infer::broadcast},
    {OpKind::div,          "div",           2,  true,  true,  OpClass::binary,  infer::broadcast},
    {OpKind::maximum,      "maximum",       2,  true,  true,  OpClass::binary,  infer::broadcast},
    {OpKind::minimum,      "minimum",       2,  true,  true,  OpClass::binary,  infer::broadcast},
    {OpKind::greater,      "greater",       2,  true,  false, OpClass::compare, infer::broadcast},
    {OpKind::less,         "less",          2,  true,  false, OpClass::compare, infer::broadcast},
    {OpKind::equal,        "equal",         2,  true,  false, OpClass::compare, infer::broadcast},
    {OpKind::add_scalar,   "add_scalar",    1,  true,  true,  OpClass::scalar,  infer::same_float},
    {OpKind::mul_scalar,   "mul_scalar",    1,  true,  true,  OpClass::scalar,  infer::same_float},
    {OpKind::div_scalar,   "div_scalar",    1,  true,  true,  OpClass::scalar,  infer::same_float},
    {OpKind::rsub_scalar,  "rsub_scalar",   1,  true,  true,  OpClass::scalar,  infer::same_float},
    {OpKind::rdiv_scalar,  "rdiv_scalar",   1,  true,  true,  OpClass::scalar,  infer::same_float},
    {OpKind::pow_scalar,   "pow_scalar",    1,  true,  true,  OpClass::scalar,  infer::same_float},
    {OpKind::clamp,        "clamp",         1,  true,  true,  OpClass::scalar,  infer::clamp},
    {OpKind::neg,          "neg",           1,  true,  true,  OpClass::unary,   infer::same_float},
    {OpKind::exp,          "exp",           1,  true,  true,  OpClass::unary,   infer::same_float},
    {OpKind::log,          "log",           1,  true,  true,  OpClass::unary,   infer::same_float},
    {OpKind::log1p,        "log1p",         1,  true,  true,  OpClass::unary,   infer::same_float},
    {OpKind::expm1,        "expm1",         1,  true,  true,  OpClass::unary,   infer::same_float},
    {OpKind::tanh,         "tanh",          1,  true,  true,  OpClass::unary,   infer::same_float},
    {OpKind::sigmoid,      "sigmoid",       1,  true,  true,  OpClass::unary,   infer::same_float},
    {OpKind::softplus,     "softplus",      1,  true,  true,  OpClass::unary,   infer::same_float},
    {OpKind::relu,         "relu",          1,  true,  true,  OpClass::unary,   infer::same_float},
    {OpKind::sqrt,         "sqrt",          1,  true,  true,  OpClass::unary,   infer::same_float},
    {OpKind::square,       "square",        1,  true,  true,  OpClass::unary,   infer::same_float},
    {OpKind::abs,          "abs",           1,  true,  true,  OpClass::unary,   infer::same_float},
    {OpKind::where,        "where",         3,  true,  true,  OpClass::select,  infer::where},
    {OpKind::matmul,       "matmul",        2,  true,  true,  OpClass::matmul,  infer::matmul},
    {OpKind::transpose,    "transpose",     1,  true,  true,  OpClass::shape,   infer::transpose},
    {OpKind::reshape,      "reshape",       1,  true,  true,  OpClass::shape,   infer::reshape},
    {OpKind::broadcast_to, "broadcast_to",  1,  true,  true,  OpClass::shape,   infer::broadcast_to},
    {OpKind::concat,       "concat",       -1,  true,  true,  OpClass::shape,   infer::concat},
    {OpKind::slice,        "slice",         1,  true,  true,  OpClass::shape,   infer::slice},
    {OpKind::sum,          "sum",           1,  true,  true,  OpClass::reduce,  infer::reduce},
    {OpKind::mean,         "mean",          1,  true,  true,  OpClass::reduce,  infer::reduce},
    {OpKind::max,          "max",           1,  true,  true,  OpClass::reduce,  infer::reduce},
    {OpKind::softmax,      "softmax",       1,  true,  true,  OpClass::softmax, infer::softmax},
    {OpKind::log_softmax,  "log_softmax",   1,  true,  true,  OpClass::softmax, infer::softmax},
    {OpKind::conv2d,       "conv2d",        2,  true,  true,  OpClass::conv,    infer::conv2d},
    {OpKind::conv2d_grad_input,  "conv2d_grad_input",  2, true, true, OpClass::conv, infer::conv2d_grad_input},
    {OpKind::conv2d_grad_weight, "conv2d_grad_weight", 2, true, true, OpClass::conv, infer::conv2d_grad_weight},
    {OpKind::max_pool2d,   "max_pool2d",    1,  true,  true,  OpClass::conv,    infer::pool2d},
    {OpKind::max_pool2d_grad, "max_pool2d_grad", 2, true, false, OpClass::conv, infer::max_pool2d_grad},
    {OpKind::avg_pool2d,   "avg_pool2d",    1,  true,  true,  OpClass::conv,    infer::pool2d},
    {OpKind::avg_pool2d_grad, "avg_pool2d_grad", 1, true, true, OpClass::conv,  infer::avg_pool2d_grad},
    {OpKind::one_hot,      "one_hot",       1,  true,  false, OpClass::index,   infer::one_hot},
    {OpKind::argmax,       "argmax",        1,  true,  false, OpClass::index,   infer::argmax},
    {OpKind::dropout_mask, "dropout_mask",  1,  false, false, OpClass::random,  infer::dropout_mask},
    {OpKind::checkpoint,   "checkpoint",    1,  true,  true,  OpClass::shape,   infer::identity},
    {OpKind::fused,        "fused",        -1,  true,  false, OpClass::fused,   infer::fused},
    {OpKind::matmul_bias_act, "matmul_bias_act", 3, true, false, OpClass::fused,  infer::matmul_bias_act},
};
// clang-format on

static_assert(std::size(op_table) == static_cast<std::size_t>(OpKind::count), "graft: op_table needs one row per OpKind");

namespace detail {
constexpr bool op_table_in_enum_order() {
    for (std::size_t i = 0; i < std::size(op_table); ++i)
        if (static_cast<std::size_t>(op_table[i].kind) != i) return false;
    return true;
}
}  // namespace detail
static_assert(detail::op_table_in_enum_order(), "graft: op_table rows must follow the order of OpKind");

/// The row of an op.
constexpr const OpInfo& op_info(OpKind k) { return op_table[static_cast<std::size_t>(k)]; }
/// The name of an op as printed: "matmul".
constexpr std::string_view op_name(OpKind k) { return op_info(k).name; }

}  // namespace graft
