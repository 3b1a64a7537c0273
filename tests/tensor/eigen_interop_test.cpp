// SPDX-License-Identifier: MIT
// tests/tensor/eigen_interop_test.cpp: as_eigen(t) maps a tensor's storage as an Eigen vector or row-major
// matrix, without a copy; writes go through, const tensors give read-only maps.
#include <catch2/catch.hpp>
#include <graft/tensor.hpp>

#include <type_traits>

#include "support/reference.hpp"

using namespace graft;

TEST_CASE("a rank-1 tensor maps to an Eigen column vector over the same memory", "[tensor][eigen]") {
    auto t = arange<double, Shape<37>>(1.0);  // 1..37; GCC 12 -O3 warns falsely on Eigen reductions of tiny maps
    auto v = as_eigen(t);
    CHECK(v.rows() == 37);
    CHECK(v.cols() == 1);
    CHECK(v.data() == t.data());
    CHECK(v.sum() == 703.0);
    CHECK(v.squaredNorm() == 17575.0);
    v *= 2.0;
    CHECK(t(36) == 74.0);
    CHECK(t(0) == 2.0);
}

TEST_CASE("a rank-2 tensor maps to a row-major Eigen matrix", "[tensor][eigen]") {
    Tensor<float, Shape<2, 3>> t{{1, 2, 3}, {4, 5, 6}};
    auto m = as_eigen(t);
    CHECK(m.rows() == 2);
    CHECK(m.cols() == 3);
    CHECK(m(0, 2) == 3.f);
    CHECK(m(1, 0) == 4.f);
    m(1, 2) = 60.f;
    CHECK(t(1, 2) == 60.f);
    STATIC_REQUIRE(std::decay_t<decltype(m)>::IsRowMajor);
}

TEST_CASE("a const tensor maps read-only", "[tensor][eigen]") {
    const Tensor<float, Shape<2, 2>> t{{1, 2}, {3, 4}};
    auto m = as_eigen(t);
    STATIC_REQUIRE(std::is_same_v<decltype(m.data()), const float*>);
    CHECK(m.trace() == 5.f);
}

TEST_CASE("views map like tensors", "[tensor][eigen]") {
    Tensor<int, Shape<3, 2>> t{{1, 2}, {3, 4}, {5, 6}};
    auto v = t.view();
    auto m = as_eigen(v);
    CHECK(m.data() == t.data());
    m(2, 1) = 0;
    CHECK(t(2, 1) == 0);
}

TEST_CASE("Eigen's product of mapped tensors agrees with matmul and the naive loop", "[tensor][eigen]") {
    Tensor<double, Shape<5, 7>> a;
    Tensor<double, Shape<7, 3>> b;
    graft_test::randomize(a, 1);
    graft_test::randomize(b, 2);
    Tensor<double, Shape<5, 3>> c;
    as_eigen(c).noalias() = as_eigen(a) * as_eigen(b);
    CHECK(allclose(c, matmul(a, b), 1e-13, 1e-13));
    CHECK(graft_test::close_to(c.data(), graft_test::naive_matmul(a.data(), b.data(), 5, 7, 3), 0, 1e-13));
}
