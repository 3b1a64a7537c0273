// SPDX-License-Identifier: MIT
// graft/tensor/detail/index.hpp: index arithmetic shared by Tensor and TensorView.
// Flat row-major offsets with bounds checks in debug builds, and the strided copy behind transpose().
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>

#include "../../core/error.hpp"
#include "../../core/shape.hpp"
#include "../../core/shape_rules.hpp"

namespace graft::detail {

inline std::size_t checked_flat([[maybe_unused]] const char* where, std::size_t i, [[maybe_unused]] std::size_t n) {
#ifndef NDEBUG
    if (i >= n) throw Error(where, "a flat index below " + std::to_string(n), std::to_string(i));
#endif
    return i;
}

template <ShapeType S, class... I>
std::size_t flat_index([[maybe_unused]] const char* where, I... idx) {
    const std::array<std::size_t, sizeof...(I)> ix{static_cast<std::size_t>(idx)...};
    std::size_t off = 0;
    for (std::size_t d = 0; d < S::rank; ++d) {
#ifndef NDEBUG
        if (ix[d] >= S::dims[d])
            throw Error(where, "index " + std::to_string(d) + " below " + std::to_string(S::dims[d]) + " for " + S::name(),
                        std::to_string(ix[d]));
#endif
        off += ix[d] * S::strides[d];
    }
    return off;
}

/// out = in with all axes reversed (the result is row-major in the reversed shape).
template <ShapeType S, class T>
void transpose_copy(const T* in, T* out) {
    if constexpr (S::rank <= 1) {
        for (std::size_t i = 0; i < S::size; ++i) out[i] = in[i];
    } else if constexpr (S::rank == 2) {
        constexpr std::size_t R = S::dims[0], C = S::dims[1];
        constexpr std::size_t B = 32;  // cache blocking
        for (std::size_t i0 = 0; i0 < R; i0 += B)
            for (std::size_t j0 = 0; j0 < C; j0 += B)
                for (std::size_t i = i0; i < std::min(i0 + B, R); ++i)
                    for (std::size_t j = j0; j < std::min(j0 + B, C); ++j) out[j * R + i] = in[i * C + j];
    } else {
        // Walk the output in order; the input stride for output axis k is the input stride of axis rank-1-k.
        std::array<std::size_t, S::rank> idx{};
        for (std::size_t o = 0; o < S::size; ++o) {
            std::size_t off = 0;
            for (std::size_t k = 0; k < S::rank; ++k) off += idx[k] * S::strides[S::rank - 1 - k];
            out[o] = in[off];
            for (std::size_t k = S::rank; k-- > 0;) {
                if (++idx[k] < S::dims[S::rank - 1 - k]) break;
                idx[k] = 0;
            }
        }
    }
}

}  // namespace graft::detail
