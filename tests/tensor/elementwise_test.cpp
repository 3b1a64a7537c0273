// SPDX-License-Identifier: MIT
// tests/tensor/elementwise_test.cpp: + - * / (tensor and scalar operands), in-place ops, unary math, maximum,
// minimum, map and cast, compared with loops in double. Broadcasting has its own file (broadcast_test.cpp).
#include <catch2/catch.hpp>
#include <graft/tensor.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <type_traits>

#include "support/reference.hpp"
#include "support/floats.hpp"

using namespace graft;
using graft_test::randomize;

namespace {
constexpr float finf = std::numeric_limits<float>::infinity();

// Operands for binary ops: floats in [-10, 10), integers in [-50, 50] (divisors never 0).
template <class T>
std::pair<Tensor<T, Shape<7, 13>>, Tensor<T, Shape<7, 13>>> operands() {
    Tensor<T, Shape<7, 13>> a, b;
    randomize(a, 1, -10, 10);
    randomize(b, 2, -10, 10);
    if constexpr (std::is_integral_v<T>) {
        randomize(a, 1, -50, 50);
        randomize(b, 2, -50, 50);
        for (auto& v : b)
            if (v == 0) v = 7;
    }
    return {a, b};
}

// out[i] must equal the operation done in double and rounded once to T (exact for + - * / on float,
// since double holds the exact result to more than 2p+2 bits; exact by definition for int32).
template <class T, class X, class R>
bool matches(const X& out, const R& ref_of_index) {
    for (std::size_t i = 0; i < out.size(); ++i)
        if (!(out.data()[i] == static_cast<T>(ref_of_index(i)))) return false;
    return true;
}

template <class T>
double dv(T x) { return static_cast<double>(x); }

// C++ integer division truncates toward zero; the double reference must too.
template <class T>
double quotient(T x, T y) {
    if constexpr (std::is_integral_v<T>) return static_cast<double>(static_cast<std::int64_t>(x) / static_cast<std::int64_t>(y));
    else return dv(x) / dv(y);
}
}  // namespace

TEMPLATE_TEST_CASE("tensor + - * / tensor equals the operation done in double and rounded once", "[tensor][elementwise]",
                   float, double, std::int32_t) {
    using T = TestType;
    auto [a, b] = operands<T>();
    auto s = a + b;
    auto d = a - b;
    auto p = a * b;
    auto q = a / b;
    STATIC_REQUIRE(std::is_same_v<decltype(s), Tensor<T, Shape<7, 13>>>);
    CHECK(matches<T>(s, [&](std::size_t i) { return dv(a[i]) + dv(b[i]); }));
    CHECK(matches<T>(d, [&](std::size_t i) { return dv(a[i]) - dv(b[i]); }));
    CHECK(matches<T>(p, [&](std::size_t i) { return dv(a[i]) * dv(b[i]); }));
    CHECK(matches<T>(q, [&](std::size_t i) { return quotient(a[i], b[i]); }));
}

TEMPLATE_TEST_CASE("tensor op scalar and scalar op tensor put the scalar on the right side", "[tensor][elementwise]",
                   float, double, std::int32_t) {
    using T = TestType;
    auto [a, b] = operands<T>();
    (void)b;
    const T c = T(3);
    CHECK(matches<T>(a + c, [&](std::size_t i) { return dv(a[i]) + 3; }));
    CHECK(matches<T>(c + a, [&](std::size_t i) { return 3 + dv(a[i]); }));
    CHECK(matches<T>(a - c, [&](std::size_t i) { return dv(a[i]) - 3; }));
    CHECK(matches<T>(c - a, [&](std::size_t i) { return 3 - dv(a[i]); }));
    CHECK(matches<T>(a * c, [&](std::size_t i) { return dv(a[i]) * 3; }));
    CHECK(matches<T>(c * a, [&](std::size_t i) { return 3 * dv(a[i]); }));
    CHECK(matches<T>(a / c, [&](std::size_t i) { return quotient(a[i], c); }));
    auto nz = a;
    for (auto& v : nz)
        if (v == T(0)) v = T(1);
    CHECK(matches<T>(c / nz, [&](std::size_t i) { return quotient(c, nz[i]); }));
}

