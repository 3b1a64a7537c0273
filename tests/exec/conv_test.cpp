// SPDX-License-Identifier: MIT
// tests/exec/conv_test.cpp: conv2d, max_pool2d and avg_pool2d through the typed front, compile() and a
// Machine, against direct loops in double (tests/support/naive_conv.hpp), in float and double: odd
// sizes, stride 2, padding (symmetric, asymmetric, "same"), dilation 2, groups 2, and the gradients
// the reverse sweep builds (conv2d_grad_input / conv2d_grad_weight / the pool gradients).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <graft/autodiff.hpp>
#include <graft/exec.hpp>
#include <graft/graph.hpp>
#include <graft/tensor.hpp>

#include "support/naive_conv.hpp"
#include "support/text.hpp"

using namespace graft;
using graft_test::cat;
namespace nc = graft_test::naive_conv;

namespace {

// The shape rule of the typed front, checked where it is written down.
static_assert(std::is_same_v<conv_out_t<Shape<64, 1, 28, 28>, Shape<32, 1, 5, 5>, Conv2dOptions{.same = true}>, Shape<64, 32, 28, 28>>);
static_assert(std::is_same_v<conv_out_t<Shape<2, 4, 9, 7>, Shape<6, 2, 3, 3>, Conv2dOptions{.stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1, .groups = 2}>,
                             Shape<2, 6, 5, 4>>);
static_assert(std::is_same_v<conv_out_t<Shape<2, 3, 7, 6>, Shape<4, 3, 3, 2>, Conv2dOptions{.pad_h = 2, .pad_w = 1, .dilation_h = 2, .dilation_w = 2}>,
                             Shape<2, 4, 7, 6>>);
static_assert(std::is_same_v<pool_out_t<Shape<64, 32, 28, 28>, 2>, Shape<64, 32, 14, 14>>);
static_assert(std::is_same_v<pool_out_t<Shape<2, 3, 7, 6>, 3, 2, 1>, Shape<2, 3, 4, 3>>);
static_assert(std::is_same_v<flatten_t<Shape<64, 32, 7, 7>>, Shape<64, 1568>>);

template <class S>
std::vector<double> draw(std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
    Rng r(seed);
    std::vector<double> v(S::size);
    for (auto& x : v) x = r.uniform(lo, hi);
    return v;
}
/// Small integers: max-pool windows then hold ties.
template <class S>
std::vector<double> draw_ints(std::uint64_t seed) {
    Rng r(seed);
    std::vector<double> v(S::size);
    for (auto& x : v) x = static_cast<double>(r.below(5)) - 2.0;
    return v;
}
template <class T, class S>
Tensor<T, S> tensor_of(const std::vector<double>& v) {
    Tensor<T, S> t;
    for (std::size_t i = 0; i < v.size(); ++i) t.data()[i] = static_cast<T>(v[i]);
    return t;
}
/// Values as the element type holds them (the naive loops then see exactly what the kernels see).
template <class T>
std::vector<double> rounded(std::vector<double> v) {
    for (auto& x : v) x = static_cast<double>(static_cast<T>(x));
    return v;
}
template <class T, class S>
std::vector<double> values(const TensorView<const T, S>& t) {
    std::vector<double> v(S::size);
    for (std::size_t i = 0; i < S::size; ++i) v[i] = static_cast<double>(t.data()[i]);
    return v;
}
/// "" when got matches want within rtol * max(1, |want|), else the first mismatch.
std::string mismatch(const std::vector<double>& got, const std::vector<double>& want, double rtol) {
    if (got.size() != want.size()) return cat("size ", std::to_string(got.size()), " vs ", std::to_string(want.size()));
    for (std::size_t i = 0; i < want.size(); ++i)
        if (!(std::fabs(got[i] - want[i]) <= rtol * std::max(1.0, std::fabs(want[i]))))
            return cat("element ", std::to_string(i), ": ", std::to_string(got[i]), " vs ", std::to_string(want[i]));
    return {};
}
template <class T>
double tol() { return std::is_same_v<T, float> ? 2e-5 : 1e-12; }

/// conv2d<O>(x, w) and the gradients of sum(y * d) for x and w, against the naive loops.
template <class T, class XS, class WS, Conv2dOptions O>
void check_conv(std::uint64_t seed) {
    using YS = conv_out_t<XS, WS, O>;
    Graph g;
    Var<T, XS> x(g, g.input("x", dtype_of<T>, detail::dims_of<XS>()));
    Var<T, WS> w(g, g.input("w", dtype_of<T>, detail::dims_of<WS>()));
    Var<T, YS> d(g, g.input("d", dtype_of<T>, detail::dims_of<YS>()));
    auto y = conv2d<O>(x, w);
    static_assert(std::is_same_v<decltype(y), Var<T, YS>>);
    auto [gx, gw] = grad(sum(y * d), x, w);
    Machine m(compile(g, y, gx, gw));
    const auto xv = rounded<T>(draw<XS>(seed)), wv = rounded<T>(draw<WS>(seed + 1)), dv = rounded<T>(draw<YS>(seed + 2));
    m.let(x, tensor_of<T, XS>(xv));
    m.let(w, tensor_of<T, WS>(wv));
    m.let(d, tensor_of<T, YS>(dv));
    m.run();
    const nc::ConvA a(y.node().attrs.ints);
    Dims yd;
    const auto want_y = nc::conv2d(detail::dims_of<XS>(), xv, detail::dims_of<WS>(), wv, a, yd);
    CHECK(yd == detail::dims_of<YS>());
    CHECK(mismatch(values(m.value(y)), want_y, tol<T>()) == "");
    CHECK(mismatch(values(m.value(gx)), nc::conv2d_grad_input(yd, dv, detail::dims_of<WS>(), wv, a, detail::dims_of<XS>()), tol<T>()) == "");
    CHECK(mismatch(values(m.value(gw)), nc::conv2d_grad_weight(detail::dims_of<XS>(), xv, yd, dv, a, detail::dims_of<WS>()), tol<T>()) == "");
}

/// max_pool2d / avg_pool2d <K, S, P> and the gradient of sum(y * d), against the naive loops.
template <class T, class XS, std::size_t K, std::size_t St, std::size_t P, bool Max>
void check_pool(std::uint64_t seed) {
    using YS = pool_out_t<XS, K, St, P>;
    Graph g;
    Var<T, XS> x(g, g.input("x", dtype_of<T>, detail::dims_of<XS>()));
    Var<T, YS> d(g, g.input("d", dtype_of<T>, detail::dims_of<YS>()));
    Var<T, YS> y;
    if constexpr (Max) y = max_pool2d<K, St, P>(x);
    else y = avg_pool2d<K, St, P>(x);
    auto gx = grad(sum(y * d), x);
    Machine m(compile(g, y, gx));
    const auto xv = rounded<T>(Max ? draw_ints<XS>(seed) : draw<XS>(seed)), dv = rounded<T>(draw<YS>(seed + 1));
    m.let(x, tensor_of<T, XS>(xv));
    m.let(d, tensor_of<T, YS>(dv));
    m.run();
    const nc::PoolA a(y.node().attrs.ints);
    Dims yd;
    CHECK(mismatch(values(m.value(y)), nc::pool2d(Max, detail::dims_of<XS>(), xv, a, yd), tol<T>()) == "");
    CHECK(yd == detail::dims_of<YS>());
    const auto want_gx = Max ? nc::max_pool2d_grad(detail::dims_of<XS>(), xv, dv, a) : nc::avg_pool2d_grad(dv, a, detail::dims_of<XS>());
    CHECK(mismatch(values(m.value(gx)), want_gx, tol<T>()) == "");
}

template <class T>
void check_all_convs() {
    using S2 = Conv2dOptions;
    {
        INFO("3x3 pad 1, odd sizes");
        check_conv<T, Shape<2, 3, 7, 5>, Shape<4, 3, 3, 3>, S2{.pad_h = 1, .pad_w = 1}>(1);
    }
    {
        INFO("stride 2, pad 1, groups 2");
        check_conv<T, Shape<2, 4, 9, 7>, Shape<6, 2, 3, 3>, S2{.stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1, .groups = 2}>(2);
    }
    {
        INFO("dilation 2, padding 2x1, a 3x2 kernel");
        check_conv<T, Shape<2, 3, 7, 6>, Shape<4, 3, 3, 2>, S2{.pad_h = 2, .pad_w = 1, .dilation_h = 2, .dilation_w = 2}>(3);
    }
    {
        INFO("'same' padding with an even kernel (the odd zero at the bottom/right)");
        check_conv<T, Shape<1, 2, 6, 5>, Shape<3, 2, 4, 2>, S2{.same = true}>(4);
    }
    {
        INFO("stride 2 without padding, groups 3, dilation 2 in height only");
        check_conv<T, Shape<3, 6, 11, 9>, Shape<3, 2, 2, 3>, S2{.stride_h = 2, .stride_w = 2, .dilation_h = 2, .groups = 3}>(5);
    }
    {
        INFO("1x1 kernel (x read as the columns, no im2col)");
        check_conv<T, Shape<2, 5, 4, 3>, Shape<3, 5, 1, 1>, S2{}>(6);
    }
    {
        INFO("1x1 kernel with stride 2 (im2col)");
        check_conv<T, Shape<2, 5, 5, 3>, Shape<3, 5, 1, 1>, S2{.stride_h = 2, .stride_w = 2}>(7);
    }
    {
        INFO("unit stride on a padded plane of 42x42: im2col's stack-plane path in float, the general loop in double");
        check_conv<T, Shape<1, 2, 40, 40>, Shape<2, 2, 3, 3>, S2{.pad_h = 1, .pad_w = 1}>(8);
    }
    {
        INFO("unit stride on a padded plane of 52x49, too large for the stack plane: the general loop");
        check_conv<T, Shape<1, 1, 50, 47>, Shape<2, 1, 3, 3>, S2{.pad_h = 1, .pad_w = 1}>(9);
    }
}
template <class T>
void check_all_pools() {
    check_pool<T, Shape<2, 3, 7, 6>, 2, 2, 0, true>(11);
    check_pool<T, Shape<2, 3, 7, 6>, 3, 2, 1, true>(12);   // overlapping windows: gradients add up
    check_pool<T, Shape<1, 2, 5, 9>, 3, 1, 2, true>(13);   // windows mostly padding
    check_pool<T, Shape<2, 3, 7, 6>, 2, 2, 0, false>(14);
    check_pool<T, Shape<2, 3, 7, 6>, 3, 2, 1, false>(15);
    check_pool<T, Shape<1, 2, 5, 9>, 3, 1, 2, false>(16);
}

}  // namespace

