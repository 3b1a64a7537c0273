// SPDX-License-Identifier: MIT
// tests/nn/linear_test.cpp: Linear<In, Out> creates "<name>.weight" [In, Out] and "<name>.bias" [Out]
// (or no bias), initialised from the layer's seed, and computes x W + b over any leading dims; chain()
// composes layers and activation functors into the same graph one would write by hand.
#include <catch2/catch.hpp>
#include <graft/nn.hpp>

#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "support/reference.hpp"

using namespace graft;

namespace {
template <class T>
std::vector<T> linear_drawn(const Init& init, const Dims& dims) {
    std::size_t n = 1;
    for (auto d : dims) n *= d;
    std::vector<T> v(n);
    init::fill(init, dims, std::span<T>(v));
    return v;
}
}  // namespace

TEST_CASE("Linear creates a weight [In, Out] and a bias [Out] named after the layer", "[nn][linear]") {
    Graph g;
    nn::Linear<5, 3> fc(g, "fc", 7);
    static_assert(std::is_same_v<decltype(fc.weight), Var<float, Shape<5, 3>>>);
    static_assert(std::is_same_v<decltype(fc.bias), Var<float, Shape<3>>>);
    CHECK(print_node(g, fc.weight.node()) == "%0 = param \"fc.weight\" f32[5,3] glorot_uniform(seed=7)");
    CHECK(print_node(g, fc.bias.node()) == "%1 = param \"fc.bias\" f32[3] zeros");
    CHECK(fc.params() == std::vector<NodeId>{fc.weight.id(), fc.bias.id()});
    CHECK(g.find("fc.weight") == fc.weight.id());
}

TEST_CASE("Linear computes x W + b, the bias broadcast over the batch", "[nn][linear]") {
    Graph g;
    auto x = g.input<double, 4, 5>("x");
    nn::Linear<5, 3, double> fc(g, "fc", 7, {.bias_init = init::uniform(-1, 1, 3)});
    auto y = fc(x);
    static_assert(std::is_same_v<decltype(y), Var<double, Shape<4, 3>>>);
    Machine m(compile(g, y));
    Tensor<double, Shape<4, 5>> xv;
    graft_test::randomize(xv, 1);
    m.let(x, xv);
    m.run();
    const auto w = m.param(fc.weight);
    const auto b = m.param(fc.bias);
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            double acc = b(j);
            for (std::size_t k = 0; k < 5; ++k) acc += xv(i, k) * w(k, j);
            CHECK(m.value(y)(i, j) == Approx(acc).epsilon(1e-14));
        }
}

TEST_CASE("Linear without bias has one parameter and computes x W", "[nn][linear]") {
    Graph g;
    auto x = g.input<float, 2, 4>("x");
    nn::Linear<4, 2> fc(g, "proj", 3, {.bias = false});
    CHECK_FALSE(fc.bias.valid());
    CHECK(fc.params() == std::vector<NodeId>{fc.weight.id()});
    CHECK(g.find("proj.bias") == no_node);
    auto y = fc(x);
    CHECK(y.node().op == OpKind::matmul);  // no add node
    Machine m(compile(g, y));
    m.let(x, Tensor<float, Shape<2, 4>>{{1, 0, 0, 0}, {0, 0, 1, 0}});
    m.run();
    const auto w = m.param(fc.weight);
    CHECK(m.value(y)(0, 1) == w(0, 1));  // picks rows of W
    CHECK(m.value(y)(1, 0) == w(2, 0));
}

TEST_CASE("Linear maps the last dim of a rank-3 input", "[nn][linear]") {
    Graph g;
    auto x = g.input<float, 2, 3, 4>("x");
    nn::Linear<4, 6> fc(g, "fc", 1);
    auto y = fc(x);
    static_assert(std::is_same_v<decltype(y), Var<float, Shape<2, 3, 6>>>);
    CHECK(y.node().dims == Dims{2, 3, 6});
}

