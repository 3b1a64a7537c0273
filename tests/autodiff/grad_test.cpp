// SPDX-License-Identifier: MIT
// tests/autodiff/grad_test.cpp: what grad() promises beyond single ops: adjoints of shared values are
// summed, gradients have their operand's shape, unused parameters get zeros, gradients stop at
// integer/comparison ops, errors for non-scalar and integer outputs, typed results, higher order.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <vector>

#include <graft/autodiff/grad.hpp>
#include <graft/autodiff/gradcheck.hpp>
#include <graft/exec/compile.hpp>
#include <graft/exec/machine.hpp>
#include <graft/tensor/tensor.hpp>

using namespace graft;

namespace {

/// The elements of a typed value after a run.
template <class T, class S>
std::vector<double> values_of(const Machine& m, const Var<T, S>& v) {
    const auto view = m.value(v);
    return std::vector<double>(view.data(), view.data() + S::size);
}

}  // namespace

TEST_CASE("adjoints of a value used several times are summed: d(x*x + x)/dx = 2x + 1", "[autodiff][grad]") {
    Graph g;
    auto x = g.input<double, 4>("x");
    auto y = sum(x * x + x);
    auto gx = grad(y, x);
    Machine m(compile(g, gx));
    m.let(x, Tensor<double, Shape<4>>{-1.5, 0.0, 0.25, 3.0});
    m.run();
    CHECK(values_of(m, gx) == std::vector<double>{-2.0, 1.0, 1.5, 7.0});
}

TEST_CASE("a diamond of shared values: x*a + x*a + (x*x)*a has derivative 2a + 2xa", "[autodiff][grad]") {
    // sebgao/cTensor#5: the second use of x*a lost its adjoint
    Graph g;
    auto x = g.input<double, 3>("x");
    auto a = g.input<double, 3>("a");
    auto xa = x * a;
    auto y = sum(xa + xa + (x * x) * a);
    auto [gx, ga] = grad(y, x, a);
    Machine m(compile(g, gx, ga));
    m.let(x, Tensor<double, Shape<3>>{1.0, -2.0, 0.5});
    m.let(a, Tensor<double, Shape<3>>{3.0, 0.5, -1.0});
    m.run();
    CHECK(values_of(m, gx) == std::vector<double>{2 * 3.0 + 2 * 1.0 * 3.0, 2 * 0.5 + 2 * -2.0 * 0.5, 2 * -1.0 + 2 * 0.5 * -1.0});
    CHECK(values_of(m, ga) == std::vector<double>{2 * 1.0 + 1.0, 2 * -2.0 + 4.0, 2 * 0.5 + 0.25});
}

TEST_CASE("x used on both sides of a matmul: d sum(x x^T)/dx sums both adjoints", "[autodiff][grad]") {
    // NervanaSystems/neon#169: dot(x, x^T). sum_ij (x x^T)_ij = sum_ij sum_k x_ik x_jk, so d/dx_ik = 2 sum_j x_jk
    Graph g;
    auto x = g.input<double, 2, 3>("x");
    auto gx = grad(sum(matmul(x, transpose(x))), x);
    Machine m(compile(g, gx));
    m.let(x, Tensor<double, Shape<2, 3>>{{1, 2, 3}, {4, 5, 6}});
    m.run();
    CHECK(values_of(m, gx) == std::vector<double>{10, 14, 18, 10, 14, 18});
}

