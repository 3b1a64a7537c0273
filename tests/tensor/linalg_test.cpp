// SPDX-License-Identifier: MIT
// tests/tensor/linalg_test.cpp: matmul (2-D, all four transposes through transposed(), batched with broadcast
// batch dims, NumPy's rank-1 rules, zero-size dims), dot, add_to and axpy, each against naive loops in double;
// and aliasing (TESTING.md A1): matmul(a, a), add_to(y, y) and friends equal their non-aliased results.
#include <catch2/catch.hpp>
#include <graft/tensor.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "support/reference.hpp"

using namespace graft;
using graft_test::randomize;

namespace {
// op(A)[i,p] of a row-major matrix stored as rows x cols, optionally read transposed.
template <class T>
std::vector<double> dense(const T* p, std::size_t rows, std::size_t cols, bool trans) {
    std::vector<double> out(rows * cols);
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j)
            out[trans ? j * rows + i : i * cols + j] = static_cast<double>(p[i * cols + j]);
    return out;
}

// Absolute tolerance for a k-term dot product of values bounded by mag: a loose multiple of the classic
// bound k * eps * sum |a||b| (exact, 0, for integers).
template <class T>
double tol_for(std::size_t k, double mag = 1.0) {
    if constexpr (std::is_integral_v<T>) return 0.0;
    else return 4.0 * double(k + 1) * std::numeric_limits<T>::epsilon() * mag * mag;
}

// Checks matmul of an M x K by a K x N product in all four transpose combinations.
template <class T, std::size_t M, std::size_t K, std::size_t N>
void check_matmul_2d() {
    Tensor<T, Shape<M, K>> a;
    Tensor<T, Shape<K, N>> b;
    Tensor<T, Shape<K, M>> at;  // stored transposed
    Tensor<T, Shape<N, K>> bt;
    const double lo = std::is_integral_v<T> ? -9 : -1, hi = std::is_integral_v<T> ? 9 : 1;
    randomize(a, 1 + M, lo, hi);
    randomize(b, 2 + N, lo, hi);
    randomize(at, 3 + K, lo, hi);
    randomize(bt, 4 + M * N, lo, hi);
    const auto A = dense(a.data(), M, K, false), B = dense(b.data(), K, N, false);
    const auto At = dense(at.data(), K, M, true), Bt = dense(bt.data(), N, K, true);
    const double tol = tol_for<T>(K);
    INFO("M=" << M << " K=" << K << " N=" << N);

    auto nn = matmul(a, b);
    STATIC_REQUIRE(std::is_same_v<decltype(nn), Tensor<T, Shape<M, N>>>);
    CHECK(graft_test::close_to(nn.data(), graft_test::naive_matmul(A.data(), B.data(), M, K, N), 0, tol));
    auto tn = matmul(transposed(at), b);
    STATIC_REQUIRE(std::is_same_v<decltype(tn), Tensor<T, Shape<M, N>>>);
    CHECK(graft_test::close_to(tn.data(), graft_test::naive_matmul(At.data(), B.data(), M, K, N), 0, tol));
    auto nt = matmul(a, transposed(bt));
    CHECK(graft_test::close_to(nt.data(), graft_test::naive_matmul(A.data(), Bt.data(), M, K, N), 0, tol));
    auto tt = matmul(transposed(at), transposed(bt));
    CHECK(graft_test::close_to(tt.data(), graft_test::naive_matmul(At.data(), Bt.data(), M, K, N), 0, tol));
}

template <class T>
void check_matmul_sizes() {
    check_matmul_2d<T, 1, 1, 1>();
    check_matmul_2d<T, 2, 3, 5>();
    check_matmul_2d<T, 5, 17, 3>();
    check_matmul_2d<T, 3, 1, 2>();
    check_matmul_2d<T, 17, 64, 65>();
    check_matmul_2d<T, 65, 5, 64>();
    check_matmul_2d<T, 64, 129, 17>();
    check_matmul_2d<T, 129, 65, 1>();
    check_matmul_2d<T, 1, 129, 129>();
}
}  // namespace

TEMPLATE_TEST_CASE("matmul equals the naive triple loop in all four transpose combinations", "[tensor][linalg]",
                   float, double, std::int32_t) {
    check_matmul_sizes<TestType>();
}

