// SPDX-License-Identifier: MIT
// tests/graph/print_test.cpp: print(g), the text form tests compare, and to_dot(g), the Graphviz form.
// print is checked against golden text; the DOT text for its labels, styles and edges, and, when
// Graphviz is installed, by rendering it with `dot -Tsvg`.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include <graft/graph.hpp>

#include "support/text.hpp"

using namespace graft;
using Catch::Matchers::Contains;

namespace {

/// A small graph touching every attribute form print knows.
struct Small {
    Graph g;
    Var<float, Shape<2, 2>> x = g.input<float, 2, 2>("x");
    Var<float, Shape<2, 3>> W = g.param<float, 2, 3>("W", init::glorot_uniform(1));
    Var<float, Shape<3>> b;
    Var<float, Shape<2, 3>> h;
    Var<float, Shape<2>> s;
    Small() {
        const float bv[3] = {1.0f, 2.5f, -3.0f};
        b = Var<float, Shape<3>>(g, g.constant(DType::f32, {3}, bv, "b"));
        h = relu(matmul(x, W) + b);
        s = sum<1>(h);
        mean<0, true>(h);
        mean(h);
        clamp(x, -1, 0.5);
        (void)(x * 2.0f);
        softmax(h).named("p");
        slice<1, 0, 1>(x);
        transpose(W);
        concat<0>(x, x);
        auto lab = g.input<std::int32_t, 2>("lab");
        one_hot<3>(lab);
        argmax<1>(h);
        g.scalar_constant(DType::f64, 0.1);
        g.param<double, 4>("u", init::uniform(-0.5, 0.25, 7));
    }
};

}  // namespace

TEST_CASE("print(g) writes one node per line: op, name, operands, attributes, type", "[graph][print]") {
    Small sm;
    CHECK(print(sm.g) ==
          "%0 = input \"x\" f32[2,2]\n"
          "%1 = param \"W\" f32[2,3] glorot_uniform(seed=1)\n"
          "%2 = constant \"b\" f32[3] [1, 2.5, -3]\n"
          "%3 = matmul %0 %1 f32[2,3]\n"
          "%4 = add %3 %2 f32[2,3]\n"
          "%5 = relu %4 f32[2,3]\n"
          "%6 = sum %5 {axis=1} f32[2]\n"
          "%7 = mean %5 {axis=0, keepdims} f32[1,3]\n"
          "%8 = mean %5 {all} f32[]\n"
          "%9 = clamp %0 {lo=-1, hi=0.5} f32[2,2]\n"
          "%10 = mul_scalar %0 {c=2} f32[2,2]\n"
          "%11 = softmax \"p\" %5 {axis=1} f32[2,3]\n"
          "%12 = slice %0 {axis=1, [0:1]} f32[2,1]\n"
          "%13 = transpose %1 {perm=[1,0]} f32[3,2]\n"
          "%14 = concat %0 %0 {axis=0} f32[4,2]\n"
          "%15 = input \"lab\" i32[2]\n"
          "%16 = one_hot %15 {depth=3} f32[2,3]\n"
          "%17 = argmax %5 {axis=1} i32[2]\n"
          "%18 = constant f64[] 0.1\n"
          "%19 = param \"u\" f64[4] uniform(-0.5, 0.25, seed=7)\n");
    CHECK(print_node(sm.g, sm.s.node()) == "%6 = sum %5 {axis=1} f32[2]");
}

TEST_CASE("print(g) shows special scalar values and leaves large constants' values out", "[graph][print]") {
    Graph g;
    auto x = g.input<double, 3>("x");
    (void)(x + std::numeric_limits<double>::infinity());
    (void)(x * -std::numeric_limits<double>::infinity());
    (void)(x / std::nan(""));
    const float many[9] = {};
    g.constant(DType::f32, {9}, many);
    g.scalar_constant(DType::u8, 200);
    CHECK(print(g) ==
          "%0 = input \"x\" f64[3]\n"
          "%1 = add_scalar %0 {c=inf} f64[3]\n"
          "%2 = mul_scalar %0 {c=-inf} f64[3]\n"
          "%3 = div_scalar %0 {c=nan} f64[3]\n"
          "%4 = constant f32[9]\n"
          "%5 = constant u8[] 200\n");
}

