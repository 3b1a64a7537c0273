// SPDX-License-Identifier: MIT
// tests/tensor/reduce_test.cpp: sum mean max min argmax argmin over everything and over each axis (with and
// without keepdims), compared with loops in double; pairwise-sum accuracy; NaN propagation; empty inputs.
#include <catch2/catch.hpp>
#include <graft/tensor.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/reference.hpp"
#include "support/floats.hpp"

using namespace graft;
using graft_test::randomize;

namespace {
constexpr double dnan = std::numeric_limits<double>::quiet_NaN();

enum class Op { sum, mean, max, min, argmax, argmin };

// The naive reduction of axis `ax` of row-major dims, in double: out has the dims without `ax`.
std::vector<double> naive_reduce(Op op, const std::vector<double>& x, const std::vector<std::size_t>& dims, std::size_t ax) {
    std::size_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < ax; ++i) outer *= dims[i];
    for (std::size_t i = ax + 1; i < dims.size(); ++i) inner *= dims[i];
    const std::size_t n = dims[ax];
    std::vector<double> out(outer * inner);
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < inner; ++i) {
            double acc = op == Op::max ? -INFINITY : op == Op::min ? INFINITY : 0.0;
            std::size_t best = 0;
            for (std::size_t j = 0; j < n; ++j) {
                const double v = x[(o * n + j) * inner + i];
                if (op == Op::sum || op == Op::mean) acc += v;
                if (op == Op::max) acc = std::max(acc, v);
                if (op == Op::min) acc = std::min(acc, v);
                if (op == Op::argmax && v > x[(o * n + best) * inner + i]) best = j;
                if (op == Op::argmin && v < x[(o * n + best) * inner + i]) best = j;
            }
            if (op == Op::mean) acc /= double(n);
            if (op == Op::argmax || op == Op::argmin) acc = double(best);
            out[o * inner + i] = acc;
        }
    return out;
}

template <class X>
std::vector<double> as_doubles(const X& t) {
    std::vector<double> v(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) v[i] = static_cast<double>(t.data()[i]);
    return v;
}

template <class T, std::size_t Axis, bool Keep, ShapeType S>
void check_axis(const Tensor<T, S>& t) {
    const auto x = as_doubles(t);
    const std::vector<std::size_t> dims(S::dims.begin(), S::dims.end());
    using Out = reduce_t<S, Axis, Keep>;
    const double rtol = graft_test::rtol_for<T>();
    INFO(S::name() << " axis " << Axis << (Keep ? " keepdims" : ""));

    auto s = sum<Axis, Keep>(t);
    STATIC_REQUIRE(std::is_same_v<decltype(s), Tensor<T, Out>>);
    CHECK(graft_test::close_to(s.data(), naive_reduce(Op::sum, x, dims, Axis), rtol, rtol));
    if constexpr (FloatElement<T>) {
        auto m = mean<Axis, Keep>(t);
        STATIC_REQUIRE(std::is_same_v<decltype(m), Tensor<T, Out>>);
        CHECK(graft_test::close_to(m.data(), naive_reduce(Op::mean, x, dims, Axis), rtol, rtol));
    }
    auto mx = max<Axis, Keep>(t);
    auto mn = min<Axis, Keep>(t);
    STATIC_REQUIRE(std::is_same_v<decltype(mx), Tensor<T, Out>>);
    CHECK(graft_test::close_to(mx.data(), naive_reduce(Op::max, x, dims, Axis), 0, 0));
    CHECK(graft_test::close_to(mn.data(), naive_reduce(Op::min, x, dims, Axis), 0, 0));
    auto amx = argmax<Axis, Keep>(t);
    auto amn = argmin<Axis, Keep>(t);
    STATIC_REQUIRE(std::is_same_v<decltype(amx), Tensor<std::int32_t, Out>>);
    CHECK(graft_test::close_to(amx.data(), naive_reduce(Op::argmax, x, dims, Axis), 0, 0));
    CHECK(graft_test::close_to(amn.data(), naive_reduce(Op::argmin, x, dims, Axis), 0, 0));
}

