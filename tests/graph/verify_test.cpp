// SPDX-License-Identifier: MIT
// tests/graph/verify_test.cpp: verify(g), the IR checker, and the parameter initializers (init.hpp).
// verify passes on every graph the builders make and throws on each kind of corruption a pass could
// introduce (through mutable_nodes()), naming the node; initializers draw what their Init says.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <graft/graph.hpp>

using namespace graft;
using Catch::Matchers::Contains;

namespace {

/// A graph using every op family (built through the typed front).
struct Mlp {
    Graph g;
    Var<float, Shape<4, 3>> x = g.input<float, 4, 3>("x");
    Var<std::int32_t, Shape<4>> labels = g.input<std::int32_t, 4>("labels");
    Var<float, Shape<3, 5>> W = g.param<float, 3, 5>("W", init::glorot_uniform(1));
    Var<float, Shape<5>> b = g.param<float, 5>("b", init::zeros());
    Mlp() {
        const float c[2] = {0.5f, 2.0f};
        auto k = Var<float, Shape<2>>(g, g.constant(DType::f32, {2}, c, "k"));
        auto h = relu(matmul(x, W) + b);                                   // %4 %5 %6 %7
        auto logits = concat<1>(h, broadcast_to<Shape<4, 2>>(k));          // [4,7]
        auto loss = -mean(sum<1>(one_hot<7>(labels) * log_softmax(logits)));
        auto extra = where(greater(logits, 0.0f * logits), sqrt(abs(logits)), tanh(logits));
        auto t = permute<1, 0>(reshape<2, 14>(extra));
        (void)loss;
        (void)argmax<0>(t);
        (void)max<1, true>(slice<0, 2, 9>(t));
        (void)clamp(pow(t, 2.0), -1, 1);
    }
};

}  // namespace

TEST_CASE("verify accepts every graph the builders make, and copies of them", "[graph][verify]") {
    Mlp m;
    CHECK_NOTHROW(verify(m.g));
    const Graph copy = m.g;
    CHECK_NOTHROW(verify(copy));
    CHECK(print(copy) == print(m.g));
    Graph empty;
    CHECK_NOTHROW(verify(empty));
}

TEST_CASE("verify throws on a corrupted copy and names the node; the original stays valid", "[graph][verify]") {
    Mlp m;
    const NodeId mm = 5;  // matmul %0 %2 ... the first op
    REQUIRE(m.g.node(mm).op == OpKind::matmul);
    const NodeId add = 6, relu_id = 7;
    REQUIRE(m.g.node(add).op == OpKind::add);
    REQUIRE(m.g.node(relu_id).op == OpKind::relu);

    SECTION("dims that disagree with the shape rule") {
        Graph h = m.g;
        h.mutable_nodes()[add].dims = {9};
        CHECK_THROWS_WITH(verify(h), Contains("verify: node %6 (add): expected type f32 Shape<4,5> from its shape rule, found f32 Shape<9>"));
    }
    SECTION("a dtype that disagrees with the shape rule") {
        Graph h = m.g;
        h.mutable_nodes()[relu_id].dtype = DType::f64;
        CHECK_THROWS_WITH(verify(h), Contains("verify: node %7 (relu): expected type f32 Shape<4,5> from its shape rule, found f64"));
    }
    SECTION("an input defined after its user (a cycle)") {
        Graph h = m.g;
        h.mutable_nodes()[add].inputs[0] = relu_id;
        CHECK_THROWS_WITH(verify(h), Contains("verify: node %6 (add): expected inputs defined before the node (ids below 6), found %7"));
    }
    SECTION("a node reading itself") {
        Graph h = m.g;
        h.mutable_nodes()[relu_id].inputs[0] = relu_id;
        CHECK_THROWS_WITH(verify(h), Contains("found %7"));
    }
    SECTION("a wrong number of inputs") {
        Graph h = m.g;
        h.mutable_nodes()[relu_id].inputs.push_back(0);
        CHECK_THROWS_WITH(verify(h), Contains("verify: node %7 (relu): expected 1 inputs, found 2"));
        h.mutable_nodes()[relu_id].inputs.clear();
        CHECK_THROWS_WITH(verify(h), Contains("expected 1 inputs, found 0"));
    }
    SECTION("an id that is not the node's index") {
        Graph h = m.g;
        h.mutable_nodes()[add].id = 40;
        CHECK_THROWS_WITH(verify(h), Contains("verify: node %6 (add): expected id 6, found 40"));
    }
    SECTION("an op outside the enum") {
        Graph h = m.g;
        h.mutable_nodes()[add].op = OpKind::count;
        CHECK_THROWS_WITH(verify(h), Contains("verify: node %6: expected a known op"));
    }
    SECTION("leaf names: missing, duplicated, or out of step with the name index") {
        Graph h = m.g;
        h.mutable_nodes()[0].name = "";
        CHECK_THROWS_WITH(verify(h), Contains("verify: node %0 (input): expected a name, found none"));
        h.mutable_nodes()[0].name = "x";
        h.mutable_nodes()[1].name = "x";
        CHECK_THROWS_WITH(verify(h), Contains("verify: node %1 (input): expected a unique leaf name, found \"x\" twice"));
        h.mutable_nodes()[1].name = "labels";
        h.mutable_nodes()[0].name = "renamed";
        CHECK_THROWS_WITH(verify(h), Contains("verify: node %0 (input): expected the name index to point at this leaf"));
        h.rebuild_names();
        CHECK_NOTHROW(verify(h));
        CHECK(h.find("renamed") == 0);
    }
    SECTION("a leaf with inputs") {
        Graph h = m.g;
        h.mutable_nodes()[1].inputs = {0};
        CHECK_THROWS_WITH(verify(h), Contains("verify: node %1 (input): expected no inputs for a leaf, found 1"));
    }
    SECTION("a constant whose bytes do not match its dims") {
        Graph h = m.g;
        h.mutable_constants()[0] = AlignedBuffer<unsigned char>(3);
        CHECK_THROWS_WITH(verify(h), Contains("verify: node %4 (constant): expected 8 constant bytes, found 3"));
    }
    SECTION("attributes the shape rule rejects") {
        Graph h = m.g;
        for (auto& n : h.mutable_nodes())
            if (n.op == OpKind::log_softmax) n.attrs.axis = 7;
        CHECK_THROWS_AS(verify(h), Error);
    }
    CHECK_NOTHROW(verify(m.g));
}

