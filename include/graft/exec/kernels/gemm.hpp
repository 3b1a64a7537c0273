// SPDX-License-Identifier: MIT
// graft/exec/kernels/gemm.hpp: the matmul kernel. One blas::gemm per batch entry, with the transpose
// flags and leading dims fixed at compile time (a transpose feeding a matmul never becomes a copy).
#pragma once

#include <cstddef>

#include "../../tensor/blas.hpp"
#include "../program.hpp"

namespace graft::kernels {

/// out = op(a) @ op(b): one blas::gemm per batch entry of the instruction's GemmArgs.
template <class T>
void matmul(const Instr& ins, void* const* s) {
    const T* a = static_cast<const T*>(s[ins.in[0]]);
    const T* b = static_cast<const T*>(s[ins.in[1]]);
    T* c = static_cast<T*>(s[ins.out]);
    const GemmArgs& g = ins.gemm;
    const std::size_t mn = g.m * g.n;
    for (std::size_t i = 0; i < g.a_off.size(); ++i)
        blas::gemm<T>(g.ta, g.tb, g.m, g.n, g.k, T(1), a + g.a_off[i], g.lda, b + g.b_off[i], g.ldb, T(0), c + i * mn, g.n,
                      g.backend);
}

}  // namespace graft::kernels
