// SPDX-License-Identifier: MIT
// tests/exec/no_alloc_test.cpp: a compiled step allocates nothing (DESIGN: "running a step allocates nothing").
// This file is the one translation unit of graft_tests_exec that replaces the global operator new with
// the counting versions of tests/support/alloc_counter.hpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <memory>
#include <new>

#include <graft/autodiff.hpp>
#include <graft/exec.hpp>
#include <graft/graph.hpp>
#include <graft/passes.hpp>
#include <graft/tensor.hpp>

#include "support/alloc_counter.hpp"
#include "support/reference.hpp"

using namespace graft;

TEST_CASE("the allocation counter sees plain, array, aligned and nothrow operator new", "[exec][alloc]") {
    const auto before = graft_test::allocations();
    { auto p = std::make_unique<int>(7); CHECK(*p == 7); }
    { auto a = std::make_unique<double[]>(5); CHECK(a[4] == 0.0); }
    { AlignedBuffer<float> b(16); CHECK(reinterpret_cast<std::uintptr_t>(b.data()) % buffer_alignment == 0); }
    { int* q = new (std::nothrow) int(3); CHECK(*q == 3); delete q; }
    CHECK(graft_test::allocations() - before == 4);
}

TEST_CASE("an MLP step (matmul, bias, relu, softmax, sum) allocates nothing in run()", "[exec][alloc]") {
    Graph g;
    auto x = g.input<float, 32, 20>("x");
    auto labels = g.input<std::int32_t, 32>("labels");
    auto W1 = g.param<float, 20, 16>("W1", init::glorot_uniform(1));
    auto b1 = g.param<float, 16>("b1", init::zeros());
    auto W2 = g.param<float, 16, 10>("W2", init::glorot_uniform(2));
    auto b2 = g.param<float, 10>("b2", init::constant(0.1));
    auto h = relu(matmul(x, W1) + b1);
    auto logits = matmul(h, W2) + b2;
    auto p = softmax(logits);
    auto loss = -sum(one_hot<10>(labels) * log_softmax(logits)) / 32.0f;
    auto pred = argmax<1>(p);
    auto row_sums = sum<1>(p);

    const auto before_compile = graft_test::allocations();
    Machine m(compile(g, loss, pred, row_sums));
    CHECK(graft_test::allocations() > before_compile);  // compiling may allocate; the counter sees it

    Tensor<float, Shape<32, 20>> xv;
    graft_test::randomize(xv, 11);
    Tensor<std::int32_t, Shape<32>> lv;
    graft_test::randomize(lv, 12, 0, 9);
    m.let(x, xv);
    m.let(labels, lv);
    m.run();  // warm-up: the BLAS may set itself up on its first call

    const auto before = graft_test::allocations();
    for (int i = 0; i < 10; ++i) m.run();
    const auto during = graft_test::allocations() - before;
    CHECK(during == 0);
    m.set_profile(true);  // the profile's table is allocated here, never in run()
    const auto before_profiled = graft_test::allocations();
    for (int i = 0; i < 3; ++i) m.run();
    CHECK(graft_test::allocations() - before_profiled == 0);
    m.set_profile(false);
    m.set_anomaly_check(true);  // anomaly mode scans each output, allocating nothing unless it throws
    const auto before_checked = graft_test::allocations();
    for (int i = 0; i < 3; ++i) m.run();
    CHECK(graft_test::allocations() - before_checked == 0);
    m.set_anomaly_check(false);
    CHECK(m.steps() == 17);
    CHECK(std::isfinite(m.value(loss).item()));
    CHECK(m.value(row_sums)[0] == Approx(1.0f).epsilon(1e-5));
}

TEST_CASE("one instruction of every kernel family allocates nothing in run()", "[exec][alloc]") {
    Graph g;
    auto a = g.input<double, 3, 4>("a");
    auto b = g.input<double, 4>("b");
    auto c = g.input<double, 4, 5>("c");
    auto lab = g.input<std::int32_t, 3>("lab");
    auto e1 = maximum(a, b) * exp(a) - clamp(a, -0.5, 0.5) / 2.0;                // binary, scalar, unary
    auto e2 = where(greater(a, b), sqrt(abs(a)), tanh(a));                         // compare, where
    auto mm = matmul(transpose(c), transpose(e1));                                  // GEMM with both flags
    auto sh = concat<0>(slice<0, 0, 2>(e2), broadcast_to<Shape<1, 4>>(b));         // shape kernels
    auto r = reshape<4, 3>(sh);                                                     // alias, no copy
    auto red = mean<0, true>(r) + max<0>(log_softmax<0>(mm));                       // reductions, softmax
    auto oh = one_hot<4, double>(lab);
    auto am = argmax<1>(mm);
    Machine m(compile(g, red, oh, am));
    Tensor<double, Shape<3, 4>> av;
    Tensor<double, Shape<4>> bv;
    Tensor<double, Shape<4, 5>> cv;
    Tensor<std::int32_t, Shape<3>> lv{0, 3, 2};
    m.let(a, graft_test::randomize(av, 1));
    m.let(b, graft_test::randomize(bv, 2));
    m.let(c, graft_test::randomize(cv, 3));
    m.let(lab, lv);
    m.run();
    const auto before = graft_test::allocations();
    for (int i = 0; i < 10; ++i) m.run();
    CHECK(graft_test::allocations() - before == 0);
}

TEST_CASE("the fused kernels (register program, GEMM with epilogue) allocate nothing in run()", "[exec][alloc][fusion]") {
    Graph g;
    auto x = g.input<float, 300, 20>("x");
    auto v = g.input<float, 20>("v");
    auto W = g.param<float, 20, 16>("W", init::glorot_uniform(1));
    auto b = g.param<float, 16>("b", init::zeros());
    auto h = tanh(matmul(x, W) + b);                        // matmul_bias_act
    auto y = sum(exp(x * v - 1.0f) + where(greater(x, v), x, -x)) + sum(h * h);  // fused, v gathered per block
    CompileOptions opt;
    opt.pipeline = passes::standard();
    Machine m(compile(g, opt, y));
    CHECK_THAT(m.program().dump(), Catch::Matchers::Contains("= fused ") && Catch::Matchers::Contains("= matmul_bias_act "));
    Tensor<float, Shape<300, 20>> xv;
    Tensor<float, Shape<20>> vv;
    m.let(x, graft_test::randomize(xv, 4));
    m.let(v, graft_test::randomize(vv, 5));
    m.run();
    const auto before = graft_test::allocations();
    for (int i = 0; i < 10; ++i) m.run();
    CHECK(graft_test::allocations() - before == 0);
}

TEST_CASE("conv2d (im2col in an arena scratch slot), its gradients and the pools allocate nothing in run()", "[exec][alloc][conv]") {
    Graph g;
    auto x = g.input<float, 4, 3, 9, 8>("x");
    auto w = g.param<float, 6, 3, 3, 3>("w", init::he_normal(1));
    auto w1 = g.param<float, 4, 6, 1, 1>("w1", init::he_normal(2));
    auto h = conv2d<Conv2dOptions{.stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1}>(x, w);
    auto y = sum(avg_pool2d<2, 1>(conv2d(max_pool2d<3, 1, 1>(h), w1)));
    auto [gw, gw1] = grad(y, w, w1);
    Machine m(compile(g, y, gw, gw1));
    Tensor<float, Shape<4, 3, 9, 8>> xv;
    m.let(x, graft_test::randomize(xv, 6));
    m.run();
    const auto before = graft_test::allocations();
    for (int i = 0; i < 10; ++i) m.run();
    CHECK(graft_test::allocations() - before == 0);
}
