// SPDX-License-Identifier: MIT
// tests/nn/init_test.cpp: initializers are reproducible from their seed and have the statistics their
// names promise on a large parameter: Glorot uniform within +-sqrt(6/(fan_in+fan_out)) with variance a^2/3,
// Glorot normal with std sqrt(2/(fan_in+fan_out)), He normal with std sqrt(2/fan_in), He uniform within
// +-sqrt(6/fan_in); fans of matrices [in, out] and conv kernels [out_c, in_c, kh, kw].
#include <catch2/catch.hpp>
#include <graft/nn.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

using namespace graft;

namespace {

template <class T = double>
std::vector<T> drawn(const Init& init, const Dims& dims) {
    std::size_t n = 1;
    for (auto d : dims) n *= d;
    std::vector<T> v(n);
    init::fill(init, dims, std::span<T>(v));
    return v;
}

struct Stats {
    double mean = 0, stddev = 0, min = 0, max = 0;
};
Stats stats_of(const std::vector<double>& v) {
    Stats s;
    for (double x : v) s.mean += x;
    s.mean /= double(v.size());
    for (double x : v) s.stddev += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(s.stddev / double(v.size() - 1));
    s.min = *std::min_element(v.begin(), v.end());
    s.max = *std::max_element(v.begin(), v.end());
    return s;
}

}  // namespace

TEST_CASE("every initializer gives the same values for the same seed and different ones for another", "[nn][init]") {
    const Dims d{16, 8};
    for (auto make : {+[](std::uint64_t s) { return init::uniform(-1, 1, s); }, +[](std::uint64_t s) { return init::normal(0, 1, s); },
                      +[](std::uint64_t s) { return init::glorot_uniform(s); }, +[](std::uint64_t s) { return init::glorot_normal(s); },
                      +[](std::uint64_t s) { return init::he_uniform(s); }, +[](std::uint64_t s) { return init::he_normal(s); }}) {
        INFO(init::describe(make(1)));
        CHECK(drawn(make(1), d) == drawn(make(1), d));
        CHECK(drawn(make(1), d) != drawn(make(2), d));
        CHECK(drawn<float>(make(1), d) == drawn<float>(make(1), d));
    }
}

TEST_CASE("a ParamStore initialises a parameter exactly as init::fill draws it", "[nn][init]") {
    ParamStore store;
    auto& e = store.ensure("w", DType::f64, {30, 20}, init::he_normal(77));
    const double* p = reinterpret_cast<const double*>(e.data.data());
    CHECK(std::vector<double>(p, p + 600) == drawn(init::he_normal(77), {30, 20}));
    // a second machine asking for the same name gets the same values, not a fresh draw
    auto& again = store.ensure("w", DType::f64, {30, 20}, init::he_normal(78));
    CHECK(&again == &e);
}

TEST_CASE("zeros, constant, uniform and normal fill what they say", "[nn][init]") {
    for (double v : drawn(init::zeros(), {5})) CHECK(v == 0.0);
    for (double v : drawn(init::constant(0.25), {5})) CHECK(v == 0.25);
    const auto u = stats_of(drawn(init::uniform(2.0, 3.0, 4), {200, 200}));
    CHECK(u.min >= 2.0);
    CHECK(u.max < 3.0);
    CHECK(u.mean == Approx(2.5).margin(0.01));
    const auto n = stats_of(drawn(init::normal(1.0, 0.5, 4), {200, 200}));
    CHECK(n.mean == Approx(1.0).margin(0.01));
    CHECK(n.stddev == Approx(0.5).epsilon(0.02));
}

TEST_CASE("fan_in and fan_out of matrices [in, out], vectors and conv kernels [out_c, in_c, kh, kw]", "[nn][init]") {
    CHECK(init::fans({784, 256}) == std::pair<double, double>{784, 256});
    CHECK(init::fans({10}) == std::pair<double, double>{10, 10});
    CHECK(init::fans({8, 3, 5, 5}) == std::pair<double, double>{75, 200});
}

TEST_CASE("Glorot uniform stays within sqrt(6 / (fan_in + fan_out)) with variance bound^2 / 3", "[nn][init]") {
    const Dims d{300, 500};  // 150,000 values
    const double bound = std::sqrt(6.0 / 800.0);
    const auto s = stats_of(drawn(init::glorot_uniform(11), d));
    CHECK(s.min >= -bound);
    CHECK(s.max <= bound);
    CHECK(s.max > 0.999 * bound);  // the whole range is used
    CHECK(s.min < -0.999 * bound);
    CHECK(std::fabs(s.mean) < 4 * bound / std::sqrt(3.0 * 150000.0));
    CHECK(s.stddev == Approx(bound / std::sqrt(3.0)).epsilon(0.01));
    // gain scales the bound
    const auto g2 = stats_of(drawn(init::glorot_uniform(11, 2.0), d));
    CHECK(g2.max <= 2 * bound);
    CHECK(g2.stddev == Approx(2 * bound / std::sqrt(3.0)).epsilon(0.01));
}

TEST_CASE("Glorot normal has std sqrt(2 / (fan_in + fan_out))", "[nn][init]") {
    const auto s = stats_of(drawn(init::glorot_normal(12), {300, 500}));
    CHECK(std::fabs(s.mean) < 0.001);
    CHECK(s.stddev == Approx(std::sqrt(2.0 / 800.0)).epsilon(0.01));
}

TEST_CASE("He normal has std sqrt(2 / fan_in), He uniform stays within sqrt(6 / fan_in)", "[nn][init]") {
    const auto n = stats_of(drawn(init::he_normal(13), {500, 300}));
    CHECK(std::fabs(n.mean) < 4 * std::sqrt(2.0 / 500.0) / std::sqrt(150000.0));
    CHECK(n.stddev == Approx(std::sqrt(2.0 / 500.0)).epsilon(0.01));
    const double bound = std::sqrt(6.0 / 500.0);
    const auto u = stats_of(drawn(init::he_uniform(14), {500, 300}));
    CHECK(u.min >= -bound);
    CHECK(u.max <= bound);
    CHECK(u.max > 0.999 * bound);
    CHECK(u.stddev == Approx(bound / std::sqrt(3.0)).epsilon(0.01));
    // the fan is the kernel's for a conv weight: in_c * kh * kw = 3 * 3 * 3 = 27
    const auto c = stats_of(drawn(init::he_normal(15), {64, 3, 3, 3}));
    CHECK(c.stddev == Approx(std::sqrt(2.0 / 27.0)).epsilon(0.05));
}

TEST_CASE("initializers describe themselves as listings show them", "[nn][init]") {
    CHECK(init::describe(init::zeros()) == "zeros");
    CHECK(init::describe(init::constant(0.5)) == "constant(0.5)");
    CHECK(init::describe(init::uniform(-1, 1, 3)) == "uniform(-1, 1, seed=3)");
    CHECK(init::describe(init::glorot_uniform(42)) == "glorot_uniform(seed=42)");
    CHECK(init::describe(init::he_normal(7)) == "he_normal(seed=7)");
}