TEST_CASE("matmul of two 2x2 matrices gives the textbook product", "[tensor][linalg]") {
    Tensor<float, Shape<2, 2>> x{{1, 2}, {3, 4}}, y{{5, 6}, {7, 8}};
    CHECK(to_string(matmul(x, y)) == "[[19, 22], [43, 50]]");
    CHECK(to_string(matmul(transposed(x), y)) == "[[26, 30], [38, 44]]");
    CHECK(to_string(matmul(x, transposed(y))) == "[[17, 23], [39, 53]]");
    CHECK(to_string(matmul(transposed(x), transposed(y))) == "[[23, 31], [34, 46]]");
}

TEST_CASE("transposed() changes only the shape matmul sees, never the data", "[tensor][linalg]") {
    Tensor<double, Shape<2, 3>> a{{1, 2, 3}, {4, 5, 6}};
    auto t = transposed(a);
    STATIC_REQUIRE(std::is_same_v<decltype(t)::shape_type, Shape<3, 2>>);
    CHECK(t.base() == a.data());
    auto g = matmul(transposed(a), a);  // the Gram matrix a^T a
    STATIC_REQUIRE(std::is_same_v<decltype(g), Tensor<double, Shape<3, 3>>>);
    CHECK(to_string(g) == "[[17, 22, 27], [22, 29, 36], [27, 36, 45]]");
    auto v = a.view();
    CHECK(array_equal(matmul(transposed(v), a), g));
}

// ------------------------------------------------------------------ rank-1 operands

TEMPLATE_TEST_CASE("a vector on the left multiplies as a row and its dim is dropped", "[tensor][linalg]", float, double,
                   std::int32_t) {
    using T = TestType;
    Tensor<T, Shape<5>> v;
    Tensor<T, Shape<5, 7>> m;
    randomize(v, 1, -9, 9);
    randomize(m, 2, -9, 9);
    auto r = matmul(v, m);
    STATIC_REQUIRE(std::is_same_v<decltype(r), Tensor<T, Shape<7>>>);
    CHECK(graft_test::close_to(r.data(), graft_test::naive_matmul(v.data(), m.data(), 1, 5, 7), 0, tol_for<T>(5, 9)));
    Tensor<T, Shape<7, 5>> mt = m.transpose();
    auto r2 = matmul(v, transposed(mt));  // the same product read through the other layout: equal up to rounding
    CHECK(graft_test::close_to(r2.data(), std::vector<double>(r.begin(), r.end()), 0, tol_for<T>(5, 9)));
}

TEMPLATE_TEST_CASE("a vector on the right multiplies as a column and its dim is dropped", "[tensor][linalg]", float,
                   double, std::int32_t) {
    using T = TestType;
    Tensor<T, Shape<6, 4>> m;
    Tensor<T, Shape<4>> v;
    randomize(m, 3, -9, 9);
    randomize(v, 4, -9, 9);
    auto r = matmul(m, v);
    STATIC_REQUIRE(std::is_same_v<decltype(r), Tensor<T, Shape<6>>>);
    CHECK(graft_test::close_to(r.data(), graft_test::naive_matmul(m.data(), v.data(), 6, 4, 1), 0, tol_for<T>(4, 9)));
    Tensor<T, Shape<4, 6>> mt = m.transpose();
    const auto r2 = matmul(transposed(mt), v);  // a matrix-vector product per layout (?gemv N or T): equal up to rounding
    CHECK(graft_test::close_to(r2.data(), std::vector<double>(r.begin(), r.end()), 0, tol_for<T>(4, 9)));
}

TEST_CASE("vector @ vector is a rank-0 inner product", "[tensor][linalg]") {
    Tensor<double, Shape<3>> a{1, 2, 3}, b{4, -5, 6};
    auto r = matmul(a, b);
    STATIC_REQUIRE(std::is_same_v<decltype(r), Tensor<double, Shape<>>>);
    CHECK(r.item() == 12.0);
}

// ------------------------------------------------------------------ batched

namespace {
// Reference for a batched product: out[batch] = A[batch_a(batch)] @ B[batch_b(batch)].
template <class T, class FA, class FB>
std::vector<double> naive_batched(const T* a, const T* b, std::size_t batches, std::size_t m, std::size_t k,
                                  std::size_t n, FA which_a, FB which_b) {
    std::vector<double> out;
    for (std::size_t q = 0; q < batches; ++q) {
        const auto c = graft_test::naive_matmul(a + which_a(q) * m * k, b + which_b(q) * k * n, m, k, n);
        out.insert(out.end(), c.begin(), c.end());
    }
    return out;
}
}  // namespace

