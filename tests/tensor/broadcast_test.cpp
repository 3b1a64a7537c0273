// SPDX-License-Identifier: MIT
// tests/tensor/broadcast_test.cpp: NumPy broadcasting in eager binary ops, broadcast_to, and the runtime
// broadcasting loop (detail::make_broadcast_plan / broadcast_binary, shared with the graph kernels) checked
// against a naive multi-index reference over every pair of small shapes.
#include <catch2/catch.hpp>
#include <graft/tensor.hpp>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "support/reference.hpp"

using namespace graft;
using graft_test::randomize;

namespace {
template <ShapeType S>
std::vector<std::size_t> dims_of() { return std::vector<std::size_t>(S::dims.begin(), S::dims.end()); }

// a - b (not commutative, so swapped operands are caught) against the naive reference.
template <class T, ShapeType SA, ShapeType SB, ShapeType Expected>
void check_sub() {
    Tensor<T, SA> a;
    Tensor<T, SB> b;
    randomize(a, 100 + SA::size, -100, 100);
    randomize(b, 200 + SB::size, -100, 100);
    auto c = a - b;
    STATIC_REQUIRE(std::is_same_v<typename decltype(c)::shape_type, Expected>);
    const auto od = dims_of<Expected>(), ad = dims_of<SA>(), bd = dims_of<SB>();
    bool ok = true;
    for (std::size_t i = 0; i < Expected::size; ++i) {
        const auto idx = graft_test::unravel(i, od);
        const double ref = static_cast<double>(a.data()[graft_test::broadcast_offset(idx, ad)]) -
                           static_cast<double>(b.data()[graft_test::broadcast_offset(idx, bd)]);
        ok = ok && c.data()[i] == static_cast<T>(ref);
    }
    INFO(SA::name() << " - " << SB::name());
    CHECK(ok);
}
}  // namespace

TEMPLATE_TEST_CASE("a rank-0 tensor broadcasts against any shape, on either side", "[tensor][broadcast]", float,
                   double, std::int32_t) {
    check_sub<TestType, Shape<>, Shape<2, 3>, Shape<2, 3>>();
    check_sub<TestType, Shape<2, 3>, Shape<>, Shape<2, 3>>();
    check_sub<TestType, Shape<>, Shape<>, Shape<>>();
}

TEMPLATE_TEST_CASE("a row vector broadcasts over the rows of a matrix", "[tensor][broadcast]", float, double,
                   std::int32_t) {
    check_sub<TestType, Shape<3, 4>, Shape<4>, Shape<3, 4>>();
    check_sub<TestType, Shape<4>, Shape<3, 4>, Shape<3, 4>>();
    check_sub<TestType, Shape<3, 4>, Shape<1, 4>, Shape<3, 4>>();
    check_sub<TestType, Shape<33, 70>, Shape<70>, Shape<33, 70>>();
}

TEMPLATE_TEST_CASE("a column vector broadcasts over the columns of a matrix", "[tensor][broadcast]", float, double,
                   std::int32_t) {
    check_sub<TestType, Shape<3, 4>, Shape<3, 1>, Shape<3, 4>>();
    check_sub<TestType, Shape<3, 1>, Shape<3, 4>, Shape<3, 4>>();
    check_sub<TestType, Shape<70, 33>, Shape<70, 1>, Shape<70, 33>>();
}

TEMPLATE_TEST_CASE("Shape<3,1> and Shape<1,4> broadcast to an outer difference of Shape<3,4>", "[tensor][broadcast]",
                   float, double, std::int32_t) {
    check_sub<TestType, Shape<3, 1>, Shape<1, 4>, Shape<3, 4>>();
    check_sub<TestType, Shape<1, 4>, Shape<3, 1>, Shape<3, 4>>();
    check_sub<TestType, Shape<3, 1>, Shape<4>, Shape<3, 4>>();
}

TEST_CASE("the outer difference of a column and a row has the expected values", "[tensor][broadcast]") {
    Tensor<int, Shape<3, 1>> col{{10}, {20}, {30}};
    Tensor<int, Shape<1, 4>> row{{1, 2, 3, 4}};
    CHECK(to_string(col - row) == "[[9, 8, 7, 6], [19, 18, 17, 16], [29, 28, 27, 26]]");
    CHECK(to_string(row - col) == "[[-9, -8, -7, -6], [-19, -18, -17, -16], [-29, -28, -27, -26]]");
}