TEST_CASE("conv2d and its gradients match direct loops in float and double", "[exec][conv]") {
    {
        INFO("float");
        check_all_convs<float>();
    }
    {
        INFO("double");
        check_all_convs<double>();
    }
}

TEST_CASE("max_pool2d and avg_pool2d and their gradients match direct loops in float and double", "[exec][conv][pool]") {
    {
        INFO("float");
        check_all_pools<float>();
    }
    {
        INFO("double");
        check_all_pools<double>();
    }
}

TEST_CASE("max_pool2d routes the gradient to the first maximum of a window, and padding never wins", "[exec][conv][pool]") {
    Graph g;
    auto x = g.input<double, 1, 1, 2, 4>("x");
    auto y = max_pool2d<2>(x);
    auto gx = grad(sum(y), x);
    auto z = max_pool2d<2, 1, 1>(-1.0 - x);  // all values < 0: the -inf padding still never wins
    Machine m(compile(g, y, gx, z));
    m.let(x, Tensor<double, Shape<1, 1, 2, 4>>{{{{1, 3, 2, 2}, {3, 0, 2, 1}}}});
    m.run();
    CHECK(to_string(m.value(y)) == "[[[[3, 2]]]]");
    CHECK(to_string(m.value(gx)) == "[[[[0, 1, 1, 0], [0, 0, 0, 0]]]]");  // ties: the first in row-major window order
    CHECK(to_string(m.value(z)) == "[[[[-2, -2, -3, -3, -3], [-2, -1, -1, -2, -2], [-4, -1, -1, -2, -2]]]]");
}