TEST_CASE("gradients through broadcasting have the operand's shape and sum over broadcast axes", "[autodiff][grad]") {
    Graph g;
    auto x = g.input<double, 3, 4>("x");
    auto row = g.input<double, 4>("row");       // [4] against [3,4]: summed over the 3 rows
    auto col = g.input<double, 3, 1>("col");    // [3,1] against [3,4]: summed along each row
    auto s = g.input<double>("s");              // scalar against [3,4]: summed over everything
    auto y = sum((x + row) * col - s);
    auto [gx, grow, gcol, gs] = grad(y, x, row, col, s);
    static_assert(std::is_same_v<decltype(grow), Var<double, Shape<4>>>);
    static_assert(std::is_same_v<decltype(gcol), Var<double, Shape<3, 1>>>);
    static_assert(std::is_same_v<decltype(gs), Var<double, Shape<>>>);
    CHECK(g.node(grow.id()).dims == Dims{4});
    CHECK(g.node(gcol.id()).dims == Dims{3, 1});
    CHECK(g.node(gs.id()).dims.empty());
    Machine m(compile(g, y, gx, grow, gcol, gs));  // y too: no gradient reads s, and let() wants inputs the program reads
    Tensor<double, Shape<3, 4>> xv{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}};
    m.let(x, xv);
    m.let(row, Tensor<double, Shape<4>>{1, 1, 1, 1});
    m.let(col, Tensor<double, Shape<3, 1>>{{1}, {2}, {3}});
    m.let(s, Tensor<double, Shape<>>(0.5));
    m.run();
    CHECK(values_of(m, gx) == std::vector<double>{1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3});
    CHECK(values_of(m, grow) == std::vector<double>{6, 6, 6, 6});                 // sum of col
    CHECK(values_of(m, gcol) == std::vector<double>{1 + 2 + 3 + 4 + 4, 5 + 6 + 7 + 8 + 4, 9 + 10 + 11 + 12 + 4});  // sum of x + row
    CHECK(values_of(m, gs) == std::vector<double>{-12});
    CHECK(values_of(m, y) == std::vector<double>{(10 + 4) * 1 + (26 + 4) * 2 + (42 + 4) * 3 - 6});
}

TEST_CASE("the gradient of a parameter the loss does not use is zeros of its shape", "[autodiff][grad]") {
    Graph g;
    auto x = g.input<double, 2, 3>("x");
    auto w = g.param<double, 3, 2>("w", init::uniform(-1, 1, 3));
    auto unused = g.param<double, 5>("unused", init::constant(2.0));
    auto loss = sum(tanh(matmul(x, w)));
    auto [gw, gu] = grad(loss, w, unused);
    static_assert(std::is_same_v<decltype(gu), Var<double, Shape<5>>>);
    Machine m(compile(g, gw, gu));
    m.let(x, Tensor<double, Shape<2, 3>>{{1, 2, 3}, {4, 5, 6}});
    m.run();
    CHECK(values_of(m, gu) == std::vector<double>(5, 0.0));
    CHECK(has_gradient_path(g, loss.id(), w.id()));
    CHECK_FALSE(has_gradient_path(g, loss.id(), unused.id()));
}

TEST_CASE("has_gradient_path is false through argmax, one_hot and comparisons, true through ordinary ops", "[autodiff][grad]") {
    Graph g;
    auto x = g.input<double, 2, 3>("x");
    auto labels = g.input<std::int32_t, 2>("labels");
    auto through_argmax = sum(one_hot<3, double>(argmax<1>(x)));
    auto through_compare = sum(greater(x, x * 2.0) * 3.0);
    auto through_mask = sum(where(less(x, x + 1.0), x, x * 0.0));
    auto ordinary = sum(softmax(matmul(x, transpose(x))));
    CHECK_FALSE(has_gradient_path(g, through_argmax.id(), x.id()));
    CHECK_FALSE(has_gradient_path(g, through_compare.id(), x.id()));
    CHECK(has_gradient_path(g, through_mask.id(), x.id()));  // the values flow, only the mask stops
    CHECK(has_gradient_path(g, ordinary.id(), x.id()));
    CHECK_FALSE(has_gradient_path(g, sum(one_hot<3, double>(labels)).id(), labels.id()));
    CHECK_FALSE(has_gradient_path(g, x.id(), ordinary.id()));  // a node never depends on a later one
    // and grad() agrees: the gradient through a comparison is exactly zero
    auto gx = grad(through_compare, x);
    Machine m(compile(g, through_compare, gx));
    m.let(x, Tensor<double, Shape<2, 3>>{{1, -2, 3}, {-4, 5, -6}});
    m.run();
    CHECK(values_of(m, gx) == std::vector<double>(6, 0.0));
}