TEST_CASE("a double scalar is converted to a float tensor's element type", "[tensor][elementwise]") {
    Tensor<float, Shape<2>> a{1.f, 2.f};
    auto r = a * 0.1;  // 0.1 becomes 0.1f before the product
    STATIC_REQUIRE(std::is_same_v<decltype(r), Tensor<float, Shape<2>>>);
    CHECK(r(0) == 0.1f);
    CHECK(r(1) == 2.f * 0.1f);
}

TEST_CASE("operations on rank-0 tensors give rank-0 tensors", "[tensor][elementwise]") {
    Tensor<double, Shape<>> x{1.5}, y{-4.0};
    CHECK((x * y).item() == -6.0);
    CHECK((x - y).item() == 5.5);
    CHECK((x / y).item() == -0.375);
    CHECK(exp(Tensor<double, Shape<>>{0.0}).item() == 1.0);
}

TEST_CASE("operations on zero-size tensors give zero-size tensors", "[tensor][elementwise]") {
    Tensor<float, Shape<0, 3>> a, b;
    auto c = a + b;
    STATIC_REQUIRE(std::is_same_v<decltype(c), Tensor<float, Shape<0, 3>>>);
    CHECK((a * 2.f).size() == 0);
    CHECK(exp(a).size() == 0);
    CHECK(relu(a).size() == 0);
}

TEST_CASE("integer division truncates toward zero like C++", "[tensor][elementwise]") {
    Tensor<int, Shape<4>> a{7, -7, 7, -7}, b{2, 2, -2, -2};
    CHECK(to_string(a / b) == "[3, -3, -3, 3]");
}

TEST_CASE("integer division by zero throws graft::Error, tensor or scalar divisor", "[tensor][elementwise]") {
    Tensor<int, Shape<3>> a{1, 2, 3}, b{1, 0, 1};
    CHECK_THROWS_AS(a / b, Error);
    CHECK_THROWS_AS(a / 0, Error);
    CHECK_THROWS_AS(6 / b, Error);
    Tensor<int, Shape<3>> c{1, 2, 3};
    CHECK_THROWS_AS(c /= b, Error);
    Tensor<std::uint8_t, Shape<2>> u{4, 5}, z{1, 0};
    CHECK_THROWS_AS(u / z, Error);
    try {
        (void)(a / b);
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.expected() == "a non-zero integer divisor");
        CHECK(e.found() == "0");
    }
    CHECK_NOTHROW(a / Tensor<int, Shape<3>>{1, 1, 1});
}

TEST_CASE("float division by zero follows IEEE: +-inf and NaN", "[tensor][elementwise]") {
    Tensor<float, Shape<3>> a{1.f, -1.f, 0.f}, z{0.f, 0.f, 0.f};
    auto q = a / z;
    CHECK(q(0) == finf);
    CHECK(q(1) == -finf);
    CHECK(std::isnan(q(2)));
    CHECK((a / 0.f)(0) == finf);
}

TEST_CASE("uint8 arithmetic wraps modulo 256", "[tensor][elementwise]") {
    Tensor<std::uint8_t, Shape<3>> a{200, 10, 0}, b{100, 20, 1};
    CHECK(to_string(a + b) == "[44, 30, 1]");
    CHECK(to_string(a - b) == "[100, 246, 255]");
}

