// SPDX-License-Identifier: MIT
// tests/nn/numerics_test.cpp: numerical robustness (TESTING.md N1-N6), every value checked against an
// independent long double (or double) computation written here, never against graft itself:
//  - softmax, log_softmax and cross_entropy with all-equal logits (0, +-1e4, +-the largest finite value)
//    are exactly uniform / -log n / log n, and with logits mixing +-1e4, near-overflow and tiny values
//    their forward values and gradients equal the closed forms (softmax - onehot)/N etc., in float and double;
//  - sigmoid, tanh and softplus saturate to exact 0, 1 (or x) with zero, never NaN, gradients up to 3e38
//    (float) / 1e308 (double), and sigmoid is ulp-accurate where it is small but not yet 0;
//  - the eps guards graft promises (BatchNorm2d's variance eps, the optimizers' denominators, the
//    clip_grad_norm zero-norm check) keep a zero variance / zero gradient finite and exact; plain
//    division by zero is IEEE (inf, NaN) and deliberately not guarded;
//  - sums and means of 1e7 floats (eager and compiled) stay within log2(n) eps sum|x| of a long double
//    sum, a bound a float running sum of the same data breaks;
//  - one SGD step of a 20-32-10 relu MLP gives the same loss, gradients and new parameters in float and
//    double to 1e-5 (norm-wise relative).
// Three of these tests found library bugs, fixed with them (each comment says which): cross_entropy with a
// -inf logit was NaN, float sigmoid below -9 was up to ~1000 ulps off, centered RMSprop went NaN.
#include <catch2/catch.hpp>
#include <graft/nn.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "support/reference.hpp"

using namespace graft;

namespace {
namespace numerics {

using ld = long double;

template <class T>
constexpr ld eps() {
    return static_cast<ld>(std::numeric_limits<T>::epsilon());
}

/// Distance of `got` from the exact `ref`, in units of the spacing of T at T(ref) (0.5 = correctly rounded).
/// Infinite when one of them is not finite and they differ.
template <class T>
double ulps(T got, ld ref) {
    const T r = static_cast<T>(ref);
    if (got == r) return 0.0;
    if (!std::isfinite(got) || !std::isfinite(r)) return std::numeric_limits<double>::infinity();
    const T a = std::fabs(r);
    const T spacing = a == T(0) ? std::numeric_limits<T>::denorm_min() : static_cast<T>(std::nextafter(a, std::numeric_limits<T>::infinity()) - a);
    return static_cast<double>(std::fabs(static_cast<ld>(got) - ref) / static_cast<ld>(spacing));
}

/// Exact-ish references in long double.
inline ld sigmoid_ref(ld x) { return 1.0L / (1.0L + std::exp(-x)); }
inline ld softplus_ref(ld x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

/// Row-wise softmax of an [rows, cols] row-major block, in long double, max-shifted.
inline std::vector<ld> softmax_rows(const std::vector<ld>& x, std::size_t rows, std::size_t cols, std::vector<ld>* lse_out = nullptr) {
    std::vector<ld> s(x.size());
    for (std::size_t i = 0; i < rows; ++i) {
        ld m = x[i * cols];
        for (std::size_t j = 1; j < cols; ++j) m = std::max(m, x[i * cols + j]);
        ld z = 0;
        for (std::size_t j = 0; j < cols; ++j) z += std::exp(x[i * cols + j] - m);
        for (std::size_t j = 0; j < cols; ++j) s[i * cols + j] = std::exp(x[i * cols + j] - m) / z;
        if (lse_out) lse_out->push_back(m + std::log(z));
    }
    return s;
}

template <class V>
std::vector<ld> widen(const V& v, std::size_t n) {
    std::vector<ld> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<ld>(v.data()[i]);
    return out;
}

/// max_i |a_i - b_i| / max_i |b_i|: the norm-wise relative difference (BLAS-test style), robust to the
/// elements that are near 0 only because of cancellation.
template <class T>
double normwise_rel(const T* a, const double* b, std::size_t n) {
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < n; ++i) {
        diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
        scale = std::max(scale, std::fabs(b[i]));
    }
    return scale == 0 ? diff : diff / scale;
}

// ---------------------------------------------------------------- the float/double MLP
constexpr std::size_t kMlpBatch = 16, kMlpIn = 20, kMlpHidden = 32, kMlpClasses = 10;

template <class T>
struct Mlp {
    Graph g;
    Var<T, Shape<kMlpBatch, kMlpIn>> x = g.input<T, kMlpBatch, kMlpIn>("x");
    Var<std::int32_t, Shape<kMlpBatch>> y = g.input<std::int32_t, kMlpBatch>("y");
    nn::Linear<kMlpIn, kMlpHidden, T> fc1{g, "fc1", 1};
    nn::Linear<kMlpHidden, kMlpClasses, T> fc2{g, "fc2", 2};
    Var<T, Shape<>> loss = nn::cross_entropy(fc2(relu(fc1(x))), y);
    nn::ParamGrads pg = nn::param_grads(loss, fc1, fc2);
    Machine m{compile(g, pg.outputs(loss))};