TEMPLATE_TEST_CASE("a batch of matrices times one matrix multiplies every batch", "[tensor][linalg]", float, double,
                   std::int32_t) {
    using T = TestType;
    Tensor<T, Shape<4, 3, 5>> a;
    Tensor<T, Shape<5, 6>> b;
    randomize(a, 5, -9, 9);
    randomize(b, 6, -9, 9);
    auto c = matmul(a, b);
    STATIC_REQUIRE(std::is_same_v<decltype(c), Tensor<T, Shape<4, 3, 6>>>);
    const auto ref = naive_batched(a.data(), b.data(), 4, 3, 5, 6, [](std::size_t q) { return q; }, [](std::size_t) { return std::size_t{0}; });
    CHECK(graft_test::close_to(c.data(), ref, 0, tol_for<T>(6, 9)));
    Tensor<T, Shape<6, 5>> bt = b.transpose();
    CHECK(graft_test::close_to(matmul(a, transposed(bt)).data(), ref, 0, tol_for<T>(6, 9)));
}

TEMPLATE_TEST_CASE("one matrix times a batch of matrices multiplies every batch", "[tensor][linalg]", float, double,
                   std::int32_t) {
    using T = TestType;
    Tensor<T, Shape<3, 5>> a;
    Tensor<T, Shape<4, 5, 2>> b;
    randomize(a, 7, -9, 9);
    randomize(b, 8, -9, 9);
    auto c = matmul(a, b);
    STATIC_REQUIRE(std::is_same_v<decltype(c), Tensor<T, Shape<4, 3, 2>>>);
    const auto ref = naive_batched(a.data(), b.data(), 4, 3, 5, 2, [](std::size_t) { return std::size_t{0}; }, [](std::size_t q) { return q; });
    CHECK(graft_test::close_to(c.data(), ref, 0, tol_for<T>(6, 9)));
    Tensor<T, Shape<5, 3>> at = a.transpose();
    CHECK(graft_test::close_to(matmul(transposed(at), b).data(), ref, 0, tol_for<T>(6, 9)));
}

TEMPLATE_TEST_CASE("equal batch dims multiply pairwise", "[tensor][linalg]", float, double, std::int32_t) {
    using T = TestType;
    Tensor<T, Shape<2, 3, 4, 5>> a;
    Tensor<T, Shape<2, 3, 5, 6>> b;
    randomize(a, 9, -9, 9);
    randomize(b, 10, -9, 9);
    auto c = matmul(a, b);
    STATIC_REQUIRE(std::is_same_v<decltype(c), Tensor<T, Shape<2, 3, 4, 6>>>);
    const auto id = [](std::size_t q) { return q; };
    CHECK(graft_test::close_to(c.data(), naive_batched(a.data(), b.data(), 6, 4, 5, 6, id, id), 0, tol_for<T>(6, 9)));
}

TEMPLATE_TEST_CASE("size-1 batch dims broadcast on both sides", "[tensor][linalg]", float, double, std::int32_t) {
    using T = TestType;
    Tensor<T, Shape<2, 1, 3, 4>> a;  // batch [2,1]
    Tensor<T, Shape<5, 4, 2>> b;     // batch [5]  -> output batch [2,5]
    randomize(a, 11, -9, 9);
    randomize(b, 12, -9, 9);
    auto c = matmul(a, b);
    STATIC_REQUIRE(std::is_same_v<decltype(c), Tensor<T, Shape<2, 5, 3, 2>>>);
    const auto ref = naive_batched(a.data(), b.data(), 10, 3, 4, 2, [](std::size_t q) { return q / 5; },
                                   [](std::size_t q) { return q % 5; });
    CHECK(graft_test::close_to(c.data(), ref, 0, tol_for<T>(6, 9)));

    Tensor<T, Shape<1, 3, 3, 4>> a2;  // batch [1,3] against [2,1]
    Tensor<T, Shape<2, 1, 4, 5>> b2;
    randomize(a2, 13, -9, 9);
    randomize(b2, 14, -9, 9);
    auto c2 = matmul(a2, b2);
    STATIC_REQUIRE(std::is_same_v<decltype(c2), Tensor<T, Shape<2, 3, 3, 5>>>);
    const auto ref2 = naive_batched(a2.data(), b2.data(), 6, 3, 4, 5, [](std::size_t q) { return q % 3; },
                                    [](std::size_t q) { return q / 3; });
    CHECK(graft_test::close_to(c2.data(), ref2, 0, tol_for<T>(6, 9)));
}