TEST_CASE("grad of a non-scalar output needs a seed, and vjp_of with a seed is the hand-computed VJP", "[autodiff][grad]") {
    Graph g;
    auto W = g.input<double, 2, 3>("W");
    auto x = g.input<double, 3>("x");
    auto y = matmul(W, x);  // Shape<2>
    const NodeId wrt[] = {x.id()};
    CHECK_THROWS_AS(grad(g, y.id(), wrt), Error);
    CHECK_THROWS_WITH(grad(g, y.id(), wrt), Catch::Contains("explicit seed"));
    auto seed = g.input<double, 2>("seed");
    auto [gW, gx] = vjp_of(y, seed, W, x);
    static_assert(std::is_same_v<decltype(gW), Var<double, Shape<2, 3>>>);
    static_assert(std::is_same_v<decltype(gx), Var<double, Shape<3>>>);
    Machine m(compile(g, gW, gx));
    const Tensor<double, Shape<2, 3>> Wv{{1, 2, 3}, {4, 5, 6}};
    const Tensor<double, Shape<3>> xv{0.5, -1, 2};
    const Tensor<double, Shape<2>> sv{3, -2};
    m.let(W, Wv);
    m.let(x, xv);
    m.let(seed, sv);
    m.run();
    // y_i = sum_k W_ik x_k: seed^T dy/dx = W^T seed, seed^T dy/dW = seed x^T
    std::vector<double> want_x(3, 0.0), want_W(6);
    for (std::size_t k = 0; k < 3; ++k)
        for (std::size_t i = 0; i < 2; ++i) want_x[k] += Wv(i, k) * sv(i);
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t k = 0; k < 3; ++k) want_W[i * 3 + k] = sv(i) * xv(k);
    CHECK(values_of(m, gx) == want_x);
    CHECK(values_of(m, gW) == want_W);
    // a seed of the wrong shape is an error naming both types
    auto bad_seed = g.input<double, 3>("bad_seed");
    CHECK_THROWS_WITH(grad(g, y.id(), wrt, bad_seed.id()), Catch::Contains("f64 Shape<2>") && Catch::Contains("f64 Shape<3>"));
}

TEST_CASE("grad of an integer or non-differentiable output throws graft::Error", "[autodiff][grad]") {
    Graph g;
    auto x = g.input<double, 2, 3>("x");
    auto labels = g.input<std::int32_t, 2>("labels");
    auto am = argmax<1>(x);  // int32
    const NodeId wrt[] = {x.id()};
    CHECK_THROWS_WITH(grad(g, am.id(), wrt), Catch::Contains("differentiable output"));
    const NodeId none[] = {labels.id()};
    CHECK_THROWS_WITH(grad(g, labels.id(), none), Catch::Contains("float or double output"));
    auto oh = sum(one_hot<3, double>(labels));  // float, but reached only through one_hot
    CHECK_NOTHROW(grad(g, oh.id(), wrt));        // d oh / dx = 0: allowed, zeros
}

TEST_CASE("typed grad returns Vars with the parameters' types", "[autodiff][grad]") {
    Graph g;
    auto x = g.input<float, 8, 3>("x");
    auto W = g.param<float, 3, 2>("W", init::glorot_uniform(1));
    auto b = g.param<float, 2>("b", init::zeros());
    auto loss = mean(square(matmul(x, W) + b));
    auto gW = grad(loss, W);
    auto [gW2, gb] = grad(loss, W, b);
    static_assert(std::is_same_v<decltype(gW), Var<float, Shape<3, 2>>>);
    static_assert(std::is_same_v<decltype(gW2), Var<float, Shape<3, 2>>>);
    static_assert(std::is_same_v<decltype(gb), Var<float, Shape<2>>>);
    CHECK(gW.node().dims == Dims{3, 2});
    CHECK(gb.node().dtype == DType::f32);
}

TEST_CASE("running the same machine repeatedly gives identical gradients", "[autodiff][grad]") {
    // Gorgonia TestIssue182, karpathy/micrograd#102: adjoints must not accumulate across runs
    Graph g;
    auto x = g.input<double, 2, 3>("x");
    auto w = g.param<double, 3>("w", init::uniform(-1, 1, 11));
    auto gw = grad(sum(sigmoid(matmul(x, w))), w);
    Machine m(compile(g, gw));
    m.let(x, Tensor<double, Shape<2, 3>>{{1, 2, 3}, {-1, 0.5, 2}});
    m.run();
    const auto first = values_of(m, gw);
    for (int i = 0; i < 3; ++i) {
        m.run();
        CHECK(values_of(m, gw) == first);
    }
}

