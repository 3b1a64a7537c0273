// SPDX-License-Identifier: MIT
// graft/exec/kernels/random.hpp: kernels of the random (impure) ops.
// dropout_mask draws element i of run `step` from the counter-based generator in core/random.hpp, so the
// mask depends only on (seed, run count, i): reproducible across machines and thread counts, different
// on every run, and equal to what the reference evaluator computes for run 0.
#pragma once

#include <cstdint>
#include <cstring>

#include "../../core/random.hpp"
#include "../program.hpp"

namespace graft::kernels {

/// out[i] = 0 with probability `s1`, else 1 / (1 - s1): drawn from (seed, the machine's run count, i).
template <class T>
void dropout_mask(const Instr& ins, void* const* slots) {
    T* out = static_cast<T*>(slots[ins.out]);
    std::uint64_t step = 0;
    std::memcpy(&step, slots[ins.aux], sizeof step);
    const double p = ins.s1;
    const T keep = static_cast<T>(1.0 / (1.0 - p));
    for (std::size_t i = 0; i < ins.n; ++i) out[i] = counter_uniform(ins.seed, step, i) < p ? T(0) : keep;
}

}  // namespace graft::kernels
