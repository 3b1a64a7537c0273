// SPDX-License-Identifier: MIT
// graft/tensor/elementwise.hpp: eager elementwise math with NumPy broadcasting.
// a + b, a - b, a * b, a / b (tensors or scalars), unary exp log log1p expm1 tanh sigmoid softplus relu
// sqrt square abs neg, maximum/minimum. Result shapes are computed at compile time; an incompatible pair
// fails to compile naming both shapes. Transcendental functions run vectorized through Eigen.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>

#include "../core/shape_rules.hpp"
#include "detail/broadcast.hpp"
#include "detail/reduce.hpp"
#include "detail/unary.hpp"
#include "tensor.hpp"

namespace graft {

/// Both operands of a binary op hold the same element type (graft never promotes silently).
template <class A, class B>
struct element_types_match {
    static constexpr bool value = std::is_same_v<A, B>;  ///< true when A and B are the same type
};

namespace detail {

template <TensorLike A, TensorLike B, class F>
auto broadcast_op(const A& a, const B& b, F f) {
    using TA = value_t<A>;
    using SA = shape_of_t<A>;
    using SB = shape_of_t<B>;
    static_assert(element_types_match<TA, value_t<B>>::value, "graft: elementwise op: element types differ");
    using SO = broadcast_t<SA, SB>;
    Tensor<TA, SO> out;
    const TA* pa = a.data();
    const TA* pb = b.data();
    TA* po = out.data();
    if constexpr (std::is_same_v<SA, SO> && std::is_same_v<SB, SO>) {
        for (std::size_t i = 0; i < SO::size; ++i) po[i] = f(pa[i], pb[i]);
    } else {
        const auto plan = make_broadcast_plan(SA::dims, SB::dims, SO::dims);
        broadcast_binary(plan, pa, pb, po, f);
    }
    return out;
}

template <TensorLike A, class F>
auto map_op(const A& a, F f) {
    Tensor<value_t<A>, shape_of_t<A>> out;
    const auto* pa = a.data();
    auto* po = out.data();
    for (std::size_t i = 0; i < out.size(); ++i) po[i] = f(pa[i]);
    return out;
}

template <TensorLike A>
auto unary_op(Unary u, const A& a) {
    Tensor<value_t<A>, shape_of_t<A>> out;
    apply_unary(u, a.data(), out.data(), out.size());
    return out;
}

template <class T>
T checked_div(T x, T y) {
    if constexpr (std::is_integral_v<T>) {
        if (y == T(0)) throw Error("graft::operator/", "a non-zero integer divisor", "0");
        if constexpr (std::is_signed_v<T>)
            if (y == T(-1) && x == std::numeric_limits<T>::min())
                throw Error("graft::operator/", "a quotient the integer type holds",
                            std::to_string(x) + " / -1, which overflows");
    }
    return static_cast<T>(x / y);
}

struct Plus {
    template <class T> T operator()(T x, T y) const { return static_cast<T>(x + y); }
};
struct Minus {
    template <class T> T operator()(T x, T y) const { return static_cast<T>(x - y); }
};
struct Times {
    template <class T> T operator()(T x, T y) const { return static_cast<T>(x * y); }
};
struct Divide {
    template <class T> T operator()(T x, T y) const { return checked_div(x, y); }
};
}  // namespace detail

// ------------------------------------------------------------------ tensor (op) tensor, with broadcasting
/// Elementwise sum, NumPy broadcasting; the operands must share an element type.
template <TensorLike A, TensorLike B>
auto operator+(const A& a, const B& b) { return detail::broadcast_op(a, b, detail::Plus{}); }
/// Elementwise difference a - b, NumPy broadcasting.
template <TensorLike A, TensorLike B>
auto operator-(const A& a, const B& b) { return detail::broadcast_op(a, b, detail::Minus{}); }
/// Elementwise product (NumPy/LibTorch habit); the matrix product is matmul().
template <TensorLike A, TensorLike B>
auto operator*(const A& a, const B& b) { return detail::broadcast_op(a, b, detail::Times{}); }
/// Elementwise quotient; an integer division by zero throws graft::Error.
template <TensorLike A, TensorLike B>
auto operator/(const A& a, const B& b) { return detail::broadcast_op(a, b, detail::Divide{}); }

/// Elementwise maximum and minimum (NaN in either operand gives NaN).
template <TensorLike A, TensorLike B>
auto maximum(const A& a, const B& b) {
    return detail::broadcast_op(a, b, [](auto x, auto y) { return (x > y || detail::is_nan_value(x)) ? x : y; });
}
/// Elementwise minimum (NaN in either operand gives NaN).
template <TensorLike A, TensorLike B>
auto minimum(const A& a, const B& b) {
    return detail::broadcast_op(a, b, [](auto x, auto y) { return (x < y || detail::is_nan_value(x)) ? x : y; });
}

// ------------------------------------------------------------------ tensor (op) scalar
/// a + s for each element, s first converted to the tensor's element type.
template <TensorLike A, Scalar S>
auto operator+(const A& a, S s) { const auto v = static_cast<value_t<A>>(s); return detail::map_op(a, [v](auto x) { return static_cast<value_t<A>>(x + v); }); }
/// s + a: the same as a + s.
template <TensorLike A, Scalar S>
auto operator+(S s, const A& a) { return a + s; }
/// a - s for each element, s first converted to the tensor's element type.
template <TensorLike A, Scalar S>
auto operator-(const A& a, S s) { const auto v = static_cast<value_t<A>>(s); return detail::map_op(a, [v](auto x) { return static_cast<value_t<A>>(x - v); }); }
/// s - a for each element, s first converted to the tensor's element type.
template <TensorLike A, Scalar S>
auto operator-(S s, const A& a) { const auto v = static_cast<value_t<A>>(s); return detail::map_op(a, [v](auto x) { return static_cast<value_t<A>>(v - x); }); }
/// a * s for each element, s first converted to the tensor's element type.
template <TensorLike A, Scalar S>
auto operator*(const A& a, S s) { const auto v = static_cast<value_t<A>>(s); return detail::map_op(a, [v](auto x) { return static_cast<value_t<A>>(x * v); }); }
/// s * a: the same as a * s.
template <TensorLike A, Scalar S>
auto operator*(S s, const A& a) { return a * s; }
/// a / s for each element; an integer division by zero (or signed overflow) throws graft::Error.
template <TensorLike A, Scalar S>
auto operator/(const A& a, S s) { const auto v = static_cast<value_t<A>>(s); return detail::map_op(a, [v](auto x) { return detail::checked_div(x, v); }); }
/// s / a for each element; an integer division by zero (or signed overflow) throws graft::Error.
template <TensorLike A, Scalar S>
auto operator/(S s, const A& a) { const auto v = static_cast<value_t<A>>(s); return detail::map_op(a, [v](auto x) { return detail::checked_div(v, x); }); }

// ------------------------------------------------------------------ in place: a op= b (b broadcasts to a)
/// a = a + b in place; b must broadcast to a's shape (checked at compile time). Returns a.
template <Element T, ShapeType S, TensorLike B>
Tensor<T, S>& operator+=(Tensor<T, S>& a, const B& b) {
    static_assert(broadcasts_to<shape_of_t<B>, S>::value, "graft: operator+=: the right operand does not broadcast to the left");
    return a = a + b;
}
/// a = a - b in place; b must broadcast to a's shape (checked at compile time). Returns a.
template <Element T, ShapeType S, TensorLike B>
Tensor<T, S>& operator-=(Tensor<T, S>& a, const B& b) {
    static_assert(broadcasts_to<shape_of_t<B>, S>::value, "graft: operator-=: the right operand does not broadcast to the left");
    return a = a - b;
}
/// a = a * b elementwise, in place; b must broadcast to a's shape (checked at compile time). Returns a.
template <Element T, ShapeType S, TensorLike B>
Tensor<T, S>& operator*=(Tensor<T, S>& a, const B& b) {
    static_assert(broadcasts_to<shape_of_t<B>, S>::value, "graft: operator*=: the right operand does not broadcast to the left");
    return a = a * b;
}
/// a = a / b elementwise, in place; b must broadcast to a's shape. Integer division by zero throws graft::Error.
template <Element T, ShapeType S, TensorLike B>
Tensor<T, S>& operator/=(Tensor<T, S>& a, const B& b) {
    static_assert(broadcasts_to<shape_of_t<B>, S>::value, "graft: operator/=: the right operand does not broadcast to the left");
    return a = a / b;
}

// ------------------------------------------------------------------ unary
/// -a
template <TensorLike A>
auto operator-(const A& a) { return detail::unary_op(detail::Unary::neg, a); }
/// -a, elementwise.
template <TensorLike A>
auto neg(const A& a) { return detail::unary_op(detail::Unary::neg, a); }
/// Absolute value, elementwise.
template <TensorLike A>
auto abs(const A& a) { return detail::unary_op(detail::Unary::abs, a); }
/// max(a, 0), elementwise.
template <TensorLike A>
auto relu(const A& a) { return detail::unary_op(detail::Unary::relu, a); }
/// a * a, elementwise.
template <TensorLike A>
auto square(const A& a) { return detail::unary_op(detail::Unary::square, a); }

/// e^a, elementwise. Float and double tensors only (a static_assert says so otherwise).
template <TensorLike A>
auto exp(const A& a) {
    static_assert(FloatElement<value_t<A>>, "graft::exp: needs a float or double tensor");
    return detail::unary_op(detail::Unary::exp, a);
}
/// Natural logarithm, elementwise (exact also for subnormal inputs). Float and double tensors only (a static_assert says so otherwise).
template <TensorLike A>
auto log(const A& a) {
    static_assert(FloatElement<value_t<A>>, "graft::log: needs a float or double tensor");
    return detail::unary_op(detail::Unary::log, a);
}
/// log(1 + a), elementwise, accurate for small a. Float and double tensors only (a static_assert says so otherwise).
template <TensorLike A>
auto log1p(const A& a) {
    static_assert(FloatElement<value_t<A>>, "graft::log1p: needs a float or double tensor");
    return detail::unary_op(detail::Unary::log1p, a);
}
/// e^a - 1, elementwise, accurate for small a. Float and double tensors only (a static_assert says so otherwise).
template <TensorLike A>
auto expm1(const A& a) {
    static_assert(FloatElement<value_t<A>>, "graft::expm1: needs a float or double tensor");
    return detail::unary_op(detail::Unary::expm1, a);
}
/// Hyperbolic tangent, elementwise. Float and double tensors only (a static_assert says so otherwise).
template <TensorLike A>
auto tanh(const A& a) {
    static_assert(FloatElement<value_t<A>>, "graft::tanh: needs a float or double tensor");
    return detail::unary_op(detail::Unary::tanh, a);
}
/// Logistic function 1 / (1 + e^-a), elementwise (e/(1+e) with e = exp(-|a|): accurate in float far into the tails). Float and double tensors only (a static_assert says so otherwise).
template <TensorLike A>
auto sigmoid(const A& a) {
    static_assert(FloatElement<value_t<A>>, "graft::sigmoid: needs a float or double tensor");
    return detail::unary_op(detail::Unary::sigmoid, a);
}
/// log(1 + e^a), elementwise, without overflow for large a. Float and double tensors only (a static_assert says so otherwise).
template <TensorLike A>
auto softplus(const A& a) {
    static_assert(FloatElement<value_t<A>>, "graft::softplus: needs a float or double tensor");
    return detail::unary_op(detail::Unary::softplus, a);
}
/// Square root, elementwise. Float and double tensors only (a static_assert says so otherwise).
template <TensorLike A>
auto sqrt(const A& a) {
    static_assert(FloatElement<value_t<A>>, "graft::sqrt: needs a float or double tensor");
    return detail::unary_op(detail::Unary::sqrt, a);
}

/// Any elementwise function: map(t, [](float x) { return x * x + 1; }).
template <TensorLike A, class F>
auto map(const A& a, F f) { return detail::map_op(a, f); }

/// Same shape, new element type (static_cast per element).
template <Element U, TensorLike A>
Tensor<U, shape_of_t<A>> cast(const A& a) {
    Tensor<U, shape_of_t<A>> out;
    for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = static_cast<U>(a.data()[i]);
    return out;
}

/// A copy of `a` broadcast to shape To (NumPy broadcast_to).
template <ShapeType To, TensorLike A>
Tensor<value_t<A>, To> broadcast_to(const A& a) {
    static_assert(broadcasts_to<shape_of_t<A>, To>::value, "graft::broadcast_to: shape does not broadcast to the target");
    Tensor<value_t<A>, To> out;
    const auto plan = detail::make_broadcast_plan(shape_of_t<A>::dims, To::dims, To::dims);
    detail::broadcast_binary(plan, a.data(), out.data(), out.data(), [](auto x, auto) { return x; });
    return out;
}

}  // namespace graft