TEST_CASE("in-place + - * / update the left operand, with broadcasting", "[tensor][elementwise]") {
    Tensor<double, Shape<2, 3>> a{{1, 2, 3}, {4, 5, 6}};
    Tensor<double, Shape<3>> row{10, 20, 30};
    Tensor<double, Shape<2, 1>> col{{2}, {4}};
    a += row;
    CHECK(to_string(a) == "[[11, 22, 33], [14, 25, 36]]");
    a -= col;
    CHECK(to_string(a) == "[[9, 20, 31], [10, 21, 32]]");
    a *= col;
    CHECK(to_string(a) == "[[18, 40, 62], [40, 84, 128]]");
    a /= row;
    CHECK(to_string(a) == "[[1.8, 2, 2.066666666666667], [4, 4.2, 4.266666666666667]]");
    auto& ref = (a += Tensor<double, Shape<>>{1.0});
    CHECK(&ref == &a);
    CHECK(a(0, 1) == 3.0);
}

TEST_CASE("in-place ops with the tensor itself as the right operand", "[tensor][elementwise]") {
    Tensor<float, Shape<2, 2>> a{{1, 2}, {3, 4}};
    a += a;
    CHECK(to_string(a) == "[[2, 4], [6, 8]]");
    a *= a;
    CHECK(to_string(a) == "[[4, 16], [36, 64]]");
    a -= a;
    CHECK(to_string(a) == "[[0, 0], [0, 0]]");
}

// ------------------------------------------------------------------ unary math