TEST_CASE("max_pool2d picks a window's first NaN, in the 2x2 fast path as in the general loop", "[exec][conv][pool]") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    Graph g;
    auto x = g.input<double, 1, 1, 2, 4>("x");
    auto y = max_pool2d<2>(x);          // 2x2, stride 2: the fast path
    auto y3 = max_pool2d<2, 2, 1>(x);   // padding 1: the general loop, windows [pad,1 | 2,3] ...
    auto gx = grad(sum(y), x);
    auto gx3 = grad(sum(y3), x);
    Machine m(compile(g, y, y3, gx, gx3));
    // window 1 = {1, nan | 5, nan}: the first NaN (row 0) is the pick; window 2 = {2, 9 | 9, 0}: the first 9
    m.let(x, Tensor<double, Shape<1, 1, 2, 4>>{{{{1, nan, 2, 9}, {5, nan, 9, 0}}}});
    m.run();
    CHECK(std::isnan(m.value(y)(0, 0, 0, 0)));
    CHECK(m.value(y)(0, 0, 0, 1) == 9);
    CHECK(to_string(m.value(gx)) == "[[[[0, 1, 0, 1], [0, 0, 0, 0]]]]");
    // padded windows: row 0 = {1}, {nan, 2}, {9}; row 1 = {5}, {nan, 9}, {0}
    CHECK(m.value(y3)(0, 0, 0, 0) == 1);
    CHECK(std::isnan(m.value(y3)(0, 0, 0, 1)));
    CHECK(std::isnan(m.value(y3)(0, 0, 1, 1)));
    CHECK(to_string(m.value(gx3)) == "[[[[1, 1, 0, 1], [1, 1, 0, 1]]]]");
}

