// SPDX-License-Identifier: MIT
// tests/graph/graph_test.cpp: Graph and the typed front (var.hpp, build.hpp).
// Typed functions give the right static types and add the right IR nodes; the untyped Graph::add checks
// arity, ids, dtypes and each op's shape rule, and throws graft::Error naming expected and found (Z3).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include <graft/graph.hpp>

using namespace graft;
using Catch::Matchers::Contains;

namespace {
Attrs axis_attr(std::int64_t axis, bool keepdims = false) {
    Attrs a;
    a.axis = axis;
    a.keepdims = keepdims;
    return a;
}
Attrs ints_attr(std::vector<std::size_t> v) {
    Attrs a;
    a.ints = std::move(v);
    return a;
}
Attrs slice_attr(std::int64_t axis, std::size_t start, std::size_t stop) {
    Attrs a;
    a.axis = axis;
    a.start = start;
    a.stop = stop;
    return a;
}
}  // namespace

// -------------------------------------------------------------------- building
TEST_CASE("a Graph appends nodes with increasing ids and finds leaves by name", "[graph]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId w = g.param("w", DType::f64, {3}, init::zeros());
    const float cv[3] = {1.5f, -2.0f, 0.25f};
    const NodeId c = g.constant(DType::f32, {3}, cv, "c");
    const NodeId s = g.scalar_constant(DType::i32, 7.9);
    CHECK(x == 0);
    CHECK(w == 1);
    CHECK(c == 2);
    CHECK(s == 3);
    CHECK(g.size() == 4);
    CHECK(g.find("x") == x);
    CHECK(g.find("w") == w);
    CHECK(g.find("c") == no_node);  // constants are not looked up by name
    CHECK(g.find("nope") == no_node);
    CHECK(g.node(x).dims == Dims{2, 3});
    CHECK(g.node(w).dtype == DType::f64);
    CHECK(g.node(w).init == init::zeros());
    const auto bytes = g.constant_bytes(g.node(c));
    REQUIRE(bytes.size() == 12);
    float back[3];
    std::memcpy(back, bytes.data(), 12);
    CHECK(back[1] == -2.0f);
    std::int32_t seven = 0;
    std::memcpy(&seven, g.constant_bytes(g.node(s)).data(), 4);
    CHECK(seven == 7);
    CHECK(g.node(s).dims.empty());

    const NodeId y = g.add(OpKind::add, {x, c}, {}, "y");  // [2,3] + [3] -> [2,3]
    CHECK(y == 4);
    CHECK(g.node(y).dims == Dims{2, 3});
    CHECK(g.node(y).name == "y");
    CHECK(g.node(y).inputs == std::vector<NodeId>{x, c});
    const NodeId r = g.add(OpKind::sum, {y}, axis_attr(-1));
    CHECK(g.node(r).attrs.axis == 1);  // the shape rule normalises negative axes
    CHECK(g.node(r).dims == Dims{2});
    g.set_name(r, "row_sums");
    CHECK(g.node(r).name == "row_sums");
}

TEST_CASE("typed building functions have the shapes of their results in their types", "[graph][typed]") {
    Graph g;
    auto x = g.input<float, 64, 784>("x");
    auto W = g.param<float, 784, 100>("W", init::glorot_uniform(1));
    auto b = g.param<float, 100>("b", init::zeros());
    auto labels = g.input<std::int32_t, 64>("labels");
    auto h = relu(matmul(x, W) + b);
    auto logits = matmul(h, g.param<float, 100, 10>("W2", init::he_normal(2)));
    STATIC_REQUIRE(std::is_same_v<decltype(h), Var<float, Shape<64, 100>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(logits), Var<float, Shape<64, 10>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(sum(logits)), Var<float, Shape<>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(sum<1>(logits)), Var<float, Shape<64>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(mean<0, true>(logits)), Var<float, Shape<1, 10>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(argmax<1>(logits)), Var<std::int32_t, Shape<64>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(one_hot<10>(labels)), Var<float, Shape<64, 10>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(one_hot<10, double>(labels)), Var<double, Shape<64, 10>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(transpose(x)), Var<float, Shape<784, 64>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(reshape<64, 28, 28>(x)), Var<float, Shape<64, 28, 28>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(permute<2, 0, 1>(reshape<64, 28, 28>(x))), Var<float, Shape<28, 64, 28>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(concat<1>(logits, h)), Var<float, Shape<64, 110>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(slice<1, 2, 5>(logits)), Var<float, Shape<64, 3>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(broadcast_to<Shape<2, 64, 10>>(logits)), Var<float, Shape<2, 64, 10>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(where(greater(h, b), h, b)), Var<float, Shape<64, 100>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(softmax<0>(logits)), Var<float, Shape<64, 10>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(matmul(g.input<float, 5>("v"), g.input<float, 3, 5, 2>("m"))),
                                  Var<float, Shape<3, 2>>>);
    // the IR node carries the same dims at run time
    CHECK(h.node().dims == Dims{64, 100});
    CHECK(logits.node().dims == Dims{64, 10});
    CHECK(&h.graph() == &g);
}