namespace {
template <class T, std::size_t N, class F, class G>
void check_unary(const Tensor<T, Shape<N>>& x, F graft_fn, G std_fn, double rtol, double atol) {
    auto y = graft_fn(x);
    STATIC_REQUIRE(std::is_same_v<decltype(y), Tensor<T, Shape<N>>>);
    std::size_t bad = 0, first_bad = N;
    for (std::size_t i = 0; i < N; ++i) {
        const double ref = std_fn(static_cast<double>(x[i]));
        const double got = static_cast<double>(y[i]);
        const bool ok = (std::isnan(ref) && std::isnan(got)) || got == ref || std::fabs(got - ref) <= atol + rtol * std::fabs(ref);
        if (!ok && bad++ == 0) first_bad = i;
    }
    INFO("first mismatch at x = " << (first_bad < N ? static_cast<double>(x[first_bad]) : 0.0) << ": got "
                                  << (first_bad < N ? static_cast<double>(y[first_bad]) : 0.0) << ", want "
                                  << (first_bad < N ? std_fn(static_cast<double>(x[first_bad])) : 0.0));
    CHECK(bad == 0);
}

// 1003 values: a multiple of no SIMD width, so both the vector body and the scalar tail are exercised.
template <class T>
Tensor<T, Shape<1003>> spread(double lo, double hi, std::uint64_t seed) {
    Tensor<T, Shape<1003>> x;
    randomize(x, seed, lo, hi);
    return x;
}

template <class T>
constexpr double unary_rtol() { return std::is_same_v<T, float> ? 4e-7 : 4e-15; }  // a few ulp

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double softplus_ref(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
}  // namespace

TEMPLATE_TEST_CASE("exp log log1p expm1 sqrt match the C library in double", "[tensor][elementwise]", float, double) {
    using T = TestType;
    const double r = unary_rtol<T>();
    check_unary(spread<T>(-20, 20, 3), [](const auto& x) { return exp(x); }, [](double v) { return std::exp(v); }, r, 0);
    check_unary(spread<T>(1e-6, 1e6, 4), [](const auto& x) { return log(x); }, [](double v) { return std::log(v); }, r, 1e-300);
    check_unary(spread<T>(-0.9, 10, 5), [](const auto& x) { return log1p(x); }, [](double v) { return std::log1p(v); }, r, 0);
    check_unary(spread<T>(-5, 5, 6), [](const auto& x) { return expm1(x); }, [](double v) { return std::expm1(v); }, r, 0);
    check_unary(spread<T>(0, 1e4, 7), [](const auto& x) { return sqrt(x); }, [](double v) { return std::sqrt(v); }, r, 0);
}

TEMPLATE_TEST_CASE("tanh sigmoid softplus match closed forms in double", "[tensor][elementwise]", float, double) {
    using T = TestType;
    const double r = std::is_same_v<T, float> ? 2e-6 : 1e-14;
    // absolute slack near the zero of tanh, where a relative bound is meaningless
    const double a = std::is_same_v<T, float> ? 1e-7 : 1e-16;
    check_unary(spread<T>(-12, 12, 8), [](const auto& x) { return tanh(x); }, [](double v) { return std::tanh(v); }, r, a);
    // Eigen's float logistic is a rational approximation (exp(x) below -9): its error is absolute, at most
    // ~1.6e-7 (measured), up to 1e-3 relative near x = -9. Double is a few ulp.
    const double sig_abs = std::is_same_v<T, float> ? 2e-7 : 1e-300;
    check_unary(spread<T>(-30, 30, 9), [](const auto& x) { return sigmoid(x); }, sigmoid_ref, r, sig_abs);
    check_unary(spread<T>(-30, 30, 10), [](const auto& x) { return softplus(x); }, softplus_ref, r, a * 1e-10);
}

TEMPLATE_TEST_CASE("neg abs relu square are exact", "[tensor][elementwise]", float, double, std::int32_t) {
    using T = TestType;
    Tensor<T, Shape<1003>> x;
    randomize(x, 11, -1000, 1000);
    check_unary(x, [](const auto& v) { return neg(v); }, [](double v) { return -v; }, 0, 0);
    check_unary(x, [](const auto& v) { return -v; }, [](double v) { return -v; }, 0, 0);
    check_unary(x, [](const auto& v) { return abs(v); }, [](double v) { return std::fabs(v); }, 0, 0);
    check_unary(x, [](const auto& v) { return relu(v); }, [](double v) { return v > 0 ? v : 0.0; }, 0, 0);
    auto sq = square(x);
    bool ok = true;
    for (std::size_t i = 0; i < x.size(); ++i) ok = ok && sq[i] == static_cast<T>(dv(x[i]) * dv(x[i]));
    CHECK(ok);
}

TEST_CASE("transcendental functions give IEEE results at special values", "[tensor][elementwise]") {
    Tensor<float, Shape<3>> zero_neg_inf{0.f, -1.f, -finf};
    auto l = log(zero_neg_inf);
    CHECK(l(0) == -finf);
    CHECK(std::isnan(l(1)));
    CHECK(std::isnan(l(2)));
    auto s = sqrt(Tensor<float, Shape<2>>{-1.f, finf});
    CHECK(std::isnan(s(0)));
    CHECK(s(1) == finf);
    auto e = exp(Tensor<float, Shape<4>>{100.f, -finf, finf, -200.f});
    CHECK(e(0) == finf);
    CHECK(e(1) == 0.f);
    CHECK(e(2) == finf);
    CHECK(e(3) == 0.f);
    auto ed = exp(Tensor<double, Shape<3>>{-inf, -800.0, 710.0});
    CHECK(ed(0) == 0.0);
    CHECK(ed(1) == 0.0);
    CHECK(ed(2) == inf);
    auto t = tanh(Tensor<double, Shape<4>>{inf, -inf, 1e4, -1e4});
    CHECK(t(0) == 1.0);
    CHECK(t(1) == -1.0);
    CHECK(t(2) == 1.0);
    CHECK(t(3) == -1.0);
    Tensor<float, Shape<2>> two_inf{finf, -finf};
    CHECK(std::isnan((two_inf + Tensor<float, Shape<2>>{-finf, finf})(0)));  // inf - inf
}

TEMPLATE_TEST_CASE("sigmoid and softplus saturate to exact values at +-1e4 without NaN", "[tensor][elementwise]", float,
                   double) {
    using T = TestType;
    Tensor<T, Shape<4>> x{T(1e4), T(-1e4), T(100), T(-100)};
    auto s = sigmoid(x);
    CHECK(s(0) == T(1));
    CHECK(s(1) == T(0));
    CHECK(s(2) == T(1));
    CHECK(s(3) >= T(0));
    CHECK(s(3) < T(1e-40));
    auto p = softplus(x);
    CHECK(p(0) == T(1e4));
    CHECK(p(1) == T(0));
    CHECK(p(2) == T(100));
    CHECK(p(3) >= T(0));
    CHECK(p(3) < T(1e-40));
}

TEST_CASE("NaN propagates through relu, abs, exp, tanh, sigmoid and softplus", "[tensor][elementwise]") {
    Tensor<float, Shape<19>> x;  // NaN at the front, in the middle and in the scalar tail
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i) - 9.f;
    x[0] = x[8] = x[18] = fnan;
    for (const auto& y : {relu(x), abs(x), exp(x), tanh(x), sigmoid(x), softplus(x), -x}) {
        CHECK(std::isnan(y[0]));
        CHECK(std::isnan(y[8]));
        CHECK(std::isnan(y[18]));
        CHECK_FALSE(std::isnan(y[9]));
    }
}