TEST_CASE("second derivative of tanh equals -2 tanh(x) (1 - tanh(x)^2)", "[autodiff][grad][higher]") {
    Graph g;
    auto x = g.input<double, 7>("x");
    auto d1 = grad(sum(tanh(x)), x);  // 1 - tanh^2, elementwise
    auto d2 = grad(sum(d1), x);       // elementwise again, so the sum picks the diagonal
    Machine m(compile(g, d1, d2));
    const Tensor<double, Shape<7>> xv{-3.0, -1.2, -0.3, 0.0, 0.4, 1.1, 2.5};
    m.let(x, xv);
    m.run();
    const auto v1 = values_of(m, d1), v2 = values_of(m, d2);
    for (std::size_t i = 0; i < 7; ++i) {
        const double t = std::tanh(xv[i]);
        CHECK(v1[i] == Approx(1 - t * t).epsilon(1e-14).margin(1e-15));
        CHECK(v2[i] == Approx(-2 * t * (1 - t * t)).epsilon(1e-12).margin(1e-15));
    }
}

TEST_CASE("Hessian-vector products match finite differences of the gradient", "[autodiff][grad][higher]") {
    // HVP(x, v) = grad(sum(grad(f, x) * v), x) = H(x) v, compared with (grad f(x + hv) - grad f(x - hv)) / 2h
    Graph g;
    auto x = g.input<double, 3>("x");
    auto v = g.input<double, 3>("v");
    const Tensor<double, Shape<3, 3>> Wt{{0.5, -1.0, 0.3}, {0.2, 0.8, -0.6}, {-0.4, 0.1, 0.9}};
    auto W = g.constant(Wt, "W");
    SECTION("f(x) = sum(tanh(W x)^2)") {
        auto f = sum(square(tanh(matmul(W, x))));
        auto gx = grad(f, x);
        auto hvp = grad(sum(gx * v), x);
        Machine m(compile(g, gx, hvp));
        const Tensor<double, Shape<3>> x0{0.3, -0.7, 1.1}, v0{1.0, 0.5, -2.0};
        m.let(v, v0);
        m.let(x, x0);
        m.run();
        const auto analytic = values_of(m, hvp);
        const double h = 1e-5;
        Tensor<double, Shape<3>> xp, xm;
        for (std::size_t i = 0; i < 3; ++i) {
            xp[i] = x0[i] + h * v0[i];
            xm[i] = x0[i] - h * v0[i];
        }
        m.let(x, xp);
        m.run();
        const auto gp = values_of(m, gx);
        m.let(x, xm);
        m.run();
        const auto gm = values_of(m, gx);
        for (std::size_t i = 0; i < 3; ++i) CHECK(analytic[i] == Approx((gp[i] - gm[i]) / (2 * h)).epsilon(1e-6).margin(1e-8));
    }
    SECTION("f(x) = sum(x^4) + x0 x1: H = diag(12 x^2) + [[0,1,0],[1,0,0],[0,0,0]]") {
        auto f = sum(pow(x, 4.0)) + sum(slice<0, 0, 1>(x) * slice<0, 1, 2>(x));
        auto gx = grad(f, x);
        auto hvp = grad(sum(gx * v), x);
        Machine m(compile(g, gx, hvp));
        const Tensor<double, Shape<3>> x0{0.5, -1.5, 2.0}, v0{1.0, 2.0, -1.0};
        m.let(x, x0);
        m.let(v, v0);
        m.run();
        const auto hv = values_of(m, hvp);
        CHECK(hv[0] == Approx(12 * 0.25 * 1.0 + 2.0).epsilon(1e-12));
        CHECK(hv[1] == Approx(12 * 2.25 * 2.0 + 1.0).epsilon(1e-12));
        CHECK(hv[2] == Approx(12 * 4.0 * -1.0).epsilon(1e-12));
    }
}

