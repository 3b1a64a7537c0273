// SPDX-License-Identifier: MIT
// graft/tensor/reduce.hpp: eager reductions: sum mean max min argmax argmin, over everything or one axis.
// sum(t) returns a value; sum<1>(t) returns a tensor whose shape (axis removed, or kept as 1 with
// keepdims) is computed at compile time. Sums are pairwise; max/min propagate NaN.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "../core/shape_rules.hpp"
#include "detail/reduce.hpp"
#include "tensor.hpp"

namespace graft {

namespace detail {
template <ShapeType S, std::size_t Axis>
constexpr std::size_t outer_of() {
    std::size_t r = 1;
    for (std::size_t i = 0; i < Axis; ++i) r *= S::dims[i];
    return r;
}
template <ShapeType S, std::size_t Axis>
constexpr std::size_t inner_of() {
    std::size_t r = 1;
    for (std::size_t i = Axis + 1; i < S::rank; ++i) r *= S::dims[i];
    return r;
}
template <std::size_t Axis, bool KeepDims, TensorLike A>
auto reduce_along(Reduce op, const A& a) {
    using S = shape_of_t<A>;
    Tensor<value_t<A>, reduce_t<S, Axis, KeepDims>> out;
    if constexpr (axis_in_range<S, Axis>::value)
        reduce_axis(op, a.data(), outer_of<S, Axis>(), S::dims[Axis], inner_of<S, Axis>(), out.data());
    return out;
}
}  // namespace detail

/// Sum of all elements (pairwise summation).
template <TensorLike A>
value_t<A> sum(const A& a) { return detail::pairwise_sum(a.data(), a.size()); }
/// Mean of all elements (NaN for an empty tensor).
template <TensorLike A>
value_t<A> mean(const A& a) {
    static_assert(FloatElement<value_t<A>>, "graft::mean: needs a float or double tensor");
    using T = value_t<A>;
    return a.size() ? static_cast<T>(sum(a) / static_cast<T>(a.size())) : std::numeric_limits<T>::quiet_NaN();
}
/// Largest element (NaN if any element is NaN); throws graft::Error on an empty tensor.
template <TensorLike A>
value_t<A> max(const A& a) {
    if (a.size() == 0) throw Error("graft::max", "a non-empty tensor", shape_of_t<A>::name());
    value_t<A> out{};
    detail::reduce_axis(detail::Reduce::max, a.data(), 1, a.size(), 1, &out);
    return out;
}
/// Smallest element (NaN if any element is NaN); throws graft::Error on an empty tensor.
template <TensorLike A>
value_t<A> min(const A& a) {
    if (a.size() == 0) throw Error("graft::min", "a non-empty tensor", shape_of_t<A>::name());
    value_t<A> out{};
    detail::reduce_axis(detail::Reduce::min, a.data(), 1, a.size(), 1, &out);
    return out;
}
/// Flat index of the first largest element (or of the first NaN).
template <TensorLike A>
std::size_t argmax(const A& a) {
    if (a.size() == 0) throw Error("graft::argmax", "a non-empty tensor", shape_of_t<A>::name());
    std::size_t out = 0;
    detail::arg_reduce_axis(true, a.data(), 1, a.size(), 1, &out);
    return out;
}
/// Flat index of the first smallest element (or of the first NaN).
template <TensorLike A>
std::size_t argmin(const A& a) {
    if (a.size() == 0) throw Error("graft::argmin", "a non-empty tensor", shape_of_t<A>::name());
    std::size_t out = 0;
    detail::arg_reduce_axis(false, a.data(), 1, a.size(), 1, &out);
    return out;
}

/// Sum over one axis: sum<1>(Shape<2,3>) is Shape<2>; sum<1, true> keeps it as Shape<2,1>.
template <std::size_t Axis, bool KeepDims = false, TensorLike A>
auto sum(const A& a) { return detail::reduce_along<Axis, KeepDims>(detail::Reduce::sum, a); }
/// Mean over one axis (float or double tensors); result shape as for `sum<Axis, KeepDims>`.
template <std::size_t Axis, bool KeepDims = false, TensorLike A>
auto mean(const A& a) {
    static_assert(FloatElement<value_t<A>>, "graft::mean: needs a float or double tensor");
    return detail::reduce_along<Axis, KeepDims>(detail::Reduce::mean, a);
}
/// Largest element along one axis (NaN propagates); throws graft::Error if that axis has size 0.
template <std::size_t Axis, bool KeepDims = false, TensorLike A>
auto max(const A& a) {
    if constexpr (axis_in_range<shape_of_t<A>, Axis>::value)
        if (shape_of_t<A>::dims[Axis] == 0) throw Error("graft::max<axis>", "a non-empty reduction axis", shape_of_t<A>::name());
    return detail::reduce_along<Axis, KeepDims>(detail::Reduce::max, a);
}
/// Smallest element along one axis (NaN propagates); throws graft::Error if that axis has size 0.
template <std::size_t Axis, bool KeepDims = false, TensorLike A>
auto min(const A& a) {
    if constexpr (axis_in_range<shape_of_t<A>, Axis>::value)
        if (shape_of_t<A>::dims[Axis] == 0) throw Error("graft::min<axis>", "a non-empty reduction axis", shape_of_t<A>::name());
    return detail::reduce_along<Axis, KeepDims>(detail::Reduce::min, a);
}
/// Index of the first maximum along an axis, as int32 (e.g. predicted class per row: argmax<1>(logits)).
template <std::size_t Axis, bool KeepDims = false, TensorLike A>
auto argmax(const A& a) {
    using S = shape_of_t<A>;
    Tensor<std::int32_t, reduce_t<S, Axis, KeepDims>> out;
    if constexpr (axis_in_range<S, Axis>::value) {
        if (S::dims[Axis] == 0) throw Error("graft::argmax<axis>", "a non-empty reduction axis", S::name());
        detail::arg_reduce_axis(true, a.data(), detail::outer_of<S, Axis>(), S::dims[Axis], detail::inner_of<S, Axis>(), out.data());
    }
    return out;
}
/// Index of the first minimum along an axis, as int32; throws graft::Error if that axis has size 0.
template <std::size_t Axis, bool KeepDims = false, TensorLike A>
auto argmin(const A& a) {
    using S = shape_of_t<A>;
    Tensor<std::int32_t, reduce_t<S, Axis, KeepDims>> out;
    if constexpr (axis_in_range<S, Axis>::value) {
        if (S::dims[Axis] == 0) throw Error("graft::argmin<axis>", "a non-empty reduction axis", S::name());
        detail::arg_reduce_axis(false, a.data(), detail::outer_of<S, Axis>(), S::dims[Axis], detail::inner_of<S, Axis>(), out.data());
    }
    return out;
}

}  // namespace graft