    Mlp(const std::vector<std::vector<double>>& params, const std::vector<double>& xs, const std::vector<std::int32_t>& ys) {
        for (std::size_t k = 0; k < pg.items.size(); ++k) {
            auto* e = m.params().find(pg.items[k].name);
            T* p = reinterpret_cast<T*>(e->data.data());
            for (std::size_t i = 0; i < e->size(); ++i) p[i] = static_cast<T>(params[k][i]);
        }
        Tensor<T, Shape<kMlpBatch, kMlpIn>> xv;
        for (std::size_t i = 0; i < xv.size(); ++i) xv.data()[i] = static_cast<T>(xs[i]);
        Tensor<std::int32_t, Shape<kMlpBatch>> yv;
        for (std::size_t i = 0; i < kMlpBatch; ++i) yv[i] = ys[i];
        m.let(x, xv);
        m.let(y, yv);
    }
    Mlp(const Mlp&) = delete;
    Mlp& operator=(const Mlp&) = delete;

    const T* param(std::size_t k) { return reinterpret_cast<const T*>(m.params().find(pg.items[k].name)->data.data()); }
    std::size_t count(std::size_t k) { return m.params().find(pg.items[k].name)->size(); }
    const T* gradient(std::size_t k) { return static_cast<const T*>(m.output_data(pg.items[k].grad)); }
};

template <class T>
std::vector<double> as_double(const T* p, std::size_t n) {
    return std::vector<double>(p, p + n);
}

}  // namespace numerics
}  // namespace

// ================================================================ 1. softmax, log_softmax, cross-entropy

TEMPLATE_TEST_CASE("numerics: softmax, log_softmax and cross_entropy of all-equal logits are exactly uniform, -log n and log n",
                   "[nn][numerics]", float, double) {
    using T = TestType;
    using numerics::ld;
    constexpr std::size_t N = 5, C = 10;
    const T big = std::numeric_limits<T>::max();
    const T row_value[N] = {T(0), T(1e4), T(-1e4), big, -big};  // x - max(x) is 0 in every row: no overflow anywhere

    Graph g;
    auto x = g.input<T, N, C>("logits");
    auto w = g.input<T, N, C>("w");
    auto y = g.input<std::int32_t, N>("y");
    auto sm = softmax(x);
    auto lsm = log_softmax(x);
    auto ce = nn::cross_entropy(x, y);
    auto g_ce = grad(ce, x);
    auto g_sm = grad(sum(w * sm), x);
    auto g_lsm = grad(sum(w * lsm), x);
    Machine m(compile(g, sm, lsm, ce, g_ce, g_sm, g_lsm));
    Tensor<T, Shape<N, C>> xv, wv;
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = 0; j < C; ++j) xv(i, j) = row_value[i];
    graft_test::randomize(wv, 31, -1.0, 1.0);
    const Tensor<std::int32_t, Shape<N>> yv{0, 3, 9, 5, 7};
    m.let(x, xv);
    m.let(w, wv);
    m.let(y, yv);
    m.run();

    const ld log_n = std::log(static_cast<ld>(C));
    const ld tol = 8 * numerics::eps<T>();  // a few roundings of O(1) values
    for (std::size_t i = 0; i < N; ++i) {
        ld wsum = 0;
        for (std::size_t j = 0; j < C; ++j) wsum += static_cast<ld>(wv(i, j));
        for (std::size_t j = 0; j < C; ++j) {
            INFO("row " << i << " (logits " << row_value[i] << "), column " << j);
            CHECK(m.value(sm)(i, j) == T(1) / T(C));                      // exp(0) / 10, bit for bit
            CHECK(numerics::ulps(m.value(lsm)(i, j), -log_n) <= 1.0);     // -log 10 within 1 ulp
            const ld onehot = static_cast<ld>(yv[i]) == static_cast<ld>(j) ? 1 : 0;
            const ld want_ce = (1.0L / C - onehot) / N;                   // (softmax - onehot) / batch
            const ld want_sm = (static_cast<ld>(wv(i, j)) - wsum / C) / C; // s_j (w_j - sum_k w_k s_k)
            const ld want_lsm = static_cast<ld>(wv(i, j)) - wsum / C;     // w_j - s_j sum_k w_k
            REQUIRE(std::isfinite(m.value(g_ce)(i, j)));
            REQUIRE(std::isfinite(m.value(g_sm)(i, j)));
            REQUIRE(std::isfinite(m.value(g_lsm)(i, j)));
            CHECK(std::fabs(static_cast<ld>(m.value(g_ce)(i, j)) - want_ce) <= tol);
            CHECK(std::fabs(static_cast<ld>(m.value(g_sm)(i, j)) - want_sm) <= tol);
            CHECK(std::fabs(static_cast<ld>(m.value(g_lsm)(i, j)) - want_lsm) <= tol * (1 + std::fabs(wsum)));
        }
    }
    CHECK(numerics::ulps(m.value(ce).item(), log_n) <= 2.0);  // the mean of five copies of log 10
}

