// SPDX-License-Identifier: MIT
// graft/tensor/detail/broadcast.hpp: the one broadcasting loop, over runtime dims.
// Eager tensor math calls it with static dims; the graph kernels call it with an IR node's dims.
// Adjacent dims that are contiguous in both operands are merged first, so the inner loop is long
// and, with unit or zero strides, vectorizes.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>

#include "../../core/error.hpp"
#include "../../core/shape.hpp"

namespace graft::detail {

inline constexpr std::size_t max_rank = 8;

/// Strides of a and b over the output's index space (0 where an operand is broadcast), with dims merged.
struct BroadcastPlan {
    std::size_t rank = 0;
    std::array<std::size_t, max_rank> dims{};
    std::array<std::size_t, max_rank> a_stride{};
    std::array<std::size_t, max_rank> b_stride{};
    std::size_t size = 1;
};

/// Builds the plan for out = f(a, b); throws graft::Error if a or b does not broadcast to out.
inline BroadcastPlan make_broadcast_plan(std::span<const std::size_t> a, std::span<const std::size_t> b,
                                         std::span<const std::size_t> out) {
    const std::size_t r = out.size();
    if (r > max_rank || a.size() > r || b.size() > r)
        throw Error("broadcast", "operands of rank <= output rank <= " + std::to_string(max_rank),
                    shape_string(a) + ", " + shape_string(b) + " -> " + shape_string(out));
    std::array<std::size_t, max_rank> sa{}, sb{};
    auto strides_for = [&](std::span<const std::size_t> x, std::array<std::size_t, max_rank>& s) {
        std::size_t acc = 1;
        for (std::size_t i = 0; i < r; ++i) {
            const std::size_t k = r - 1 - i;  // output axis
            const std::size_t d = i < x.size() ? x[x.size() - 1 - i] : 1;
            if (d != out[k] && d != 1)
                throw Error("broadcast", "shapes that broadcast to " + shape_string(out),
                            shape_string(a) + " and " + shape_string(b));
            s[k] = (d == 1 && out[k] != 1) ? 0 : acc;
            acc *= d;
        }
    };
    strides_for(a, sa);
    strides_for(b, sb);
    BroadcastPlan p;
    for (std::size_t k = 0; k < r; ++k) p.size *= out[k];
    // Merge axis k into the previous kept axis when both operands stay contiguous across the seam.
    // The kept axis is compared by its plan strides: after a skip or a merge it is no longer axis k-1.
    for (std::size_t k = 0; k < r; ++k) {
        if (out[k] == 1) continue;  // size-1 axes carry no iteration
        if (p.rank > 0) {
            const std::size_t j = p.rank - 1;
            const bool a_ok = p.a_stride[j] == sa[k] * out[k];
            const bool b_ok = p.b_stride[j] == sb[k] * out[k];
            if (a_ok && b_ok) {
                p.dims[j] *= out[k];
                p.a_stride[j] = sa[k];
                p.b_stride[j] = sb[k];
                continue;
            }
        }
        p.dims[p.rank] = out[k];
        p.a_stride[p.rank] = sa[k];
        p.b_stride[p.rank] = sb[k];
        ++p.rank;
    }
    if (p.rank == 0) {  // scalar (or all size-1) output
        p.rank = 1;
        p.dims[0] = p.size;
        p.a_stride[0] = p.b_stride[0] = 0;
    }
    return p;
}

/// out[i] = f(a[ia], b[ib]) over the plan's index space.
template <class TA, class TB, class TO, class F>
void broadcast_binary(const BroadcastPlan& p, const TA* a, const TB* b, TO* out, F f) {
    if (p.size == 0) return;
    const std::size_t r = p.rank;
    const std::size_t n = p.dims[r - 1], sa = p.a_stride[r - 1], sb = p.b_stride[r - 1];
    std::array<std::size_t, max_rank> idx{};
    std::size_t oa = 0, ob = 0, o = 0;
    const std::size_t outer = p.size / n;
    for (std::size_t blk = 0; blk < outer; ++blk) {
        const TA* pa = a + oa;
        const TB* pb = b + ob;
        TO* po = out + o;
        if (sa == 1 && sb == 1) {
            for (std::size_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
        } else if (sa == 1 && sb == 0) {
            const TB vb = *pb;
            for (std::size_t i = 0; i < n; ++i) po[i] = f(pa[i], vb);
        } else if (sa == 0 && sb == 1) {
            const TA va = *pa;
            for (std::size_t i = 0; i < n; ++i) po[i] = f(va, pb[i]);
        } else {
            for (std::size_t i = 0; i < n; ++i) po[i] = f(pa[i * sa], pb[i * sb]);
        }
        o += n;
        // advance the outer counters (axes 0..r-2)
        for (std::size_t k = r - 1; k-- > 0;) {
            oa += p.a_stride[k];
            ob += p.b_stride[k];
            if (++idx[k] < p.dims[k]) break;
            oa -= p.a_stride[k] * p.dims[k];
            ob -= p.b_stride[k] * p.dims[k];
            idx[k] = 0;
        }
    }
}

}  // namespace graft::detail
