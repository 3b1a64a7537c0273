// SPDX-License-Identifier: MIT
// tests/nn/conv_layers_test.cpp: Conv2d creates "<name>.weight" [Out, In, K, K] and "<name>.bias" [Out]
// and computes the convolution plus the bias broadcast over N, H, W; the layers' output shapes are
// types; Dropout is a mask while training and the identity in evaluation; a small CNN built from the
// layers learns (its loss falls) on a toy problem.
#include <catch2/catch.hpp>
#include <graft/nn.hpp>

#include <cmath>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "support/files.hpp"
#include "support/reference.hpp"

using namespace graft;

TEST_CASE("Conv2d creates a weight [Out, In, K, K] and a bias [Out] named after the layer", "[nn][conv]") {
    Graph g;
    nn::Conv2d<3, 8, 5, nn::Padding::same> conv(g, "conv1", 11);
    static_assert(std::is_same_v<decltype(conv.weight), Var<float, Shape<8, 3, 5, 5>>>);
    static_assert(std::is_same_v<decltype(conv.bias), Var<float, Shape<8>>>);
    CHECK(print_node(g, conv.weight.node()) == "%0 = param \"conv1.weight\" f32[8,3,5,5] glorot_uniform(seed=11)");
    CHECK(print_node(g, conv.bias.node()) == "%1 = param \"conv1.bias\" f32[8] zeros");
    CHECK(conv.params() == std::vector<NodeId>{conv.weight.id(), conv.bias.id()});

    nn::Conv2d<3, 4, 3, nn::Padding::valid, 1, double> plain(g, "conv2", 1, {.bias = false});
    CHECK(plain.params() == std::vector<NodeId>{plain.weight.id()});
    CHECK_FALSE(plain.bias.valid());
}

TEST_CASE("the layers' output shapes are computed at compile time", "[nn][conv]") {
    Graph g;
    auto x = g.input<float, 64, 1, 28, 28>("x");
    nn::Conv2d<1, 32, 5, nn::Padding::same> conv1(g, "conv1", 1);
    nn::Conv2d<32, 64, 5, nn::Padding::same> conv2(g, "conv2", 2);
    nn::Conv2d<1, 6, 5> valid(g, "valid", 3);
    nn::Conv2d<1, 6, 3, nn::Padding::valid, 2> strided(g, "strided", 4);
    auto h1 = conv1(x);
    static_assert(std::is_same_v<decltype(h1), Var<float, Shape<64, 32, 28, 28>>>);
    auto p1 = nn::MaxPool2d<2>{}(relu(h1));
    static_assert(std::is_same_v<decltype(p1), Var<float, Shape<64, 32, 14, 14>>>);
    auto p2 = nn::MaxPool2d<2>{}(relu(conv2(p1)));
    static_assert(std::is_same_v<decltype(p2), Var<float, Shape<64, 64, 7, 7>>>);
    auto f = nn::Flatten{}(p2);
    static_assert(std::is_same_v<decltype(f), Var<float, Shape<64, 3136>>>);
    static_assert(std::is_same_v<decltype(valid(x)), Var<float, Shape<64, 6, 24, 24>>>);
    static_assert(std::is_same_v<decltype(strided(x)), Var<float, Shape<64, 6, 13, 13>>>);
    static_assert(std::is_same_v<decltype(nn::AvgPool2d<3, 1, 1>{}(x)), Var<float, Shape<64, 1, 28, 28>>>);
    static_assert(std::is_same_v<decltype(nn::chain(x, conv1, nn::ReLU{}, nn::MaxPool2d<2>{}, nn::Flatten{})),
                                 Var<float, Shape<64, 6272>>>);
    CHECK(g.node(f.id()).dims == Dims{64, 3136});
}

TEST_CASE("Conv2d computes the convolution plus the bias broadcast over N, H and W", "[nn][conv]") {
    Graph g;
    auto x = g.input<double, 2, 3, 6, 5>("x");
    nn::Conv2d<3, 4, 3, nn::Padding::same, 1, double> conv(g, "conv", 5, {.bias_init = init::uniform(-1, 1, 9)});
    auto y = conv(x);
    static_assert(std::is_same_v<decltype(y), Var<double, Shape<2, 4, 6, 5>>>);
    Machine m(compile(g, y));
    Tensor<double, Shape<2, 3, 6, 5>> xv;
    graft_test::randomize(xv, 3);
    m.let(x, xv);
    m.run();
    const auto w = m.param(conv.weight);
    const auto b = m.param(conv.bias);
    double worst = 0;
    for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t o = 0; o < 4; ++o)
            for (std::size_t i = 0; i < 6; ++i)
                for (std::size_t j = 0; j < 5; ++j) {
                    double acc = b(o);
                    for (std::size_t c = 0; c < 3; ++c)
                        for (std::size_t ki = 0; ki < 3; ++ki)
                            for (std::size_t kj = 0; kj < 3; ++kj) {
                                const auto r = static_cast<std::ptrdiff_t>(i + ki) - 1;  // "same": one row of zeros each side
                                const auto s = static_cast<std::ptrdiff_t>(j + kj) - 1;
                                if (r < 0 || s < 0 || r >= 6 || s >= 5) continue;
                                acc += xv(n, c, static_cast<std::size_t>(r), static_cast<std::size_t>(s)) * w(o, c, ki, kj);
                            }
                    worst = std::max(worst, std::abs(m.value(y)(n, o, i, j) - acc));
                }
    CHECK(worst < 1e-12);
}

