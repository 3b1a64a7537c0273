// SPDX-License-Identifier: MIT
// graft/exec/kernels/reduce.hpp: sum/mean/max over an axis (or all), softmax and log_softmax along an
// axis (max-shifted, so logits of +-1e4 stay finite), one_hot and argmax. Tensors are viewed as
// [outer, len, inner] around the axis.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "../../core/error.hpp"
#include "../../tensor/detail/reduce.hpp"
#include "../../tensor/detail/unary.hpp"
#include "../program.hpp"

namespace graft::kernels {

/// sum, mean or max over the axis: `outer` * `inner` results, each over `len` elements.
template <class T>
void reduce(const Instr& ins, void* const* s) {
    const T* x = static_cast<const T*>(s[ins.in[0]]);
    T* y = static_cast<T*>(s[ins.out]);
    const detail::Reduce op = ins.op == OpKind::sum ? detail::Reduce::sum : ins.op == OpKind::mean ? detail::Reduce::mean : detail::Reduce::max;
    detail::reduce_axis(op, x, ins.outer, ins.len, ins.inner, y);
}

/// softmax or log_softmax along the axis, shifted by the maximum so large logits stay finite.
template <class T>
void softmax(const Instr& ins, void* const* s) {
    const T* x = static_cast<const T*>(s[ins.in[0]]);
    T* y = static_cast<T*>(s[ins.out]);
    const bool log_out = ins.op == OpKind::log_softmax;
    const std::size_t n = ins.len, inner = ins.inner;
    if (n == 0) return;
    for (std::size_t o = 0; o < ins.outer; ++o) {
        const T* xo = x + o * n * inner;
        T* yo = y + o * n * inner;
        if (inner == 1) {
            const auto N = static_cast<Eigen::Index>(n);
            detail::ConstArrayMap<T> xr(xo, N);
            detail::ArrayMap<T> yr(yo, N);
            const T m = xr.maxCoeff();
            if (log_out) {
                yr = xr - m;
                const T lse = std::log(yr.exp().sum());
                yr -= lse;
            } else {
                yr = (xr - m).exp();
                yr /= yr.sum();
            }
            continue;
        }
        for (std::size_t i = 0; i < inner; ++i) {
            T m = xo[i];
            for (std::size_t j = 1; j < n; ++j) m = std::max(m, xo[j * inner + i]);
            T sum = 0;
            for (std::size_t j = 0; j < n; ++j) sum += std::exp(xo[j * inner + i] - m);
            if (log_out) {
                const T lse = std::log(sum);
                for (std::size_t j = 0; j < n; ++j) yo[j * inner + i] = xo[j * inner + i] - m - lse;
            } else {
                for (std::size_t j = 0; j < n; ++j) yo[j * inner + i] = std::exp(xo[j * inner + i] - m) / sum;
            }
        }
    }
}

/// Throws the graft::Error for label `i` of a one_hot (node `node`) outside [0, depth): PyTorch's rule,
/// not a silent zero row (which made cross_entropy of a bad label 0).
[[noreturn]] inline void one_hot_label_error(NodeId node, std::size_t depth, std::size_t i, std::int32_t label) {
    std::string found = std::to_string(label);
    found += " at label index ";
    found += std::to_string(i);
    throw Error("one_hot %" + std::to_string(node), "labels in [0, " + std::to_string(depth) + ")", found);
}

/// one_hot: `n` labels in, rows of `len` (the depth) out. A label outside [0, depth) is a graft::Error,
/// thrown before the output is written.
template <class T>
void one_hot(const Instr& ins, void* const* s) {
    const auto* lab = static_cast<const std::int32_t*>(s[ins.in[0]]);
    T* y = static_cast<T*>(s[ins.out]);
    const std::size_t depth = ins.len, count = ins.outer;
    for (std::size_t i = 0; i < count; ++i)
        if (lab[i] < 0 || static_cast<std::size_t>(lab[i]) >= depth) one_hot_label_error(ins.node, depth, i, lab[i]);
    if (count * depth != 0) std::memset(static_cast<void*>(y), 0, count * depth * sizeof(T));
    for (std::size_t i = 0; i < count; ++i) y[i * depth + static_cast<std::size_t>(lab[i])] = T(1);
}

/// argmax along the axis: the index (i32) of the first maximum (the first NaN, if any).
template <class T>
void argmax(const Instr& ins, void* const* s) {
    detail::arg_reduce_axis(true, static_cast<const T*>(s[ins.in[0]]), ins.outer, ins.len, ins.inner,
                            static_cast<std::int32_t*>(s[ins.out]));
}

}  // namespace graft::kernels
