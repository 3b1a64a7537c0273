// SPDX-License-Identifier: MIT
// graft/exec/memory_plan.hpp: packs buffers with known lifetimes into one arena.
// Linear scan over instruction order with a first-fit free list (adjacent free blocks coalesce):
// a buffer is placed when its producer runs and released after its last reader, so two buffers
// share bytes only when their lifetimes do not overlap. Offsets are 64-byte aligned.
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <vector>

#include "../core/aligned_buffer.hpp"

namespace graft {

/// One buffer to place: live from instruction `def` through instruction `last_use` (inclusive).
struct BufferRequest {
    std::size_t bytes = 0;
    std::size_t def = 0;
    std::size_t last_use = 0;
};

struct MemoryPlan {
    std::vector<std::size_t> offsets;  ///< per request
    std::size_t arena_bytes = 0;
    std::size_t unplanned_bytes = 0;  ///< sum of all (aligned) sizes: the arena without reuse
};

inline std::size_t align_up(std::size_t n, std::size_t a = buffer_alignment) { return (n + a - 1) / a * a; }

/// Places every request; with reuse == false every buffer gets its own bytes.
inline MemoryPlan plan_memory(const std::vector<BufferRequest>& req, bool reuse = true) {
    MemoryPlan p;
    p.offsets.assign(req.size(), 0);
    for (const auto& r : req) p.unplanned_bytes += align_up(r.bytes);
    if (!reuse) {
        std::size_t off = 0;
        for (std::size_t i = 0; i < req.size(); ++i) {
            p.offsets[i] = off;
            off += align_up(req[i].bytes);
        }
        p.arena_bytes = off;
        return p;
    }
    // events: at step t, first allocate every buffer defined at t, then free every buffer last used at t
    std::size_t steps = 0;
    for (const auto& r : req) steps = std::max({steps, r.def + 1, r.last_use + 1});
    std::vector<std::vector<std::size_t>> defs(steps), frees(steps);
    for (std::size_t i = 0; i < req.size(); ++i) {
        defs[req[i].def].push_back(i);
        frees[std::max(req[i].last_use, req[i].def)].push_back(i);
    }
    std::map<std::size_t, std::size_t> free_blocks;  // offset -> size
    std::size_t top = 0;
    auto release = [&](std::size_t off, std::size_t size) {
        auto it = free_blocks.emplace(off, size).first;
        auto next = std::next(it);
        if (next != free_blocks.end() && it->first + it->second == next->first) {
            it->second += next->second;
            free_blocks.erase(next);
        }
        if (it != free_blocks.begin()) {
            auto prev = std::prev(it);
            if (prev->first + prev->second == it->first) {
                prev->second += it->second;
                free_blocks.erase(it);
                it = prev;
            }
        }
        if (it->first + it->second == top) {  // give the tail back to the top of the arena
            top = it->first;
            free_blocks.erase(it);
        }
    };
    for (std::size_t t = 0; t < steps; ++t) {
        for (std::size_t i : defs[t]) {
            const std::size_t size = align_up(req[i].bytes);
            if (size == 0) {
                p.offsets[i] = 0;
                continue;
            }
            auto best = free_blocks.end();
            for (auto it = free_blocks.begin(); it != free_blocks.end(); ++it)
                if (it->second >= size && (best == free_blocks.end() || it->second < best->second)) best = it;
            if (best != free_blocks.end()) {
                p.offsets[i] = best->first;
                const std::size_t rest = best->second - size, rest_off = best->first + size;
                free_blocks.erase(best);
                if (rest) free_blocks.emplace(rest_off, rest);
            } else {
                p.offsets[i] = top;
                top += size;
            }
            p.arena_bytes = std::max(p.arena_bytes, top);
        }
        for (std::size_t i : frees[t]) {
            const std::size_t size = align_up(req[i].bytes);
            if (size) release(p.offsets[i], size);
        }
    }
    return p;
}

}  // namespace graft
