// SPDX-License-Identifier: MIT
// graft/graph/init.hpp: parameter initializers as data (Init), and fill_init, which draws them.
// Seeded through graft::Rng, so a seed gives the same weights on every platform. Fan-in/fan-out for
// Glorot and He follow PyTorch: for dims [d0, ..., dn], fan_in = d0 * receptive, fan_out = dn * receptive
// for a matrix stored [in, out] (graft multiplies x[batch, in] by W[in, out]).
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "../core/error.hpp"
#include "../core/random.hpp"
#include "node.hpp"

namespace graft::init {

namespace detail {
/// `x` as the shortest text that reads back as `x` ("nan", "inf", "-inf" for the non-finite).
inline std::string init_number(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, x);
    return std::string(buf, r.ptr);
}
/// Throws graft::Error from `who` unless `value` is finite (and, with `positive`, > 0).
inline void check_init_arg(const char* who, const char* what, double value, bool positive = false) {
    if (!std::isfinite(value) || (positive && !(value > 0)))
        throw Error(who, std::string(positive ? "a finite, positive " : "a finite ") + what, init_number(value));
}
}  // namespace detail

/// Every element 0.
inline Init zeros() { return {Init::Kind::zeros, 0, 0, 0}; }
/// Every element `value`. Throws graft::Error when `value` is NaN or infinite.
inline Init constant(double value) {
    detail::check_init_arg("init::constant", "value", value);
    return {Init::Kind::constant, value, 0, 0};
}
/// Uniform between lo and hi, drawn with `seed`. Throws graft::Error unless both are finite and lo <= hi.
inline Init uniform(double lo, double hi, std::uint64_t seed) {
    detail::check_init_arg("init::uniform", "lo", lo);
    detail::check_init_arg("init::uniform", "hi", hi);
    if (lo > hi) throw Error("init::uniform", "lo <= hi", detail::init_number(lo) + " > " + detail::init_number(hi));
    return {Init::Kind::uniform, lo, hi, seed};
}
/// Normal with this mean and standard deviation, drawn with `seed`. Throws graft::Error unless both are
/// finite and stddev >= 0.
inline Init normal(double mean, double stddev, std::uint64_t seed) {
    detail::check_init_arg("init::normal", "mean", mean);
    detail::check_init_arg("init::normal", "stddev", stddev);
    if (stddev < 0) throw Error("init::normal", "stddev >= 0", detail::init_number(stddev));
    return {Init::Kind::normal, mean, stddev, seed};
}
/// Glorot/Xavier uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)). Throws graft::Error unless
/// gain is finite and positive.
inline Init glorot_uniform(std::uint64_t seed, double gain = 1.0) {
    detail::check_init_arg("init::glorot_uniform", "gain", gain, true);
    return {Init::Kind::glorot_uniform, gain, 0, seed};
}
/// Glorot/Xavier normal: N(0, gain * sqrt(2 / (fan_in + fan_out))). Throws graft::Error unless gain is
/// finite and positive.
inline Init glorot_normal(std::uint64_t seed, double gain = 1.0) {
    detail::check_init_arg("init::glorot_normal", "gain", gain, true);
    return {Init::Kind::glorot_normal, gain, 0, seed};
}
/// He/Kaiming uniform (fan_in, ReLU gain sqrt 2): U(-a, a), a = sqrt(6 / fan_in).
inline Init he_uniform(std::uint64_t seed) { return {Init::Kind::he_uniform, 0, 0, seed}; }
/// He/Kaiming normal (fan_in, ReLU gain sqrt 2): N(0, sqrt(2 / fan_in)).
inline Init he_normal(std::uint64_t seed) { return {Init::Kind::he_normal, 0, 0, seed}; }

/// fan_in and fan_out of a parameter with these dims. A [in, out] matrix: fan_in = in, fan_out = out.
/// Rank 4 conv weights [out_c, in_c, kh, kw]: fan_in = in_c*kh*kw, fan_out = out_c*kh*kw. Rank 1: both = dim.
inline std::pair<double, double> fans(const Dims& d) {
    if (d.empty()) return {1, 1};
    if (d.size() == 1) return {double(d[0]), double(d[0])};
    if (d.size() == 2) return {double(d[0]), double(d[1])};
    double receptive = 1;
    for (std::size_t i = 2; i < d.size(); ++i) receptive *= double(d[i]);
    return {double(d[1]) * receptive, double(d[0]) * receptive};
}

/// Writes the initial values of a parameter with dims `d` into `out` (out.size() == product of d).
template <class T>
void fill(const Init& init, const Dims& d, std::span<T> out) {
    Rng rng(init.seed);
    const auto [fan_in, fan_out] = fans(d);
    switch (init.kind) {
        case Init::Kind::zeros:
            for (auto& v : out) v = T(0);
            return;
        case Init::Kind::constant:
            for (auto& v : out) v = static_cast<T>(init.a);
            return;
        case Init::Kind::uniform:
            for (auto& v : out) v = static_cast<T>(rng.uniform(init.a, init.b));
            return;
        case Init::Kind::normal:
            for (auto& v : out) v = static_cast<T>(rng.normal(init.a, init.b));
            return;
        case Init::Kind::glorot_uniform: {
            const double a = init.a * std::sqrt(6.0 / (fan_in + fan_out));
            for (auto& v : out) v = static_cast<T>(rng.uniform(-a, a));
            return;
        }
        case Init::Kind::glorot_normal: {
            const double s = init.a * std::sqrt(2.0 / (fan_in + fan_out));
            for (auto& v : out) v = static_cast<T>(rng.normal(0.0, s));
            return;
        }
        case Init::Kind::he_uniform: {
            const double a = std::sqrt(6.0 / fan_in);
            for (auto& v : out) v = static_cast<T>(rng.uniform(-a, a));
            return;
        }
        case Init::Kind::he_normal: {
            const double s = std::sqrt(2.0 / fan_in);
            for (auto& v : out) v = static_cast<T>(rng.normal(0.0, s));
            return;
        }
    }
}

/// "glorot_uniform(seed=42)" as shown in listings.
inline std::string describe(const Init& i) {
    auto num = [](double x) {
        std::string s = std::to_string(x);
        while (s.size() > 1 && s.back() == '0') s.pop_back();
        if (!s.empty() && s.back() == '.') s.pop_back();
        return s;
    };
    switch (i.kind) {
        case Init::Kind::zeros: return "zeros";
        case Init::Kind::constant: return "constant(" + num(i.a) + ")";
        case Init::Kind::uniform: return "uniform(" + num(i.a) + ", " + num(i.b) + ", seed=" + std::to_string(i.seed) + ")";
        case Init::Kind::normal: return "normal(" + num(i.a) + ", " + num(i.b) + ", seed=" + std::to_string(i.seed) + ")";
        case Init::Kind::glorot_uniform: return "glorot_uniform(seed=" + std::to_string(i.seed) + ")";
        case Init::Kind::glorot_normal: return "glorot_normal(seed=" + std::to_string(i.seed) + ")";
        case Init::Kind::he_uniform: return "he_uniform(seed=" + std::to_string(i.seed) + ")";
        case Init::Kind::he_normal: return "he_normal(seed=" + std::to_string(i.seed) + ")";
    }
    return "?";
}

}  // namespace graft::init
