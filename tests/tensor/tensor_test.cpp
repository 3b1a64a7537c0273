// SPDX-License-Identifier: MIT
// tests/tensor/tensor_test.cpp: Tensor<T, S> construction, element access, value semantics, reshape, transpose.
#include <catch2/catch.hpp>
#include <graft/tensor.hpp>

#include <array>
#include <cstdint>
#include <list>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using namespace graft;

namespace {
bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }
}  // namespace

TEST_CASE("the seed's 2x2 addition gives [[6, 8], [10, 12]]", "[tensor]") {
    Tensor<float, Shape<2, 2>> x{{1, 2}, {3, 4}}, y{{5, 6}, {7, 8}};
    CHECK(to_string(x + y) == "[[6, 8], [10, 12]]");
}

TEMPLATE_TEST_CASE("a default-constructed tensor is all zeros in 64-byte aligned storage", "[tensor]", float, double,
                   std::int32_t, std::uint8_t) {
    Tensor<TestType, Shape<3, 5>> t;
    CHECK(aligned64(t.data()));
    for (auto v : t) CHECK(v == TestType(0));
    STATIC_REQUIRE(t.size() == 15);
    STATIC_REQUIRE(t.rank == 2);
    STATIC_REQUIRE(t.dtype() == dtype_of<TestType>);
    STATIC_REQUIRE(t.dims() == std::array<std::size_t, 2>{3, 5});
}

TEST_CASE("nested initializer lists fill in row-major order", "[tensor]") {
    Tensor<int, Shape<2, 3>> t{{1, 2, 3}, {4, 5, 6}};
    const std::array<int, 6> flat{1, 2, 3, 4, 5, 6};
    for (std::size_t i = 0; i < 6; ++i) CHECK(t.data()[i] == flat[i]);
    CHECK(t(0, 0) == 1);
    CHECK(t(0, 2) == 3);
    CHECK(t(1, 0) == 4);
    CHECK(t(1, 2) == 6);
}

TEST_CASE("a rank-3 initializer list maps t(i,j,k) to i*12 + j*4 + k", "[tensor]") {
    Tensor<double, Shape<2, 3, 4>> t{{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}},
                                     {{12, 13, 14, 15}, {16, 17, 18, 19}, {20, 21, 22, 23}}};
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            for (std::size_t k = 0; k < 4; ++k) CHECK(t(i, j, k) == double(i * 12 + j * 4 + k));
}

TEST_CASE("an initializer list with the wrong number of entries throws graft::Error naming the depth", "[tensor]") {
    using T23 = Tensor<float, Shape<2, 3>>;
    CHECK_THROWS_AS((T23{{1, 2, 3}}), Error);                    // too few rows
    CHECK_THROWS_AS((T23{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}), Error);  // too many rows
    CHECK_THROWS_AS((T23{{1, 2, 3}, {4, 5}}), Error);            // short row
    CHECK_THROWS_AS((T23{{1, 2, 3, 4}, {4, 5, 6}}), Error);      // long row
    CHECK_THROWS_AS((Tensor<int, Shape<3>>{1, 2}), Error);
    CHECK_THROWS_AS((Tensor<int, Shape<3>>{1, 2, 3, 4}), Error);
    try {
        T23 t{{1, 2, 3}, {4, 5}};
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.where() == "Tensor(initializer list)");
        CHECK(e.expected() == "3 entries at depth 1 of Shape<2,3>");
        CHECK(e.found() == "2");
    }
    try {
        T23 t{{1, 2, 3}};
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.expected() == "2 entries at depth 0 of Shape<2,3>");
        CHECK(e.found() == "1");
    }
}

TEST_CASE("a rank-0 tensor holds one value and converts from a scalar", "[tensor]") {
    Tensor<float, Shape<>> s{3.5f};
    CHECK(s.item() == 3.5f);
    CHECK(s() == 3.5f);
    s() = -1.f;
    CHECK(s.item() == -1.f);
    Tensor<double, Shape<>> d = 2.0;
    CHECK(d.item() == 2.0);
    Tensor<int, Shape<1, 1>> one{{7}};
    CHECK(one.item() == 7);
}

