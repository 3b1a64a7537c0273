// SPDX-License-Identifier: MIT
// graft/tensor/blas_tune.hpp: the faster GEMM per shape, chosen by measurement.
// Which of cblas_?gemm and Eigen's product is faster depends on the shape, the transposes, the BLAS's
// thread count and the instruction set the program was compiled for (Eigen's kernels are compiled with the
// user's flags, e.g. -march=native; the distribution's BLAS picks its kernels at run time). tuned<T>() times
// both on scratch buffers of the GEMM's exact shape, once per (type, shape, transposes, accumulate, BLAS
// threads) per process, and caches the answer; compile() calls it for every GEMM when
// CompileOptions::gemm_backend is Backend::tuned, and Program::dump() shows the choice with both timings.
//
// The measurement: one warm-up call of each, then rounds alternating the two (so a disturbance of the
// machine hits both), the best time of each kept. Rounds stop after ~2 ms of GEMMs or 9 rounds (at least 3).
// Eigen is chosen only when its best time is below 0.95x cblas's: on a tie the BLAS, the portable
// default, stays. The choice is a timing, so two processes may choose differently for a shape where the two
// are close; results then differ in the last bits (both are correct GEMMs). pin() fixes a choice for a
// shape, so a run can be made reproducible; Backend::cblas / Backend::eigen force one for every GEMM.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "../core/aligned_buffer.hpp"
#include "blas.hpp"

namespace graft::blas {

/// One GEMM's shape as the tuner keys it: C[m,n] (+)= op(A)[m,k] op(B)[k,n], packed operands.
struct GemmShape {
    /// A is read transposed: op(A) = A^T, stored [k,m].
    bool ta = false, tb = false;  ///< B is read transposed: op(B) = B^T, stored [n,k]
    /// @var n
    /// Columns of C and of op(B).

    /// Rows of C and of op(A).
    std::size_t m = 0, n = 0, k = 0;  ///< the inner (summed) dimension: columns of op(A), rows of op(B)
    bool accumulate = false;  ///< beta == 1 (a gradient summed over a batch), else beta == 0
    /// Memberwise ordering, so a GemmShape can key the tuner's `std::map`.
    auto operator<=>(const GemmShape&) const = default;
};

/// A tuned choice and the best times (ns) it was made from; 0 ns when nothing was measured.
struct TunedGemm {
    Backend backend = Backend::automatic;  ///< the chosen backend: Backend::cblas or Backend::eigen once tuned or pinned
    /// Best measured time of one cblas_?gemm call, in nanoseconds.
    double cblas_ns = 0, eigen_ns = 0;  ///< best measured time of one Eigen product, in nanoseconds
    bool pinned = false;  ///< set by pin(), not measured
};

namespace detail {
struct TuneKey {
    std::size_t elem = 0;  // sizeof(T): float or double
    GemmShape shape;
    int threads = 1;
    auto operator<=>(const TuneKey&) const = default;
};
struct TuneCache {
    std::mutex mu;
    std::map<TuneKey, TunedGemm> table;
};
inline TuneCache& tune_cache() {
    static TuneCache c;
    return c;
}

/// Times one call (ns) and appends it to log.
template <class T>
double time_once(const GemmShape& s, Backend b, const T* a, const T* bm, T* c, std::vector<double>& log) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    gemm<T>(s.ta, s.tb, s.m, s.n, s.k, T(1), a, s.ta ? s.m : s.k, bm, s.tb ? s.k : s.n, s.accumulate ? T(1) : T(0), c, s.n, b);
    const double ns = std::chrono::duration<double, std::nano>(clock::now() - t0).count();
    log.push_back(ns);
    return ns;
}

template <class T>
TunedGemm measure(const GemmShape& s) {
    TunedGemm r;
    if (!has_cblas || !(std::is_same_v<T, float> || std::is_same_v<T, double>)) {
        r.backend = Backend::eigen;
        return r;
    }
    if (s.m == 0 || s.n == 0 || s.k == 0) {
        r.backend = Backend::cblas;
        return r;
    }
    AlignedBuffer<T> a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
    // small exact values: no denormals, no overflow, the same work as real data
    for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = T(int(i % 7) - 3) * T(0.125);
    for (std::size_t i = 0; i < b.size(); ++i) b.data()[i] = T(int(i % 5) - 2) * T(0.25);
    std::vector<double> log_c, log_e;
    time_once<T>(s, Backend::cblas, a.data(), b.data(), c.data(), log_c);  // warm-up: pages, BLAS threads, caches
    time_once<T>(s, Backend::eigen, a.data(), b.data(), c.data(), log_e);
    log_c.clear(), log_e.clear();
    double spent = 0;
    for (int round = 0; round < 9 && (round < 3 || spent < 2e6); ++round) {
        const bool cblas_first = round % 2 == 0;
        for (int i = 0; i < 2; ++i) {
            const bool use_cblas = (i == 0) == cblas_first;
            spent += time_once<T>(s, use_cblas ? Backend::cblas : Backend::eigen, a.data(), b.data(), c.data(),
                                  use_cblas ? log_c : log_e);
        }
    }
    r.cblas_ns = *std::min_element(log_c.begin(), log_c.end());
    r.eigen_ns = *std::min_element(log_e.begin(), log_e.end());
    r.backend = r.eigen_ns < 0.95 * r.cblas_ns ? Backend::eigen : Backend::cblas;
    return r;
}
}  // namespace detail

