// SPDX-License-Identifier: MIT
// graft/tensor/factories.hpp: zeros ones full arange uniform normal.
// Random factories take an explicit seed and draw from graft::Rng, so a seed gives the same tensor
// on every platform and compiler.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../core/random.hpp"
#include "tensor.hpp"

namespace graft {

/// A tensor of shape S with every element 0.
template <Element T, ShapeType S>
Tensor<T, S> zeros() { return Tensor<T, S>{}; }
/// A tensor of shape S with every element equal to `value`.
template <Element T, ShapeType S>
Tensor<T, S> full(T value) {
    Tensor<T, S> t;
    t.fill(value);
    return t;
}
/// A tensor of shape S with every element 1.
template <Element T, ShapeType S>
Tensor<T, S> ones() { return full<T, S>(T(1)); }
/// start, start + step, ... in row-major order.
template <Element T, ShapeType S>
Tensor<T, S> arange(T start = T(0), T step = T(1)) {
    Tensor<T, S> t;
    for (std::size_t i = 0; i < S::size; ++i) t.data()[i] = static_cast<T>(start + static_cast<T>(i) * step);
    return t;
}
/// Uniform in [lo, hi), reproducible from `seed`.
template <FloatElement T, ShapeType S>
Tensor<T, S> uniform(T lo, T hi, std::uint64_t seed) {
    Tensor<T, S> t;
    Rng rng(seed);
    for (auto& v : t) {
        v = static_cast<T>(rng.uniform(lo, hi));
        if (!(v < hi)) v = std::nextafter(hi, lo);  // rounding (e.g. 0.99999997 to 1.0f) may land on hi itself
    }
    return t;
}
/// Normal(mean, stddev), reproducible from `seed`.
template <FloatElement T, ShapeType S>
Tensor<T, S> normal(T mean, T stddev, std::uint64_t seed) {
    Tensor<T, S> t;
    Rng rng(seed);
    for (auto& v : t) v = static_cast<T>(rng.normal(mean, stddev));
    return t;
}

}  // namespace graft