template <class T, ShapeType S>
void check_every_axis(std::uint64_t seed) {
    Tensor<T, S> t;
    randomize(t, seed, -1000, 1000);
    [&]<std::size_t... A>(std::index_sequence<A...>) {
        (check_axis<T, A, false>(t), ...);
        (check_axis<T, A, true>(t), ...);
    }(std::make_index_sequence<S::rank>{});
}
}  // namespace

TEMPLATE_TEST_CASE("reductions over each axis of a rank-3 tensor match the naive loops", "[tensor][reduce]", float,
                   double, std::int32_t) {
    check_every_axis<TestType, Shape<4, 5, 6>>(1);
}

TEMPLATE_TEST_CASE("reductions over each axis of matrices, vectors and size-1 dims match the naive loops",
                   "[tensor][reduce]", float, double, std::int32_t) {
    check_every_axis<TestType, Shape<7, 3>>(2);
    check_every_axis<TestType, Shape<300>>(3);
    check_every_axis<TestType, Shape<1, 9>>(4);
    check_every_axis<TestType, Shape<9, 1>>(5);
    check_every_axis<TestType, Shape<2, 1, 3, 257>>(6);
}

TEMPLATE_TEST_CASE("whole-tensor reductions match the naive loops", "[tensor][reduce]", float, double, std::int32_t) {
    using T = TestType;
    Tensor<T, Shape<37, 29>> t;
    randomize(t, 7, -1000, 1000);
    double s = 0, mx = -INFINITY, mn = INFINITY;
    std::size_t amx = 0, amn = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const double v = static_cast<double>(t[i]);
        s += v;
        if (v > mx) mx = v, amx = i;
        if (v < mn) mn = v, amn = i;
    }
    STATIC_REQUIRE(std::is_same_v<decltype(sum(t)), T>);
    CHECK(static_cast<double>(sum(t)) == Approx(s).epsilon(graft_test::rtol_for<T>()).margin(graft_test::rtol_for<T>()));
    CHECK(static_cast<double>(max(t)) == mx);
    CHECK(static_cast<double>(min(t)) == mn);
    CHECK(argmax(t) == amx);
    CHECK(argmin(t) == amn);
    if constexpr (FloatElement<T>)
        CHECK(static_cast<double>(mean(t)) == Approx(s / double(t.size())).epsilon(graft_test::rtol_for<T>()));
}

TEST_CASE("reducing the only axis of a vector gives a rank-0 tensor, or Shape<1> with keepdims", "[tensor][reduce]") {
    Tensor<int, Shape<4>> v{3, -1, 7, 2};
    auto s = sum<0>(v);
    STATIC_REQUIRE(std::is_same_v<decltype(s), Tensor<int, Shape<>>>);
    CHECK(s.item() == 11);
    auto k = max<0, true>(v);
    STATIC_REQUIRE(std::is_same_v<decltype(k), Tensor<int, Shape<1>>>);
    CHECK(k(0) == 7);
    CHECK(argmin<0>(v).item() == 1);
}

TEST_CASE("sum and mean over axes of a small matrix give the textbook values", "[tensor][reduce]") {
    Tensor<double, Shape<2, 3>> t{{1, 2, 3}, {4, 5, 6}};
    CHECK(to_string(sum<0>(t)) == "[5, 7, 9]");
    CHECK(to_string(sum<1>(t)) == "[6, 15]");
    CHECK(to_string(sum<0, true>(t)) == "[[5, 7, 9]]");
    CHECK(to_string(sum<1, true>(t)) == "[[6], [15]]");
    CHECK(to_string(mean<0>(t)) == "[2.5, 3.5, 4.5]");
    CHECK(to_string(mean<1>(t)) == "[2, 5]");
    CHECK(sum(t) == 21.0);
    CHECK(mean(t) == 3.5);
}

TEST_CASE("the sum of 1e6 floats is pairwise-accurate against a double sum", "[tensor][reduce]") {
    // A plain float loop over 1e6 copies of 0.1f ends near 100958 (1% off); pairwise summation stays within
    // O(log n) ulps of the exact 100000.0015.
    Tensor<float, Shape<1000000>> t;
    t.fill(0.1f);
    const double exact = 1e6 * static_cast<double>(0.1f);
    CHECK(std::fabs(static_cast<double>(sum(t)) - exact) <= 1e-6 * exact);
    CHECK(std::fabs(static_cast<double>(mean(t)) - static_cast<double>(0.1f)) <= 1e-6 * 0.1);
    CHECK(std::fabs(static_cast<double>(sum<0>(t).item()) - exact) <= 1e-6 * exact);

    Tensor<float, Shape<1000000>> u;
    randomize(u, 99, 0, 1);
    double ref = 0;
    for (float v : u) ref += static_cast<double>(v);
    CHECK(std::fabs(static_cast<double>(sum(u)) - ref) <= 1e-6 * ref);
}

