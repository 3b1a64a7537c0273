// SPDX-License-Identifier: MIT
// tests/nn/batchnorm_test.cpp: BatchNorm2d normalises each channel over N, H, W with the batch's
// statistics while training, folds them into running averages (unbiased variance, momentum), uses the
// running averages in evaluation, and learns its scale and shift; bad options are errors.
#include <catch2/catch.hpp>
#include <graft/nn.hpp>

#include <cmath>
#include <algorithm>
#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

#include "support/files.hpp"
#include "support/reference.hpp"

using namespace graft;

namespace {
constexpr std::size_t kBnN = 4, kBnC = 3, kBnH = 5, kBnW = 6;
using BnImages = Tensor<double, Shape<kBnN, kBnC, kBnH, kBnW>>;

/// Per channel: mean and biased variance over N, H, W.
std::vector<std::pair<double, double>> bn_channel_stats(const BnImages& x) {
    std::vector<std::pair<double, double>> out;
    for (std::size_t c = 0; c < kBnC; ++c) {
        double s = 0, ss = 0;
        for (std::size_t n = 0; n < kBnN; ++n)
            for (std::size_t i = 0; i < kBnH; ++i)
                for (std::size_t j = 0; j < kBnW; ++j) s += x(n, c, i, j);
        const double m = s / double(kBnN * kBnH * kBnW);
        for (std::size_t n = 0; n < kBnN; ++n)
            for (std::size_t i = 0; i < kBnH; ++i)
                for (std::size_t j = 0; j < kBnW; ++j) ss += (x(n, c, i, j) - m) * (x(n, c, i, j) - m);
        out.emplace_back(m, ss / double(kBnN * kBnH * kBnW));
    }
    return out;
}
}  // namespace

TEST_CASE("BatchNorm2d normalises each channel with the batch's statistics and updates the running ones", "[nn][batchnorm]") {
    Graph g;
    auto x = g.input<double, kBnN, kBnC, kBnH, kBnW>("x");
    nn::BatchNorm2d<kBnC, double> bn(g, "bn", {.eps = 1e-5, .momentum = 0.25});
    auto y = bn(x);
    static_assert(std::is_same_v<decltype(y), Var<double, Shape<kBnN, kBnC, kBnH, kBnW>>>);
    CHECK(bn.params() == std::vector<NodeId>{bn.weight.id(), bn.bias.id()});
    Machine m(compile(g, y, bn.batch_mean(), bn.batch_var()));
    BnImages xv;
    graft_test::randomize(xv, 4);
    for (std::size_t i = 0; i < kBnN * kBnC * kBnH * kBnW; ++i) xv.data()[i] = 3.0 + 2.0 * xv.data()[i];  // mean 3, not 0
    m.let(x, xv);
    m.run();
    const auto stats = bn_channel_stats(xv);
    const auto out = m.value(y);
    for (std::size_t c = 0; c < kBnC; ++c) {
        CHECK(m.value(bn.batch_mean())(c) == Approx(stats[c].first).epsilon(1e-12));
        CHECK(m.value(bn.batch_var())(c) == Approx(stats[c].second).epsilon(1e-12));
        for (std::size_t n = 0; n < kBnN; ++n)
            for (std::size_t i = 0; i < kBnH; ++i)
                for (std::size_t j = 0; j < kBnW; ++j)
                    CHECK(out(n, c, i, j) == Approx((xv(n, c, i, j) - stats[c].first) / std::sqrt(stats[c].second + 1e-5)).epsilon(1e-10));
    }
    bn.update_running_stats(m);
    const double count = double(kBnN * kBnH * kBnW);
    const auto rm = m.params().view<double, Shape<kBnC>>("bn.running_mean");
    const auto rv = m.params().view<double, Shape<kBnC>>("bn.running_var");
    for (std::size_t c = 0; c < kBnC; ++c) {
        CHECK(rm(c) == Approx(0.25 * stats[c].first).epsilon(1e-12));
        CHECK(rv(c) == Approx(0.75 + 0.25 * stats[c].second * count / (count - 1)).epsilon(1e-12));
    }

    // evaluation: a graph built after train(false) reads the running averages from the shared store
    Graph ge;
    auto xe = ge.input<double, kBnN, kBnC, kBnH, kBnW>("x");
    nn::BatchNorm2d<kBnC, double> bn_eval(ge, "bn", {.eps = 1e-5, .momentum = 0.25});
    bn_eval.train(false);
    auto ye = bn_eval(xe);
    Machine eval(compile(ge, ye), m.shared_params());
    eval.let(xe, xv);
    eval.run();
    for (std::size_t c = 0; c < kBnC; ++c)
        CHECK(eval.value(ye)(1, c, 2, 3) == Approx((xv(1, c, 2, 3) - rm(c)) / std::sqrt(rv(c) + 1e-5)).epsilon(1e-10));
}

