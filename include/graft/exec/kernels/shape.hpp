// SPDX-License-Identifier: MIT
// graft/exec/kernels/shape.hpp: kernels that move elements without arithmetic: transpose (any
// permutation), broadcast_to, concat, slice, and the copy used when a reshape cannot alias.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

#include "../../tensor/detail/broadcast.hpp"
#include "../program.hpp"

namespace graft::kernels {

/// Permutes the axes of x by `perm` (cache-blocked for a plain matrix transpose).
template <class T>
void transpose(const Instr& ins, void* const* s) {
    const T* x = static_cast<const T*>(s[ins.in[0]]);
    T* y = static_cast<T*>(s[ins.out]);
    const std::size_t r = ins.in_dims.size();
    if (ins.n == 0) return;
    if (r == 2 && ins.perm[0] == 1) {  // plain matrix transpose, cache-blocked
        const std::size_t R = ins.in_dims[0], C = ins.in_dims[1], B = 32;
        for (std::size_t i0 = 0; i0 < R; i0 += B)
            for (std::size_t j0 = 0; j0 < C; j0 += B)
                for (std::size_t i = i0; i < std::min(i0 + B, R); ++i)
                    for (std::size_t j = j0; j < std::min(j0 + B, C); ++j) y[j * R + i] = x[i * C + j];
        return;
    }
    std::array<std::size_t, detail::max_rank> in_stride{}, idx{};
    std::size_t acc = 1;
    for (std::size_t k = r; k-- > 0;) {
        in_stride[k] = acc;
        acc *= ins.in_dims[k];
    }
    std::size_t off = 0;
    for (std::size_t o = 0; o < ins.n; ++o) {
        y[o] = x[off];
        for (std::size_t k = r; k-- > 0;) {
            off += in_stride[ins.perm[k]];
            if (++idx[k] < ins.out_dims[k]) break;
            off -= in_stride[ins.perm[k]] * ins.out_dims[k];
            idx[k] = 0;
        }
    }
}

/// x repeated to the output's dims (the broadcast plan was made at compile time).
template <class T>
void broadcast_to(const Instr& ins, void* const* s) {
    const T* x = static_cast<const T*>(s[ins.in[0]]);
    detail::broadcast_binary(ins.plan, x, x, static_cast<T*>(s[ins.out]), [](T a, T) { return a; });
}

/// Concatenation along an axis: `outer` blocks; input i contributes a run of its own row length.
template <class T>
void concat(const Instr& ins, void* const* s) {
    T* y = static_cast<T*>(s[ins.out]);
    const std::size_t out_row = ins.len * ins.inner;  // len = output extent of the axis
    std::size_t col = 0;
    for (std::size_t i = 0; i < ins.in.size(); ++i) {
        const T* x = static_cast<const T*>(s[ins.in[i]]);
        const std::size_t row = ins.perm[i] * ins.inner;  // perm holds each input's axis extent
        for (std::size_t o = 0; o < ins.outer; ++o)
            if (row) std::memcpy(y + o * out_row + col, x + o * row, row * sizeof(T));
        col += row;
    }
}

/// Elements [start, stop) of an axis: `outer` blocks of (stop-start)*inner contiguous elements.
template <class T>
void slice(const Instr& ins, void* const* s) {
    const T* x = static_cast<const T*>(s[ins.in[0]]);
    T* y = static_cast<T*>(s[ins.out]);
    const std::size_t in_row = ins.len * ins.inner;  // len = input extent of the axis
    const std::size_t start = static_cast<std::size_t>(ins.s1), count = static_cast<std::size_t>(ins.s2);
    const std::size_t run = count * ins.inner;
    for (std::size_t o = 0; o < ins.outer; ++o)
        if (run) std::memcpy(y + o * run, x + o * in_row + start * ins.inner, run * sizeof(T));
}

/// Copies `n` elements of x to the output (a reshape whose input and output cannot share bytes).
template <class T>
void copy(const Instr& ins, void* const* s) {
    if (ins.n) std::memcpy(s[ins.out], s[ins.in[0]], ins.n * sizeof(T));
}

}  // namespace graft::kernels