TEST_CASE("rank-1 operands combine with batched ones", "[tensor][linalg]") {
    Tensor<double, Shape<3, 2, 4>> a;
    Tensor<double, Shape<4>> v;
    randomize(a, 15);
    randomize(v, 16);
    auto mv = matmul(a, v);
    STATIC_REQUIRE(std::is_same_v<decltype(mv), Tensor<double, Shape<3, 2>>>);
    CHECK(graft_test::close_to(mv.data(), graft_test::naive_matmul(a.data(), v.data(), 6, 4, 1), 1e-12, 1e-14));
    Tensor<double, Shape<2>> u;
    randomize(u, 17);
    auto vm = matmul(u, a);
    STATIC_REQUIRE(std::is_same_v<decltype(vm), Tensor<double, Shape<3, 4>>>);
    const auto ref = naive_batched(u.data(), a.data(), 3, 1, 2, 4, [](std::size_t) { return std::size_t{0}; },
                                   [](std::size_t q) { return q; });
    CHECK(graft_test::close_to(vm.data(), ref, 1e-12, 1e-14));
}

// ------------------------------------------------------------------ zero-size dims

TEST_CASE("matmul with an empty inner dimension gives zeros", "[tensor][linalg]") {
    Tensor<float, Shape<2, 0>> a;
    Tensor<float, Shape<0, 3>> b;
    auto c = matmul(a, b);
    STATIC_REQUIRE(std::is_same_v<decltype(c), Tensor<float, Shape<2, 3>>>);
    CHECK(to_string(c) == "[[0, 0, 0], [0, 0, 0]]");
    CHECK(to_string(matmul(Tensor<int, Shape<0>>{}, Tensor<int, Shape<0>>{})) == "0");
    Tensor<double, Shape<0, 2>> at;
    Tensor<double, Shape<3, 0>> bt;
    CHECK(to_string(matmul(transposed(at), transposed(bt))) == "[[0, 0, 0], [0, 0, 0]]");
}

TEST_CASE("matmul with an empty outer dimension gives an empty result", "[tensor][linalg]") {
    CHECK(matmul(Tensor<float, Shape<0, 3>>{}, Tensor<float, Shape<3, 4>>{}).size() == 0);
    CHECK(matmul(Tensor<float, Shape<2, 3>>{}, Tensor<float, Shape<3, 0>>{}).size() == 0);
    auto batch0 = matmul(Tensor<double, Shape<0, 2, 3>>{}, Tensor<double, Shape<3, 4>>{});
    STATIC_REQUIRE(std::is_same_v<decltype(batch0), Tensor<double, Shape<0, 2, 4>>>);
    auto batch0b = matmul(Tensor<double, Shape<2, 3>>{}, Tensor<double, Shape<0, 3, 4>>{});
    STATIC_REQUIRE(std::is_same_v<decltype(batch0b), Tensor<double, Shape<0, 2, 4>>>);
}

// ------------------------------------------------------------------ aliasing (TESTING.md A1)

namespace {
template <std::size_t N>
void check_square_aliasing(std::uint64_t seed) {
    Tensor<float, Shape<N, N>> a;
    randomize(a, seed);
    const auto copy = a;
    INFO("N = " << N);
    CHECK(array_equal(matmul(a, a), matmul(copy, copy)));                        // C = A*A
    CHECK(array_equal(matmul(a, transposed(a)), matmul(copy, transposed(copy))));  // C = A*A^T
    CHECK(array_equal(matmul(transposed(a), a), matmul(transposed(copy), copy)));
    Tensor<float, Shape<N, N>> b;
    randomize(b, seed + 1);
    const auto ab = matmul(copy, b);
    a = matmul(a, b);  // A = A*B
    CHECK(array_equal(a, ab));
}
}  // namespace

TEST_CASE("matmul of a matrix with itself equals the non-aliased product at sizes 2, 3, 4, 64 and 512", "[tensor][linalg]") {
    check_square_aliasing<2>(1);
    check_square_aliasing<3>(2);
    check_square_aliasing<4>(3);
    check_square_aliasing<64>(4);
    check_square_aliasing<512>(5);
}

TEST_CASE("matmul(a, a) is the naive square of a", "[tensor][linalg]") {
    Tensor<double, Shape<65, 65>> a;
    randomize(a, 6);
    CHECK(graft_test::close_to(matmul(a, a).data(), graft_test::naive_matmul(a.data(), a.data(), 65, 65, 65), 0, 1e-13));
}