TEST_CASE("BatchNorm2d's gradients match finite differences", "[nn][batchnorm]") {
    Graph g;
    auto x = g.input<double, 2, 2, 3, 3>("x");
    nn::BatchNorm2d<2, double> bn(g, "bn");
    auto r = g.input<double, 2, 2, 3, 3>("r");
    auto loss = sum(bn(x) * r);  // a loss whose gradient in x is not zero (sum(bn(x)) alone would be)
    Tensor<double, Shape<2, 2, 3, 3>> xv, rv;
    graft_test::randomize(xv, 1);
    graft_test::randomize(rv, 2);
    const std::vector<NodeId> wrt{x.id(), bn.weight.id(), bn.bias.id()};
    const std::vector<NodeId> gs = grad(g, loss.id(), wrt);
    std::vector<NodeId> outs{loss.id()};
    outs.insert(outs.end(), gs.begin(), gs.end());
    Machine m(compile(g, std::span<const NodeId>(outs)));
    m.let(r, rv);
    auto loss_at = [&](const Tensor<double, Shape<2, 2, 3, 3>>& at) {
        m.let(x, at);
        m.run();
        return m.value(loss).item();
    };
    loss_at(xv);
    std::vector<double> analytic(xv.data(), xv.data() + 36);
    {
        const auto gx = m.value(Var<double, Shape<2, 2, 3, 3>>(g, gs[0]));
        for (std::size_t i = 0; i < 36; ++i) analytic[i] = gx.data()[i];
    }
    double worst = 0;
    for (std::size_t i = 0; i < 36; ++i) {
        auto plus = xv, minus = xv;
        plus.data()[i] += 1e-6;
        minus.data()[i] -= 1e-6;
        const double numeric = (loss_at(plus) - loss_at(minus)) / 2e-6;
        worst = std::max(worst, std::abs(numeric - analytic[i]) / std::max(1.0, std::abs(numeric)));
    }
    CHECK(worst < 1e-6);
}

TEST_CASE("BatchNorm2d options are checked and update_running_stats needs a training graph", "[nn][batchnorm]") {
    Graph g;
    CHECK_THAT(graft_test::error_of([&] { nn::BatchNorm2d<3> bad(g, "a", {.eps = 0.0}); }), Catch::Matchers::Contains("a positive number"));
    CHECK_THAT(graft_test::error_of([&] { nn::BatchNorm2d<3> bad(g, "b", {.momentum = 1.5}); }), Catch::Matchers::Contains("a number in [0, 1]"));
    nn::BatchNorm2d<3> plain(g, "c", {.affine = false});
    CHECK(plain.params().empty());
    auto x = g.input<float, 2, 3, 4, 4>("x");
    plain.train(false);
    auto y = plain(x);
    Machine m(compile(g, y));
    CHECK_THAT(graft_test::error_of([&] { plain.update_running_stats(m); }), Catch::Matchers::Contains("a training graph built with this layer"));
}