TEST_CASE("avg_pool2d counts padding as zeros (count_include_pad)", "[exec][conv][pool]") {
    Graph g;
    auto x = g.input<double, 1, 1, 2, 2>("x");
    auto y = avg_pool2d<2, 2, 1>(x);
    Machine m(compile(g, y));
    m.let(x, Tensor<double, Shape<1, 1, 2, 2>>{{{{4, 8}, {12, 16}}}});
    m.run();
    CHECK(to_string(m.value(y)) == "[[[[1, 2], [3, 4]]]]");
}

TEST_CASE("a CNN step: conv, bias, relu, pool, flatten, matmul, compiled with its FLOPs", "[exec][conv]") {
    Graph g;
    auto x = g.input<float, 8, 1, 12, 12>("x");
    auto w = g.param<float, 4, 1, 3, 3>("w", init::he_normal(1));
    auto b = g.param<float, 1, 4, 1, 1>("b", init::zeros());
    auto v = g.param<float, 4 * 6 * 6, 10>("v", init::glorot_uniform(2));
    auto h = max_pool2d<2>(relu(conv2d<Conv2dOptions{.same = true}>(x, w) + b));
    auto f = flatten(h);
    static_assert(std::is_same_v<decltype(f), Var<float, Shape<8, 144>>>);
    auto loss = mean(square(matmul(f, v)));
    auto [gw, gb, gv] = grad(loss, w, b, v);
    const Program p = compile(g, loss, gw, gb, gv);
    // conv2d: 2 * N * O * OH * OW * C * KH * KW; its weight gradient the same (x's gradient is not needed)
    const double conv_flops = 2.0 * 8 * 4 * 12 * 12 * 1 * 3 * 3;
    CHECK(p.flops() >= 2 * conv_flops);
    CHECK(p.dump().find("conv2d %") != std::string::npos);
    CHECK(p.dump().find("im2col") != std::string::npos);
    Machine m(p);
    Tensor<float, Shape<8, 1, 12, 12>> xs;
    Rng r(3);
    for (auto& e : xs) e = static_cast<float>(r.uniform(-1, 1));
    m.let(x, xs);
    m.run();
    m.run();
    CHECK(std::isfinite(m.value(loss).item()));
}

