// SPDX-License-Identifier: MIT
// tests/tensor/blas_test.cpp: blas::gemm, the one BLAS seam, called directly (TESTING.md Z1, Z2).
// Every backend (cblas when compiled in, Eigen, automatic) against the naive double triple loop, with the
// reference-BLAS error ratio (< 16); alpha in {0, 1, 0.7}, beta in {0, 1, 1.3}; beta == 0 ignores NaN in C;
// alpha == 0 reads neither A nor B; k == 0 and m or n == 0; leading dims larger than the matrix.
#include <catch2/catch.hpp>
#include <graft/tensor.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "support/reference.hpp"

using namespace graft;
using blas::Backend;

namespace {
std::vector<Backend> backends() {
    std::vector<Backend> b{Backend::eigen, Backend::automatic};
    if (blas::has_cblas) b.push_back(Backend::cblas);
    return b;
}

template <class T>
constexpr T qnan = std::numeric_limits<T>::quiet_NaN();

// Runs one gemm on fresh random operands (stored with leading dims ld = cols + pad) and returns the
// BLAS error ratio against the naive reference; entries of C outside the m x n window must be untouched.
template <class T>
double gemm_ratio(Backend be, bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, double alpha, double beta,
                  std::size_t pad, bool nan_c, std::uint64_t seed, bool& padding_intact) {
    const std::size_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
    const std::size_t lda = ac + pad, ldb = bc + pad, ldc = n + pad;
    std::vector<T> a(ar * lda + 1), b(br * ldb + 1), c(m * ldc + 1);
    graft_test::fill_random(a.data(), a.size(), seed);
    graft_test::fill_random(b.data(), b.size(), seed + 1);
    graft_test::fill_random(c.data(), c.size(), seed + 2);
    if (nan_c)
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) c[i * ldc + j] = qnan<T>;
    const std::vector<T> c0 = c;
    std::vector<double> ref, scale;
    graft_test::naive_gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc, ref, scale);
    blas::gemm<T>(ta, tb, m, n, k, T(alpha), a.data(), lda, b.data(), ldb, T(beta), c.data(), ldc, be);
    padding_intact = true;
    for (std::size_t i = 0; i < c.size(); ++i) {
        const bool inside = ldc > 0 && i / ldc < m && i % ldc < n;
        if (!inside && !(c[i] == c0[i])) padding_intact = false;
    }
    return graft_test::gemm_error_ratio(c.data(), m, n, ldc, ref, scale);
}

template <class T>
void sweep(const std::vector<std::size_t>& sizes, const std::vector<double>& alphas, const std::vector<double>& betas,
           std::size_t pad, bool nan_c) {
    std::uint64_t seed = 1;
    double worst = 0;
    std::string where;
    bool all_intact = true;
    for (Backend be : backends())
        for (int t = 0; t < 4; ++t)
            for (std::size_t m : sizes)
                for (std::size_t n : sizes)
                    for (std::size_t k : sizes)
                        for (double alpha : alphas)
                            for (double beta : betas) {
                                bool intact = true;
                                const bool ta = t & 1, tb = t & 2;
                                const double r = gemm_ratio<T>(be, ta, tb, m, n, k, alpha, beta, pad, nan_c, seed += 3, intact);
                                all_intact = all_intact && intact;
                                if (r > worst) {
                                    worst = r;
                                    where = std::string(blas::backend_name(be)) + " ta=" + std::to_string(ta) +
                                            " tb=" + std::to_string(tb) + " m=" + std::to_string(m) + " n=" +
                                            std::to_string(n) + " k=" + std::to_string(k) + " alpha=" +
                                            std::to_string(alpha) + " beta=" + std::to_string(beta);
                                }
                            }
    INFO("worst ratio " << worst << " at " << where);
    CHECK(worst < 16.0);
    CHECK(all_intact);
}
}  // namespace

TEMPLATE_TEST_CASE("gemm matches the naive loop for every size combination and transpose, on every backend",
                   "[tensor][blas]", float, double) {
    sweep<TestType>({0, 1, 2, 3, 5, 17, 65}, {0.7}, {1.3}, 0, false);
}

TEMPLATE_TEST_CASE("gemm handles sizes around blocking boundaries (64, 65, 129)", "[tensor][blas]", float, double) {
    using T = TestType;
    const std::size_t shapes[][3] = {{129, 129, 129}, {64, 65, 129}, {129, 1, 64}, {1, 129, 65}, {65, 64, 1}, {128, 2, 127}};
    double worst = 0;
    bool all_intact = true;
    std::uint64_t seed = 7;
    for (Backend be : backends())
        for (int t = 0; t < 4; ++t)
            for (const auto& s : shapes) {
                bool intact = true;
                worst = std::max(worst, gemm_ratio<T>(be, t & 1, t & 2, s[0], s[1], s[2], 1.0, 0.0, 0, false, seed += 3, intact));
                all_intact = all_intact && intact;
            }
    CHECK(worst < 16.0);
    CHECK(all_intact);
}