TEMPLATE_TEST_CASE("rank-4 operands broadcast over every axis", "[tensor][broadcast]", float, double, std::int32_t) {
    check_sub<TestType, Shape<2, 1, 4, 1>, Shape<3, 1, 5>, Shape<2, 3, 4, 5>>();
    check_sub<TestType, Shape<2, 3, 4, 5>, Shape<3, 1, 1>, Shape<2, 3, 4, 5>>();
    check_sub<TestType, Shape<2, 3, 4, 5>, Shape<2, 1, 4, 1>, Shape<2, 3, 4, 5>>();
    check_sub<TestType, Shape<1, 3, 1, 5>, Shape<2, 1, 4, 1>, Shape<2, 3, 4, 5>>();
    check_sub<TestType, Shape<2, 3, 4, 5>, Shape<2, 3, 4, 5>, Shape<2, 3, 4, 5>>();
}

TEMPLATE_TEST_CASE("size-1 dims everywhere broadcast like scalars", "[tensor][broadcast]", float, std::int32_t) {
    check_sub<TestType, Shape<1, 1>, Shape<1>, Shape<1, 1>>();
    check_sub<TestType, Shape<1, 5, 1>, Shape<5, 1>, Shape<1, 5, 1>>();
    check_sub<TestType, Shape<1, 5, 1>, Shape<1, 1, 6>, Shape<1, 5, 6>>();
    check_sub<TestType, Shape<4, 1, 1, 2>, Shape<1, 3, 1, 1>, Shape<4, 3, 1, 2>>();
}

TEMPLATE_TEST_CASE("zero-size dims give empty results without touching memory", "[tensor][broadcast]", float,
                   std::int32_t) {
    check_sub<TestType, Shape<0, 3>, Shape<3>, Shape<0, 3>>();
    check_sub<TestType, Shape<0, 3>, Shape<1, 3>, Shape<0, 3>>();
    check_sub<TestType, Shape<2, 0>, Shape<2, 1>, Shape<2, 0>>();
    check_sub<TestType, Shape<0>, Shape<1>, Shape<0>>();
    check_sub<TestType, Shape<>, Shape<0, 4>, Shape<0, 4>>();
}

TEST_CASE("broadcasting works through views and for every operator", "[tensor][broadcast]") {
    Tensor<double, Shape<2, 3>> a{{1, 2, 3}, {4, 5, 6}};
    Tensor<double, Shape<3>> r{1, 2, 4};
    CHECK(to_string(a.view() + r.view()) == "[[2, 4, 7], [5, 7, 10]]");
    CHECK(to_string(a * r) == "[[1, 4, 12], [4, 10, 24]]");
    CHECK(to_string(a / r) == "[[1, 1, 0.75], [4, 2.5, 1.5]]");
    CHECK(to_string(r / a) == "[[1, 1, 1.3333333333333333], [0.25, 0.4, 0.6666666666666666]]");
}

TEST_CASE("broadcast_to copies a shape out to a larger one", "[tensor][broadcast]") {
    Tensor<int, Shape<3>> r{1, 2, 3};
    auto b = broadcast_to<Shape<2, 3>>(r);
    STATIC_REQUIRE(std::is_same_v<decltype(b), Tensor<int, Shape<2, 3>>>);
    CHECK(to_string(b) == "[[1, 2, 3], [1, 2, 3]]");
    Tensor<int, Shape<3, 1>> c{{1}, {2}, {3}};
    CHECK(to_string(broadcast_to<Shape<2, 3, 2>>(c)) == "[[[1, 1], [2, 2], [3, 3]], [[1, 1], [2, 2], [3, 3]]]");
    CHECK(to_string(broadcast_to<Shape<2, 2>>(Tensor<float, Shape<>>{7.f})) == "[[7, 7], [7, 7]]");
    CHECK(to_string(broadcast_to<Shape<2, 3>>(Tensor<int, Shape<2, 3>>{{1, 2, 3}, {4, 5, 6}})) == "[[1, 2, 3], [4, 5, 6]]");
    CHECK(broadcast_to<Shape<0, 3>>(r).size() == 0);
}

// ------------------------------------------------------------------ the runtime loop, exhaustively