/// The faster backend for a GEMM of this shape at the BLAS's current thread count: measured on first use
/// (a few ms at most), then cached for the process. Thread-safe.
template <class T>
TunedGemm tuned(const GemmShape& s) {
    const detail::TuneKey key{sizeof(T), s, threads()};
    auto& cache = detail::tune_cache();
    {
        std::lock_guard lock(cache.mu);
        if (auto it = cache.table.find(key); it != cache.table.end()) return it->second;
    }
    const TunedGemm r = detail::measure<T>(s);  // measured unlocked: compiles in other threads go on
    std::lock_guard lock(cache.mu);
    return cache.table.try_emplace(key, r).first->second;  // the first measurement of a key wins
}

/// Fixes the choice for a shape (at the current BLAS thread count), replacing any measurement.
template <class T>
void pin(const GemmShape& s, Backend b) {
    if (b != Backend::cblas && b != Backend::eigen)
        throw Error("blas::pin", "Backend::cblas or Backend::eigen", b == Backend::tuned ? "Backend::tuned" : "Backend::automatic");
    if (b == Backend::cblas && !has_cblas) throw Error("blas::pin", "Backend::eigen (graft was built with GRAFT_NO_BLAS)", "Backend::cblas");
    auto& cache = detail::tune_cache();
    std::lock_guard lock(cache.mu);
    cache.table[detail::TuneKey{sizeof(T), s, threads()}] = TunedGemm{b, 0, 0, true};
}

/// Forgets every measured and pinned choice.
inline void clear_tuning() {
    auto& cache = detail::tune_cache();
    std::lock_guard lock(cache.mu);
    cache.table.clear();
}

/// How many shapes have a choice (measured or pinned).
inline std::size_t tuned_count() {
    auto& cache = detail::tune_cache();
    std::lock_guard lock(cache.mu);
    return cache.table.size();
}

/// "eigen (tuned: cblas 41.2 us, eigen 30.1 us)" / "cblas (pinned)": a choice as Program::dump() shows it.
inline std::string tuned_text(const TunedGemm& t) {
    std::string s = backend_name(t.backend);
    if (t.pinned) return s + " (pinned)";
    if (t.cblas_ns <= 0 && t.eigen_ns <= 0) return s;
    auto us = [](double ns) {
        const double v = ns / 1000.0;
        char buf[32];
        std::snprintf(buf, sizeof buf, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
        return std::string(buf);
    };
    s += " (tuned: cblas ";
    s += us(t.cblas_ns);
    s += " us, eigen ";
    s += us(t.eigen_ns);
    s += " us)";
    return s;
}

}  // namespace graft::blas