TEST_CASE("column sums of a tall float matrix are as accurate as whole sums", "[tensor][reduce]") {
    // sum<0> of Shape<N, 4> reduces a strided axis; it must be pairwise too, not a running float total.
    Tensor<float, Shape<250000, 4>> t;
    t.fill(0.1f);
    const double exact = 250000.0 * static_cast<double>(0.1f);
    auto s = sum<0>(t);
    auto m = mean<0>(t);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(std::fabs(static_cast<double>(s(i)) - exact) <= 1e-6 * exact);
        CHECK(std::fabs(static_cast<double>(m(i)) - static_cast<double>(0.1f)) <= 1e-6 * 0.1);
    }
    Tensor<float, Shape<2, 300000>> r;  // row sums: contiguous axis
    r.fill(0.1f);
    auto rs = sum<1>(r);
    CHECK(std::fabs(static_cast<double>(rs(1)) - 300000.0 * static_cast<double>(0.1f)) <= 1e-6 * 30000.0);
}

TEST_CASE("alternating large values cancel exactly in a sum", "[tensor][reduce]") {
    Tensor<double, Shape<1000>> t;
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = (i % 2 ? -1e15 : 1e15);
    CHECK(sum(t) == 0.0);
    Tensor<float, Shape<4>> f{1e8f, 1.f, -1e8f, 1.f};
    const float fs = sum(f);  // the exact answer is 2; a float order may lose one of the 1s, never more
    CHECK((fs == 1.f || fs == 2.f));
}

TEST_CASE("max and min of a tensor with NaN are NaN wherever the NaN sits", "[tensor][reduce]") {
    for (std::size_t pos : {0u, 1u, 5u, 9u}) {
        Tensor<float, Shape<10>> t;
        for (std::size_t i = 0; i < 10; ++i) t[i] = float(i);
        t[pos] = fnan;
        INFO("NaN at " << pos);
        CHECK(std::isnan(max(t)));
        CHECK(std::isnan(min(t)));
        CHECK(argmax(t) == pos);
        CHECK(argmin(t) == pos);
        CHECK(std::isnan(sum(t)));
    }
}

TEST_CASE("argmax and argmin return the first NaN when there are several", "[tensor][reduce]") {
    Tensor<double, Shape<5>> t{1.0, dnan, 3.0, dnan, 0.0};
    CHECK(argmax(t) == 1);
    CHECK(argmin(t) == 1);
}

TEST_CASE("axis max/min/argmax propagate NaN only into the slice that holds it", "[tensor][reduce]") {
    Tensor<double, Shape<3, 3>> t{{1, 2, 3}, {4, dnan, 6}, {7, 8, 9}};
    auto c = max<0>(t);
    CHECK(c(0) == 7.0);
    CHECK(std::isnan(c(1)));
    CHECK(c(2) == 9.0);
    auto r = min<1>(t);
    CHECK(r(0) == 1.0);
    CHECK(std::isnan(r(1)));
    CHECK(r(2) == 7.0);
    CHECK(to_string(argmax<1>(t)) == "[2, 1, 2]");
    CHECK(to_string(argmin<0>(t)) == "[0, 1, 0]");
    Tensor<double, Shape<2, 2>> first{{dnan, 5}, {1, 2}};  // NaN in the first position of the slice
    CHECK(std::isnan(max<1>(first)(0)));
    CHECK(std::isnan(min<0>(first)(0)));
    CHECK(to_string(argmax<1>(first)) == "[0, 1]");
}

