// SPDX-License-Identifier: MIT
// tests/nn/losses_test.cpp: mse, nll, cross_entropy and binary_cross_entropy_with_logits against hand
// computations in double; the stable forms stay finite (forward and backward) for logits of +-1e4;
// cross_entropy of equal logits is log(C); sum reduction is N times mean; gradients pass gradcheck.
#include <catch2/catch.hpp>
#include <graft/nn.hpp>
#include <graft/autodiff/gradcheck.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "support/reference.hpp"

using namespace graft;

namespace {

double sigmoid_ref(double x) { return 1 / (1 + std::exp(-x)); }

/// log(sum(exp(row))) in double, the max subtracted first.
double logsumexp(const double* row, std::size_t n) {
    double m = row[0];
    for (std::size_t i = 1; i < n; ++i) m = std::max(m, row[i]);
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += std::exp(row[i] - m);
    return m + std::log(s);
}

}  // namespace

TEST_CASE("mse is the mean (or sum) of squared differences", "[nn][losses]") {
    Graph g;
    auto p = g.input<double, 2, 3>("p");
    auto t = g.input<double, 2, 3>("t");
    auto mean_loss = nn::mse(p, t);
    auto sum_loss = nn::mse(p, t, nn::Reduction::sum);
    Machine m(compile(g, mean_loss, sum_loss));
    const Tensor<double, Shape<2, 3>> pv{{1.0, -2.0, 0.5}, {3.0, 0.0, -1.5}};
    const Tensor<double, Shape<2, 3>> tv{{0.5, -2.0, 1.5}, {1.0, 0.25, -1.0}};
    m.let(p, pv);
    m.let(t, tv);
    m.run();
    // (0.5^2 + 0 + 1^2 + 2^2 + 0.25^2 + 0.5^2) = 0.25 + 1 + 4 + 0.0625 + 0.25 = 5.5625
    CHECK(m.value(sum_loss).item() == Approx(5.5625).epsilon(1e-15));
    CHECK(m.value(mean_loss).item() == Approx(5.5625 / 6).epsilon(1e-15));
}

TEST_CASE("nll picks -log p of each row's label and averages", "[nn][losses]") {
    Graph g;
    auto lp = g.input<double, 3, 4>("logp");
    auto y = g.input<std::int32_t, 3>("y");
    auto mean_loss = nn::nll(lp, y);
    auto sum_loss = nn::nll(lp, y, nn::Reduction::sum);
    Machine m(compile(g, mean_loss, sum_loss));
    const Tensor<double, Shape<3, 4>> lv{{-1.0, -2.0, -0.5, -3.0}, {-0.1, -2.5, -4.0, -1.0}, {-2.0, -2.0, -2.0, -0.7}};
    m.let(lp, lv);
    m.let(y, Tensor<std::int32_t, Shape<3>>{2, 0, 3});
    m.run();
    CHECK(m.value(sum_loss).item() == Approx(0.5 + 0.1 + 0.7).epsilon(1e-15));
    CHECK(m.value(mean_loss).item() == Approx((0.5 + 0.1 + 0.7) / 3).epsilon(1e-15));
}

TEST_CASE("cross_entropy equals the log-sum-exp of each row minus its label's logit", "[nn][losses]") {
    Graph g;
    auto x = g.input<double, 4, 5>("logits");
    auto y = g.input<std::int32_t, 4>("y");
    auto mean_loss = nn::cross_entropy(x, y);
    auto sum_loss = nn::cross_entropy(x, y, nn::Reduction::sum);
    Machine m(compile(g, mean_loss, sum_loss));
    Tensor<double, Shape<4, 5>> xv;
    graft_test::randomize(xv, 7, -3.0, 3.0);
    const Tensor<std::int32_t, Shape<4>> yv{1, 4, 0, 2};
    m.let(x, xv);
    m.let(y, yv);
    m.run();
    double total = 0;
    for (std::size_t i = 0; i < 4; ++i) total += logsumexp(xv.data() + 5 * i, 5) - xv(i, static_cast<std::size_t>(yv[i]));
    CHECK(m.value(sum_loss).item() == Approx(total).epsilon(1e-14));
    CHECK(m.value(mean_loss).item() == Approx(total / 4).epsilon(1e-14));
}