TEST_CASE("typed operators add the documented IR ops and attributes", "[graph][typed]") {
    Graph g;
    auto x = g.input<double, 3>("x");
    CHECK((x + 2.0).node().op == OpKind::add_scalar);
    CHECK((x + 2.0).node().attrs.scalar == 2.0);
    CHECK((2.0 + x).node().op == OpKind::add_scalar);
    CHECK((x - 2.0).node().op == OpKind::add_scalar);  // x - c is x + (-c)
    CHECK((x - 2.0).node().attrs.scalar == -2.0);
    CHECK((2.0 - x).node().op == OpKind::rsub_scalar);
    CHECK((x * 3).node().op == OpKind::mul_scalar);
    CHECK((3 * x).node().op == OpKind::mul_scalar);
    CHECK((x / 4.0).node().op == OpKind::div_scalar);
    CHECK((4.0 / x).node().op == OpKind::rdiv_scalar);
    CHECK(pow(x, 1.5).node().op == OpKind::pow_scalar);
    CHECK(clamp(x, -1, 1).node().attrs.scalar2 == 1.0);
    CHECK((-x).node().op == OpKind::neg);
    CHECK((x + x).node().op == OpKind::add);
    CHECK((x - x).node().op == OpKind::sub);
    CHECK((x * x).node().op == OpKind::mul);
    CHECK((x / x).node().op == OpKind::div);
    CHECK(softmax(x).node().attrs.axis == 0);  // -1 normalised at compile time
    CHECK(transpose(g.input<double, 2, 3, 4>("t")).node().attrs.ints == Dims{2, 1, 0});
    auto named = exp(x);
    named.named("e");
    CHECK(named.node().name == "e");
    CHECK_THROWS_WITH(clamp(x, 1, -1), Contains("graft::clamp: expected lo <= hi"));
}

// -------------------------------------------------------------------- untyped errors
TEST_CASE("Graph::add rejects shapes that do not broadcast, naming both", "[graph][errors]") {
    Graph g;
    const NodeId a = g.input("a", DType::f32, {2, 3});
    const NodeId b = g.input("b", DType::f32, {4});
    CHECK_THROWS_AS(g.add(OpKind::add, {a, b}), Error);
    CHECK_THROWS_WITH(g.add(OpKind::add, {a, b}),
                      Contains("graph op add: expected shapes that broadcast (each dim equal or 1), found Shape<2,3> and Shape<4>"));
    CHECK_THROWS_WITH(g.add(OpKind::where, {a, a, b}), Contains("graph op where: expected shapes that broadcast"));
    const std::size_t before = g.size();
    CHECK_THROWS(g.add(OpKind::mul, {a, b}));
    CHECK(g.size() == before);  // nothing half-added
}

TEST_CASE("Graph::add rejects a wrong number of inputs, unknown ids and leaf ops", "[graph][errors]") {
    Graph g;
    const NodeId a = g.input("a", DType::f32, {2});
    CHECK_THROWS_WITH(g.add(OpKind::add, {a}), Contains("Graph::add(add): expected 2 inputs, found 1"));
    CHECK_THROWS_WITH(g.add(OpKind::exp, {a, a}), Contains("Graph::add(exp): expected 1 inputs, found 2"));
    CHECK_THROWS_WITH(g.add(OpKind::where, {a, a}), Contains("Graph::add(where): expected 3 inputs, found 2"));
    CHECK_THROWS_WITH(g.add(OpKind::concat, {}), Contains("Graph::add(concat): expected one or more inputs, found 0"));
    CHECK_THROWS_WITH(g.add(OpKind::exp, {42}), Contains("Graph::add(exp): expected input ids below 1, found 42"));
    CHECK_THROWS_WITH(g.add(OpKind::input, {}), Contains("expected a non-leaf op"));
    CHECK_THROWS_WITH(g.add(OpKind::constant, {}), Contains("expected a non-leaf op"));
    CHECK_THROWS_WITH(g.node(7), Contains("Graph::node: expected an id below 1, found 7"));
    CHECK_THROWS_WITH(g.constant_bytes(g.node(a)), Contains("expected a constant node, found input"));
}

