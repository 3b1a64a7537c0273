// SPDX-License-Identifier: MIT
// tests/exec/bad_input_test.cpp: what compiled programs do with bad values and options beyond the other
// exec tests: zero-size inputs, softmax rows of -inf / +inf / NaN (documented NaN, never garbage), a
// pipeline's fixed-point bound of 0 or below, and gradcheck given eps = 0, NaN inputs or an integer
// output (never a silent pass), null data given to let(), and gradcheck_ir given fewer values than its
// dims hold (the last two were undefined behaviour until the inventory found them).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <graft/autodiff.hpp>
#include <graft/exec.hpp>
#include <graft/graph.hpp>
#include <graft/passes.hpp>
#include <graft/tensor.hpp>

#include "support/files.hpp"

using namespace graft;
using Catch::Matchers::Contains;
using graft_test::error_of;

namespace {
constexpr float badin_inf = std::numeric_limits<float>::infinity();
constexpr float badin_nan = std::numeric_limits<float>::quiet_NaN();

/// sum(x * x) over the single f64 input: the gradcheck target of these tests.
NodeId badin_sum_of_squares(Graph& g, std::span<const NodeId> xs) { return ir::sum_all(g, ir::mul(g, xs[0], xs[0])); }
}  // namespace

TEST_CASE("bad input: zero-size inputs compile, bind and run: empty results, a sum of 0, a matmul of zeros", "[exec][bad-input]") {
    Graph g;
    auto e = g.input<float, 0, 3>("e");
    auto a = g.input<float, 2, 0>("a");
    auto b = g.input<float, 0, 3>("b");
    auto doubled = e * 2.0;
    auto total = sum(e);
    auto mx = sum<0>(e);
    auto prod = matmul(a, b);
    Machine m(compile(g, doubled, total, mx, prod));
    m.let(e, Tensor<float, Shape<0, 3>>{});
    m.let(a, Tensor<float, Shape<2, 0>>{});
    m.let(b, Tensor<float, Shape<0, 3>>{});
    m.run();
    CHECK(m.value(total).item() == 0.0f);
    for (float v : m.value(mx)) CHECK(v == 0.0f);
    for (float v : m.value(prod)) CHECK(v == 0.0f);  // k = 0: zeros, BLAS never called with a zero dim
    CHECK(m.value(doubled).size() == 0);
}

TEST_CASE("bad input: softmax of a row of -inf, of a row with +inf or NaN is NaN in that row only", "[exec][bad-input]") {
    Graph g;
    auto x = g.input<float, 4, 3>("x");
    auto sm = softmax(x);
    auto lsm = log_softmax(x);
    Machine m(compile(g, sm, lsm));
    m.let(x, Tensor<float, Shape<4, 3>>{{-badin_inf, -badin_inf, -badin_inf},   // all -inf: 0/0
                                        {1.f, badin_inf, 2.f},                   // +inf: inf - inf
                                        {1.f, badin_nan, 2.f},                   // NaN
                                        {1e4f, -1e4f, 0.f}});                    // large but finite
    m.run();
    for (std::size_t r = 0; r < 3; ++r) {
        INFO("row " << r);
        for (std::size_t c = 0; c < 3; ++c) {
            CHECK(std::isnan(m.value(sm)(r, c)));
            CHECK(std::isnan(m.value(lsm)(r, c)));
        }
    }
    CHECK(m.value(sm)(3, 0) == 1.0f);  // the finite row is unaffected by the others
    CHECK(m.value(sm)(3, 1) == 0.0f);
    CHECK(std::isfinite(m.value(lsm)(3, 1)));
}

TEST_CASE("bad input: a fixed-point pipeline with max_rounds 0 or negative runs one round", "[exec][bad-input]") {
    for (int rounds : {0, -3}) {
        INFO("max_rounds " << rounds);
        Graph g;
        auto x = g.input<float, 3>("x");
        auto y = (x * 1.0 + 0.0) * 2.0;
        passes::Pipeline p = passes::standard();
        p.max_rounds = rounds;
        Machine m(compile(g, CompileOptions{.pipeline = p}, y));
        m.let(x, Tensor<float, Shape<3>>{1.f, 2.f, badin_nan});
        m.run();
        CHECK(m.value(y)[0] == 2.0f);
        CHECK(m.value(y)[1] == 4.0f);
        CHECK(std::isnan(m.value(y)[2]));
    }
}

TEST_CASE("bad input: gradcheck with eps = 0 or NaN, or a NaN input, fails instead of passing", "[exec][bad-input]") {
    GradcheckInput in;
    in.dims = {3};
    in.values = {1.0, 2.0, 3.0};
    CHECK(gradcheck_ir(badin_sum_of_squares, {in}).ok);  // the valid case passes
    for (double eps : {0.0, std::numeric_limits<double>::quiet_NaN()}) {
        INFO("eps " << eps);
        GradcheckOptions o;
        o.eps = eps;
        const GradcheckResult r = gradcheck_ir(badin_sum_of_squares, {in}, o);
        CHECK_FALSE(r.ok);
        CHECK_THAT(r.worst, Contains("numeric") && Contains("nan"));
    }
    GradcheckInput with_nan = in;
    with_nan.values[1] = std::numeric_limits<double>::quiet_NaN();
    CHECK_FALSE(gradcheck_ir(badin_sum_of_squares, {with_nan}).ok);
}

TEST_CASE("bad input: gradcheck of an integer output names the dtype", "[exec][bad-input]") {
    GradcheckInput in;
    in.dims = {3};
    in.values = {1.0, 2.0, 3.0};
    const auto argmax_of = [](Graph& g, std::span<const NodeId> xs) { return g.add(OpKind::argmax, {xs[0]}); };
    CHECK_THAT(error_of([&] { (void)gradcheck_ir(argmax_of, {in}); }), Contains("gradcheck: expected an f64 output, found i32"));
}

// Found by the bad-input inventory and fixed; it was: Machine::let(name, dtype, dims, nullptr) for an input
// with elements memcpy's from the null pointer: a segfault (UBSan: "null pointer passed as argument 2").
// Expected: graft::Error naming the input.
TEST_CASE("bad input: Machine::let with null data for a non-empty input is an error naming the input", "[exec][bad-input]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId y = ir::neg(g, x);
    Machine m(compile(g, std::span<const NodeId>(&y, 1)));
    CHECK_THAT(error_of([&] { m.let("x", DType::f32, Dims{2, 3}, nullptr); }), Contains("Machine::let(\"x\")"));
}

// Found by the bad-input inventory and fixed; it was: gradcheck_ir trusts GradcheckInput::values to hold as
// many values as dims: with fewer, Machine::let reads past the vector (ASan: heap-buffer-overflow in
// gradcheck_ir's let). Expected: graft::Error naming the input and both counts.
TEST_CASE("bad input: gradcheck_ir with fewer values than its dims hold is an error", "[exec][bad-input]") {
    GradcheckInput in;
    in.dims = {3};
    in.values = {1.0};
    CHECK_THROWS_AS(gradcheck_ir(badin_sum_of_squares, {in}), Error);
}