TEMPLATE_TEST_CASE("cross_entropy of equal logits is log(C)", "[nn][losses]", float, double) {
    Graph g;
    auto x = g.input<TestType, 3, 10>("logits");
    auto y = g.input<std::int32_t, 3>("y");
    auto loss = nn::cross_entropy(x, y);
    Machine m(compile(g, loss));
    Tensor<TestType, Shape<3, 10>> xv;
    xv.fill(TestType(3.7));
    m.let(x, xv);
    m.let(y, Tensor<std::int32_t, Shape<3>>{0, 9, 4});
    m.run();
    CHECK(double(m.value(loss).item()) == Approx(std::log(10.0)).epsilon(std::is_same_v<TestType, float> ? 1e-6 : 1e-14));
}

TEMPLATE_TEST_CASE("cross_entropy and its gradient stay finite for logits of +-1e4", "[nn][losses][numerics]", float, double) {
    Graph g;
    auto x = g.input<TestType, 3, 3>("logits");
    auto y = g.input<std::int32_t, 3>("y");
    auto loss = nn::cross_entropy(x, y, nn::Reduction::sum);
    auto gx = grad(loss, x);
    Machine m(compile(g, loss, gx));
    m.let(x, Tensor<TestType, Shape<3, 3>>{{1e4, -1e4, 0}, {-1e4, 1e4, -1e4}, {1e4, 1e4, -1e4}});
    m.let(y, Tensor<std::int32_t, Shape<3>>{1, 1, 0});
    m.run();
    // row 0: label logit -1e4, max 1e4 -> 2e4; row 1: the label is the max -> 0; row 2: two equal maxima -> log 2
    const double l = double(m.value(loss).item());
    REQUIRE(std::isfinite(l));
    CHECK(l == Approx(2e4 + std::log(2.0)).epsilon(1e-6));
    // d/dx = softmax(x) - onehot(y)
    const double expected[3][3] = {{1, -1, 0}, {0, 0, 0}, {-0.5, 0.5, 0}};
    const auto gv = m.value(gx);
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            REQUIRE(std::isfinite(double(gv(i, j))));
            CHECK(double(gv(i, j)) == Approx(expected[i][j]).margin(1e-6));
        }
}

TEMPLATE_TEST_CASE("binary_cross_entropy_with_logits and its gradient stay finite for logits of +-1e4", "[nn][losses][numerics]", float,
                   double) {
    Graph g;
    auto x = g.input<TestType, 6>("logits");
    auto t = g.input<TestType, 6>("targets");
    auto loss = nn::binary_cross_entropy_with_logits(x, t, nn::Reduction::sum);
    auto [gx, gt] = grad(loss, x, t);
    Machine m(compile(g, loss, gx, gt));
    m.let(x, Tensor<TestType, Shape<6>>{1e4, -1e4, 1e4, -1e4, 100, -100});
    m.let(t, Tensor<TestType, Shape<6>>{0, 1, 1, 0, 1, 1});
    m.run();
    // confidently wrong costs |x|, confidently right costs 0: 1e4 + 1e4 + 0 + 0 + ~0 + 100
    const double l = double(m.value(loss).item());
    REQUIRE(std::isfinite(l));
    CHECK(l == Approx(2e4 + 100).epsilon(1e-6));
    // d/dx = sigmoid(x) - t, exactly 0 or +-1 when saturated
    const double expected[6] = {1, -1, 0, 0, 0, -1};
    const auto gv = m.value(gx);
    const auto gtv = m.value(gt);
    for (std::size_t i = 0; i < 6; ++i) {
        REQUIRE(std::isfinite(double(gv[i])));
        REQUIRE(std::isfinite(double(gtv[i])));
        CHECK(double(gv[i]) == Approx(expected[i]).margin(1e-6));
        CHECK(double(gtv[i]) == Approx(-double(m.value(x)[i])).epsilon(1e-6));  // d/dt = -x
    }
}

TEST_CASE("binary_cross_entropy_with_logits matches the naive formula where that is stable", "[nn][losses]") {
    Graph g;
    auto x = g.input<double, 2, 4>("logits");
    auto t = g.input<double, 2, 4>("targets");
    auto mean_loss = nn::binary_cross_entropy_with_logits(x, t);
    auto sum_loss = nn::binary_cross_entropy_with_logits(x, t, nn::Reduction::sum);
    Machine m(compile(g, mean_loss, sum_loss));
    const Tensor<double, Shape<2, 4>> xv{{-5.0, -1.5, 0.0, 0.3}, {1.0, 2.5, 4.0, -0.7}};
    const Tensor<double, Shape<2, 4>> tv{{0.0, 1.0, 0.5, 0.2}, {1.0, 0.0, 0.9, 0.3}};  // soft targets too
    m.let(x, xv);
    m.let(t, tv);
    m.run();
    double total = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        const double s = sigmoid_ref(xv.data()[i]), y = tv.data()[i];
        total += -(y * std::log(s) + (1 - y) * std::log(1 - s));
    }
    CHECK(m.value(sum_loss).item() == Approx(total).epsilon(1e-13));
    CHECK(m.value(mean_loss).item() == Approx(total / 8).epsilon(1e-13));
}