TEST_CASE("renaming an input or param keeps the name index and leaf names unique", "[graph][verify]") {
    Graph g;
    auto x = g.input<float, 2>("x");
    auto w = g.param<float, 2>("w", init::zeros());
    x.named("features");
    CHECK(g.find("features") == x.id());
    CHECK(g.find("x") == no_node);
    CHECK_NOTHROW(verify(g));
    CHECK_THROWS_WITH(w.named("features"), Contains("Graph::set_name: expected a name not used by another input or param"));
    CHECK_THROWS_WITH(w.named(""), Contains("Graph::set_name: expected a non-empty name"));
    CHECK(w.node().name == "w");
    auto y = exp(x).named("y");
    CHECK(y.node().name == "y");
    CHECK(g.find("y") == no_node);  // op names are labels, not leaf names
    CHECK_NOTHROW(verify(g));
}

// -------------------------------------------------------------------- initializers
TEST_CASE("initializers draw what their Init says, reproducibly from the seed", "[graph][init]") {
    std::vector<double> out(2000);
    const std::span<double> s(out);
    init::fill(init::zeros(), {2000}, s);
    for (double v : out) CHECK(v == 0.0);
    init::fill(init::constant(-1.25), {2000}, s);
    for (double v : out) CHECK(v == -1.25);

    init::fill(init::uniform(2.0, 3.0, 5), {2000}, s);
    Rng rng(5);
    for (double v : out) CHECK(v == rng.uniform(2.0, 3.0));

    init::fill(init::normal(1.0, 0.5, 6), {2000}, s);
    double mean = 0, var = 0;
    for (double v : out) mean += v / 2000;
    for (double v : out) var += (v - mean) * (v - mean) / 2000;
    CHECK(mean == Approx(1.0).margin(0.05));
    CHECK(std::sqrt(var) == Approx(0.5).margin(0.05));

    // Glorot and He bounds from fan_in/fan_out of a [in, out] matrix: [40, 50]
    init::fill(init::glorot_uniform(7), {40, 50}, s);
    const double ga = std::sqrt(6.0 / 90.0);
    double mx = 0;
    for (double v : out) mx = std::max(mx, std::fabs(v));
    CHECK(mx <= ga);
    CHECK(mx > 0.9 * ga);
    init::fill(init::he_uniform(8), {40, 50}, s);
    mx = 0;
    for (double v : out) mx = std::max(mx, std::fabs(v));
    CHECK(mx <= std::sqrt(6.0 / 40.0));
    CHECK(mx > 0.9 * std::sqrt(6.0 / 40.0));
    init::fill(init::he_normal(9), {40, 50}, s);
    var = 0;
    for (double v : out) var += v * v / 2000;
    CHECK(std::sqrt(var) == Approx(std::sqrt(2.0 / 40.0)).epsilon(0.1));
    init::fill(init::glorot_normal(10, 2.0), {40, 50}, s);
    var = 0;
    for (double v : out) var += v * v / 2000;
    CHECK(std::sqrt(var) == Approx(2.0 * std::sqrt(2.0 / 90.0)).epsilon(0.1));

    std::vector<double> again(2000);
    init::fill(init::glorot_normal(10, 2.0), {40, 50}, std::span<double>(again));
    CHECK(again == out);
}

TEST_CASE("fans follow PyTorch, and describe() prints initializers as listings show them", "[graph][init]") {
    using Fans = std::pair<double, double>;
    CHECK(init::fans({}) == Fans{1, 1});
    CHECK(init::fans({7}) == Fans{7, 7});
    CHECK(init::fans({784, 100}) == Fans{784, 100});
    CHECK(init::fans({16, 3, 5, 5}) == Fans{3 * 25, 16 * 25});
    CHECK(init::describe(init::zeros()) == "zeros");
    CHECK(init::describe(init::constant(0.5)) == "constant(0.5)");
    CHECK(init::describe(init::uniform(-1, 1, 3)) == "uniform(-1, 1, seed=3)");
    CHECK(init::describe(init::normal(0, 0.01, 4)) == "normal(0, 0.01, seed=4)");
    CHECK(init::describe(init::glorot_uniform(42)) == "glorot_uniform(seed=42)");
    CHECK(init::describe(init::glorot_normal(1)) == "glorot_normal(seed=1)");
    CHECK(init::describe(init::he_uniform(2)) == "he_uniform(seed=2)");
    CHECK(init::describe(init::he_normal(3)) == "he_normal(seed=3)");
}
