// SPDX-License-Identifier: MIT
// graft/core/random.hpp: Rng, a small seeded generator whose streams are identical on every platform.
// std::uniform_real_distribution and friends are implementation-defined, so graft draws its own:
// xoshiro256** seeded through splitmix64, 53-bit uniforms, Box-Muller normals.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace graft {

/// Reproducible pseudo-random generator: the same seed gives the same stream everywhere.
class Rng {
public:
    /// Seeds the four xoshiro256** state words from `seed` through splitmix64.
    explicit Rng(std::uint64_t seed) noexcept {
        for (auto& s : s_) s = splitmix64(seed);
    }

    /// Next 64 random bits (xoshiro256**).
    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    /// Uniform double in [0, 1).
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /// Uniform double in [lo, hi).
    double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }
    /// Standard normal (Box-Muller; the second value of each pair is kept for the next call).
    double normal() noexcept {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u1 = uniform();
        while (u1 <= 0.0) u1 = uniform();
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        spare_ = r * std::sin(2.0 * std::numbers::pi * u2);
        has_spare_ = true;
        return r * std::cos(2.0 * std::numbers::pi * u2);
    }
    /// Normal with the given mean and standard deviation: `mean + stddev * normal()`.
    double normal(double mean, double stddev) noexcept { return mean + stddev * normal(); }
    /// Uniform integer in [0, n) (n > 0), without modulo bias.
    std::uint64_t below(std::uint64_t n) noexcept {
        const std::uint64_t limit = n ? (~std::uint64_t{0} - (~std::uint64_t{0} % n)) : 0;
        std::uint64_t x = next();
        while (n && x >= limit) x = next();
        return n ? x % n : 0;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    static std::uint64_t splitmix64(std::uint64_t& x) noexcept {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint64_t s_[4]{};
    double spare_ = 0.0;
    bool has_spare_ = false;
};

/// Counter-based uniform in [0, 1) for element `i` of run `step` of a random op seeded `seed`: no state to
/// carry, the same value wherever it is computed (kernels, the reference evaluator), and any element of any
/// run can be recomputed on its own. Two rounds of the splitmix64 finalizer over the mixed counters.
inline double counter_uniform(std::uint64_t seed, std::uint64_t step, std::uint64_t i) noexcept {
    auto mix = [](std::uint64_t z) {
        z += 0x9e3779b97f4a7c15ULL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    };
    const std::uint64_t z = mix(mix(seed ^ mix(step)) ^ i);
    return static_cast<double>(z >> 11) * 0x1.0p-53;
}

/// The dropout mask value of element `i` in run `step`: 0 with probability p, else 1 / (1 - p).
inline double dropout_mask_value(std::uint64_t seed, std::uint64_t step, std::uint64_t i, double p) noexcept {
    return counter_uniform(seed, step, i) < p ? 0.0 : 1.0 / (1.0 - p);
}

}  // namespace graft