TEMPLATE_TEST_CASE("gemm applies every alpha in {0, 1, 0.7} and beta in {0, 1, 1.3}", "[tensor][blas]", float, double) {
    sweep<TestType>({1, 5, 17}, {0.0, 1.0, 0.7}, {0.0, 1.0, 1.3}, 0, false);
}

TEMPLATE_TEST_CASE("gemm with leading dims larger than the matrices touches only the m x n window", "[tensor][blas]",
                   float, double) {
    sweep<TestType>({1, 3, 17}, {0.7}, {1.3}, 5, false);
}

TEMPLATE_TEST_CASE("gemm with beta == 0 ignores NaN already in C", "[tensor][blas]", float, double) {
    sweep<TestType>({1, 2, 17}, {1.0, 0.7, 0.0}, {0.0}, 2, true);
}

TEMPLATE_TEST_CASE("gemm with alpha == 0 reads neither A nor B", "[tensor][blas]", float, double) {
    using T = TestType;
    for (Backend be : backends()) {
        std::vector<T> a(6, qnan<T>), b(6, std::numeric_limits<T>::infinity()), c{1, 2, 3, 4};
        blas::gemm<T>(false, false, 2, 2, 3, T(0), a.data(), 3, b.data(), 2, T(2), c.data(), 2, be);
        INFO(blas::backend_name(be));
        CHECK(c == std::vector<T>{2, 4, 6, 8});
        blas::gemm<T>(true, true, 2, 2, 3, T(0), a.data(), 2, b.data(), 3, T(0), c.data(), 2, be);
        CHECK(c == std::vector<T>{0, 0, 0, 0});
    }
}

TEMPLATE_TEST_CASE("gemm with k == 0 scales C by beta, and zeroes it (NaN included) when beta == 0", "[tensor][blas]",
                   float, double) {
    using T = TestType;
    for (Backend be : backends()) {
        INFO(blas::backend_name(be));
        std::vector<T> c{1, 2, 3, 4, 5, 6};
        blas::gemm<T>(false, false, 2, 3, 0, T(1), nullptr, 0, nullptr, 3, T(1.5), c.data(), 3, be);
        CHECK(c == std::vector<T>{T(1.5), 3, T(4.5), 6, T(7.5), 9});
        blas::gemm<T>(false, false, 2, 3, 0, T(1), nullptr, 0, nullptr, 3, T(1), c.data(), 3, be);
        CHECK(c == std::vector<T>{T(1.5), 3, T(4.5), 6, T(7.5), 9});
        std::vector<T> n(6, qnan<T>);
        blas::gemm<T>(true, true, 2, 3, 0, T(0.7), nullptr, 2, nullptr, 0, T(0), n.data(), 3, be);
        CHECK(n == std::vector<T>(6, T(0)));
    }
}

TEMPLATE_TEST_CASE("gemm with m == 0 or n == 0 touches nothing, even through null pointers", "[tensor][blas]", float,
                   double) {
    using T = TestType;
    for (Backend be : backends()) {
        std::vector<T> c{7, 7};
        blas::gemm<T>(false, false, 0, 2, 3, T(1), nullptr, 3, nullptr, 2, T(0), nullptr, 2, be);
        blas::gemm<T>(false, false, 2, 0, 3, T(1), nullptr, 3, nullptr, 0, T(0), c.data(), 1, be);
        blas::gemm<T>(true, false, 0, 0, 0, T(1), nullptr, 0, nullptr, 0, T(0), nullptr, 0, be);
        CHECK(c == std::vector<T>{7, 7});
    }
}

TEMPLATE_TEST_CASE("the cblas and Eigen backends agree on a 65 x 129 x 17 product", "[tensor][blas]", float, double) {
    using T = TestType;
    if (!blas::has_cblas) return;  // nothing to compare in a GRAFT_NO_BLAS build
    const std::size_t m = 65, n = 129, k = 17;
    std::vector<T> a(m * k), b(k * n), c1(m * n), c2(m * n);
    graft_test::fill_random(a.data(), a.size(), 5);
    graft_test::fill_random(b.data(), b.size(), 6);
    blas::gemm<T>(false, false, m, n, k, T(1), a.data(), k, b.data(), n, T(0), c1.data(), n, Backend::cblas);
    blas::gemm<T>(false, false, m, n, k, T(1), a.data(), k, b.data(), n, T(0), c2.data(), n, Backend::eigen);
    double worst = 0;
    for (std::size_t i = 0; i < c1.size(); ++i) worst = std::max(worst, std::fabs(double(c1[i]) - double(c2[i])));
    CHECK(worst <= 2.0 * double(k) * std::numeric_limits<T>::epsilon());
}