TEST_CASE("ties go to the first index, infinities compare normally", "[tensor][reduce]") {
    Tensor<float, Shape<5>> t{2, 5, 5, -1, -1};
    CHECK(argmax(t) == 1);
    CHECK(argmin(t) == 3);
    const float inf = std::numeric_limits<float>::infinity();
    Tensor<float, Shape<3>> i{-inf, -inf, -inf};
    CHECK(max(i) == -inf);
    CHECK(argmax(i) == 0);
    Tensor<float, Shape<3>> j{1, inf, -inf};
    CHECK(max(j) == inf);
    CHECK(min(j) == -inf);
    CHECK(argmin(j) == 2);
}

TEST_CASE("integer reductions are exact", "[tensor][reduce]") {
    Tensor<std::int32_t, Shape<2, 3>> t{{-5, 7, 2}, {100000, -3, 0}};
    CHECK(sum(t) == 100001);
    CHECK(max(t) == 100000);
    CHECK(min(t) == -5);
    CHECK(to_string(sum<0>(t)) == "[99995, 4, 2]");
    CHECK(to_string(max<1>(t)) == "[7, 100000]");
    CHECK(to_string(argmax<0>(t)) == "[1, 0, 0]");
}

TEST_CASE("whole-tensor max, min, argmax and argmin of an empty tensor throw graft::Error", "[tensor][reduce]") {
    Tensor<float, Shape<0>> e;
    Tensor<int, Shape<2, 0>> e2;
    CHECK_THROWS_AS(max(e), Error);
    CHECK_THROWS_AS(min(e), Error);
    CHECK_THROWS_AS(argmax(e), Error);
    CHECK_THROWS_AS(argmin(e2), Error);
    try {
        (void)max(e2);
        FAIL("no exception");
    } catch (const Error& err) {
        CHECK(err.expected() == "a non-empty tensor");
        CHECK(err.found() == "Shape<2,0>");
    }
}

TEST_CASE("max, min, argmax and argmin over an empty axis throw graft::Error", "[tensor][reduce]") {
    Tensor<float, Shape<0, 3>> t;
    CHECK_THROWS_AS(max<0>(t), Error);
    CHECK_THROWS_AS(min<0>(t), Error);
    CHECK_THROWS_AS(argmax<0>(t), Error);
    CHECK_THROWS_AS((argmin<0, true>(t)), Error);
    Tensor<int, Shape<3, 0>> u;
    CHECK_THROWS_AS(max<1>(u), Error);
    CHECK_THROWS_AS(argmax<1>(u), Error);
    try {
        (void)min<1>(u);
        FAIL("no exception");
    } catch (const Error& err) {
        CHECK(err.expected() == "a non-empty reduction axis");
        CHECK(err.found() == "Shape<3,0>");
    }
}

TEST_CASE("reducing a non-empty axis of an empty tensor gives an empty result, not an error", "[tensor][reduce]") {
    Tensor<float, Shape<0, 3>> t;
    auto m = max<1>(t);
    STATIC_REQUIRE(std::is_same_v<decltype(m), Tensor<float, Shape<0>>>);
    CHECK(argmax<1>(t).size() == 0);
    Tensor<float, Shape<3, 0>> u;
    CHECK(max<0>(u).size() == 0);
}

TEST_CASE("sum over an empty axis is 0 and mean is NaN, like NumPy", "[tensor][reduce]") {
    Tensor<float, Shape<0, 3>> t;
    CHECK(to_string(sum<0>(t)) == "[0, 0, 0]");
    auto m = mean<0>(t);
    for (float v : m) CHECK(std::isnan(v));
    CHECK(sum(t) == 0.f);
    CHECK(std::isnan(mean(t)));
    Tensor<int, Shape<2, 0>> u;
    CHECK(to_string(sum<1, true>(u)) == "[[0], [0]]");
}

TEST_CASE("reductions of a rank-0 tensor return its value", "[tensor][reduce]") {
    Tensor<double, Shape<>> s{-2.5};
    CHECK(sum(s) == -2.5);
    CHECK(mean(s) == -2.5);
    CHECK(max(s) == -2.5);
    CHECK(min(s) == -2.5);
    CHECK(argmax(s) == 0);
}

TEST_CASE("reductions do not modify their input", "[tensor][reduce]") {
    Tensor<float, Shape<3, 4>> t;
    randomize(t, 12);
    const auto copy = t;
    (void)sum<0>(t);
    (void)max<1>(t);
    (void)argmin<0>(t);
    (void)mean(t);
    CHECK(array_equal(t, copy));
}