TEST_CASE("Graph::add rejects wrong element types", "[graph][errors]") {
    Graph g;
    const NodeId i = g.input("i", DType::i32, {3});
    const NodeId f = g.input("f", DType::f32, {3});
    const NodeId d = g.input("d", DType::f64, {3});
    CHECK_THROWS_WITH(g.add(OpKind::exp, {i}), Contains("graph op exp: expected a float or double operand, found i32 Shape<3>"));
    CHECK_THROWS_WITH(g.add(OpKind::add, {i, i}), Contains("graph op add: expected a float or double operand, found i32 Shape<3>"));
    CHECK_THROWS_WITH(g.add(OpKind::add, {f, d}),
                      Contains("graph op add: expected operands of one element type, found f32 Shape<3> and f64 Shape<3>"));
    CHECK_THROWS_WITH(g.add(OpKind::matmul, {f, d}), Contains("expected operands of one element type"));
    CHECK_THROWS_WITH(g.add(OpKind::where, {i, f, f}), Contains("expected operands of one element type"));
    CHECK_THROWS_WITH(g.add(OpKind::sum, {i}, axis_attr(0)), Contains("graph op sum: expected a float or double operand"));
    CHECK_THROWS_WITH(g.add(OpKind::softmax, {i}), Contains("graph op softmax: expected a float or double operand"));
    Attrs oh;
    oh.start = 4;
    CHECK_THROWS_WITH(g.add(OpKind::one_hot, {f}, oh), Contains("graph op one_hot: expected int32 labels, found f32 Shape<3>"));
    oh.dtype = DType::i32;
    CHECK_THROWS_WITH(g.add(OpKind::one_hot, {i}, oh), Contains("expected a float or double output type, found i32"));
    oh.dtype = DType::f32;
    oh.start = 0;
    CHECK_THROWS_WITH(g.add(OpKind::one_hot, {i}, oh), Contains("expected a depth >= 1, found 0"));
    CHECK_THROWS_WITH(g.param("p", DType::i32, {2}, init::zeros()), Contains("Graph::param(\"p\"): expected a float or double parameter, found i32"));
}

TEST_CASE("Graph::add rejects bad axes, permutations, reshapes, broadcasts, concats and slices", "[graph][errors]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 3});
    const NodeId v = g.input("v", DType::f32, {4});
    const NodeId s = g.input("s", DType::f32, {});
    CHECK_THROWS_WITH(g.add(OpKind::sum, {x}, axis_attr(2)), Contains("graph op sum: expected an axis in [-2, 2), found axis 2 for rank 2"));
    CHECK_THROWS_WITH(g.add(OpKind::max, {x}, axis_attr(-3)), Contains("expected an axis in [-2, 2), found axis -3 for rank 2"));
    CHECK_THROWS_WITH(g.add(OpKind::softmax, {x}, axis_attr(5)), Contains("graph op softmax: expected an axis in [-2, 2)"));
    CHECK_THROWS_WITH(g.add(OpKind::softmax, {s}, axis_attr(0)), Contains("expected an axis in [0, 0), found axis 0 for rank 0"));
    CHECK_THROWS_WITH(g.add(OpKind::argmax, {x}, axis_attr(2)), Contains("graph op argmax: expected an axis"));
    CHECK_THROWS_WITH(g.add(OpKind::transpose, {x}, ints_attr({0, 0})),
                      Contains("graph op transpose: expected a permutation of the 2 axes of Shape<2,3>, found Shape<0,0>"));
    CHECK_THROWS_WITH(g.add(OpKind::transpose, {x}, ints_attr({1})), Contains("expected a permutation of the 2 axes"));
    CHECK_THROWS_WITH(g.add(OpKind::transpose, {x}, ints_attr({0, 2})), Contains("expected a permutation of the 2 axes"));
    CHECK_THROWS_WITH(g.add(OpKind::reshape, {x}, ints_attr({4, 2})),
                      Contains("graph op reshape: expected a target with 6 elements like Shape<2,3>, found Shape<4,2>"));
    CHECK_THROWS_WITH(g.add(OpKind::broadcast_to, {v}, ints_attr({2, 3})),
                      Contains("graph op broadcast_to: expected a shape that broadcasts to Shape<2,3>, found Shape<4>"));
    CHECK_THROWS_WITH(g.add(OpKind::broadcast_to, {x}, ints_attr({3})), Contains("expected a shape that broadcasts to Shape<3>"));
    CHECK_THROWS_WITH(g.add(OpKind::broadcast_to, {x}, ints_attr({4, 3})), Contains("broadcasts to Shape<4,3>, found Shape<2,3>"));
    const NodeId y = g.input("y", DType::f32, {3, 3});
    CHECK_THROWS_WITH(g.add(OpKind::concat, {x, y}, axis_attr(1)),
                      Contains("graph op concat: expected inputs equal in every axis but 1 like Shape<2,3>, found Shape<3,3>"));
    CHECK_THROWS_WITH(g.add(OpKind::concat, {x, v}, axis_attr(0)), Contains("expected inputs equal in every axis but 0"));
    CHECK_THROWS_WITH(g.add(OpKind::concat, {x, x}, axis_attr(2)), Contains("graph op concat: expected an axis in [-2, 2)"));
    CHECK_THROWS_WITH(g.add(OpKind::slice, {x}, slice_attr(1, 2, 7)),
                      Contains("graph op slice: expected 0 <= start <= stop <= 3 on axis 1, found [2, 7)"));
    CHECK_THROWS_WITH(g.add(OpKind::slice, {x}, slice_attr(0, 2, 1)), Contains("found [2, 1)"));
    CHECK_THROWS_WITH(g.add(OpKind::slice, {x}, slice_attr(2, 0, 1)), Contains("graph op slice: expected an axis"));
    const NodeId e = g.input("e", DType::f32, {2, 0});
    CHECK_THROWS_WITH(g.add(OpKind::argmax, {e}, axis_attr(1)), Contains("graph op argmax: expected a non-empty axis, found Shape<2,0>"));
}