TEST_CASE("the full Hessian of f(a, b, c) = a^2 b + b c^3 + exp(a c) equals the analytic one", "[autodiff][grad][higher]") {
    Graph g;
    auto x = g.input<double, 3>("x");
    auto a = slice<0, 0, 1>(x);
    auto b = slice<0, 1, 2>(x);
    auto c = slice<0, 2, 3>(x);
    auto f = sum(square(a) * b + b * pow(c, 3.0) + exp(a * c));
    auto gx = grad(f, x);
    auto row0 = grad(sum(slice<0, 0, 1>(gx)), x);
    auto row1 = grad(sum(slice<0, 1, 2>(gx)), x);
    auto row2 = grad(sum(slice<0, 2, 3>(gx)), x);
    Machine m(compile(g, gx, row0, row1, row2));
    const double A = 0.7, B = -1.3, C = 0.4;
    m.let(x, Tensor<double, Shape<3>>{A, B, C});
    m.run();
    const double e = std::exp(A * C);
    const std::vector<double> grad_want = {2 * A * B + C * e, A * A + C * C * C, 3 * B * C * C + A * e};
    const std::array<std::vector<double>, 3> H = {std::vector<double>{2 * B + C * C * e, 2 * A, e + A * C * e},
                                                  std::vector<double>{2 * A, 0.0, 3 * C * C},
                                                  std::vector<double>{e + A * C * e, 3 * C * C, 6 * B * C + A * A * e}};
    const auto gv = values_of(m, gx);
    for (std::size_t i = 0; i < 3; ++i) CHECK(gv[i] == Approx(grad_want[i]).epsilon(1e-13));
    const std::array<std::vector<double>, 3> rows = {values_of(m, row0), values_of(m, row1), values_of(m, row2)};
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            INFO("H[" << i << "][" << j << "]");
            CHECK(rows[i][j] == Approx(H[i][j]).epsilon(1e-12).margin(1e-14));
        }
}

TEST_CASE("grad of grad through matmul: d/dW <2 X^T X W, V> = 2 X^T X V", "[autodiff][grad][higher]") {
    Graph g;
    auto X = g.input<double, 4, 3>("X");
    auto W = g.input<double, 3, 2>("W");
    auto V = g.input<double, 3, 2>("V");
    auto g1 = grad(sum(square(matmul(X, W))), W);  // 2 X^T X W
    auto g2 = grad(sum(g1 * V), W);                // linear in W: 2 X^T X V
    Machine m(compile(g, g1, g2));
    const Tensor<double, Shape<4, 3>> Xv{{1, 0, 2}, {-1, 3, 0.5}, {0, 1, 1}, {2, -2, 1}};
    const Tensor<double, Shape<3, 2>> Wv{{0.5, -1}, {1, 2}, {-0.5, 0.25}};
    const Tensor<double, Shape<3, 2>> Vv{{1, 0}, {0, 1}, {2, -1}};
    m.let(X, Xv);
    m.let(W, Wv);
    m.let(V, Vv);
    m.run();
    auto two_xtx_times = [&](const Tensor<double, Shape<3, 2>>& M) {
        std::vector<double> r(6, 0.0);
        for (std::size_t i = 0; i < 3; ++i)
            for (std::size_t j = 0; j < 2; ++j)
                for (std::size_t k = 0; k < 3; ++k)
                    for (std::size_t n = 0; n < 4; ++n) r[i * 2 + j] += 2 * Xv(n, i) * Xv(n, k) * M(k, j);
        return r;
    };
    const auto want1 = two_xtx_times(Wv), want2 = two_xtx_times(Vv);
    const auto got1 = values_of(m, g1), got2 = values_of(m, g2);
    for (std::size_t i = 0; i < 6; ++i) {
        CHECK(got1[i] == Approx(want1[i]).epsilon(1e-13));
        CHECK(got2[i] == Approx(want2[i]).epsilon(1e-13));
    }
}

TEST_CASE("second derivatives of a batched matmul with a rank-1 operand pass gradcheck", "[autodiff][grad][higher]") {
    // gradgradcheck: the function checked is itself a gradient, so its gradient is a Hessian-vector product
    std::vector<GradcheckInput> ins(2);
    ins[0].dims = {2, 3, 4};
    ins[1].dims = {4};
    Rng rng(5);
    for (auto& in : ins) {
        std::size_t n = 1;
        for (auto d : in.dims) n *= d;
        for (std::size_t i = 0; i < n; ++i) in.values.push_back(rng.uniform(-1, 1));
    }
    const auto r = gradcheck_ir(
        [](Graph& g, std::span<const NodeId> xs) {
            const NodeId y = ir::unary(g, OpKind::tanh, ir::matmul(g, xs[0], xs[1]));  // [2,3]
            const NodeId loss = ir::sum_all(g, ir::mul(g, y, y));
            const std::vector<NodeId> wrt(xs.begin(), xs.end());
            const auto grads = grad(g, loss, wrt);
            return ir::add(g, ir::sum_all(g, ir::mul(g, grads[0], grads[0])), ir::sum_all(g, grads[1]));
        },
        ins);
    INFO(r.worst);
    CHECK(r.ok);
    CHECK(r.checked == 28);
}