TEST_CASE("the untyped conv and pool ops name what they expected and what they found", "[exec][conv][errors]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3, 7, 6});
    const NodeId x3 = g.input("x3", DType::f32, {3, 7, 6});
    const NodeId w = g.input("w", DType::f32, {4, 3, 3, 3});
    const NodeId w2 = g.input("w2", DType::f32, {4, 2, 3, 3});
    const NodeId big = g.input("big", DType::f32, {4, 3, 9, 3});
    Conv2dParams p;
    auto message = [&](OpKind op, std::vector<NodeId> in, Attrs a) -> std::string {
        try {
            g.add(op, std::move(in), std::move(a));
        } catch (const Error& e) {
            return e.what();
        }
        return "no error";
    };
    CHECK_THAT(message(OpKind::conv2d, {x3, w}, p.attrs()), Catch::Contains("an input [N,C,H,W] of rank 4") && Catch::Contains("Shape<3,7,6>"));
    CHECK_THAT(message(OpKind::conv2d, {x, w2}, p.attrs()),
               Catch::Contains("input channels = groups (1) * weight dim 1") && Catch::Contains("Shape<2,3,7,6> and weight Shape<4,2,3,3>"));
    Conv2dParams g2 = p;
    g2.groups = 2;
    CHECK_THAT(message(OpKind::conv2d, {x, w}, g2.attrs()), Catch::Contains("groups (2)"));
    CHECK_THAT(message(OpKind::conv2d, {x, big}, p.attrs()),
               Catch::Contains("a kernel no larger than the padded input") && Catch::Contains("weight Shape<4,3,9,3>"));
    Conv2dParams padded = p;
    padded.pad_top = padded.pad_bottom = 1;
    CHECK(message(OpKind::conv2d, {x, big}, padded.attrs()) == "no error");  // 7 + 2 rows of padding hold 9
    const Pool2dParams pool{8, 2, 1, 1, 0, 0, 0, 0};
    CHECK_THAT(message(OpKind::max_pool2d, {x}, pool.attrs()),
               Catch::Contains("a window no larger than the padded input") && Catch::Contains("Shape<2,3,7,6>"));
    const Pool2dParams pad_too_big{2, 2, 2, 2, 2, 0, 0, 0};
    CHECK_THAT(message(OpKind::avg_pool2d, {x}, pad_too_big.attrs()), Catch::Contains("each padding below the kernel"));
    CHECK_THAT(message(OpKind::conv2d, {x, w}, Attrs{}), Catch::Contains("9 attrs.ints"));
}

TEST_CASE("conv and pool nodes print their window attributes", "[exec][conv]") {
    Graph g;
    auto x = g.input<float, 1, 2, 5, 5>("x");
    auto w = g.input<float, 2, 1, 3, 3>("w");
    auto y = avg_pool2d<2, 1>(conv2d<Conv2dOptions{.stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1, .groups = 2}>(x, w));
    const std::string text = print(g);
    CHECK_THAT(text, Catch::Contains("conv2d %0 %1 {stride=2x2, pad=1,1,1,1, dilation=1x1, groups=2} f32[1,2,3,3]"));
    CHECK_THAT(text, Catch::Contains("avg_pool2d %2 {kernel=2x2, stride=1x1, pad=0,0,0,0} f32[1,2,2,2]"));
    CHECK_THAT(to_dot(g), Catch::Contains("conv2d\\n{stride=2x2, pad=1,1,1,1, dilation=1x1, groups=2}"));
    verify(g);
    (void)y;
}
