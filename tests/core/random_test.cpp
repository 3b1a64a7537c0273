// SPDX-License-Identifier: MIT
// tests/core/random_test.cpp: graft::Rng gives the same stream on every platform.
// The literal values were computed with an independent Python transcription of Vigna's reference
// splitmix64 + xoshiro256** (53-bit uniforms: (x >> 11) * 2^-53; Box-Muller for normals).
#include <catch2/catch.hpp>
#include <graft/core.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace graft;

TEST_CASE("Rng(0) starts with the reference xoshiro256** outputs", "[core][random]") {
    Rng r(0);
    CHECK(r.next() == 0x99ec5f36cb75f2b4ULL);
    CHECK(r.next() == 0xbf6e1f784956452aULL);
    CHECK(r.next() == 0x1a5f849d4933e6e0ULL);
    CHECK(r.next() == 0x6aa594f1262d2d2cULL);
}

TEST_CASE("Rng(42) starts with the reference xoshiro256** outputs", "[core][random]") {
    Rng r(42);
    CHECK(r.next() == 0x15780b2e0c2ec716ULL);
    CHECK(r.next() == 0x6104d9866d113a7eULL);
    CHECK(r.next() == 0xae17533239e499a1ULL);
    CHECK(r.next() == 0xecb8ad4703b360a1ULL);
}

TEST_CASE("uniform() from a fixed seed gives the recorded values exactly", "[core][random]") {
    Rng r(0);
    CHECK(r.uniform() == 0.6012629994179048);
    CHECK(r.uniform() == 0.7477740925472398);
    CHECK(r.uniform() == 0.10301998939503632);
    Rng s(42);
    CHECK(s.uniform() == 0.08386297105988216);
    CHECK(s.uniform() == 0.3789802506626686);
    CHECK(s.uniform() == 0.6800434110281394);
}

TEST_CASE("normal() from a fixed seed gives the recorded Box-Muller pair", "[core][random]") {
    Rng r(7);
    // cos and sin values of one Box-Muller pair; libm may differ in the last bit, hence the margin
    CHECK(r.normal() == Approx(-0.15157274547711355).epsilon(1e-13));
    CHECK(r.normal() == Approx(0.829897087969257).epsilon(1e-13));
}

TEST_CASE("the same seed gives the same stream and different seeds give different streams", "[core][random]") {
    Rng a(123), b(123), c(124);
    bool all_same = true, any_diff_c = false;
    for (int i = 0; i < 1000; ++i) {
        const auto x = a.next();
        all_same = all_same && x == b.next();
        any_diff_c = any_diff_c || x != c.next();
    }
    CHECK(all_same);
    CHECK(any_diff_c);
}

TEST_CASE("a copied Rng continues with the same values as the original", "[core][random]") {
    Rng a(5);
    for (int i = 0; i < 10; ++i) (void)a.normal();
    (void)a.normal();  // leaves a spare Box-Muller value pending
    Rng b = a;
    for (int i = 0; i < 100; ++i) REQUIRE(a.normal() == b.normal());
}

TEST_CASE("uniform() stays at or above 0 and below 1, with mean 1/2 and variance 1/12", "[core][random]") {
    Rng r(2024);
    const int n = 1'000'000;
    double lo = 1, hi = 0, s = 0, s2 = 0;
    for (int i = 0; i < n; ++i) {
        const double u = r.uniform();
        lo = std::min(lo, u);
        hi = std::max(hi, u);
        s += u;
        s2 += u * u;
    }
    const double mean = s / n, var = s2 / n - mean * mean;
    CHECK(lo >= 0.0);
    CHECK(hi < 1.0);
    CHECK(lo < 1e-4);      // the whole interval is covered
    CHECK(hi > 1 - 1e-4);
    CHECK(mean == Approx(0.5).margin(0.002));   // std error 0.00029
    CHECK(var == Approx(1.0 / 12).margin(0.001));
}

TEST_CASE("uniform(lo, hi) stays at or above lo and below hi, and covers the interval", "[core][random]") {
    Rng r(9);
    double lo = 1e9, hi = -1e9, s = 0;
    const int n = 200'000;
    for (int i = 0; i < n; ++i) {
        const double u = r.uniform(-3.0, 5.0);
        lo = std::min(lo, u);
        hi = std::max(hi, u);
        s += u;
    }
    CHECK(lo >= -3.0);
    CHECK(hi < 5.0);
    CHECK(lo < -2.99);
    CHECK(hi > 4.99);
    CHECK(s / n == Approx(1.0).margin(0.03));
}

TEST_CASE("normal() has mean 0, standard deviation 1 and the normal's 1-sigma mass", "[core][random]") {
    Rng r(31337);
    const int n = 400'000;
    double s = 0, s2 = 0, s3 = 0, s4 = 0;
    int within1 = 0;
    bool finite = true;
    for (int i = 0; i < n; ++i) {
        const double z = r.normal();
        finite = finite && std::isfinite(z);
        s += z;
        s2 += z * z;
        s3 += z * z * z;
        s4 += z * z * z * z;
        within1 += std::fabs(z) < 1.0;
    }
    const double mean = s / n, var = s2 / n - mean * mean;
    CHECK(finite);
    CHECK(mean == Approx(0.0).margin(0.01));         // std error 0.0016
    CHECK(std::sqrt(var) == Approx(1.0).margin(0.01));
    CHECK(s3 / n == Approx(0.0).margin(0.03));       // skewness
    CHECK(s4 / n == Approx(3.0).margin(0.05));       // kurtosis of a normal
    CHECK(double(within1) / n == Approx(0.682689).margin(0.004));
}

TEST_CASE("normal(mean, stddev) shifts and scales", "[core][random]") {
    Rng r(11);
    const int n = 200'000;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; ++i) {
        const double z = r.normal(2.0, 3.0);
        s += z;
        s2 += z * z;
    }
    const double mean = s / n, sd = std::sqrt(s2 / n - mean * mean);
    CHECK(mean == Approx(2.0).margin(0.04));
    CHECK(sd == Approx(3.0).margin(0.03));
}

TEST_CASE("below(n) returns every value from 0 to n-1 about equally often", "[core][random]") {
    Rng r(77);
    std::array<int, 6> count{};
    const int n = 60'000;
    bool in_range = true;
    for (int i = 0; i < n; ++i) {
        const auto v = r.below(6);
        in_range = in_range && v < 6;
        if (v < 6) ++count[v];
    }
    CHECK(in_range);
    double chi2 = 0;
    for (int c : count) chi2 += (c - 10000.0) * (c - 10000.0) / 10000.0;
    CHECK(chi2 < 20.5);  // 5 degrees of freedom: p ~ 0.001
    Rng one(1);
    for (int i = 0; i < 10; ++i) CHECK(one.below(1) == 0);
}

TEST_CASE("below(n) with n just above 2^63 stays below n", "[core][random]") {
    Rng r(3);
    const std::uint64_t n = (std::uint64_t{1} << 63) + 1;
    bool ok = true, saw_high = false;
    for (int i = 0; i < 1000; ++i) {
        const auto v = r.below(n);
        ok = ok && v < n;
        saw_high = saw_high || v >= (std::uint64_t{1} << 62);
    }
    CHECK(ok);
    CHECK(saw_high);
}
