// SPDX-License-Identifier: MIT
// tests/autodiff/gradcheck_all_ops_test.cpp: every differentiable op of the op table against central
// differences in double (PyTorch OpInfo / ggml test-backend-ops style). The walk over op_table fails
// when a differentiable op has no case in op_cases.hpp, so a new op cannot ship without its gradcheck.
#include <catch2/catch.hpp>

#include <cstddef>
#include <iostream>
#include <string>
#include <vector>

#include <graft/autodiff/gradcheck.hpp>

#include "op_cases.hpp"
#include "support/random_graph.hpp"

using namespace graft;
using graft_test::cat;

namespace {

/// The gradcheck inputs of a case: values drawn by its specs from one seeded stream.
std::vector<GradcheckInput> draw_inputs(const graft_test::OpCase& c, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<GradcheckInput> ins;
    for (const auto& spec : c.inputs) {
        GradcheckInput in;
        in.dims = spec.dims;
        std::size_t n = 1;
        for (auto d : spec.dims) n *= d;
        const std::vector<double> v = spec.draw(rng, n);
        if (spec.labels) {
            in.is_int = true;
            for (double x : v) in.ints.push_back(static_cast<std::int32_t>(x));
        } else {
            in.values = v;
        }
        ins.push_back(std::move(in));
    }
    return ins;
}

}  // namespace

TEST_CASE("every differentiable op in op_table passes gradcheck on several shapes", "[autodiff][gradcheck]") {
    const std::uint64_t seed = graft_test::seed_from_env(20240611);
    const auto& all = graft_test::op_cases();
    std::size_t total = 0, covered = 0, cases_run = 0;
    std::string missing;
    for (const OpInfo& info : op_table) {
        if (!info.differentiable) continue;
        ++total;
        std::size_t mine = 0;
        for (std::size_t k = 0; k < all.size(); ++k) {
            const auto& c = all[k];
            if (c.op != info.kind) continue;
            ++mine;
            ++cases_run;
            GradcheckOptions opt;
            opt.eps = 1e-6;
            opt.atol = c.atol;
            opt.rtol = c.rtol;
            opt.seed = seed + k;
            bool built_op = false;
            const GradcheckResult r = gradcheck_ir(
                [&](Graph& g, std::span<const NodeId> xs) {
                    const NodeId out = c.build(g, xs, DType::f64);
                    built_op = graft_test::graph_has_op(g, c.op);
                    return out;
                },
                draw_inputs(c, seed * 31 + k), opt);
            INFO(cat("case: ", c.label, " (GRAFT_SEED=", std::to_string(seed), ")"));
            INFO(r.worst);
            CHECK(built_op);
            CHECK(r.checked > 0);
            CHECK(r.ok);
        }
        if (mine > 0) ++covered;
        else missing += cat(missing.empty() ? "" : ", ", info.name);
    }
    std::cout << covered << "/" << total << " differentiable ops gradchecked (" << cases_run << " cases, seed " << seed << ")\n";
    INFO("differentiable ops without a gradcheck case: " << missing);
    REQUIRE(covered == total);
}

TEST_CASE("gradcheck fails at relu's kink, where the one-sided slopes differ", "[autodiff][gradcheck]") {
    // The harness must be able to fail. At x = 0 the central difference of relu is (eps - 0) / 2eps = 1/2
    // while the VJP uses [x > 0] = 0, so the element at the kink is reported.
    std::vector<GradcheckInput> ins(1);
    ins[0].dims = {3};
    ins[0].values = {-0.5, 0.0, 0.5};
    const GradcheckResult r = gradcheck_ir([](Graph& g, std::span<const NodeId> xs) { return ir::unary(g, OpKind::relu, xs[0]); }, ins);
    CHECK_FALSE(r.ok);
    CHECK(r.worst.find("x0[1]") != std::string::npos);
    CHECK(r.checked == 3);
}

TEST_CASE("every differentiable op passes gradgradcheck: its VJP graph differentiates correctly", "[autodiff][gradcheck][higher]") {
    // The function checked is h(x) = sum_i <grad_i(x), r_i> with grad_i the VJPs of sum(op(x) * d) for
    // fixed random d and r_i, so gradcheck compares the Hessian-vector products grad() builds with
    // finite differences of the first-order reverse sweep (PyTorch's gradgradcheck).
    const std::uint64_t seed = graft_test::seed_from_env(20240611);
    const auto& all = graft_test::op_cases();
    std::size_t total = 0, covered = 0;
    for (const OpInfo& info : op_table) {
        if (!info.differentiable) continue;
        ++total;
        bool any = false;
        for (std::size_t k = 0; k < all.size(); ++k) {
            const auto& c = all[k];
            if (c.op != info.kind) continue;
            any = true;
            GradcheckOptions opt;
            opt.atol = c.atol;
            opt.rtol = c.rtol;
            const GradcheckResult r = gradcheck_ir(
                [&](Graph& g, std::span<const NodeId> xs) {
                    Rng rng(seed + 17 * k);
                    auto direction = [&](NodeId like) {
                        std::vector<double> v(g.node(like).size());
                        for (auto& e : v) e = rng.uniform(-1, 1);
                        const Dims dims = g.node(like).dims;
                        return g.constant(DType::f64, dims, v.data());
                    };
                    const NodeId out = c.build(g, xs, DType::f64);
                    const NodeId loss = ir::sum_all(g, ir::mul(g, out, direction(out)));
                    std::vector<NodeId> wrt;
                    for (std::size_t i = 0; i < xs.size(); ++i)
                        if (!c.inputs[i].labels) wrt.push_back(xs[i]);
                    const std::vector<NodeId> grads = grad(g, loss, wrt);
                    NodeId h = no_node;
                    for (NodeId gi : grads) {
                        const NodeId term = ir::sum_all(g, ir::mul(g, gi, direction(gi)));
                        h = h == no_node ? term : ir::add(g, h, term);
                    }
                    return h;
                },
                draw_inputs(c, seed * 37 + k), opt);
            INFO(cat("case: ", c.label, " (GRAFT_SEED=", std::to_string(seed), ")"));
            INFO(r.worst);
            CHECK(r.ok);
        }
        if (any) ++covered;
    }
    std::cout << covered << "/" << total << " differentiable ops gradgradchecked\n";
    REQUIRE(covered == total);
}