TEST_CASE("to_dot(g) labels every node and draws every edge from operand to user", "[graph][dot]") {
    Small sm;
    sm.x.named("the \"input\"");
    const std::string dot = to_dot(sm.g, {.title = "small graph", .outputs = {sm.s.id()}});
    CHECK_THAT(dot, Contains("digraph graft {"));
    CHECK_THAT(dot, Contains("label=\"small graph\";"));
    CHECK_THAT(dot, Contains("n0 [label=\"%0 input\\nthe \\\"input\\\"\\nf32[2,2]\", shape=ellipse"));
    CHECK_THAT(dot, Contains("n1 [label=\"%1 param\\nW\\nf32[2,3]\", shape=box, style=\"filled,rounded\""));
    CHECK_THAT(dot, Contains("n2 [label=\"%2 constant\\nb\\nf32[3]\", shape=note"));
    CHECK_THAT(dot, Contains("n3 [label=\"%3 matmul\\nf32[2,3]\", shape=box];"));
    CHECK_THAT(dot, Contains("n6 [label=\"%6 sum\\n{axis=1}\\nf32[2]\", shape=box, peripheries=2];"));
    CHECK_THAT(dot, Contains("n11 [label=\"%11 softmax\\np\\n{axis=1}\\nf32[2,3]\""));
    for (const char* edge : {"n0 -> n3;", "n1 -> n3;", "n3 -> n4;", "n2 -> n4;", "n4 -> n5;", "n5 -> n6;", "n15 -> n16;"})
        CHECK_THAT(dot, Contains(edge));
    std::size_t edges = 0, inputs = 0;
    for (std::size_t p = dot.find(" -> "); p != std::string::npos; p = dot.find(" -> ", p + 1)) ++edges;
    for (const auto& n : sm.g.nodes()) inputs += n.inputs.size();
    CHECK(edges == inputs);
    CHECK(dot.substr(dot.size() - 2) == "}\n");

    // Graphviz, when installed, must accept the text.
    if (std::system("command -v dot > /dev/null 2>&1") != 0) {
        WARN("Graphviz `dot` not installed: rendering not checked");
        return;
    }
    const auto dir = std::filesystem::temp_directory_path();
    const auto in = dir / graft_test::cat("graft_print_test_", std::to_string(reinterpret_cast<std::uintptr_t>(&sm)), ".dot");
    const auto out = std::filesystem::path(in).replace_extension(".svg");
    std::ofstream(in) << dot;
    const std::string cmd = graft_test::cat("dot -Tsvg '", in.string(), "' -o '", out.string(), "' 2>&1");
    CHECK(std::system(cmd.c_str()) == 0);
    std::ifstream svg(out);
    std::stringstream text;
    text << svg.rdbuf();
    CHECK_THAT(text.str(), Contains("<svg"));
    CHECK_THAT(text.str(), Contains("matmul"));
    std::filesystem::remove(in);
    std::filesystem::remove(out);
}

TEST_CASE("to_dot(g) with backward_from fills the nodes from that id on blue and draws the others as before", "[graph][dot]") {
    Graph g;
    auto x = g.input<double>("x");
    auto w = g.param<double>("w", init::constant(2.0));
    auto f = tanh(x * w).named("f");
    const auto first_backward = static_cast<NodeId>(g.size());
    // stand-ins for a reverse sweep (the graph room has no grad()): a constant seed and two ops
    const NodeId seed = g.scalar_constant(DType::f64, 1.0);
    auto dw = ((1.0 - f * f) * x * Var<double, Shape<>>(g, seed)).named("df/dw");
    const std::string plain = to_dot(g, {.title = "f", .outputs = {f.id(), dw.id()}});
    const std::string dot = to_dot(g, {.title = "f", .outputs = {f.id(), dw.id()}, .backward_from = first_backward});
    CHECK(plain.find("#bbdefb") == std::string::npos);
    // forward nodes are drawn exactly as without the option
    for (NodeId id = 0; id < first_backward; ++id) {
        const std::string tag = graft_test::cat("  n", std::to_string(id), " [");
        const auto line = [&](const std::string& s) { const auto p = s.find(tag); return s.substr(p, s.find('\n', p) - p); };
        CHECK(line(dot) == line(plain));
    }
    // every node of the reverse sweep is filled blue, the gradient output keeps its double border
    std::size_t blue = 0;
    for (std::size_t p = dot.find("#bbdefb"); p != std::string::npos; p = dot.find("#bbdefb", p + 1)) ++blue;
    CHECK(blue == g.size() - first_backward);
    CHECK_THAT(dot, Contains(graft_test::cat("  n", std::to_string(seed), " [label=\"%", std::to_string(seed), " constant\\nf64[]\", shape=note, style=filled, fillcolor=\"#bbdefb\"];")));
    const auto p = dot.find(graft_test::cat("  n", std::to_string(dw.id()), " ["));
    CHECK_THAT(dot.substr(p, dot.find('\n', p) - p), Contains("fillcolor=\"#bbdefb\", peripheries=2"));
}