TEMPLATE_TEST_CASE("numerics: softmax, log_softmax and cross_entropy match long double for logits mixing +-1e4, near-overflow and tiny values",
                   "[nn][numerics]", float, double) {
    using T = TestType;
    using numerics::ld;
    constexpr std::size_t N = 4, C = 6;
    const T big = static_cast<T>(0.9L * static_cast<ld>(std::numeric_limits<T>::max()));  // 3.06e38 (float), 1.6e308 (double)
    const Tensor<T, Shape<N, C>> xv{
        {T(1e4), T(-1e4), T(1e-4), T(-1e-4), T(0), T(1e4)},       // two maxima, tiny and huge values
        {T(1e4), T(9999), T(9998), T(-1e4), T(1e-30), T(9997)},  // only the differences near the max matter
        {T(-1e4), T(-9999), T(-1e4), T(-9998), T(-1e4), T(-1e4)},  // all far below 0: exp(x) alone underflows
        {big, -big, T(1), T(-1), big / 2, T(0)},                 // x - max(x) overflows to -inf for -big
    };
    const Tensor<std::int32_t, Shape<N>> yv{0, 1, 3, 0};

    Graph g;
    auto x = g.input<T, N, C>("logits");
    auto w = g.input<T, N, C>("w");
    auto y = g.input<std::int32_t, N>("y");
    auto sm = softmax(x);
    auto lsm = log_softmax(x);
    auto ce = nn::cross_entropy(x, y);
    auto g_ce = grad(ce, x);
    auto g_sm = grad(sum(w * sm), x);
    auto g_lsm = grad(sum(w * lsm), x);
    Machine m(compile(g, sm, lsm, ce, g_ce, g_sm, g_lsm));
    Tensor<T, Shape<N, C>> wv;
    graft_test::randomize(wv, 32, -1.0, 1.0);
    m.let(x, xv);
    m.let(w, wv);
    m.let(y, yv);
    m.run();

    // references from the (already rounded) inputs, in long double, where none of this overflows
    const auto xl = numerics::widen(xv, N * C);
    std::vector<ld> lse;
    const auto s = numerics::softmax_rows(xl, N, C, &lse);
    const ld e = numerics::eps<T>();
    const ld tiny = 2 * static_cast<ld>(std::numeric_limits<T>::min());  // exp of x - max << 0 may give a tiny normal, not 0
    ld want_loss = 0;
    for (std::size_t i = 0; i < N; ++i) {
        want_loss += lse[i] - xl[i * C + static_cast<std::size_t>(yv[i])];
        ld ws = 0, wsum = 0;
        for (std::size_t j = 0; j < C; ++j) {
            ws += static_cast<ld>(wv(i, j)) * s[i * C + j];
            wsum += static_cast<ld>(wv(i, j));
        }
        for (std::size_t j = 0; j < C; ++j) {
            INFO("row " << i << ", column " << j << ": logit " << xv(i, j));
            const ld sj = s[i * C + j];
            const ld lsm_ref = xl[i * C + j] - lse[i];  // finite in long double; rounds to -inf in T for x = -big
            const T got_sm = m.value(sm)(i, j), got_lsm = m.value(lsm)(i, j);
            REQUIRE(std::isfinite(got_sm));
            CHECK(std::fabs(static_cast<ld>(got_sm) - sj) <= 8 * e * sj + tiny);
            if (std::isfinite(static_cast<T>(lsm_ref))) {
                REQUIRE(std::isfinite(got_lsm));
                CHECK(std::fabs(static_cast<ld>(got_lsm) - lsm_ref) <= 4 * e * (std::fabs(lsm_ref) + 1));
            } else {
                CHECK(got_lsm == static_cast<T>(lsm_ref));  // -1.8 * max: the correctly rounded -inf
            }
            const ld onehot = static_cast<ld>(yv[i]) == static_cast<ld>(j) ? 1 : 0;
            const ld want_ce = (sj - onehot) / N;
            const ld want_sm = sj * (static_cast<ld>(wv(i, j)) - ws);
            const ld want_lsm = static_cast<ld>(wv(i, j)) - sj * wsum;
            REQUIRE(std::isfinite(m.value(g_ce)(i, j)));  // the backward pass is finite too (FluxML/NNlib.jl#68)
            REQUIRE(std::isfinite(m.value(g_sm)(i, j)));
            REQUIRE(std::isfinite(m.value(g_lsm)(i, j)));
            CHECK(std::fabs(static_cast<ld>(m.value(g_ce)(i, j)) - want_ce) <= 8 * e);
            CHECK(std::fabs(static_cast<ld>(m.value(g_sm)(i, j)) - want_sm) <= 8 * e);
            CHECK(std::fabs(static_cast<ld>(m.value(g_lsm)(i, j)) - want_lsm) <= 8 * e * (1 + std::fabs(wsum)));
        }
    }
    want_loss /= N;
    // Found by this test, fixed: row 3's log_softmax is -inf at x = -big (correctly rounded), and nn::nll
    // used to pick the label's log-probability as sum(one_hot(y) * log_probs), so 0 * -inf = NaN poisoned
    // the loss although the label's own log-probability (and the exact loss) is finite. nll now selects
    // (where(one_hot, logp, 0)).
    CHECK(std::isfinite(m.value(ce).item()));
    CHECK(std::fabs(static_cast<ld>(m.value(ce).item()) - want_loss) <= 8 * e * want_loss);
}

