// SPDX-License-Identifier: MIT
// graft/graph/build.hpp: the typed functions that add nodes: operators, matmul, relu, softmax, sum<axis>...
// Each computes its result type at compile time (a mismatch is a static_assert naming both shapes) and
// then adds one IR node through Graph::add, which checks the same rule again at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "../core/shape_rules.hpp"
#include "var.hpp"

namespace graft {

/// Both operands of a graph op hold the same element type.
template <class A, class B>
struct var_element_types_match {
    /// true when A and B are the same type (graft never converts element types implicitly).
    static constexpr bool value = std::is_same_v<A, B>;
};

namespace detail {
template <class V0, class... V>
Graph& same_graph(const char* op, const V0& first, const V&... rest) {
    Graph& g = first.graph();
    if (((&rest.graph() != &g) || ...))
        throw Error(std::string("graft::") + op, "operands from one Graph", "operands from different Graphs");
    return g;
}
template <class T, class S>
Var<T, S> make(Graph& g, OpKind op, std::vector<NodeId> in, Attrs a = {}) {
    return Var<T, S>(g, g.add(op, std::move(in), std::move(a)));
}
template <OpKind Op, class A, class B>
auto binary(const A& a, const B& b) {
    using T = typename A::value_type;
    static_assert(var_element_types_match<T, typename B::value_type>::value, "graft: graph op: element types differ");
    using S = broadcast_t<typename A::shape_type, typename B::shape_type>;
    Graph& g = same_graph(op_name(Op).data(), a, b);
    return make<T, S>(g, Op, {a.id(), b.id()});
}
template <OpKind Op, class A>
auto unary(const A& a, Attrs at = {}) {
    using T = typename A::value_type;
    static_assert(FloatElement<T>, "graft: this graph op needs a float or double operand");
    return make<T, typename A::shape_type>(a.graph(), Op, {a.id()}, std::move(at));
}
inline Attrs scalar_attr(double c) {
    Attrs a;
    a.scalar = c;
    return a;
}
}  // namespace detail

// -------------------------------------------------------------------- arithmetic, with broadcasting
/// Elementwise sum, NumPy broadcasting (a shape mismatch is a static_assert).
template <VarType A, VarType B>
auto operator+(const A& a, const B& b) { return detail::binary<OpKind::add>(a, b); }
/// Elementwise difference a - b, NumPy broadcasting.
template <VarType A, VarType B>
auto operator-(const A& a, const B& b) { return detail::binary<OpKind::sub>(a, b); }
/// Elementwise product; the matrix product is matmul().
template <VarType A, VarType B>
auto operator*(const A& a, const B& b) { return detail::binary<OpKind::mul>(a, b); }
/// Elementwise quotient a / b, NumPy broadcasting.
template <VarType A, VarType B>
auto operator/(const A& a, const B& b) { return detail::binary<OpKind::div>(a, b); }
/// Elementwise maximum of a and b, NumPy broadcasting.
template <VarType A, VarType B>
auto maximum(const A& a, const B& b) { return detail::binary<OpKind::maximum>(a, b); }
/// Elementwise minimum of a and b, NumPy broadcasting.
template <VarType A, VarType B>
auto minimum(const A& a, const B& b) { return detail::binary<OpKind::minimum>(a, b); }
/// 1 where a > b, else 0 (in the operands' type); stops gradients.
template <VarType A, VarType B>
auto greater(const A& a, const B& b) { return detail::binary<OpKind::greater>(a, b); }
/// 1 where a < b, else 0 (in the operands' type); stops gradients.
template <VarType A, VarType B>
auto less(const A& a, const B& b) { return detail::binary<OpKind::less>(a, b); }
/// 1 where a == b, else 0 (in the operands' type); stops gradients.
template <VarType A, VarType B>
auto equal(const A& a, const B& b) { return detail::binary<OpKind::equal>(a, b); }

// -------------------------------------------------------------------- with a scalar
/// x + c for a scalar c (held as a double attribute); needs a float or double Var.
template <VarType A, Scalar C>
auto operator+(const A& a, C c) { return detail::unary<OpKind::add_scalar>(a, detail::scalar_attr(double(c))); }
/// c + x: the same add_scalar node as x + c.
template <VarType A, Scalar C>
auto operator+(C c, const A& a) { return a + c; }
/// x - c is x + (-c): exact in IEEE arithmetic.
template <VarType A, Scalar C>
auto operator-(const A& a, C c) { return detail::unary<OpKind::add_scalar>(a, detail::scalar_attr(-double(c))); }
/// c - x for a scalar c (one rsub_scalar node).
template <VarType A, Scalar C>
auto operator-(C c, const A& a) { return detail::unary<OpKind::rsub_scalar>(a, detail::scalar_attr(double(c))); }
/// x * c for a scalar c; needs a float or double Var.
template <VarType A, Scalar C>
auto operator*(const A& a, C c) { return detail::unary<OpKind::mul_scalar>(a, detail::scalar_attr(double(c))); }
/// c * x: the same mul_scalar node as x * c.
template <VarType A, Scalar C>
auto operator*(C c, const A& a) { return a * c; }
/// x / c for a scalar c; needs a float or double Var.
template <VarType A, Scalar C>
auto operator/(const A& a, C c) { return detail::unary<OpKind::div_scalar>(a, detail::scalar_attr(double(c))); }
/// c / x for a scalar c (one rdiv_scalar node).
template <VarType A, Scalar C>
auto operator/(C c, const A& a) { return detail::unary<OpKind::rdiv_scalar>(a, detail::scalar_attr(double(c))); }
/// x raised to a constant power.
template <VarType A>
auto pow(const A& a, double p) { return detail::unary<OpKind::pow_scalar>(a, detail::scalar_attr(p)); }
/// min(max(x, lo), hi).
template <VarType A>
auto clamp(const A& a, double lo, double hi) {
    if (!(lo <= hi)) throw Error("graft::clamp", "lo <= hi", std::to_string(lo) + " > " + std::to_string(hi));
    Attrs at;
    at.scalar = lo;
    at.scalar2 = hi;
    return detail::unary<OpKind::clamp>(a, at);
}
/// A random mask like `a`: 0 with probability p, else 1/(1-p); a new mask every run (seeded, reproducible).
/// Impure: passes never fold or merge it, so two masks of the same input stay two.
template <VarType A>
auto dropout_mask(const A& a, double p, std::uint64_t seed) {
    Attrs at;
    at.scalar = p;
    at.start = static_cast<std::size_t>(seed);
    return detail::unary<OpKind::dropout_mask>(a, at);
}
/// Inverted dropout: a * dropout_mask(a, p, seed). Gradients flow through the same mask.
template <VarType A>
auto dropout(const A& a, double p, std::uint64_t seed) { return a * dropout_mask(a, p, seed); }
/// Gradient checkpointing: the value of `a`, marked as one passes::recompute() keeps for the reverse
/// sweep; the values between two checkpoints that the reverse sweep reads are recomputed from the
/// nearest checkpoint instead of being kept (docs/passes.md, "Gradient checkpointing"). Without that
/// pass it costs nothing: compile() lowers it as an alias of `a`.
template <VarType A>
auto checkpoint(const A& a) {
    return detail::make<typename A::value_type, typename A::shape_type>(a.graph(), OpKind::checkpoint, {a.id()}, {});
}

// -------------------------------------------------------------------- unary
/// -x, elementwise (a neg node).
template <VarType A> auto operator-(const A& a) { return detail::unary<OpKind::neg>(a); }
/// -x, elementwise.
template <VarType A> auto neg(const A& a) { return detail::unary<OpKind::neg>(a); }
/// e^x, elementwise.
template <VarType A> auto exp(const A& a) { return detail::unary<OpKind::exp>(a); }
/// Natural logarithm, elementwise.
template <VarType A> auto log(const A& a) { return detail::unary<OpKind::log>(a); }
/// log(1 + x), elementwise; accurate for x near 0.
template <VarType A> auto log1p(const A& a) { return detail::unary<OpKind::log1p>(a); }
/// e^x - 1, elementwise; accurate for x near 0.
template <VarType A> auto expm1(const A& a) { return detail::unary<OpKind::expm1>(a); }
/// Hyperbolic tangent, elementwise.
template <VarType A> auto tanh(const A& a) { return detail::unary<OpKind::tanh>(a); }
/// Logistic sigmoid 1 / (1 + e^-x), elementwise.
template <VarType A> auto sigmoid(const A& a) { return detail::unary<OpKind::sigmoid>(a); }
/// Softplus log(1 + e^x), elementwise (a smooth relu).
template <VarType A> auto softplus(const A& a) { return detail::unary<OpKind::softplus>(a); }
/// max(x, 0), elementwise.
template <VarType A> auto relu(const A& a) { return detail::unary<OpKind::relu>(a); }
/// Square root, elementwise.
template <VarType A> auto sqrt(const A& a) { return detail::unary<OpKind::sqrt>(a); }
/// x * x, elementwise.
template <VarType A> auto square(const A& a) { return detail::unary<OpKind::square>(a); }
/// Absolute value, elementwise.
template <VarType A> auto abs(const A& a) { return detail::unary<OpKind::abs>(a); }

/// a where mask != 0, else b; all three broadcast together.
template <VarType M, VarType A, VarType B>
auto where(const M& mask, const A& a, const B& b) {
    using T = typename A::value_type;
    static_assert(var_element_types_match<T, typename B::value_type>::value, "graft::where: element types differ");
    static_assert(var_element_types_match<T, typename M::value_type>::value, "graft::where: the mask's element type differs");
    using S = broadcast_t<broadcast_t<typename M::shape_type, typename A::shape_type>, typename B::shape_type>;
    Graph& g = detail::same_graph("where", mask, a, b);
    return detail::make<T, S>(g, OpKind::where, {mask.id(), a.id(), b.id()});
}

// -------------------------------------------------------------------- linear algebra
/// Matrix product, NumPy semantics (2-D, batched with broadcast batch dims, rank-1 operands).
template <VarType A, VarType B>
auto matmul(const A& a, const B& b) {
    using T = typename A::value_type;
    static_assert(var_element_types_match<T, typename B::value_type>::value, "graft::matmul: element types differ");
    using S = matmul_t<typename A::shape_type, typename B::shape_type>;
    Graph& g = detail::same_graph("matmul", a, b);
    return detail::make<T, S>(g, OpKind::matmul, {a.id(), b.id()});
}

// -------------------------------------------------------------------- shape
/// All axes reversed (a matrix's transpose).
template <VarType A>
auto transpose(const A& a) {
    using S = typename A::shape_type;
    Attrs at;
    for (std::size_t i = S::rank; i-- > 0;) at.ints.push_back(i);
    return detail::make<typename A::value_type, transpose_t<S>>(a.graph(), OpKind::transpose, {a.id()}, at);
}
/// Axes permuted: permute<2, 0, 1>(x) makes axis 2 the first.
template <std::size_t... Perm, VarType A>
auto permute(const A& a) {
    using S = permute_t<typename A::shape_type, Perm...>;
    Attrs at;
    at.ints = {Perm...};
    return detail::make<typename A::value_type, S>(a.graph(), OpKind::transpose, {a.id()}, at);
}
/// Same elements, new shape of equal size: reshape<64, 784>(x).
template <std::size_t... D, VarType A>
auto reshape(const A& a) {
    using S = Shape<D...>;
    static_assert(reshape_preserves_size<typename A::shape_type, S>::value, "graft::reshape: sizes differ");
    Attrs at;
    at.ints = {D...};
    return detail::make<typename A::value_type, S>(a.graph(), OpKind::reshape, {a.id()}, at);
}
/// Repeated along size-1 and missing leading axes to exactly shape To.
template <ShapeType To, VarType A>
auto broadcast_to(const A& a) {
    static_assert(broadcasts_to<typename A::shape_type, To>::value, "graft::broadcast_to: shape does not broadcast to the target");
    Attrs at;
    at.ints = detail::dims_of<To>();
    return detail::make<typename A::value_type, To>(a.graph(), OpKind::broadcast_to, {a.id()}, at);
}
/// Joined along Axis: concat<1>(a, b, c).
template <std::size_t Axis, VarType A, VarType... R>
auto concat(const A& a, const R&... rest) {
    using T = typename A::value_type;
    static_assert((var_element_types_match<T, typename R::value_type>::value && ...), "graft::concat: element types differ");
    using S = concat_t<Axis, typename A::shape_type, typename R::shape_type...>;
    Graph& g = detail::same_graph("concat", a, rest...);
    Attrs at;
    at.axis = static_cast<std::int64_t>(Axis);
    return detail::make<T, S>(g, OpKind::concat, {a.id(), rest.id()...}, at);
}
/// Elements [Start, Stop) along Axis.
template <std::size_t Axis, std::size_t Start, std::size_t Stop, VarType A>
auto slice(const A& a) {
    using S = slice_t<typename A::shape_type, Axis, Start, Stop>;
    Attrs at;
    at.axis = static_cast<std::int64_t>(Axis);
    at.start = Start;
    at.stop = Stop;
    return detail::make<typename A::value_type, S>(a.graph(), OpKind::slice, {a.id()}, at);
}

// -------------------------------------------------------------------- reductions
namespace detail {
template <OpKind Op, class A>
auto reduce_all(const A& a, bool keepdims) {
    Attrs at;
    at.all_axes = true;
    at.keepdims = keepdims;
    return detail::unary<Op>(a, at);
}
template <OpKind Op, std::size_t Axis, bool KeepDims, class A>
auto reduce_axis(const A& a) {
    using T = typename A::value_type;
    static_assert(FloatElement<T>, "graft: reductions in a graph need a float or double operand");
    using S = reduce_t<typename A::shape_type, Axis, KeepDims>;
    Attrs at;
    at.axis = static_cast<std::int64_t>(Axis);
    at.keepdims = KeepDims;
    return make<T, S>(a.graph(), Op, {a.id()}, at);
}
}  // namespace detail

/// Sum of every element: a rank-0 Var.
template <VarType A>
Var<typename A::value_type, Shape<>> sum(const A& a) {
    return {a.graph(), detail::reduce_all<OpKind::sum>(a, false).id()};
}
/// Mean of every element: a rank-0 Var.
template <VarType A>
Var<typename A::value_type, Shape<>> mean(const A& a) {
    return {a.graph(), detail::reduce_all<OpKind::mean>(a, false).id()};
}
/// Largest element: a rank-0 Var.
template <VarType A>
Var<typename A::value_type, Shape<>> max(const A& a) {
    return {a.graph(), detail::reduce_all<OpKind::max>(a, false).id()};
}
/// Sum over one axis: sum<1>(Var<float, Shape<64,10>>) is Var<float, Shape<64>>; sum<1, true> keeps Shape<64,1>.
template <std::size_t Axis, bool KeepDims = false, VarType A>
auto sum(const A& a) { return detail::reduce_axis<OpKind::sum, Axis, KeepDims>(a); }
/// Mean over one axis; the result shape is as for `sum<Axis, KeepDims>`.
template <std::size_t Axis, bool KeepDims = false, VarType A>
auto mean(const A& a) { return detail::reduce_axis<OpKind::mean, Axis, KeepDims>(a); }
/// Largest element along one axis; the result shape is as for `sum<Axis, KeepDims>`.
template <std::size_t Axis, bool KeepDims = false, VarType A>
auto max(const A& a) { return detail::reduce_axis<OpKind::max, Axis, KeepDims>(a); }

// -------------------------------------------------------------------- softmax family
/// Numerically stable softmax along Axis (default: the last).
template <int Axis = -1, VarType A>
auto softmax(const A& a) {
    using S = typename A::shape_type;
    static_assert(axis_in_range<S, normalize_axis<S, Axis>>::value, "graft::softmax: axis out of range");
    Attrs at;
    at.axis = static_cast<std::int64_t>(normalize_axis<S, Axis>);
    return detail::unary<OpKind::softmax>(a, at);
}
/// log(softmax(x)) computed stably as x - max - log(sum(exp(x - max))).
template <int Axis = -1, VarType A>
auto log_softmax(const A& a) {
    using S = typename A::shape_type;
    static_assert(axis_in_range<S, normalize_axis<S, Axis>>::value, "graft::log_softmax: axis out of range");
    Attrs at;
    at.axis = static_cast<std::int64_t>(normalize_axis<S, Axis>);
    return detail::unary<OpKind::log_softmax>(a, at);
}

// -------------------------------------------------------------------- integer-valued
/// int32 labels -> one-hot rows of type U: one_hot<10>(Var<int32, Shape<64>>) is Var<float, Shape<64,10>>.
/// A label outside [0, Depth) makes Machine::run throw graft::Error (naming the label and its index).
template <std::size_t Depth, FloatElement U = float, VarType A>
auto one_hot(const A& labels) {
    static_assert(std::is_same_v<typename A::value_type, std::int32_t>, "graft::one_hot: labels must be int32");
    static_assert(Depth >= 1, "graft::one_hot: depth must be at least 1");
    Attrs at;
    at.start = Depth;
    at.dtype = dtype_of<U>;
    return detail::make<U, append_dim_t<typename A::shape_type, Depth>>(labels.graph(), OpKind::one_hot, {labels.id()}, at);
}
/// Index of the first maximum along Axis, as int32 (predicted class: argmax<1>(logits)).
template <std::size_t Axis, bool KeepDims = false, VarType A>
auto argmax(const A& a) {
    static_assert(FloatElement<typename A::value_type>, "graft::argmax: needs a float or double operand");
    using S = reduce_t<typename A::shape_type, Axis, KeepDims>;
    Attrs at;
    at.axis = static_cast<std::int64_t>(Axis);
    at.keepdims = KeepDims;
    return detail::make<std::int32_t, S>(a.graph(), OpKind::argmax, {a.id()}, at);
}

}  // namespace graft

#include "conv.hpp"  // conv2d, max_pool2d, avg_pool2d, flatten (uses the helpers above)
