// SPDX-License-Identifier: MIT
// graft/tensor/detail/reduce.hpp: reduction kernels over a tensor viewed as [outer, n, inner].
// Sums are pairwise (error grows like log n, not n), maxima propagate NaN as NumPy does, argmax
// returns the first maximal index (or the first NaN).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace graft::detail {

enum class Reduce : std::uint8_t { sum, mean, max, min };

/// Pairwise sum of n elements spaced `stride` apart; blocks of 128 are summed in a simple loop.
template <class T>
T pairwise_sum(const T* x, std::size_t n, std::size_t stride = 1) {
    if (n <= 128) {
        T acc = T(0);
        if (stride == 1)
            for (std::size_t i = 0; i < n; ++i) acc += x[i];
        else
            for (std::size_t i = 0; i < n; ++i) acc += x[i * stride];
        return acc;
    }
    const std::size_t half = (n / 2 + 127) / 128 * 128;  // split on a block boundary
    return static_cast<T>(pairwise_sum(x, half, stride) + pairwise_sum(x + half * stride, n - half, stride));
}

/// Pairwise sums of the w (<= W) adjacent columns of an [n, w] block whose rows are `stride` apart:
/// acc[i] = sum over j of x[j * stride + i]. Rows split as in pairwise_sum, so each column's error grows like
/// log n too; the columns are summed side by side so every row is read contiguously.
template <class T, std::size_t W>
void pairwise_columns(const T* x, std::size_t n, std::size_t stride, std::size_t w, T* acc) {
    if (n <= 128) {
        for (std::size_t i = 0; i < w; ++i) acc[i] = T(0);
        for (std::size_t j = 0; j < n; ++j)
            for (std::size_t i = 0; i < w; ++i) acc[i] += x[j * stride + i];
        return;
    }
    const std::size_t half = (n / 2 + 127) / 128 * 128;
    T rest[W]{};
    pairwise_columns<T, W>(x, half, stride, w, acc);
    pairwise_columns<T, W>(x + half * stride, n - half, stride, w, rest);
    for (std::size_t i = 0; i < w; ++i) acc[i] = static_cast<T>(acc[i] + rest[i]);
}

template <class T>
inline bool is_nan_value(T v) {
    if constexpr (std::is_floating_point_v<T>) return v != v;
    else return false;
}

/// out[o, i] = reduce over j of x[o, j, i], for a row-major [outer, n, inner] block.
template <class T>
void reduce_axis(Reduce op, const T* x, std::size_t outer, std::size_t n, std::size_t inner, T* out) {
    for (std::size_t o = 0; o < outer; ++o) {
        const T* xo = x + o * n * inner;
        T* yo = out + o * inner;
        if (op == Reduce::sum || op == Reduce::mean) {
            if (n == 0) {  // an empty axis sums to 0 (x may be null: no pointer arithmetic on it)
                for (std::size_t i = 0; i < inner; ++i) yo[i] = T(0);
            } else if (inner == 1) {
                yo[0] = pairwise_sum(xo, n);
            } else {  // a strided axis: pairwise too, 16 columns at a time (a running total loses ~n ulps)
                constexpr std::size_t W = 16;
                for (std::size_t i0 = 0; i0 < inner; i0 += W)
                    pairwise_columns<T, W>(xo + i0, n, inner, std::min(W, inner - i0), yo + i0);
            }
            if (op == Reduce::mean && n > 0) {
                const T scale = static_cast<T>(1) / static_cast<T>(n);
                for (std::size_t i = 0; i < inner; ++i) yo[i] = static_cast<T>(yo[i] * scale);
            }
            if (op == Reduce::mean && n == 0) {
                for (std::size_t i = 0; i < inner; ++i)
                    yo[i] = std::numeric_limits<T>::has_quiet_NaN ? std::numeric_limits<T>::quiet_NaN() : T(0);
            }
        } else {
            const bool is_max = op == Reduce::max;
            if (n == 0) {  // the identity of max/min: -inf/+inf (lowest/highest for integers)
                const T id = is_max ? (std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                                            : std::numeric_limits<T>::lowest())
                                    : (std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                                            : std::numeric_limits<T>::max());
                for (std::size_t i = 0; i < inner; ++i) yo[i] = id;
                continue;
            }
            for (std::size_t i = 0; i < inner; ++i) yo[i] = xo[i];
            for (std::size_t j = 1; j < n; ++j)
                for (std::size_t i = 0; i < inner; ++i) {
                    const T v = xo[j * inner + i];
                    const T m = yo[i];
                    const bool take = is_max ? (v > m) : (v < m);
                    if (take || (is_nan_value(v) && !is_nan_value(m))) yo[i] = v;
                }
        }
    }
}

/// out[o, i] = first j maximising (or minimising) x[o, j, i]; a NaN wins as NumPy's argmax does.
template <class T, class I>
void arg_reduce_axis(bool is_max, const T* x, std::size_t outer, std::size_t n, std::size_t inner, I* out) {
    for (std::size_t o = 0; o < outer; ++o) {
        const T* xo = x + o * n * inner;
        for (std::size_t i = 0; i < inner; ++i) {
            std::size_t best = 0;
            for (std::size_t j = 1; j < n; ++j) {
                const T v = xo[j * inner + i];
                const T m = xo[best * inner + i];
                if (is_nan_value(m)) break;
                if (is_nan_value(v) || (is_max ? v > m : v < m)) best = j;
            }
            out[o * inner + i] = static_cast<I>(best);
        }
    }
}

}  // namespace graft::detail