// The practical face of the one above (fixed with it): a logit masked with -inf (attention-style masking)
// gives log_softmax -inf there, and cross_entropy = nll(log_softmax) used to multiply it by the one-hot 0:
// the loss was NaN even though the label is not masked.
TEMPLATE_TEST_CASE("numerics: cross_entropy with a -inf (masked) logit away from the label is finite", "[nn][numerics]", float, double) {
    using T = TestType;
    using numerics::ld;
    constexpr T inf = std::numeric_limits<T>::infinity();
    constexpr std::size_t N = 2, C = 4;
    const Tensor<T, Shape<N, C>> xv{{-inf, T(1), T(2), T(0.5)}, {T(3), -inf, -inf, T(0)}};
    const Tensor<std::int32_t, Shape<N>> yv{2, 0};
    Graph g;
    auto x = g.input<T, N, C>("logits");
    auto y = g.input<std::int32_t, N>("y");
    auto sm = softmax(x);
    auto lsm = log_softmax(x);
    auto ce = nn::cross_entropy(x, y);
    auto g_ce = grad(ce, x);
    Machine m(compile(g, sm, lsm, ce, g_ce));
    m.let(x, xv);
    m.let(y, yv);
    m.run();
    const auto xl = numerics::widen(xv, N * C);
    std::vector<ld> lse;
    const auto s = numerics::softmax_rows(xl, N, C, &lse);  // exp(-inf) = 0 in long double
    const ld e = numerics::eps<T>();
    ld want_loss = 0;
    for (std::size_t i = 0; i < N; ++i) {
        want_loss += (lse[i] - xl[i * C + static_cast<std::size_t>(yv[i])]) / N;
        for (std::size_t j = 0; j < C; ++j) {
            INFO("row " << i << ", column " << j);
            const ld sj = s[i * C + j];
            CHECK(std::fabs(static_cast<ld>(m.value(sm)(i, j)) - sj) <= 8 * e * sj + 2 * static_cast<ld>(std::numeric_limits<T>::min()));
            if (std::isinf(xv(i, j))) CHECK(m.value(lsm)(i, j) == -inf);
            else CHECK(std::fabs(static_cast<ld>(m.value(lsm)(i, j)) - (xl[i * C + j] - lse[i])) <= 4 * e * (1 + std::fabs(xl[i * C + j] - lse[i])));
            const ld onehot = static_cast<ld>(yv[i]) == static_cast<ld>(j) ? 1 : 0;
            REQUIRE(std::isfinite(m.value(g_ce)(i, j)));
            CHECK(std::fabs(static_cast<ld>(m.value(g_ce)(i, j)) - (sj - onehot) / N) <= 8 * e);
        }
    }
    INFO("cross_entropy " << m.value(ce).item() << ", exact " << static_cast<double>(want_loss));
    CHECK(std::isfinite(m.value(ce).item()));
    CHECK(std::fabs(static_cast<ld>(m.value(ce).item()) - want_loss) <= 8 * e * want_loss);
}

// ================================================================ 2. sigmoid, tanh, softplus saturation

TEMPLATE_TEST_CASE("numerics: sigmoid, tanh and softplus saturate to exact 0, 1 or x with zero gradients up to the largest finite value",
                   "[nn][numerics]", float, double) {
    using T = TestType;
    using numerics::ld;
    constexpr std::size_t K = 8;
    const T big = static_cast<T>(std::is_same_v<T, float> ? 3e38 : 1e308);
    const Tensor<T, Shape<K>> xv{-big, T(-1e4), T(-50), T(-10), T(10), T(50), T(1e4), big};

    Graph g;
    auto x = g.input<T, K>("x");
    auto sg = sigmoid(x);
    auto th = tanh(x);
    auto sp = softplus(x);
    auto g_sg = grad(sum(sg), x);
    auto g_th = grad(sum(th), x);
    auto g_sp = grad(sum(sp), x);
    Machine m(compile(g, sg, th, sp, g_sg, g_th, g_sp));
    m.let(x, xv);
    m.run();
    // the eager tensor functions share the kernels: bit for bit the same
    CHECK(array_equal(sigmoid(xv), m.value(sg)));
    CHECK(array_equal(tanh(xv), m.value(th)));
    CHECK(array_equal(softplus(xv), m.value(sp)));

    const ld e = numerics::eps<T>();
    for (std::size_t i = 0; i < K; ++i) {
        const T xi = xv[i];
        const ld xl = static_cast<ld>(xi);
        INFO("x = " << xi);
        const T s = m.value(sg)[i], t = m.value(th)[i], p = m.value(sp)[i];
        REQUIRE(std::isfinite(s));
        REQUIRE(std::isfinite(t));
        REQUIRE(std::isfinite(p));
        // forward: saturated values exact, the rest within 1 ulp of long double
        if (xi <= T(-1e4)) {
            CHECK(s == T(0));
            CHECK(p == T(0));
        }
        if (xi >= T(50)) {
            CHECK(s == T(1));
            CHECK(p == xi);  // x + log1p(exp(-x)) rounds to x
        }
        if (std::fabs(xi) >= T(50)) CHECK(t == (xi > 0 ? T(1) : T(-1)));
        if (xi > T(-10)) CHECK(numerics::ulps(s, numerics::sigmoid_ref(xl)) <= 1.0);  // x = -10: see the next test
        CHECK(numerics::ulps(t, std::tanh(xl)) <= 1.0);
        CHECK(numerics::ulps(p, numerics::softplus_ref(xl)) <= 1.0);

        // backward: finite, 0 (or the tiny exact value) when saturated, else within a few eps (|f'| <= 1)
        const T gs = m.value(g_sg)[i], gt = m.value(g_th)[i], gp = m.value(g_sp)[i];
        REQUIRE(std::isfinite(gs));
        REQUIRE(std::isfinite(gt));
        REQUIRE(std::isfinite(gp));
        const ld sig = numerics::sigmoid_ref(xl);
        const ld want_gs = sig * numerics::sigmoid_ref(-xl);  // sigma(x) sigma(-x)
        const ld ch = std::cosh(std::min(std::fabs(xl), 10000.0L));
        const ld want_gt = 1 / (ch * ch);  // sech^2, 0 in T beyond |x| = 1e4
        CHECK(std::fabs(static_cast<ld>(gs) - want_gs) <= 4 * e);
        CHECK(std::fabs(static_cast<ld>(gt) - want_gt) <= 4 * e);
        CHECK(std::fabs(static_cast<ld>(gp) - sig) <= 4 * e);
        if (std::fabs(xi) >= T(1e4)) {
            CHECK(gs == T(0));
            CHECK(gt == T(0));
            CHECK(gp == (xi > 0 ? T(1) : T(0)));
        }
    }
}