TEMPLATE_TEST_CASE("maximum and minimum pick elementwise and broadcast", "[tensor][elementwise]", float, double,
                   std::int32_t) {
    using T = TestType;
    Tensor<T, Shape<2, 3>> a{{1, 5, -3}, {4, 0, 9}};
    Tensor<T, Shape<3>> b{2, 2, 2};
    CHECK(to_string(maximum(a, b)) == "[[2, 5, 2], [4, 2, 9]]");
    CHECK(to_string(minimum(a, b)) == "[[1, 2, -3], [2, 0, 2]]");
    CHECK(to_string(maximum(b, a)) == "[[2, 5, 2], [4, 2, 9]]");
}

TEST_CASE("maximum and minimum return NaN when either operand is NaN", "[tensor][elementwise]") {
    Tensor<double, Shape<4>> a{std::nan(""), 1.0, std::nan(""), 2.0}, b{1.0, std::nan(""), std::nan(""), 3.0};
    auto mx = maximum(a, b), mn = minimum(a, b);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(std::isnan(mx[i]));
        CHECK(std::isnan(mn[i]));
    }
    CHECK(mx[3] == 3.0);
    CHECK(mn[3] == 2.0);
}

TEST_CASE("map applies any function elementwise", "[tensor][elementwise]") {
    Tensor<int, Shape<2, 2>> a{{1, 2}, {3, 4}};
    auto m = map(a, [](int x) { return x * x + 1; });
    STATIC_REQUIRE(std::is_same_v<decltype(m), Tensor<int, Shape<2, 2>>>);
    CHECK(to_string(m) == "[[2, 5], [10, 17]]");
}

TEST_CASE("cast converts each element with static_cast semantics", "[tensor][elementwise]") {
    Tensor<float, Shape<4>> f{1.9f, -1.9f, 0.5f, 255.f};
    auto i = cast<std::int32_t>(f);
    STATIC_REQUIRE(std::is_same_v<decltype(i), Tensor<std::int32_t, Shape<4>>>);
    CHECK(to_string(i) == "[1, -1, 0, 255]");
    auto u = cast<std::uint8_t>(Tensor<int, Shape<2>>{255, 7});
    CHECK(to_string(u) == "[255, 7]");
    auto d = cast<double>(Tensor<float, Shape<1>>{0.1f});
    CHECK(d(0) == static_cast<double>(0.1f));
}

TEST_CASE("elementwise ops leave their operands unchanged", "[tensor][elementwise]") {
    Tensor<float, Shape<2, 2>> a{{1, 2}, {3, 4}}, b{{5, 6}, {7, 8}};
    const auto a0 = a, b0 = b;
    (void)(a + b);
    (void)(a / b);
    (void)exp(a);
    (void)maximum(a, b);
    CHECK(array_equal(a, a0));
    CHECK(array_equal(b, b0));
}