TEST_CASE("each loss's sum reduction is N times its mean reduction", "[nn][losses]") {
    Graph g;
    auto x = g.input<float, 8, 3>("x");
    auto t = g.input<float, 8, 3>("t");
    auto y = g.input<std::int32_t, 8>("y");
    auto lp = log_softmax(x);
    auto mse_m = nn::mse(x, t), mse_s = nn::mse(x, t, nn::Reduction::sum);
    auto nll_m = nn::nll(lp, y), nll_s = nn::nll(lp, y, nn::Reduction::sum);
    auto ce_m = nn::cross_entropy(x, y), ce_s = nn::cross_entropy(x, y, nn::Reduction::sum);
    auto bce_m = nn::binary_cross_entropy_with_logits(x, t), bce_s = nn::binary_cross_entropy_with_logits(x, t, nn::Reduction::sum);
    Machine m(compile(g, mse_m, mse_s, nll_m, nll_s, ce_m, ce_s, bce_m, bce_s));
    Tensor<float, Shape<8, 3>> xv, tv;
    graft_test::randomize(xv, 11, -2.0, 2.0);
    graft_test::randomize(tv, 12, 0.0, 1.0);
    m.let(x, xv);
    m.let(t, tv);
    m.let(y, Tensor<std::int32_t, Shape<8>>{0, 1, 2, 0, 1, 2, 2, 1});
    m.run();
    CHECK(m.value(mse_s).item() == Approx(24 * m.value(mse_m).item()).epsilon(1e-6));  // mse averages over all 24 elements
    CHECK(m.value(nll_s).item() == Approx(8 * m.value(nll_m).item()).epsilon(1e-6));   // nll and cross_entropy over the 8 rows
    CHECK(m.value(ce_s).item() == Approx(8 * m.value(ce_m).item()).epsilon(1e-6));
    CHECK(m.value(ce_s).item() == Approx(m.value(nll_s).item()).epsilon(1e-6));        // cross_entropy = nll(log_softmax)
    CHECK(m.value(bce_s).item() == Approx(24 * m.value(bce_m).item()).epsilon(1e-6));
}

TEST_CASE("the losses' gradients match central finite differences (gradcheck, double)", "[nn][losses][gradcheck]") {
    Tensor<double, Shape<3, 4>> a, b, probs;
    graft_test::randomize(a, 21, -2.0, 2.0);
    graft_test::randomize(b, 22, -2.0, 2.0);
    graft_test::randomize(probs, 23, 0.0, 1.0);
    const Tensor<std::int32_t, Shape<3>> labels{3, 0, 1};

    SECTION("mse, both reductions, with respect to prediction and target") {
        auto r = gradcheck([](auto p, auto t) { return nn::mse(p, t); }, a, b);
        CHECK(r.ok);
        CHECK(r.checked == 24);
        INFO(r.worst);
        CHECK(gradcheck([](auto p, auto t) { return nn::mse(p, t, nn::Reduction::sum); }, a, b).ok);
    }
    SECTION("nll with respect to the log-probabilities") {
        auto r = gradcheck([](auto lp, auto y) { return nn::nll(lp, y); }, a, labels);
        INFO(r.worst);
        CHECK(r.ok);
        CHECK(r.checked == 12);
    }
    SECTION("cross_entropy with respect to the logits") {
        auto r = gradcheck([](auto x, auto y) { return nn::cross_entropy(x, y); }, a, labels);
        INFO(r.worst);
        CHECK(r.ok);
        CHECK(gradcheck([](auto x, auto y) { return nn::cross_entropy(x, y, nn::Reduction::sum); }, a, labels).ok);
    }
    SECTION("binary_cross_entropy_with_logits with respect to logits and soft targets") {
        auto r = gradcheck([](auto x, auto t) { return nn::binary_cross_entropy_with_logits(x, t); }, a, probs);
        INFO(r.worst);
        CHECK(r.ok);
        CHECK(r.checked == 24);
    }
    SECTION("a loss of a small model: cross_entropy(tanh(x W)) with respect to x and W") {
        Tensor<double, Shape<4, 3>> w;
        graft_test::randomize(w, 24, -1.0, 1.0);
        auto r = gradcheck([](auto x, auto w_, auto y) { return nn::cross_entropy(tanh(matmul(x, w_)), y); }, a, w, labels);
        INFO(r.worst);
        CHECK(r.ok);
    }
}