// Found by this test, fixed: float sigmoid used Eigen 3.4's scalar_logistic_op<float>, which for x < -9
// returns exp(x) instead of exp(x) / (1 + exp(x)): a relative error of exp(x), 1.2e-4 at x = -9 and
// 4.5e-5 (about 570 float ulps) at x = -10, shrinking below 1 ulp only near x = -17. The kernels now
// compute e / (1 + e) with e = exp(-|x|) for x < 0 (tensor/detail/unary.hpp, sigmoid_array).
TEMPLATE_TEST_CASE("numerics: sigmoid is within 4 ulps of long double where it is small but not yet 0", "[nn][numerics]", float, double) {
    using T = TestType;
    const Tensor<T, Shape<7>> xv{T(-30), T(-17), T(-14), T(-12), T(-10), T(-9.5), T(-9.01)};
    Graph g;
    auto x = g.input<T, 7>("x");
    auto sg = sigmoid(x);
    Machine m(compile(g, sg));
    m.let(x, xv);
    m.run();
    for (std::size_t i = 0; i < 7; ++i) {
        INFO("x = " << xv[i] << ": sigmoid " << m.value(sg)[i] << ", exact " << static_cast<double>(numerics::sigmoid_ref(xv[i])));
        CHECK(numerics::ulps(m.value(sg)[i], numerics::sigmoid_ref(static_cast<numerics::ld>(xv[i]))) <= 4.0);
        CHECK(numerics::ulps(sigmoid(xv)[i], numerics::sigmoid_ref(static_cast<numerics::ld>(xv[i]))) <= 4.0);
    }
}

// ================================================================ 3. divisions by (near) zero

TEMPLATE_TEST_CASE("numerics: BatchNorm2d of a constant batch outputs its bias exactly, with finite closed-form gradients",
                   "[nn][numerics]", float, double) {
    // eps keeps (x - mean) / sqrt(var + eps) at 0 / sqrt(eps) = 0 when var is 0. N, H, W are powers of two,
    // so the means of the constant channels are exact and x - mean is exactly 0.
    using T = TestType;
    using numerics::ld;
    constexpr std::size_t N = 4, C = 3, H = 4, W = 2, M = N * H * W;
    const T value[C] = {T(3), T(-1.5), T(1e3)};
    const T weight[C] = {T(2), T(-0.5), T(1.5)}, bias[C] = {T(0.25), T(-3), T(7)};

    Graph g;
    auto x = g.input<T, N, C, H, W>("x");
    auto r = g.input<T, N, C, H, W>("r");
    nn::BatchNorm2d<C, T> bn(g, "bn");  // eps 1e-5
    auto yt = bn(x);
    auto loss = sum(yt * r);
    auto [gx, gw, gb] = grad(loss, x, bn.weight, bn.bias);
    bn.train(false);
    auto ye = bn(x);  // evaluation: the running variance is set to 0 below
    Machine m(compile(g, yt, ye, gx, gw, gb, bn.batch_var()));
    for (std::size_t c = 0; c < C; ++c) {
        m.param(bn.weight)(c) = weight[c];
        m.param(bn.bias)(c) = bias[c];
        m.param(bn.running_var)(c) = T(0);
        m.param(bn.running_mean)(c) = T(0);
    }
    Tensor<T, Shape<N, C, H, W>> xv, rv;
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t i = 0; i < H; ++i)
                for (std::size_t j = 0; j < W; ++j) xv(n, c, i, j) = value[c];
    graft_test::randomize(rv, 41, -1.0, 1.0);
    m.let(x, xv);
    m.let(r, rv);
    m.run();

    const ld sigma = std::sqrt(static_cast<ld>(static_cast<T>(1e-5)));  // sqrt(0 + eps)
    const ld e = numerics::eps<T>();
    for (std::size_t c = 0; c < C; ++c) {
        INFO("channel " << c);
        CHECK(m.value(bn.batch_var())(c) == T(0));
        ld rsum = 0;
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t i = 0; i < H; ++i)
                for (std::size_t j = 0; j < W; ++j) rsum += static_cast<ld>(rv(n, c, i, j));
        const ld rmean = rsum / M;
        CHECK(m.value(gw)(c) == T(0));                                                  // sum(g * xhat), xhat = 0
        CHECK(std::fabs(static_cast<ld>(m.value(gb)(c)) - rsum) <= 16 * e * M);         // sum(g)
        const ld scale = static_cast<ld>(weight[c]) / sigma;                           // 316 |w|: large, finite
        const ld eval_ref = static_cast<ld>(value[c]) / sigma * static_cast<ld>(weight[c]) + static_cast<ld>(bias[c]);
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t i = 0; i < H; ++i)
                for (std::size_t j = 0; j < W; ++j) {
                    CHECK(m.value(yt)(n, c, i, j) == bias[c]);  // training: exactly beta
                    // evaluation with running_var 0: (x - 0) / sqrt(eps) * w + b, finite
                    const T ev = m.value(ye)(n, c, i, j);
                    REQUIRE(std::isfinite(ev));
                    CHECK(std::fabs(static_cast<ld>(ev) - eval_ref) <= 8 * e * std::fabs(eval_ref));
                    // dL/dx = (w / sigma) (g - mean(g) - xhat mean(g xhat)) with xhat = 0
                    const T gxv = m.value(gx)(n, c, i, j);
                    REQUIRE(std::isfinite(gxv));
                    const ld want = scale * (static_cast<ld>(rv(n, c, i, j)) - rmean);
                    CHECK(std::fabs(static_cast<ld>(gxv) - want) <= 32 * e * std::fabs(scale));
                }
    }
}