TEST_CASE("from_range copies exactly S::size elements and rejects any other count", "[tensor]") {
    const std::vector<int> v{1, 2, 3, 4, 5, 6};
    auto t = Tensor<float, Shape<3, 2>>::from_range(v);
    CHECK(t(0, 0) == 1.f);
    CHECK(t(2, 1) == 6.f);
    const std::list<double> l{0.5, 1.5};
    auto u = Tensor<double, Shape<2>>::from_range(l);
    CHECK(u(1) == 1.5);
    CHECK_THROWS_AS((Tensor<float, Shape<7>>::from_range(v)), Error);
    CHECK_THROWS_AS((Tensor<float, Shape<5>>::from_range(v)), Error);
    try {
        (void)Tensor<float, Shape<7>>::from_range(v);
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.expected() == "7 elements for Shape<7>");
        CHECK(e.found() == "6");
    }
    auto empty = Tensor<float, Shape<0>>::from_range(std::vector<float>{});
    CHECK(empty.size() == 0);
}

TEST_CASE("operator[] indexes the flat row-major storage", "[tensor]") {
    Tensor<int, Shape<2, 2>> t{{1, 2}, {3, 4}};
    CHECK(t[0] == 1);
    CHECK(t[3] == 4);
    t[2] = 30;
    CHECK(t(1, 0) == 30);
    const auto& c = t;
    CHECK(c[2] == 30);
    CHECK(c(1, 0) == 30);
}

#ifndef NDEBUG
TEST_CASE("out-of-bounds element access throws graft::Error in debug builds", "[tensor]") {
    Tensor<float, Shape<2, 3>> t;
    CHECK_THROWS_AS(t(2, 0), Error);
    CHECK_THROWS_AS(t(0, 3), Error);
    CHECK_THROWS_AS(t(0, -1), Error);
    CHECK_THROWS_AS(t[6], Error);
    CHECK_NOTHROW(t(1, 2));
    CHECK_NOTHROW(t[5]);
    const auto& c = t;
    CHECK_THROWS_AS(c(5, 5), Error);
    try {
        (void)t(0, 3);
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.expected() == "index 1 below 3 for Shape<2,3>");
        CHECK(e.found() == "3");
    }
    Tensor<float, Shape<0, 3>> empty;
    CHECK_THROWS_AS(empty(0, 0), Error);
}
#endif

TEST_CASE("fill sets every element", "[tensor]") {
    Tensor<double, Shape<4, 3>> t;
    t.fill(2.5);
    for (auto v : t) CHECK(v == 2.5);
    CHECK(&t.fill(1.0) == &t);
}

TEST_CASE("flat() spans all elements in order", "[tensor]") {
    Tensor<int, Shape<2, 3>> t{{1, 2, 3}, {4, 5, 6}};
    auto f = t.flat();
    REQUIRE(f.size() == 6);
    CHECK(f.data() == t.data());
    CHECK(f[4] == 5);
    f[4] = 50;
    CHECK(t(1, 1) == 50);
}

TEST_CASE("copying a tensor is deep", "[tensor]") {
    Tensor<float, Shape<2, 2>> a{{1, 2}, {3, 4}};
    Tensor<float, Shape<2, 2>> b = a;
    CHECK(b.data() != a.data());
    b(0, 0) = 100;
    CHECK(a(0, 0) == 1.f);
    Tensor<float, Shape<2, 2>> c;
    c = a;
    c(1, 1) = -4;
    CHECK(a(1, 1) == 4.f);
    CHECK(c(0, 1) == 2.f);
}

TEST_CASE("moving a tensor transfers its storage and the source can be assigned again", "[tensor]") {
    Tensor<float, Shape<2, 3>> a{{1, 2, 3}, {4, 5, 6}};
    const float* p = a.data();
    Tensor<float, Shape<2, 3>> b = std::move(a);
    CHECK(b.data() == p);  // no copy
    CHECK(b(1, 2) == 6.f);
    a = b;  // NOLINT(bugprone-use-after-move): reusing a moved-from tensor is what is tested
    REQUIRE(a.data() != nullptr);
    CHECK(a.data() != b.data());
    CHECK(a(1, 2) == 6.f);
    a(0, 0) = 9;
    CHECK(b(0, 0) == 1.f);
    Tensor<float, Shape<2, 3>> c;
    c = std::move(b);
    CHECK(c.data() == p);
    b = Tensor<float, Shape<2, 3>>{{7, 7, 7}, {7, 7, 7}};  // NOLINT(bugprone-use-after-move)
    CHECK(b(1, 1) == 7.f);
    CHECK(aligned64(b.data()));
}

TEST_CASE("tensors are regular values that live in standard containers", "[tensor]") {
    std::vector<Tensor<int, Shape<2>>> v;
    for (int i = 0; i < 20; ++i) v.push_back(Tensor<int, Shape<2>>{i, -i});  // forces reallocations
    for (int i = 0; i < 20; ++i) {
        CHECK(v[std::size_t(i)](0) == i);
        CHECK(v[std::size_t(i)](1) == -i);
    }
    STATIC_REQUIRE(std::is_nothrow_move_constructible_v<Tensor<int, Shape<2>>>);
}

