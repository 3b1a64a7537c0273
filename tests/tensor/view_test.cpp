// SPDX-License-Identifier: MIT
// tests/tensor/view_test.cpp: TensorView<T, S>, a typed non-owning window on contiguous data.
#include <catch2/catch.hpp>
#include <graft/tensor.hpp>

#include <array>
#include <type_traits>
#include <vector>

using namespace graft;

TEST_CASE("a view of a tensor shares its storage in both directions", "[tensor][view]") {
    Tensor<float, Shape<2, 3>> t{{1, 2, 3}, {4, 5, 6}};
    auto v = t.view();
    STATIC_REQUIRE(std::is_same_v<decltype(v), TensorView<float, Shape<2, 3>>>);
    CHECK(v.data() == t.data());
    CHECK(v(1, 2) == 6.f);
    v(0, 1) = 20;
    CHECK(t(0, 1) == 20.f);
    t(1, 0) = 40;
    CHECK(v(1, 0) == 40.f);
    v[5] = 60;
    CHECK(t[5] == 60.f);
}

TEST_CASE("a view of a const tensor is read-only", "[tensor][view]") {
    const Tensor<int, Shape<3>> t{1, 2, 3};
    auto v = t.view();
    STATIC_REQUIRE(std::is_same_v<decltype(v), TensorView<const int, Shape<3>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(v(0)), const int&>);
    STATIC_REQUIRE(std::is_same_v<decltype(v.data()), const int*>);
    CHECK(v(2) == 3);
}

TEST_CASE("a mutable view converts to a read-only one, not the other way", "[tensor][view]") {
    Tensor<double, Shape<2>> t{1.5, 2.5};
    TensorView<const double, Shape<2>> c = t.view();
    CHECK(c(1) == 2.5);
    STATIC_REQUIRE(std::is_convertible_v<TensorView<double, Shape<2>>, TensorView<const double, Shape<2>>>);
    STATIC_REQUIRE_FALSE(std::is_convertible_v<TensorView<const double, Shape<2>>, TensorView<double, Shape<2>>>);
}

TEST_CASE("a view gives external memory a shape", "[tensor][view]") {
    std::vector<int> buf{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    TensorView<int, Shape<3, 4>> v(buf.data());
    STATIC_REQUIRE(v.size() == 12);
    STATIC_REQUIRE(v.dims() == std::array<std::size_t, 2>{3, 4});
    CHECK(v(2, 1) == 9);
    v(0, 0) = -5;
    CHECK(buf[0] == -5);
    auto f = v.flat();
    CHECK(f.size() == 12);
    CHECK(f.data() == buf.data());
    int s = 0;
    for (int x : v) s += x;
    CHECK(s == 66 - 5);
}

TEST_CASE("to_tensor makes an independent owning copy", "[tensor][view]") {
    std::array<float, 4> buf{1, 2, 3, 4};
    TensorView<const float, Shape<2, 2>> v(buf.data());
    auto t = v.to_tensor();
    STATIC_REQUIRE(std::is_same_v<decltype(t), Tensor<float, Shape<2, 2>>>);
    CHECK(t.data() != buf.data());
    CHECK(t(1, 0) == 3.f);
    t(1, 0) = 30;
    CHECK(buf[2] == 3.f);
}

TEST_CASE("item() reads a one-element view", "[tensor][view]") {
    double x = 4.25;
    TensorView<double, Shape<>> v(&x);
    CHECK(v.item() == 4.25);
    TensorView<double, Shape<1, 1>> w(&x);
    CHECK(w.item() == 4.25);
}

TEST_CASE("eager math accepts views next to tensors", "[tensor][view]") {
    Tensor<float, Shape<2, 2>> a{{1, 2}, {3, 4}}, b{{10, 20}, {30, 40}};
    std::array<float, 2> row{100, 200};
    TensorView<const float, Shape<2>> r(row.data());
    CHECK(to_string(a.view() + b) == "[[11, 22], [33, 44]]");
    CHECK(to_string(a + r) == "[[101, 202], [103, 204]]");
    CHECK(sum(a.view()) == 10.f);
    CHECK(to_string(matmul(a.view(), b.view())) == "[[70, 100], [150, 220]]");
    CHECK(dot(r, r) == 50000.f);
    CHECK(allclose(a.view(), a));
}

#ifndef NDEBUG
TEST_CASE("out-of-bounds access through a view throws graft::Error in debug builds", "[tensor][view]") {
    Tensor<int, Shape<2, 2>> t;
    auto v = t.view();
    CHECK_THROWS_AS(v(2, 0), Error);
    CHECK_THROWS_AS(v(0, 2), Error);
    CHECK_THROWS_AS(v[4], Error);
    CHECK_NOTHROW(v(1, 1));
}
#endif
