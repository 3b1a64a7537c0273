// SPDX-License-Identifier: MIT
// graft/tensor/detail/unary.hpp: vectorized elementwise math over contiguous arrays, through Eigen's
// packet math (never a scalar std::tanh loop). Shared by eager tensor math and the graph kernels.
#pragma once

#include <algorithm>

#include <Eigen/Core>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "../../core/error.hpp"

namespace graft::detail {

/// The unary functions with a vectorized kernel.
enum class Unary : std::uint8_t { neg, exp, log, log1p, expm1, tanh, sigmoid, softplus, relu, sqrt, square, abs };

template <class T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

/// Sets results below the smallest normal number to exactly 0. Eigen 3.4's vectorized exp clamps its
/// argument, so exp(-inf) came out as 3e-39 (float) or 6e-309 (double) instead of 0, and sigmoid and
/// softplus inherited it; with the flush they saturate to exactly 0, as IEEE exp underflows.
template <class T>
void flush_subnormal(T* y, std::size_t n) {
    const T tiny = std::numeric_limits<T>::min();
    for (std::size_t i = 0; i < n; ++i) y[i] = (y[i] < tiny && y[i] > -tiny) ? T(0) : y[i];
}

/// y = sigmoid(x) (x and y may be the same array): with e = exp(-|x|), 1 / (1 + e) for x >= 0 and
/// e / (1 + e) for x < 0. One vectorized exp per element, no overflow, and full accuracy where sigmoid is
/// small: Eigen 3.4's float logistic() returns exp(x) below x = -9, up to ~1000 ulps off near -9.
template <class T>
void sigmoid_array(const T* x, T* y, std::size_t n) {
    constexpr std::size_t block = 256;
    alignas(64) T e[block];
    for (std::size_t s = 0; s < n; s += block) {
        const auto len = static_cast<Eigen::Index>(std::min(block, n - s));
        ConstArrayMap<T> a(x + s, len);
        ArrayMap<T> t(e, len);
        ArrayMap<T> out(y + s, len);
        t = (-a.abs()).exp();
        out = (a >= T(0)).select(T(1) / (T(1) + t), t / (T(1) + t));
    }
    flush_subnormal(y, n);
}

/// y = log(x) (x and y may be the same array). Eigen 3.4's vectorized log treats a subnormal argument as
/// the smallest normal number (log(1.4e-309) came out -708.4, not -711.2; found by the graph fuzzer):
/// when x holds one, the block goes through std::log instead.
template <class T>
void log_array(const T* x, T* y, std::size_t n) {
    const T tiny = std::numeric_limits<T>::min();
    bool subnormal = false;
    for (std::size_t i = 0; i < n; ++i) subnormal |= (x[i] > T(0)) & (x[i] < tiny);
    if (subnormal) {
        for (std::size_t i = 0; i < n; ++i) y[i] = std::log(x[i]);
        return;
    }
    ArrayMap<T>(y, static_cast<Eigen::Index>(n)) = ConstArrayMap<T>(x, static_cast<Eigen::Index>(n)).log();
}

/// y[i] = f(x[i]) for i < n; x and y may be the same array.
/// Not inlined: inlined into a call with a small constant n (Tensor<float, Shape<3>>), GCC 12 at -O3 warns
/// (-Warray-bounds, an error under -Werror) about Eigen's packet loop that the size check never enters.
template <class T>
[[gnu::noinline]] void apply_unary(Unary f, const T* x, T* y, std::size_t n) {
    const auto N = static_cast<Eigen::Index>(n);
    ConstArrayMap<T> a(x, N);
    ArrayMap<T> out(y, N);
    if constexpr (std::is_floating_point_v<T>) {
        switch (f) {
            case Unary::neg: out = -a; return;
            case Unary::exp: out = a.exp(); flush_subnormal(y, n); return;
            case Unary::log: log_array(x, y, n); return;
            case Unary::log1p: out = a.log1p(); return;
            case Unary::expm1: out = a.expm1(); return;
            case Unary::tanh: out = a.tanh(); return;
            case Unary::sigmoid: sigmoid_array(x, y, n); return;
            // softplus(x) = max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|
            case Unary::softplus: out = a.max(T(0)) + (-a.abs()).exp().log1p(); flush_subnormal(y, n); return;
            case Unary::relu: out = a.max(T(0)); return;
            case Unary::sqrt: out = a.sqrt(); return;
            case Unary::square: out = a.square(); return;
            case Unary::abs: out = a.abs(); return;
        }
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            switch (f) {
                case Unary::neg: y[i] = static_cast<T>(-x[i]); break;
                case Unary::relu: y[i] = x[i] > T(0) ? x[i] : T(0); break;
                case Unary::square: y[i] = static_cast<T>(x[i] * x[i]); break;
                case Unary::abs: y[i] = x[i] < T(0) ? static_cast<T>(-x[i]) : x[i]; break;
                default:
                    throw Error("apply_unary", "neg, relu, square or abs for an integer tensor",
                                "a transcendental function (integers have no exp, log, tanh, ...)");
            }
        }
    }
}

}  // namespace graft::detail