TEMPLATE_TEST_CASE("numerics: Adam, AdamW, RMSprop and Adagrad leave parameters unchanged on all-zero gradients, and clip_grad_norm skips a zero norm",
                   "[nn][numerics]", float, double) {
    // each update divides by sqrt(second moment) + eps; with g = 0 that is 0 / eps = 0, never 0 / 0
    using T = TestType;
    Graph g;
    auto p = g.param<T, 2, 5>("p", init::uniform(-1, 1, 5));
    auto z = g.input<T, 2, 5>("z");
    auto loss = sum(p * z);  // dloss/dp = z, fed zeros
    const auto pg = nn::param_grads(loss, p);
    const std::vector<std::string> names{"Adam", "AdamW", "RMSprop", "RMSprop centered+momentum", "Adagrad"};
    for (std::size_t k = 0; k < names.size(); ++k) {
        INFO(names[k]);
        Machine m(compile(g, pg.outputs(loss)));
        m.let(z, Tensor<T, Shape<2, 5>>{});
        std::unique_ptr<nn::Optimizer> opt;
        if (k == 0) opt = std::make_unique<nn::Adam>(m, pg, nn::AdamOptions{.lr = 0.1});
        if (k == 1) opt = std::make_unique<nn::AdamW>(m, pg, nn::AdamOptions{.lr = 0.1, .weight_decay = 0.0});
        if (k == 2) opt = std::make_unique<nn::RMSprop>(m, pg, nn::RMSpropOptions{.lr = 0.1});
        if (k == 3) opt = std::make_unique<nn::RMSprop>(m, pg, nn::RMSpropOptions{.lr = 0.1, .momentum = 0.9, .centered = true});
        if (k == 4) opt = std::make_unique<nn::Adagrad>(m, pg, nn::AdagradOptions{.lr = 0.1});
        const Tensor<T, Shape<2, 5>> before = Tensor<T, Shape<2, 5>>::from_range(m.param(p).flat());
        for (int step = 0; step < 3; ++step) {
            m.run();
            CHECK(opt->clip_grad_norm(1.0) == 0.0);  // norm 0: no 0/0 rescale
            opt->step();
        }
        for (std::size_t i = 0; i < 10; ++i) {
            REQUIRE(std::isfinite(m.param(p).data()[i]));
            CHECK(m.param(p).data()[i] == before.data()[i]);  // bit for bit
        }
        const T* gp = static_cast<const T*>(m.output_data(pg.items[0].grad));
        for (std::size_t i = 0; i < 10; ++i) CHECK(gp[i] == T(0));
    }
}

// Found by this test, fixed: centered RMSprop computed sqrt(s - ga^2) + eps, where s = E[g^2] and
// ga = E[g] are running averages. Under a constant gradient the exact s - ga^2 = alpha^t (1 - alpha^t) g^2
// tends to 0 and the rounded difference turns negative, so sqrt gave NaN and eps (added after the sqrt)
// did not guard it: with alpha = 0.9 the first NaN appeared after ~130 steps in float and ~320 in double.
// The update now clamps the variance: sqrt(max(s - ga^2, 0)) + eps.
TEMPLATE_TEST_CASE("numerics: centered RMSprop stays finite under a constant gradient", "[nn][numerics]", float, double) {
    using T = TestType;
    Graph g;
    auto p = g.param<T, 64>("p", init::zeros());
    auto c = g.input<T, 64>("c");
    auto loss = sum(p * c);  // dloss/dp = c, the same every step
    const auto pg = nn::param_grads(loss, p);
    Machine m(compile(g, pg.outputs(loss)));
    Tensor<T, Shape<64>> cv;
    for (std::size_t i = 0; i < 64; ++i) cv[i] = static_cast<T>(0.1 + 0.37 * static_cast<double>(i));
    m.let(c, cv);
    nn::RMSprop opt(m, pg, {.lr = 1e-6, .alpha = 0.9, .centered = true});
    std::size_t first_bad = 0;
    for (std::size_t step = 1; step <= 600 && first_bad == 0; ++step) {
        m.run();
        opt.step();
        for (std::size_t i = 0; i < 64; ++i)
            if (!std::isfinite(m.param(p)(i))) first_bad = step;
    }
    INFO("first non-finite parameter after step " << first_bad);
    CHECK(first_bad == 0);
}

TEMPLATE_TEST_CASE("numerics: plain division by zero is IEEE and not guarded: 1/0 = inf, -1/0 = -inf, 0/0 = NaN", "[nn][numerics]", float, double) {
    // Only the ops above promise a guard (an eps). div, rdiv_scalar and their gradients follow IEEE 754,
    // so a user dividing by something that can be 0 must guard it (add an eps, or where(n == 0, 0, x / n)).
    using T = TestType;
    constexpr T inf = std::numeric_limits<T>::infinity();
    Graph g;
    auto a = g.input<T, 4>("a");
    auto b = g.input<T, 4>("b");
    auto q = a / b;
    auto r = 1.0 / b;
    auto ga = grad(sum(q), a);  // d(a / b)/da = 1 / b
    Machine m(compile(g, q, r, ga));
    const Tensor<T, Shape<4>> av{T(1), T(-1), T(0), T(2)};
    const Tensor<T, Shape<4>> bv{T(0), T(0), T(0), T(-0.0)};
    m.let(a, av);
    m.let(b, bv);
    m.run();
    CHECK(m.value(q)(0) == inf);
    CHECK(m.value(q)(1) == -inf);
    CHECK(std::isnan(m.value(q)(2)));
    CHECK(m.value(q)(3) == -inf);  // 2 / -0
    CHECK(m.value(r)(0) == inf);
    CHECK(m.value(r)(3) == -inf);
    CHECK(m.value(ga)(0) == inf);
    CHECK(m.value(ga)(3) == -inf);
    const auto eager = av / bv;  // the tensor API agrees
    CHECK(eager(0) == inf);
    CHECK(eager(1) == -inf);
    CHECK(std::isnan(eager(2)));
}