TEST_CASE("integer gemm runs through Eigen exactly, with alpha and beta", "[tensor][blas]") {
    const std::vector<std::int32_t> a{1, 2, 3, 4, 5, 6};  // 2 x 3
    const std::vector<std::int32_t> b{7, 8, 9, 10, 11, 12};  // 3 x 2
    for (Backend be : {Backend::automatic, Backend::eigen}) {
        std::vector<std::int32_t> c{1, 1, 1, 1};
        blas::gemm<std::int32_t>(false, false, 2, 2, 3, 2, a.data(), 3, b.data(), 2, 3, c.data(), 2, be);
        CHECK(c == std::vector<std::int32_t>{2 * 58 + 3, 2 * 64 + 3, 2 * 139 + 3, 2 * 154 + 3});
        std::vector<std::int32_t> d(4, -1);
        blas::gemm<std::int32_t>(true, false, 2, 2, 3, 1, b.data(), 2, b.data(), 2, 0, d.data(), 2, be);  // b^T b
        CHECK(d == std::vector<std::int32_t>{7 * 7 + 9 * 9 + 11 * 11, 7 * 8 + 9 * 10 + 11 * 12,
                                             7 * 8 + 9 * 10 + 11 * 12, 8 * 8 + 10 * 10 + 12 * 12});
    }
}

TEST_CASE("backend names are what listings print", "[tensor][blas]") {
    CHECK(std::string(blas::backend_name(Backend::cblas)) == "cblas");
    CHECK(std::string(blas::backend_name(Backend::eigen)) == "eigen");
    CHECK(std::string(blas::backend_name(Backend::automatic)) == (blas::has_cblas ? "cblas" : "eigen"));
#ifdef GRAFT_NO_BLAS
    STATIC_REQUIRE_FALSE(blas::has_cblas);
#else
    STATIC_REQUIRE(blas::has_cblas);
#endif
}

TEST_CASE("asking for cblas in a GRAFT_NO_BLAS build throws graft::Error", "[tensor][blas]") {
    std::vector<float> a{1}, b{1}, c{0};
    if (blas::has_cblas) {
        blas::gemm<float>(false, false, 1, 1, 1, 1.f, a.data(), 1, b.data(), 1, 0.f, c.data(), 1, Backend::cblas);
        CHECK(c[0] == 1.f);
    } else {
        CHECK_THROWS_AS(blas::gemm<float>(false, false, 1, 1, 1, 1.f, a.data(), 1, b.data(), 1, 0.f, c.data(), 1,
                                          Backend::cblas),
                        Error);
    }
}

TEST_CASE("a dimension above INT_MAX is refused with graft::Error before cblas sees it", "[tensor][blas]") {
    if (!blas::has_cblas) return;
    std::vector<float> a{1}, b{1}, c{0};
    const std::size_t big = std::size_t(INT_MAX) + 1;
    CHECK_THROWS_AS(blas::gemm<float>(false, false, big, 1, 1, 1.f, a.data(), 1, b.data(), 1, 0.f, c.data(), 1,
                                      Backend::cblas),
                    Error);
    CHECK_THROWS_AS(blas::gemm<double>(false, false, 1, 1, big, 1.0, nullptr, big, nullptr, 1, 0.0, nullptr, 1,
                                       Backend::automatic),
                    Error);
    CHECK(c[0] == 0.f);
}

TEMPLATE_TEST_CASE("a leading dimension smaller than the stored row is refused with graft::Error", "[tensor][blas]",
                   float, double) {
    using T = TestType;
    std::vector<T> a(16, 1), b(16, 1), c(16, 0);
    for (Backend be : backends()) {
        INFO(blas::backend_name(be));
        // A is 2 x 3 (lda >= 3), B is 3 x 2 (ldb >= 2), C is 2 x 2 (ldc >= 2)
        CHECK_THROWS_AS(blas::gemm<T>(false, false, 2, 2, 3, T(1), a.data(), 2, b.data(), 2, T(0), c.data(), 2, be), Error);
        CHECK_THROWS_AS(blas::gemm<T>(false, false, 2, 2, 3, T(1), a.data(), 3, b.data(), 1, T(0), c.data(), 2, be), Error);
        CHECK_THROWS_AS(blas::gemm<T>(false, false, 2, 2, 3, T(1), a.data(), 3, b.data(), 2, T(0), c.data(), 1, be), Error);
        // transposed storage: A^T is 3 x 2 (lda >= 2), B^T is 2 x 3 (ldb >= 3)
        CHECK_THROWS_AS(blas::gemm<T>(true, false, 2, 2, 3, T(1), a.data(), 1, b.data(), 2, T(0), c.data(), 2, be), Error);
        CHECK_THROWS_AS(blas::gemm<T>(false, true, 2, 2, 3, T(1), a.data(), 3, b.data(), 2, T(0), c.data(), 2, be), Error);
        CHECK_NOTHROW(blas::gemm<T>(true, true, 2, 2, 3, T(1), a.data(), 2, b.data(), 3, T(0), c.data(), 2, be));
        CHECK(c[0] == T(3));
    }
}