TEST_CASE("Linear draws its weights from its seed, replacing the initializer's own seed", "[nn][linear][init]") {
    Graph g;
    nn::Linear<6, 4> a(g, "a", 42);
    nn::Linear<6, 4> b(g, "b", 42);
    nn::Linear<6, 4> c(g, "c", 43);
    nn::Linear<6, 4> d(g, "d", 42, {.weight_init = init::he_normal(999), .bias_init = init::constant(0.1)});
    auto x = g.input<float, 1, 6>("x");
    Machine m(compile(g, a(x), b(x), c(x), d(x)));
    const auto wa = m.param(a.weight).to_tensor();
    const auto wb = m.param(b.weight).to_tensor();
    const auto wc = m.param(c.weight).to_tensor();
    const auto wd = m.param(d.weight).to_tensor();
    CHECK(std::vector<float>(wa.begin(), wa.end()) == std::vector<float>(wb.begin(), wb.end()));
    CHECK(std::vector<float>(wa.begin(), wa.end()) != std::vector<float>(wc.begin(), wc.end()));
    CHECK(std::vector<float>(wa.begin(), wa.end()) == linear_drawn<float>(init::glorot_uniform(42), {6, 4}));
    CHECK(std::vector<float>(wd.begin(), wd.end()) == linear_drawn<float>(init::he_normal(42), {6, 4}));
    for (float v : m.param(a.bias)) CHECK(v == 0.0f);
    for (float v : m.param(d.bias)) CHECK(v == 0.1f);
}

TEST_CASE("chain(x) is x, and chain(x, f, g, h) is h(g(f(x)))", "[nn][linear][chain]") {
    Graph g;
    auto x = g.input<float, 3, 4>("x");
    CHECK(nn::chain(x).id() == x.id());
    nn::Linear<4, 8> fc1(g, "fc1", 1, {.bias_init = init::uniform(-0.5, 0.5, 9)});
    nn::Linear<8, 2> fc2(g, "fc2", 2);
    auto chained = nn::chain(x, fc1, nn::ReLU{}, fc2, nn::Tanh{}, nn::Sigmoid{});
    static_assert(std::is_same_v<decltype(chained), Var<float, Shape<3, 2>>>);
    auto by_hand = sigmoid(tanh(fc2(relu(fc1(x)))));
    // the same ops in the same order: the graph is what one would write
    const std::size_t ops = chained.id() - x.id() - 4;  // 4 params were created between x and the first op
    REQUIRE(by_hand.id() - chained.id() == ops);
    for (NodeId k = 1; k <= ops; ++k) CHECK(g.node(chained.id() - ops + k).op == g.node(by_hand.id() - ops + k).op);
    Machine m(compile(g, chained, by_hand));
    Tensor<float, Shape<3, 4>> xv;
    graft_test::randomize(xv, 5, -2.0, 2.0);
    m.let(x, xv);
    m.run();
    for (std::size_t i = 0; i < 6; ++i) CHECK(m.value(chained).data()[i] == m.value(by_hand).data()[i]);
}

TEST_CASE("the activation functors compute relu, tanh and sigmoid", "[nn][linear][chain]") {
    Graph g;
    auto x = g.input<double, 4>("x");
    auto r = nn::ReLU{}(x);
    auto t = nn::Tanh{}(x);
    auto s = nn::Sigmoid{}(x);
    Machine m(compile(g, r, t, s));
    const Tensor<double, Shape<4>> xv{-2.0, -0.5, 0.5, 3.0};
    m.let(x, xv);
    m.run();
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(m.value(r)[i] == std::max(0.0, xv[i]));
        CHECK(m.value(t)[i] == Approx(std::tanh(xv[i])).epsilon(1e-15));
        CHECK(m.value(s)[i] == Approx(1 / (1 + std::exp(-xv[i]))).epsilon(1e-15));
    }
}
