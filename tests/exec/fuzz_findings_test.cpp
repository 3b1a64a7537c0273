// SPDX-License-Identifier: MIT
// tests/exec/fuzz_findings_test.cpp: what the graph-builder fuzz target (tests/fuzz/targets.hpp, graph_one)
// found, each as a readable regression test next to the raw input saved in tests/fuzz/regressions/graph/:
//   argmax_all_axes        Graph::add accepted argmax (and softmax) with attrs.all_axes set: shape inference
//                          used the axis, the compiled kernel all axes: an index past the axis came out
//   clamp_lo_above_hi      Graph::add accepted clamp with lo > hi (the typed graft::clamp refuses it): the
//                          kernel and the reference evaluator disagreed on the result
//   sum_empty_axis_null    a sum over an empty axis with more than 16 columns did pointer arithmetic on a
//                          null buffer (UBSan)
//   log_subnormal          Eigen 3.4's vectorized log took a subnormal argument for the smallest normal
//                          number (log(1.4e-309) = -708.4 instead of -711.2)
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <graft/exec.hpp>
#include <graft/exec/reference.hpp>
#include <graft/graph.hpp>
#include <graft/graph/ir.hpp>
#include <graft/passes.hpp>
#include <graft/tensor.hpp>

#include "support/files.hpp"

using namespace graft;
using Catch::Matchers::Contains;

TEST_CASE("fuzz finding: argmax, softmax and log_softmax refuse all_axes, which only reductions have", "[exec][fuzz]") {
    Graph g;
    const NodeId x = g.input("x", DType::f32, {1, 1, 2, 4});
    Attrs at;
    at.axis = 3;
    at.keepdims = true;
    at.all_axes = true;
    CHECK(graft_test::error_of([&] { (void)g.add(OpKind::argmax, {x}, at); }) ==
          "graft::Error: graph op argmax: expected one axis (attrs.axis; all_axes unset), found all_axes set");
    CHECK_THAT(graft_test::error_of([&] { (void)g.add(OpKind::softmax, {x}, at); }), Contains("graph op softmax: expected one axis"));
    CHECK_THAT(graft_test::error_of([&] { (void)g.add(OpKind::log_softmax, {x}, at); }), Contains("graph op log_softmax: expected one axis"));
    at.all_axes = false;  // the same call along axis 3 computes what the reference computes
    const NodeId am = g.add(OpKind::argmax, {x}, at);
    Machine m(compile(g, std::span<const NodeId>(&am, 1)));
    const std::vector<float> v{0.5f, 2.0f, -1.0f, 1.0f, 3.0f, 3.0f, 0.0f, -4.0f};
    m.let("x", DType::f32, {1, 1, 2, 4}, v.data());
    m.run();
    const auto* idx = static_cast<const std::int32_t*>(m.value(am).data);
    CHECK(idx[0] == 1);
    CHECK(idx[1] == 0);  // the first of equal maxima
}

TEST_CASE("fuzz finding: the untyped clamp refuses lo > hi and NaN bounds, as graft::clamp does", "[exec][fuzz]") {
    Graph g;
    const NodeId x = g.input("x", DType::f64, {});
    Attrs at;
    at.scalar = 4;
    at.scalar2 = 0;
    CHECK(graft_test::error_of([&] { (void)g.add(OpKind::clamp, {x}, at); }) ==
          "graft::Error: graph op clamp: expected bounds lo <= hi, found lo 4.000000 > hi 0.000000");
    at.scalar = std::numeric_limits<double>::quiet_NaN();
    CHECK_THAT(graft_test::error_of([&] { (void)g.add(OpKind::clamp, {x}, at); }), Contains("expected bounds lo <= hi"));
    at.scalar = -1;
    at.scalar2 = 1;
    CHECK_NOTHROW(g.add(OpKind::clamp, {x}, at));
}

TEST_CASE("fuzz finding: sum, mean and max over an empty axis of a wide value give 0, NaN and -inf", "[exec][fuzz]") {
    // [2, 0, 20]: reducing axis 1 leaves 2 x 20 outputs from no inputs (20 > the 16-column blocking)
    Graph g;
    const NodeId x = g.input("x", DType::f32, {2, 0, 20});
    std::vector<NodeId> outs;
    for (OpKind op : {OpKind::sum, OpKind::mean, OpKind::max}) {
        Attrs at;
        at.axis = 1;
        outs.push_back(g.add(op, {x}, at));
    }
    Machine m(compile(g, outs));
    m.let("x", DType::f32, {2, 0, 20}, nullptr);  // no elements: no data needed
    m.run();
    reference::Bindings b;
    b.inputs["x"] = reference::Value{DType::f32, {2, 0, 20}, {}};
    const auto want = reference::evaluate(g, outs, b);
    for (std::size_t k = 0; k < outs.size(); ++k) {
        const auto* y = static_cast<const float*>(m.value(outs[k]).data);
        REQUIRE(want[k].data.size() == 40);
        for (std::size_t i = 0; i < 40; ++i) {
            const double r = want[k].data[i];
            if (std::isnan(r)) CHECK(std::isnan(y[i]));
            else CHECK(double(y[i]) == r);
        }
    }
    CHECK(static_cast<const float*>(m.value(outs[0]).data)[39] == 0.0f);
    CHECK(std::isnan(static_cast<const float*>(m.value(outs[1]).data)[0]));
    CHECK(static_cast<const float*>(m.value(outs[2]).data)[5] == -std::numeric_limits<float>::infinity());
}

TEST_CASE("fuzz finding: log of a subnormal is exact, compiled, fused and eager", "[exec][fuzz]") {
    // Eigen 3.4's vectorized log took a subnormal for the smallest normal: log(1.4e-309) gave -708.4
    const std::vector<double> v{4.779489994914804e-299, 1.401557000622244e-309, 4.18831066137459e-309, 5e-324, 1.0, 0.0};
    Graph g;
    const NodeId x = g.input("x", DType::f64, {6});
    const NodeId y = ir::unary(g, OpKind::log, x);
    const NodeId z = ir::mul_scalar(g, ir::unary(g, OpKind::log, ir::add_scalar(g, x, 0.0)), 2.0);  // fusable chain
    for (const auto& pipeline : {passes::none(), passes::standard()}) {
        const NodeId outs[2] = {y, z};
        Machine m(compile(g, outs, CompileOptions{.pipeline = pipeline}));
        m.let("x", DType::f64, {6}, v.data());
        m.run();
        const auto* ly = static_cast<const double*>(m.value(y).data);
        const auto* lz = static_cast<const double*>(m.value(z).data);
        for (std::size_t i = 0; i < v.size(); ++i) {
            CHECK(ly[i] == std::log(v[i]));
            CHECK(lz[i] == 2.0 * std::log(v[i]));
        }
    }
    Tensor<float, Shape<3>> f{1e-45f, 1e-40f, 2.0f};  // float subnormals, eager
    const auto lf = log(f);
    for (std::size_t i = 0; i < 3; ++i) CHECK(lf[i] == std::log(f[i]));
    CHECK(lf[0] == Approx(-103.2789));
}