TEST_CASE("reshape keeps the row-major elements and returns an independent copy", "[tensor]") {
    Tensor<int, Shape<2, 3>> t{{1, 2, 3}, {4, 5, 6}};
    auto r = t.reshape<3, 2>();
    STATIC_REQUIRE(std::is_same_v<decltype(r), Tensor<int, Shape<3, 2>>>);
    CHECK(r(0, 0) == 1);
    CHECK(r(0, 1) == 2);
    CHECK(r(1, 0) == 3);
    CHECK(r(2, 1) == 6);
    auto v = t.reshape<Shape<6>>();
    STATIC_REQUIRE(std::is_same_v<decltype(v), Tensor<int, Shape<6>>>);
    for (std::size_t i = 0; i < 6; ++i) CHECK(v(i) == int(i + 1));
    v(0) = 100;
    CHECK(t(0, 0) == 1);
    auto s = Tensor<float, Shape<>>{4.f}.reshape<1, 1, 1>();
    CHECK(s(0, 0, 0) == 4.f);
}

TEST_CASE("transpose of a matrix swaps rows and columns", "[tensor]") {
    Tensor<int, Shape<2, 3>> t{{1, 2, 3}, {4, 5, 6}};
    auto u = t.transpose();
    STATIC_REQUIRE(std::is_same_v<decltype(u), Tensor<int, Shape<3, 2>>>);
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j) CHECK(u(j, i) == t(i, j));
}

TEST_CASE("transpose of a 70x45 matrix is right across the cache blocks", "[tensor]") {
    Tensor<float, Shape<70, 45>> t;
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = float(i);
    auto u = t.transpose();
    bool ok = true;
    for (std::size_t i = 0; i < 70; ++i)
        for (std::size_t j = 0; j < 45; ++j) ok = ok && u(j, i) == float(i * 45 + j);
    CHECK(ok);
}

TEST_CASE("transpose of a rank-3 tensor reverses all axes", "[tensor]") {
    Tensor<double, Shape<2, 3, 4>> t;
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = double(i);
    auto u = t.transpose();
    STATIC_REQUIRE(std::is_same_v<decltype(u), Tensor<double, Shape<4, 3, 2>>>);
    bool ok = true;
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            for (std::size_t k = 0; k < 4; ++k) ok = ok && u(k, j, i) == t(i, j, k);
    CHECK(ok);
    auto back = u.transpose();
    CHECK(array_equal(back, t));
}

TEST_CASE("transpose of a rank-4 tensor reverses all axes", "[tensor]") {
    Tensor<int, Shape<2, 3, 1, 5>> t;
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = int(i);
    auto u = t.transpose();
    STATIC_REQUIRE(std::is_same_v<decltype(u), Tensor<int, Shape<5, 1, 3, 2>>>);
    bool ok = true;
    for (std::size_t a = 0; a < 2; ++a)
        for (std::size_t b = 0; b < 3; ++b)
            for (std::size_t d = 0; d < 5; ++d) ok = ok && u(d, 0, b, a) == t(a, b, 0, d);
    CHECK(ok);
}

TEST_CASE("transpose of a vector, a scalar or an empty matrix is a plain copy", "[tensor]") {
    Tensor<int, Shape<3>> v{1, 2, 3};
    CHECK(array_equal(v.transpose(), v));
    Tensor<int, Shape<>> s{5};
    CHECK(s.transpose().item() == 5);
    Tensor<int, Shape<0, 4>> e;
    STATIC_REQUIRE(std::is_same_v<decltype(e.transpose()), Tensor<int, Shape<4, 0>>>);
}

TEST_CASE("a zero-size tensor has no elements to visit", "[tensor]") {
    Tensor<float, Shape<0, 3>> t;
    CHECK(t.size() == 0);
    CHECK(t.begin() == t.end());
    t.fill(1.f);  // nothing to do, nothing to crash
    CHECK(t.flat().empty());
}

TEST_CASE("is_tensor recognises owning tensors only", "[tensor]") {
    STATIC_REQUIRE(is_tensor<Tensor<float, Shape<2>>>::value);
    STATIC_REQUIRE_FALSE(is_tensor<TensorView<float, Shape<2>>>::value);
    STATIC_REQUIRE_FALSE(is_tensor<float>::value);
}