TEST_CASE("x = y + A*x gives the non-aliased result", "[tensor][linalg]") {
    Tensor<double, Shape<64, 64>> A;
    Tensor<double, Shape<64>> x, y;
    randomize(A, 7);
    randomize(x, 8);
    randomize(y, 9);
    const auto ref_ax = graft_test::naive_matmul(A.data(), x.data(), 64, 64, 1);
    std::vector<double> ref(64);
    for (std::size_t i = 0; i < 64; ++i) ref[i] = static_cast<double>(y[i]) + ref_ax[i];
    x = y + matmul(A, x);
    CHECK(graft_test::close_to(x.data(), ref, 0, 1e-13));
}

// ------------------------------------------------------------------ dot, add_to, axpy

TEMPLATE_TEST_CASE("dot equals the sum of elementwise products", "[tensor][linalg]", float, double, std::int32_t) {
    using T = TestType;
    Tensor<T, Shape<1000>> a, b;
    randomize(a, 20, -9, 9);
    randomize(b, 21, -9, 9);
    double ref = 0;
    for (std::size_t i = 0; i < a.size(); ++i) ref += static_cast<double>(a[i]) * static_cast<double>(b[i]);
    STATIC_REQUIRE(std::is_same_v<decltype(dot(a, b)), T>);
    CHECK(static_cast<double>(dot(a, b)) == Approx(ref).epsilon(std::is_same_v<T, float> ? 1e-5 : 1e-12));
    Tensor<T, Shape<3, 4>> m{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}};
    CHECK(dot(m, m) == T(650));  // of matrices too: the Frobenius inner product
    CHECK(dot(Tensor<T, Shape<0>>{}, Tensor<T, Shape<0>>{}) == T(0));
}

TEMPLATE_TEST_CASE("add_to adds in place, with x broadcast to y", "[tensor][linalg]", float, double, std::int32_t) {
    using T = TestType;
    Tensor<T, Shape<2, 3>> y{{1, 2, 3}, {4, 5, 6}};
    const T* p = y.data();
    auto& r = add_to(y, Tensor<T, Shape<2, 3>>{{10, 20, 30}, {40, 50, 60}});
    CHECK(&r == &y);
    CHECK(y.data() == p);  // in place
    CHECK(to_string(y) == "[[11, 22, 33], [44, 55, 66]]");
    add_to(y, Tensor<T, Shape<3>>{1, 2, 3});
    CHECK(to_string(y) == "[[12, 24, 36], [45, 57, 69]]");
    add_to(y, Tensor<T, Shape<2, 1>>{{-12}, {-45}});
    CHECK(to_string(y) == "[[0, 12, 24], [0, 12, 24]]");
    add_to(y, Tensor<T, Shape<>>{T(1)});
    CHECK(to_string(y) == "[[1, 13, 25], [1, 13, 25]]");
}

TEST_CASE("add_to(y, y) doubles y", "[tensor][linalg]") {
    Tensor<float, Shape<3, 70>> y;
    randomize(y, 22);
    const auto want = y * 2.f;
    add_to(y, y);
    CHECK(array_equal(y, want));
    Tensor<int, Shape<2, 2>> z{{1, 2}, {3, 4}};
    add_to(z, z.view());
    CHECK(to_string(z) == "[[2, 4], [6, 8]]");
}

TEMPLATE_TEST_CASE("axpy computes y += alpha * x in place", "[tensor][linalg]", float, double) {
    using T = TestType;
    Tensor<T, Shape<4, 33>> x, y;
    randomize(x, 23);
    randomize(y, 24);
    const auto y0 = y;
    const T alpha = T(0.7);
    const T* p = y.data();
    auto& r = axpy(alpha, x, y);
    CHECK(&r == &y);
    CHECK(y.data() == p);
    bool ok = true;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double ref = static_cast<double>(y0[i]) + static_cast<double>(alpha) * static_cast<double>(x[i]);
        ok = ok && std::fabs(static_cast<double>(y[i]) - ref) <= 2 * std::numeric_limits<T>::epsilon() * (std::fabs(ref) + 1);
    }
    CHECK(ok);
}

TEST_CASE("axpy with x aliasing y scales y by 1 + alpha", "[tensor][linalg]") {
    Tensor<double, Shape<5>> y{1, 2, 3, 4, 5};
    axpy(0.5, y, y);
    CHECK(to_string(y) == "[1.5, 3, 4.5, 6, 7.5]");
    Tensor<int, Shape<3>> k{1, -2, 3};
    axpy(3, k, k);
    CHECK(to_string(k) == "[4, -8, 12]");
}