TEST_CASE("Dropout masks while training and is the identity in evaluation", "[nn][dropout]") {
    Graph g;
    auto x = g.input<float, 100, 100>("x");
    nn::Dropout drop(0.4, 17);
    CHECK(drop.is_training());
    auto y = drop(x);
    CHECK(y.id() != x.id());
    drop.train(false);
    CHECK_FALSE(drop.is_training());
    auto z = drop(x);
    CHECK(z.id() == x.id());  // evaluation: no node at all

    Machine m(compile(g, y));
    Tensor<float, Shape<100, 100>> ones;
    for (std::size_t i = 0; i < 100; ++i)
        for (std::size_t j = 0; j < 100; ++j) ones(i, j) = 1.0f;
    m.let(x, ones);
    std::vector<float> first;
    for (int run = 0; run < 2; ++run) {
        m.run();
        const auto v = m.value(y);
        std::size_t zeros = 0, scaled = 0;
        std::vector<float> now;
        for (std::size_t i = 0; i < 100; ++i)
            for (std::size_t j = 0; j < 100; ++j) {
                const float e = v(i, j);
                now.push_back(e);
                zeros += e == 0.0f;
                scaled += std::abs(e - 1.0f / 0.6f) < 1e-6f;
            }
        CHECK(zeros + scaled == 10000);  // every element is 0 or 1/(1-p)
        // 10,000 Bernoulli(0.4) draws: mean 4000, standard deviation 49; 5 sigma either side
        CHECK(zeros > 3755);
        CHECK(zeros < 4245);
        if (run == 0) first = now;
        else CHECK(now != first);  // a new mask every run
    }

    nn::Dropout none(0.0);
    CHECK(none(x).id() == x.id());
    CHECK_THAT(graft_test::error_of([] { nn::Dropout bad(1.0); }), Catch::Matchers::Contains("a probability p in [0, 1)"));
    CHECK_THAT(graft_test::error_of([] { nn::Dropout bad(-0.1); }), Catch::Matchers::Contains("a probability p in [0, 1)"));
}

TEST_CASE("set_random_step continues the dropout masks where a checkpointed run stopped", "[nn][dropout]") {
    Graph g;
    auto x = g.input<float, 8, 32>("x");
    auto y = nn::Dropout(0.5, 9)(x);
    Tensor<float, Shape<8, 32>> ones;
    for (std::size_t i = 0; i < 8; ++i)
        for (std::size_t j = 0; j < 32; ++j) ones(i, j) = 1.0f;
    auto masks = [&](Machine& m, int runs) {
        std::vector<std::vector<float>> out;
        for (int r = 0; r < runs; ++r) {
            m.run();
            const auto v = m.value(y);
            out.emplace_back(v.data(), v.data() + 8 * 32);
        }
        return out;
    };
    Machine uninterrupted(compile(g, y));
    uninterrupted.let(x, ones);
    const auto all = masks(uninterrupted, 5);
    CHECK(uninterrupted.random_step() == 5);

    Machine resumed(compile(g, y));  // a fresh machine after a restart: it would start again at run 0
    resumed.let(x, ones);
    CHECK(masks(resumed, 1)[0] == all[0]);
    resumed.set_random_step(3);
    const auto rest = masks(resumed, 2);
    CHECK(rest[0] == all[3]);
    CHECK(rest[1] == all[4]);
    CHECK(resumed.steps() == 3);  // steps() still counts this machine's runs
    CHECK(resumed.random_step() == 5);
    CHECK(all[3] != all[4]);  // the masks do differ from run to run
}

TEST_CASE("a small CNN built from the layers learns a toy problem", "[nn][conv]") {
    // 2 classes of 8x8 images: a bright vertical bar vs a bright horizontal bar, at random places, in noise
    constexpr std::size_t B = 16;
    Graph g;
    auto x = g.input<float, B, 1, 8, 8>("x");
    auto labels = g.input<std::int32_t, B>("y");
    nn::Conv2d<1, 4, 3, nn::Padding::same> conv(g, "conv", 1);
    nn::Linear<64, 2> fc(g, "fc", 2);
    nn::Dropout drop(0.1, 3);
    auto logits = nn::chain(x, conv, nn::ReLU{}, nn::MaxPool2d<2>{}, nn::Flatten{}, drop, fc);
    auto loss = nn::cross_entropy(logits, labels);
    auto grads = nn::param_grads(loss, conv, fc);
    Machine m(compile(g, grads.outputs(loss)));
    nn::Adam opt(m, grads, {.lr = 0.01});

    Rng rng(5);
    Tensor<float, Shape<B, 1, 8, 8>> xv;
    Tensor<std::int32_t, Shape<B>> yv;
    auto batch = [&] {
        for (std::size_t n = 0; n < B; ++n) {
            const bool vertical = rng.uniform(0, 1) < 0.5;
            const auto at = static_cast<std::size_t>(rng.uniform(0, 8)) % 8;
            yv(n) = vertical ? 1 : 0;
            for (std::size_t i = 0; i < 8; ++i)
                for (std::size_t j = 0; j < 8; ++j)
                    xv(n, 0, i, j) = static_cast<float>(rng.uniform(-0.3, 0.3)) + (((vertical ? j : i) == at) ? 1.0f : 0.0f);
        }
    };
    double first = 0, last = 0;
    for (int step = 0; step < 60; ++step) {
        batch();
        m.let(x, xv);
        m.let(labels, yv);
        m.run();
        const double l = m.value(loss).item();
        REQUIRE(std::isfinite(l));
        if (step < 5) first += l / 5;
        if (step >= 55) last += l / 5;
        opt.step();
    }
    CHECK(first > 0.5);       // chance level is ln 2 = 0.69
    CHECK(last < first / 3);  // it learned
}
