// SPDX-License-Identifier: MIT
// graft/tensor/compare.hpp: allclose and array_equal, the comparisons tests and users reach for.
// allclose follows NumPy: |a - b| <= atol + rtol * |b| elementwise; an infinity is close only to itself;
// NaNs compare unequal unless equal_nan.
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>

#include "view.hpp"

namespace graft {

/// NumPy's allclose for two tensors of the same shape and element type.
template <TensorLike A, TensorLike B>
bool allclose(const A& a, const B& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false) {
    static_assert(std::is_same_v<shape_of_t<A>, shape_of_t<B>>, "graft::allclose: shapes differ");
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double x = static_cast<double>(a.data()[i]);
        const double y = static_cast<double>(b.data()[i]);
        if (std::isnan(x) || std::isnan(y)) {
            if (equal_nan && std::isnan(x) && std::isnan(y)) continue;
            return false;
        }
        if (x == y) continue;                              // equal infinities
        if (std::isinf(x) || std::isinf(y)) return false;  // else rtol * inf would accept anything
        if (!(std::fabs(x - y) <= atol + rtol * std::fabs(y))) return false;
    }
    return true;
}

/// Exact elementwise equality (bitwise for the same values; NaN != NaN).
template <TensorLike A, TensorLike B>
bool array_equal(const A& a, const B& b) {
    static_assert(std::is_same_v<shape_of_t<A>, shape_of_t<B>>, "graft::array_equal: shapes differ");
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(a.data()[i] == b.data()[i])) return false;
    return true;
}

/// Largest |a - b| over all elements (NaN if any difference is NaN).
template <TensorLike A, TensorLike B>
double max_abs_diff(const A& a, const B& b) {
    static_assert(std::is_same_v<shape_of_t<A>, shape_of_t<B>>, "graft::max_abs_diff: shapes differ");
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = std::fabs(static_cast<double>(a.data()[i]) - static_cast<double>(b.data()[i]));
        if (std::isnan(d)) return d;
        if (d > m) m = d;
    }
    return m;
}

}  // namespace graft