// ================================================================ 4. large reductions

namespace {
namespace numerics {
constexpr std::size_t kBigN = 10'000'000;
/// The bound asserted for pairwise sums: log2(n) * FLT_EPSILON * sum|x|, c = 1. (The worst case of
/// graft's blocked scheme is (127 + log2(n/128)) u sum|x|, from its 128-element leaf loops; random
/// and constant data stay far below it, and a float running sum exceeds even this tighter bound.)
inline double pairwise_bound(std::size_t n, double sum_abs) {
    return std::log2(static_cast<double>(n)) * static_cast<double>(std::numeric_limits<float>::epsilon()) * sum_abs;
}
struct BigData {
    ld exact = 0, sum_abs = 0;
    float naive = 0;  // a float running total, the thing pairwise summation improves on
};
inline BigData big_reference(const float* x, std::size_t n) {
    BigData d;
    for (std::size_t i = 0; i < n; ++i) {
        d.exact += static_cast<ld>(x[i]);
        d.sum_abs += std::fabs(static_cast<ld>(x[i]));
        d.naive += x[i];
    }
    return d;
}
}  // namespace numerics
}  // namespace

TEST_CASE("numerics: graft::sum and mean of 1e7 floats stay within log2(n) eps sum|x| of long double where a float running sum does not",
          "[nn][numerics]") {
    using Big = Tensor<float, Shape<numerics::kBigN>>;  // the elements live on the heap
    constexpr std::size_t n = numerics::kBigN;
    const auto t = std::make_unique<Big>();
    for (int data = 0; data < 2; ++data) {
        if (data == 0) t->fill(0.1f);
        else graft_test::randomize(*t, 77, 0.0, 1.0);
        INFO((data == 0 ? "1e7 copies of 0.1f" : "1e7 uniform values in [0, 1)"));
        const auto ref = numerics::big_reference(t->data(), n);
        const double bound = numerics::pairwise_bound(n, static_cast<double>(ref.sum_abs));
        const double err = std::fabs(static_cast<double>(static_cast<numerics::ld>(sum(*t)) - ref.exact));
        const double err_axis = std::fabs(static_cast<double>(static_cast<numerics::ld>(sum<0>(*t).item()) - ref.exact));
        const double naive_err = std::fabs(static_cast<double>(static_cast<numerics::ld>(ref.naive) - ref.exact));
        INFO("bound " << bound << ", pairwise error " << err << ", naive float error " << naive_err);
        CHECK(err <= bound);
        CHECK(err_axis <= bound);
        CHECK(naive_err > bound);  // the bound is tight enough to catch a running float sum
        // mean = sum * (1/n): two more roundings of a value of size sum|x|/n
        const double mean_err = std::fabs(static_cast<double>(static_cast<numerics::ld>(mean(*t)) - ref.exact / n));
        CHECK(mean_err <= (bound + 2 * std::numeric_limits<float>::epsilon() * static_cast<double>(ref.sum_abs)) / static_cast<double>(n));
    }
}

TEST_CASE("numerics: compiled sum and mean of 1e7 floats, whole and along a strided axis, stay within log2(n) eps sum|x| of long double",
          "[nn][numerics]") {
    constexpr std::size_t n = numerics::kBigN, rows = n / 4;
    Graph g;
    auto x = g.input<float, n>("x");
    auto s = sum(x);
    auto mn = mean(x);
    auto cols = sum<0>(reshape<rows, 4>(x));       // a strided axis: 4 columns of 2.5e6, pairwise too
    auto row_sums = sum<1>(reshape<4, rows>(x));   // a contiguous axis: 4 rows of 2.5e6
    Machine m(compile(g, s, mn, cols, row_sums));
    const auto t = std::make_unique<Tensor<float, Shape<n>>>();
    graft_test::randomize(*t, 78, 0.0, 1.0);
    m.let(x, *t);
    m.run();
    const float* p = t->data();
    const auto all = numerics::big_reference(p, n);
    const double bound = numerics::pairwise_bound(n, static_cast<double>(all.sum_abs));
    const double err = std::fabs(static_cast<double>(static_cast<numerics::ld>(m.value(s).item()) - all.exact));
    INFO("bound " << bound << ", compiled pairwise error " << err << ", naive float error "
                  << std::fabs(static_cast<double>(static_cast<numerics::ld>(all.naive) - all.exact)));
    CHECK(err <= bound);
    CHECK(std::fabs(static_cast<double>(static_cast<numerics::ld>(all.naive) - all.exact)) > bound);
    CHECK(std::fabs(static_cast<double>(static_cast<numerics::ld>(m.value(mn).item()) - all.exact / n)) <=
          (bound + 2 * std::numeric_limits<float>::epsilon() * static_cast<double>(all.sum_abs)) / static_cast<double>(n));
    for (std::size_t j = 0; j < 4; ++j) {
        numerics::ld col = 0, col_abs = 0, row = 0, row_abs = 0;
        float col_naive = 0;
        for (std::size_t i = 0; i < rows; ++i) {
            col += static_cast<numerics::ld>(p[i * 4 + j]);
            col_abs += std::fabs(static_cast<numerics::ld>(p[i * 4 + j]));
            col_naive += p[i * 4 + j];
            row += static_cast<numerics::ld>(p[j * rows + i]);
            row_abs += std::fabs(static_cast<numerics::ld>(p[j * rows + i]));
        }
        INFO("column/row " << j);
        const double cb = numerics::pairwise_bound(rows, static_cast<double>(col_abs));
        CHECK(std::fabs(static_cast<double>(static_cast<numerics::ld>(m.value(cols)(j)) - col)) <= cb);
        CHECK(std::fabs(static_cast<double>(static_cast<numerics::ld>(col_naive) - col)) > cb);
        CHECK(std::fabs(static_cast<double>(static_cast<numerics::ld>(m.value(row_sums)(j)) - row)) <=
              numerics::pairwise_bound(rows, static_cast<double>(row_abs)));
    }
}

