// SPDX-License-Identifier: MIT
// graft/exec/memory_plan.hpp: packs buffers with known lifetimes into one arena.
// Linear scan over instruction order with a best-fit free list (adjacent free blocks coalesce; a block
// is found by size in O(log n)): a buffer is placed when its producer runs and released after its last
// reader, so two buffers share bytes only when their lifetimes do not overlap. Offsets are 64-byte aligned.
// In-place reuse: a request may name, in `reuse_of`, a buffer of the same size whose last reader is the
// instruction that defines it (an elementwise op whose input dies there). It then takes that buffer's
// bytes instead of new ones: the two lifetimes touch at that one instruction, which is safe only because
// the kernel reads element i of its input before it writes element i of its output (compile() decides
// which instructions may ask).
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "../core/aligned_buffer.hpp"

namespace graft {

/// `BufferRequest::reuse_of` when the buffer takes no other's bytes.
inline constexpr std::size_t no_reuse = static_cast<std::size_t>(-1);

/// One buffer to place: live from instruction `def` through instruction `last_use` (inclusive).
struct BufferRequest {
    std::size_t bytes = 0;     ///< size in bytes (rounded up to the 64-byte alignment when placed)
    std::size_t def = 0;       ///< index of the instruction that writes it
    std::size_t last_use = 0;  ///< index of the last instruction that reads it
    /// Index of a request whose bytes this one may take in place: it must have the same (aligned) size,
    /// be defined earlier and be last used at this request's `def`. Ignored when those do not hold, when
    /// another request already took those bytes, or when planning is off.
    std::size_t reuse_of = no_reuse;
};

/// The result of plan_memory(): an arena offset for every request and the arena's size.
struct MemoryPlan {
    std::vector<std::size_t> offsets;  ///< per request
    std::vector<std::size_t> took;     ///< per request: the request whose bytes it took in place, or no_reuse
    std::size_t arena_bytes = 0;      ///< bytes the arena needs: the highest end of any placed buffer
    std::size_t unplanned_bytes = 0;  ///< sum of all (aligned) sizes: the arena without reuse
    std::size_t in_place = 0;         ///< requests that took a dying buffer's bytes
};

/// `n` rounded up to a multiple of `a` (`a` > 0; by default the 64-byte buffer alignment).
inline std::size_t align_up(std::size_t n, std::size_t a = buffer_alignment) { return (n + a - 1) / a * a; }

namespace detail {
/// The linear scan: best fit over a free list keyed by offset (to coalesce) and by size (to choose).
/// With `in_place`, requests take the bytes their reuse_of names where that is safe.
inline MemoryPlan pack(const std::vector<BufferRequest>& req, bool in_place) {
    MemoryPlan p;
    p.offsets.assign(req.size(), 0);
    p.took.assign(req.size(), no_reuse);
    for (const auto& r : req) p.unplanned_bytes += align_up(r.bytes);
    // events: at step t, first allocate every buffer defined at t, then free every buffer last used at t
    std::size_t steps = 0;
    for (const auto& r : req) steps = std::max({steps, r.def + 1, r.last_use + 1});
    std::vector<std::vector<std::size_t>> defs(steps), frees(steps);
    for (std::size_t i = 0; i < req.size(); ++i) {
        defs[req[i].def].push_back(i);
        frees[std::max(req[i].last_use, req[i].def)].push_back(i);
    }
    std::map<std::size_t, std::size_t> free_blocks;       // offset -> size
    std::set<std::pair<std::size_t, std::size_t>> by_size;  // (size, offset): best fit, lowest offset on ties
    std::size_t top = 0;
    auto erase_block = [&](std::map<std::size_t, std::size_t>::iterator it) {
        by_size.erase({it->second, it->first});
        return free_blocks.erase(it);
    };
    auto release = [&](std::size_t off, std::size_t size) {
        auto next = free_blocks.lower_bound(off);
        if (next != free_blocks.end() && off + size == next->first) {  // merge with the block after
            size += next->second;
            next = erase_block(next);
        }
        if (next != free_blocks.begin()) {  // and with the block before
            auto prev = std::prev(next);
            if (prev->first + prev->second == off) {
                off = prev->first;
                size += prev->second;
                erase_block(prev);
            }
        }
        if (off + size == top) {  // give the tail back to the top of the arena
            top = off;
            return;
        }
        free_blocks.emplace(off, size);
        by_size.emplace(size, off);
    };
    std::vector<char> handed_over(req.size(), 0);  // its bytes went, in place, to a later request
    // request i may take the bytes of request j = req[i].reuse_of (checked again here: the caller's word
    // is not enough to let two buffers overlap)
    auto may_take = [&](std::size_t i) {
        const std::size_t j = req[i].reuse_of;
        return in_place && j < req.size() && j != i && !handed_over[j] && req[j].bytes != 0 && req[j].def < req[i].def &&
               std::max(req[j].last_use, req[j].def) == req[i].def && align_up(req[j].bytes) == align_up(req[i].bytes);
    };
    for (std::size_t t = 0; t < steps; ++t) {
        for (std::size_t i : defs[t]) {
            const std::size_t size = align_up(req[i].bytes);
            if (size == 0) {
                p.offsets[i] = 0;
                continue;
            }
            if (may_take(i)) {
                const std::size_t j = req[i].reuse_of;
                p.offsets[i] = p.offsets[j];
                p.took[i] = j;
                handed_over[j] = 1;
                ++p.in_place;
                continue;
            }
            const auto best = by_size.lower_bound({size, 0});
            if (best != by_size.end()) {
                const auto [bsize, boff] = *best;
                p.offsets[i] = boff;
                erase_block(free_blocks.find(boff));
                if (bsize > size) {
                    free_blocks.emplace(boff + size, bsize - size);
                    by_size.emplace(bsize - size, boff + size);
                }
            } else {
                p.offsets[i] = top;
                top += size;
            }
            p.arena_bytes = std::max(p.arena_bytes, top);
        }
        for (std::size_t i : frees[t]) {
            const std::size_t size = align_up(req[i].bytes);
            if (size && !handed_over[i]) release(p.offsets[i], size);  // a handed-over block is freed by its taker
        }
    }
    return p;
}
}  // namespace detail

/// Places every request; with reuse == false every buffer gets its own bytes. In-place reuse, like the
/// packing, is a heuristic: it can leave a block in use where the plain scan would have coalesced a
/// bigger one, so when the plan without it needs fewer bytes, that plan is kept (asking for in-place
/// never costs bytes; on a tie it stays, for its cache locality).
inline MemoryPlan plan_memory(const std::vector<BufferRequest>& req, bool reuse = true) {
    if (!reuse) {
        MemoryPlan p;
        p.offsets.assign(req.size(), 0);
        p.took.assign(req.size(), no_reuse);
        std::size_t off = 0;
        for (std::size_t i = 0; i < req.size(); ++i) {
            p.offsets[i] = off;
            off += align_up(req[i].bytes);
        }
        p.arena_bytes = p.unplanned_bytes = off;
        return p;
    }
    MemoryPlan p = detail::pack(req, true);
    if (p.in_place == 0) return p;
    MemoryPlan q = detail::pack(req, false);
    return q.arena_bytes < p.arena_bytes ? q : p;
}

}  // namespace graft