namespace {
void all_shapes(std::size_t max_rank, const std::vector<std::size_t>& dim_values,
                std::vector<std::vector<std::size_t>>& out) {
    out.push_back({});
    std::vector<std::vector<std::size_t>> frontier{{}};
    for (std::size_t r = 1; r <= max_rank; ++r) {
        std::vector<std::vector<std::size_t>> next;
        for (const auto& s : frontier)
            for (auto d : dim_values) {
                auto t = s;
                t.push_back(d);
                next.push_back(t);
            }
        out.insert(out.end(), next.begin(), next.end());
        frontier = std::move(next);
    }
}

// Runs detail::broadcast_binary for every pair and compares a - b with the naive reference.
// Returns the number of pairs checked; incompatible pairs must throw graft::Error.
std::size_t check_all_pairs(const std::vector<std::vector<std::size_t>>& shapes, std::string& failure) {
    std::size_t checked = 0;
    for (const auto& sa : shapes)
        for (const auto& sb : shapes) {
            std::vector<std::size_t> so;
            const bool ok = graft_test::broadcast_dims(sa, sb, so);
            std::vector<std::int64_t> a(graft_test::count_of(sa)), b(graft_test::count_of(sb));
            for (std::size_t i = 0; i < a.size(); ++i) a[i] = std::int64_t(i) * 1000 + 7;
            for (std::size_t i = 0; i < b.size(); ++i) b[i] = std::int64_t(i) * 3 + 1;
            if (!ok) {
                // give the plan the larger of each dim as the claimed output: it must refuse
                std::vector<std::size_t> claimed(std::max(sa.size(), sb.size()), 1);
                for (std::size_t i = 0; i < claimed.size(); ++i) {
                    const std::size_t da = i < sa.size() ? sa[sa.size() - 1 - i] : 1;
                    const std::size_t db = i < sb.size() ? sb[sb.size() - 1 - i] : 1;
                    claimed[claimed.size() - 1 - i] = std::max(da, db);
                }
                bool threw = false;
                try {
                    (void)detail::make_broadcast_plan(sa, sb, claimed);
                } catch (const Error&) {
                    threw = true;
                }
                if (!threw && failure.empty()) failure = shape_string(sa) + " vs " + shape_string(sb) + " did not throw";
                continue;
            }
            std::vector<std::int64_t> c(graft_test::count_of(so), -1);
            const auto plan = detail::make_broadcast_plan(sa, sb, so);
            detail::broadcast_binary(plan, a.data(), b.data(), c.data(), [](std::int64_t x, std::int64_t y) { return x - y; });
            for (std::size_t i = 0; i < c.size(); ++i) {
                const auto idx = graft_test::unravel(i, so);
                const auto want = a[graft_test::broadcast_offset(idx, sa)] - b[graft_test::broadcast_offset(idx, sb)];
                if (c[i] != want && failure.empty())
                    failure = shape_string(sa) + " - " + shape_string(sb) + " wrong at flat index " + std::to_string(i);
            }
            ++checked;
        }
    return checked;
}
}  // namespace

TEST_CASE("the runtime broadcasting loop matches the naive reference for every pair of shapes up to rank 3",
          "[tensor][broadcast]") {
    std::vector<std::vector<std::size_t>> shapes;
    all_shapes(3, {0, 1, 2, 3}, shapes);  // 85 shapes, 7225 ordered pairs
    std::string failure;
    const auto n = check_all_pairs(shapes, failure);
    INFO(failure);
    CHECK(failure.empty());
    CHECK(n > 1000);
}

TEST_CASE("the runtime broadcasting loop matches the naive reference for rank-4 and rank-5 shapes of 1s and 2s",
          "[tensor][broadcast]") {
    std::vector<std::vector<std::size_t>> shapes;
    all_shapes(5, {1, 2}, shapes);  // 63 shapes
    std::string failure;
    const auto n = check_all_pairs(shapes, failure);
    INFO(failure);
    CHECK(failure.empty());
    CHECK(n == 63 * 63);
}

TEST_CASE("the runtime broadcasting loop rejects ranks above its limit with graft::Error", "[tensor][broadcast]") {
    const std::vector<std::size_t> nine(9, 1);
    CHECK_THROWS_AS(detail::make_broadcast_plan(nine, nine, nine), Error);
    const std::vector<std::size_t> two{2, 2}, three{2, 2, 2};
    CHECK_THROWS_AS(detail::make_broadcast_plan(three, two, two), Error);  // operand of higher rank than the output
}