// ================================================================ 5. float vs double training step

TEST_CASE("numerics: one SGD step of a 20-32-10 relu MLP agrees in float and double", "[nn][numerics]") {
    // The same parameters and batch, all float-representable so both models start from identical values;
    // the only difference is float arithmetic. Each forward value is a dot product of <= 32 terms and each
    // weight gradient a sum over the batch of 16, so float's error is at most ~32 u ~ 2e-6 of the magnitudes
    // involved (u = 6e-8); 1e-5 norm-wise relative leaves a factor ~5 and still fails on a real bug, which
    // shows up at 1e-3 or worse. After the step p - lr g, the difference is that of the gradients times lr
    // plus float's rounding of p.
    using numerics::kMlpBatch;
    using numerics::kMlpIn;
    const std::vector<std::size_t> sizes{kMlpIn * numerics::kMlpHidden, numerics::kMlpHidden, numerics::kMlpHidden * numerics::kMlpClasses,
                                         numerics::kMlpClasses};
    const double ranges[4] = {0.35, 0.1, 0.4, 0.1};
    std::vector<std::vector<double>> params;
    for (std::size_t k = 0; k < 4; ++k) {
        std::vector<double> v(sizes[k]);
        graft_test::fill_random(v.data(), v.size(), 100 + k, -ranges[k], ranges[k]);
        for (double& d : v) d = static_cast<double>(static_cast<float>(d));
        params.push_back(v);
    }
    std::vector<double> xs(kMlpBatch * kMlpIn);
    graft_test::fill_random(xs.data(), xs.size(), 200, -1.0, 1.0);
    for (double& d : xs) d = static_cast<double>(static_cast<float>(d));
    std::vector<std::int32_t> ys(kMlpBatch);
    for (std::size_t i = 0; i < kMlpBatch; ++i) ys[i] = static_cast<std::int32_t>((i * 7) % numerics::kMlpClasses);

    numerics::Mlp<float> f(params, xs, ys);
    numerics::Mlp<double> d(params, xs, ys);
    REQUIRE(f.pg.items.size() == 4);
    f.m.run();
    d.m.run();
    const double lf = static_cast<double>(f.m.value(f.loss).item()), ldv = d.m.value(d.loss).item();
    INFO("loss float " << lf << ", double " << ldv);
    REQUIRE(std::isfinite(lf));
    CHECK(std::fabs(lf - ldv) <= 1e-5 * std::fabs(ldv));

    constexpr double lr = 0.1, rtol = 1e-5, u = 0x1p-24;
    std::vector<std::vector<double>> gd;
    for (std::size_t k = 0; k < 4; ++k) {
        INFO("gradient of " << f.pg.items[k].name);
        REQUIRE(f.count(k) == sizes[k]);
        gd.push_back(numerics::as_double(d.gradient(k), sizes[k]));
        double gmax = 0;
        for (double v : gd[k]) gmax = std::max(gmax, std::fabs(v));
        CHECK(gmax > 1e-4);  // a gradient that is really there
        const double rel = numerics::normwise_rel(f.gradient(k), gd[k].data(), sizes[k]);
        INFO("norm-wise relative difference " << rel);
        CHECK(rel <= rtol);
    }

    nn::SGD opt_f(f.m, f.pg, {.lr = lr});
    nn::SGD opt_d(d.m, d.pg, {.lr = lr});
    opt_f.step();
    opt_d.step();
    for (std::size_t k = 0; k < 4; ++k) {
        INFO("parameter " << f.pg.items[k].name << " after one step");
        double gmax = 0, worst = 0;
        for (double v : gd[k]) gmax = std::max(gmax, std::fabs(v));
        for (std::size_t i = 0; i < sizes[k]; ++i) {
            const double pd = d.param(k)[i], pf = static_cast<double>(f.param(k)[i]);
            const double textbook = params[k][i] - lr * gd[k][i];  // the double step is p - lr g
            CHECK(std::fabs(pd - textbook) <= 0x1p-52 * (std::fabs(params[k][i]) + lr * std::fabs(gd[k][i])));
            const double allowed = 2 * u * std::fabs(pd) + lr * rtol * gmax;
            worst = std::max(worst, std::fabs(pf - pd) / allowed);
        }
        INFO("worst |p_float - p_double| / allowed " << worst);
        CHECK(worst <= 1.0);
    }
    f.m.run();
    d.m.run();
    const double lf2 = static_cast<double>(f.m.value(f.loss).item()), ld2 = d.m.value(d.loss).item();
    INFO("loss after the step: float " << lf2 << ", double " << ld2);
    CHECK(ld2 < ldv);  // the step went downhill
    CHECK(std::fabs(lf2 - ld2) <= 1e-5 * std::fabs(ld2));
}
