// SPDX-License-Identifier: MIT
// tests/tensor/compare_test.cpp: allclose (NumPy semantics: |a - b| <= atol + rtol * |b|, NaN unequal unless
// equal_nan, infinities equal only to themselves), array_equal and max_abs_diff.
#include <catch2/catch.hpp>
#include <graft/tensor.hpp>

#include <cmath>
#include <limits>

#include "support/floats.hpp"

using namespace graft;

namespace {
const double nan_ = std::nan("");
using V1 = Tensor<double, Shape<1>>;
bool close1(double a, double b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false) {
    return allclose(V1{a}, V1{b}, rtol, atol, equal_nan);
}
}  // namespace

TEST_CASE("allclose accepts differences within atol + rtol * |b| and rejects larger ones", "[tensor][compare]") {
    CHECK(close1(100.0, 100.0009));   // 9e-4 <= 1e-8 + 1e-5 * 100.0009
    CHECK_FALSE(close1(100.0, 100.002));
    CHECK(close1(0.0, 5e-9));         // atol alone
    CHECK_FALSE(close1(0.0, 5e-8));
    CHECK(close1(1.0, 1.1, 0.0, 0.1 + 1e-12));
    CHECK_FALSE(close1(1.0, 1.1, 0.0, 0.09));
    CHECK(close1(1.0, 2.0, 0.5, 0.0));
    CHECK_FALSE(close1(1.0, 2.0, 0.49, 0.0));
}

TEST_CASE("allclose is relative to the second argument, as in NumPy", "[tensor][compare]") {
    CHECK(close1(0.0, 1e-3, 1.0, 0.0));
    CHECK_FALSE(close1(1e-3, 0.0, 1.0, 0.0));
}

TEST_CASE("allclose treats NaN as unequal unless equal_nan is set and both are NaN", "[tensor][compare]") {
    CHECK_FALSE(close1(nan_, nan_));
    CHECK(close1(nan_, nan_, 1e-5, 1e-8, true));
    CHECK_FALSE(close1(nan_, 1.0, 1e-5, 1e-8, true));
    CHECK_FALSE(close1(1.0, nan_, 1e-5, 1e-8, true));
    CHECK_FALSE(close1(1.0, nan_, 1e300, 1e300));
}

TEST_CASE("allclose accepts equal infinities only", "[tensor][compare]") {
    CHECK(close1(inf, inf));
    CHECK(close1(-inf, -inf));
    CHECK_FALSE(close1(inf, -inf));
    CHECK_FALSE(close1(inf, 1.0));
    CHECK_FALSE(close1(1.0, inf));   // |1 - inf| <= rtol * inf must not count as close
    CHECK_FALSE(close1(-1e308, -inf, 1.0, 1.0));
}

TEST_CASE("allclose fails if any one element is off, wherever it is", "[tensor][compare]") {
    Tensor<float, Shape<3, 5>> a, b;
    a.fill(1.f);
    b.fill(1.f);
    CHECK(allclose(a, b));
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto c = b;
        c[i] = 1.1f;
        INFO("element " << i);
        CHECK_FALSE(allclose(a, c));
    }
}

TEST_CASE("allclose compares tensors of different element types through double", "[tensor][compare]") {
    Tensor<float, Shape<2>> f{0.1f, 0.2f};
    Tensor<double, Shape<2>> d{0.1, 0.2};
    CHECK(allclose(f, d));
    CHECK_FALSE(allclose(f, d, 0.0, 0.0));
    Tensor<int, Shape<2>> i{1, 2};
    CHECK(allclose(i, Tensor<double, Shape<2>>{1.0, 2.0}, 0.0, 0.0));
}

TEST_CASE("allclose of empty or rank-0 tensors", "[tensor][compare]") {
    CHECK(allclose(Tensor<float, Shape<0, 3>>{}, Tensor<float, Shape<0, 3>>{}));
    CHECK(allclose(Tensor<double, Shape<>>{2.0}, Tensor<double, Shape<>>{2.0}));
    CHECK_FALSE(allclose(Tensor<double, Shape<>>{2.0}, Tensor<double, Shape<>>{2.1}));
}

TEST_CASE("array_equal is exact: -0 equals 0 and NaN equals nothing", "[tensor][compare]") {
    CHECK(array_equal(Tensor<float, Shape<2>>{-0.f, 1.f}, Tensor<float, Shape<2>>{0.f, 1.f}));
    CHECK_FALSE(array_equal(Tensor<float, Shape<2>>{1.f, 1.f}, Tensor<float, Shape<2>>{1.f, std::nextafter(1.f, 2.f)}));
    CHECK_FALSE(array_equal(V1{nan_}, V1{nan_}));
    CHECK(array_equal(Tensor<int, Shape<2, 2>>{{1, 2}, {3, 4}}, Tensor<int, Shape<2, 2>>{{1, 2}, {3, 4}}));
    CHECK_FALSE(array_equal(Tensor<int, Shape<2, 2>>{{1, 2}, {3, 4}}, Tensor<int, Shape<2, 2>>{{1, 2}, {3, 5}}));
}

TEST_CASE("max_abs_diff is the largest elementwise distance, NaN if any is NaN", "[tensor][compare]") {
    CHECK(max_abs_diff(Tensor<double, Shape<3>>{1, 2, 3}, Tensor<double, Shape<3>>{1.5, 0, 3}) == 2.0);
    CHECK(max_abs_diff(Tensor<double, Shape<3>>{1, 2, 3}, Tensor<double, Shape<3>>{1, 2, 3}) == 0.0);
    CHECK(std::isnan(max_abs_diff(Tensor<double, Shape<3>>{1, nan_, 3}, Tensor<double, Shape<3>>{100, 2, 3})));
    CHECK(std::isnan(max_abs_diff(Tensor<double, Shape<2>>{100, 2}, Tensor<double, Shape<2>>{1, nan_})));
    CHECK(max_abs_diff(Tensor<double, Shape<0>>{}, Tensor<double, Shape<0>>{}) == 0.0);
}