TEST_CASE("Graph::add rejects matmuls whose inner or batch dims disagree, or a scalar operand", "[graph][errors]") {
    Graph g;
    const NodeId a = g.input("a", DType::f32, {64, 784});
    const NodeId b = g.input("b", DType::f32, {100, 10});
    const NodeId c = g.input("c", DType::f32, {2, 3, 4});
    const NodeId d = g.input("d", DType::f32, {5, 4, 2});
    const NodeId s = g.input("s", DType::f32, {});
    CHECK_THROWS_WITH(g.add(OpKind::matmul, {a, b}),
                      Contains("graph op matmul: expected equal inner dimensions, found Shape<64,784> x Shape<100,10>"));
    CHECK_THROWS_WITH(g.add(OpKind::matmul, {c, d}),
                      Contains("graph op matmul: expected batch dimensions that broadcast, found Shape<2,3,4> x Shape<5,4,2>"));
    CHECK_THROWS_WITH(g.add(OpKind::matmul, {s, a}), Contains("graph op matmul: expected operands of rank >= 1"));
}

TEST_CASE("leaf names are unique, non-empty, and dims must fit in memory", "[graph][errors]") {
    Graph g;
    g.input("x", DType::f32, {2});
    CHECK_THROWS_WITH(g.input("x", DType::f32, {2}),
                      Contains("Graph::input: expected a name not used by another input or param, found \"x\""));
    CHECK_THROWS_WITH(g.param("x", DType::f32, {2}, init::zeros()), Contains("Graph::param: expected a name not used"));
    CHECK_THROWS_WITH(g.input("", DType::f32, {2}), Contains("Graph::input: expected a non-empty name"));
    CHECK_THROWS_WITH((g.input<float, 3>("x")), Contains("found \"x\""));
    const std::size_t huge = std::size_t{1} << 40;
    CHECK_THROWS_WITH(g.input("big", DType::f32, {huge, huge}), Contains("expected dims whose element count fits in memory"));
    CHECK(g.size() == 1);
}

TEST_CASE("ops mixing Vars of two graphs throw", "[graph][errors]") {
    Graph g1, g2;
    auto a = g1.input<float, 2, 2>("a");
    auto b = g2.input<float, 2, 2>("b");
    CHECK_THROWS_AS(a + b, Error);
    CHECK_THROWS_WITH(a + b, Contains("graft::add: expected operands from one Graph, found operands from different Graphs"));
    CHECK_THROWS_WITH(a * b, Contains("graft::mul: expected operands from one Graph"));
    CHECK_THROWS_WITH(maximum(a, b), Contains("graft::maximum: expected operands from one Graph"));
    CHECK_THROWS_WITH(matmul(a, b), Contains("graft::matmul: expected operands from one Graph"));
    CHECK_THROWS_WITH(concat<0>(a, a, b), Contains("graft::concat: expected operands from one Graph"));
    CHECK_THROWS_WITH(where(a, a, b), Contains("graft::where: expected operands from one Graph"));
    CHECK(g1.size() == 1);
    CHECK(g2.size() == 1);
    Var<float, Shape<2>> unset;
    CHECK_FALSE(unset.valid());
    CHECK_THROWS_WITH(unset.graph(), Contains("Var: expected a Var made by a Graph, found a default-constructed Var"));
    CHECK_THROWS_WITH(exp(unset), Contains("default-constructed Var"));
}
