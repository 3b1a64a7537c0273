// SPDX-License-Identifier: MIT
// tests/tensor/bad_input_test.cpp: the messages of the eager tensor API's run-time errors (the other tensor
// tests check only that graft::Error is thrown): wrong initializer and range counts, integer division by
// zero, reductions of empty tensors, BLAS dimensions and leading dimensions, the broadcast loop's rank
// limit, and INT_MIN / -1 (an overflow: undefined behaviour until the inventory found it, now graft::Error).
// These rows are listed in docs/reliability.md.
#include <catch2/catch.hpp>
#include <graft/tensor.hpp>

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "support/files.hpp"

using namespace graft;
using Catch::Matchers::Contains;
using graft_test::error_of;

TEST_CASE("bad input: an initializer list or range of the wrong size names the count and the shape", "[tensor][bad-input]") {
    using T23 = Tensor<float, Shape<2, 3>>;
    CHECK_THAT(error_of([] { (void)T23{{1, 2, 3}}; }), Contains("Tensor(initializer list): expected 2 entries at depth 0"));
    CHECK_THAT(error_of([] { (void)T23{{1, 2, 3}, {4, 5}}; }), Contains("expected 3 entries at depth 1") && Contains("found 2"));
    const std::vector<float> six(6, 1.f);
    CHECK_THAT(error_of([&] { (void)Tensor<float, Shape<7>>::from_range(six); }),
               Contains("Tensor::from_range: expected 7 elements for Shape<7>, found 6"));
    CHECK_THAT(error_of([&] { (void)Tensor<float, Shape<5>>::from_range(six); }),
               Contains("Tensor::from_range: expected 5 elements for Shape<5>"));
}

TEST_CASE("bad input: integer division by zero names the divisor, and a float one gives IEEE values", "[tensor][bad-input]") {
    const Tensor<std::int32_t, Shape<2>> a{4, 5}, z{1, 0};
    CHECK(error_of([&] { (void)(a / z); }) == "graft::Error: graft::operator/: expected a non-zero integer divisor, found 0");
    CHECK(error_of([&] { (void)(a / 0); }) == "graft::Error: graft::operator/: expected a non-zero integer divisor, found 0");
    const Tensor<float, Shape<3>> f{1.f, -1.f, 0.f};
    const auto q = f / 0.f;
    CHECK(q[0] == std::numeric_limits<float>::infinity());
    CHECK(q[1] == -std::numeric_limits<float>::infinity());
    CHECK(q[2] != q[2]);  // 0/0 is NaN
}

TEST_CASE("bad input: max, min, argmax and argmin of nothing name the empty shape", "[tensor][bad-input]") {
    const Tensor<float, Shape<0, 3>> e;
    CHECK(error_of([&] { (void)max(e); }) == "graft::Error: graft::max: expected a non-empty tensor, found Shape<0,3>");
    CHECK(error_of([&] { (void)argmin(e); }) == "graft::Error: graft::argmin: expected a non-empty tensor, found Shape<0,3>");
    CHECK(error_of([&] { (void)max<0>(e); }) == "graft::Error: graft::max<axis>: expected a non-empty reduction axis, found Shape<0,3>");
    CHECK(error_of([&] { (void)argmax<0>(e); }) ==
          "graft::Error: graft::argmax<axis>: expected a non-empty reduction axis, found Shape<0,3>");
}

TEST_CASE("bad input: gemm refuses dimensions above INT_MAX and leading dimensions below the row", "[tensor][bad-input]") {
    std::vector<float> a(16, 1.f), b(16, 1.f), c(16, 0.f);
    if (blas::has_cblas) {
        const std::size_t big = std::size_t(INT_MAX) + 1;
        CHECK_THAT(error_of([&] {
                       blas::gemm<float>(false, false, big, 1, 1, 1.f, a.data(), 1, b.data(), 1, 0.f, c.data(), 1, blas::Backend::cblas);
                   }),
                   Contains("<= INT_MAX (the BLAS uses 32-bit int)") && Contains("found 2147483648"));
    }
    // A is 2 x 3 stored with lda 2: its rows would overlap
    CHECK_THAT(error_of([&] {
                   blas::gemm<float>(false, false, 2, 2, 3, 1.f, a.data(), 2, b.data(), 2, 0.f, c.data(), 2, blas::Backend::eigen);
               }),
               Contains("blas::gemm: expected lda >= 3"));
    CHECK(c[0] == 0.f);  // nothing written
}

TEST_CASE("bad input: the run-time broadcast loop refuses ranks above 8 with a message", "[tensor][bad-input]") {
    const std::vector<std::size_t> nine(9, 1);
    CHECK_THAT(error_of([&] { (void)detail::make_broadcast_plan(nine, nine, nine); }),
               Contains("broadcast: expected operands of rank <= output rank <= 8"));
}

// Found by the bad-input inventory and fixed; it was: INT_MIN / -1 overflows int32, which is undefined
// behaviour (SIGFPE on x86-64; UBSan: "division of -2147483648 by -1 cannot be represented"). Expected:
// graft::Error like a zero divisor.
TEST_CASE("bad input: INT_MIN divided by -1 is a graft::Error, not a crash", "[tensor][bad-input]") {
    const Tensor<std::int32_t, Shape<2>> a{INT_MIN, 4};
    CHECK_THROWS_AS(a / -1, Error);
    const Tensor<std::int32_t, Shape<2>> m1{-1, -1};
    CHECK_THROWS_AS(a / m1, Error);
}
