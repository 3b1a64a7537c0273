// SPDX-License-Identifier: MIT
// benchmarks/peers/peers_hand.cpp: the hand-written side of bm_peers (workloads: peers.hpp), the practical floor:
// cblas_sgemm into preallocated buffers and plain loops, nothing allocated per iteration.
//   mlp_step_b64, mlp_step_b256  peers::HandMlp<B>::step() (hand_mlp.hpp, also bm_mlp_step's baseline): 3 forward
//                                and 5 backward GEMMs, bias/ReLU/softmax cross-entropy and SGD as loops
//   cnn_step_b64                 peers::HandCnn::step() (hand_cnn.hpp): im2col + one GEMM per convolution over the
//                                whole batch, fused bias/ReLU/max pool, weight and input gradient GEMMs + col2im,
//                                dense layers by sgemm, counter-hash dropout, softmax cross-entropy, one Adam loop
//   chain_1M, chain_16M          one Eigen array expression over Maps, Y = (X * A + B).tanh() * C, Y preallocated
//   tiny_adds_fwd                v_{i+1} = v_i + c on 2x2 floats, 100 adds as loops; counter ns/op (per add)
//   tiny_adds_fwd_bwd            the same, then the reverse sweep: the gradient of sum(v_100) for v_0 and c
//   mlp_infer_b1, mlp_infer_b256 HandMlp<B>::forward(): 3 GEMMs + bias/ReLU loops to the logits
// Before registering, register_hand() runs one forward/backward of the hand CNN against graft's Cnn<64>
// (examples/fashion_mnist_model.hpp, dropout off on both sides) from the same parameters and aborts unless the
// loss and all 8 parameter gradients agree (relative 1e-3 of each gradient's largest magnitude).
// (A benchmark baseline is the one place outside graft/tensor/blas.hpp that includes <cblas.h>.)
#include <cblas.h>

#include <Eigen/Core>
#include <graft/graft.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "../../examples/fashion_mnist_model.hpp"
#include "hand_cnn.hpp"
#include "hand_mlp.hpp"
#include "peers.hpp"

namespace peers {
namespace {

/// Seeded inputs: n floats uniform in [lo, hi), n labels below `classes`.
std::vector<float> uniform_data(std::size_t n, float lo, float hi, std::uint64_t seed) {
    HandRng rng{seed};
    std::vector<float> v(n);
    for (float& e : v) e = rng.uniform(lo, hi);
    return v;
}
std::vector<std::int32_t> labels(std::size_t n, std::size_t classes_, std::uint64_t seed) {
    HandRng rng{seed};
    std::vector<std::int32_t> v(n);
    for (auto& e : v) e = std::int32_t(rng.next() % classes_);
    return v;
}

// ------------------------------------------------------------ the honesty check of the CNN
/// One forward/backward of graft's Cnn<64> and of HandCnn from the same parameters, dropout off on both.
void check_cnn() {
    namespace nn = graft::nn;
    graft::Graph g;
    fashion_mnist::Cnn<cnn_batch> model(g, false);
    auto y = g.input<std::int32_t, cnn_batch>("y");
    auto loss = nn::cross_entropy(model.logits, y);
    auto grads = nn::param_grads(loss, model.conv1, model.conv2, model.fc1, model.fc2);
    graft::Machine m(graft::compile(g, grads.outputs(loss)));
    const auto xv = graft::uniform<float, graft::Shape<cnn_batch, HW * HW>>(0.0f, 1.0f, 21);
    graft::Tensor<std::int32_t, graft::Shape<cnn_batch>> yv;
    const std::vector<std::int32_t> ys = labels(cnn_batch, classes, 22);
    std::copy(ys.begin(), ys.end(), yv.data());
    m.let(model.x, xv);
    m.let(y, yv);
    m.run();

    auto hand = std::make_unique<HandCnn>(xv.data(), yv.data());
    hand->dropout = false;
    hand->copy_params(m);
    hand->forward_backward();

    auto fail = [](const char* what, double a, double b) {
        std::fprintf(stderr, "bm_peers: graft and the hand-written CNN step disagree on %s: %.8g vs %.8g\n", what, a, b);
        std::abort();
    };
    const double lg = m.value(loss).item();
    if (!(std::fabs(lg - double(hand->loss)) <= 1e-3 * std::fabs(lg))) fail("the loss", lg, hand->loss);
    if (grads.items.size() != std::size(HandCnn::params)) fail("the number of parameters", double(grads.items.size()), 8);
    for (const auto& item : grads.items) {
        const auto* q = std::find_if(std::begin(HandCnn::params), std::end(HandCnn::params),
                                     [&](const HandCnn::Param& e) { return item.name == e.name; });
        if (q == std::end(HandCnn::params)) fail(item.name.c_str(), 0, 0);
        const auto* gg = static_cast<const float*>(m.value(item.grad).data);
        const auto h = hand->grad(*q);
        double scale = 0;
        for (float v : h) scale = std::max(scale, double(std::fabs(v)));
        if (scale == 0) fail(item.name.c_str(), 0, 0);  // a vanished gradient would make the check vacuous
        for (std::size_t i = 0; i < h.size(); ++i)
            if (!(std::fabs(double(gg[i]) - double(h[i])) <= 1e-3 * scale)) fail(item.name.c_str(), gg[i], h[i]);
    }
    std::printf("check: graft and the hand-written CNN step agree (loss %.6f, 8 gradients, dropout off)\n", lg);
}

// ------------------------------------------------------------ the workloads
template <std::size_t B>
void mlp_step(benchmark::State& state) {
    const std::vector<float> x = uniform_data(B * D0, 0.0f, 1.0f, 11);
    const std::vector<std::int32_t> y = labels(B, D3, 12);
    auto net = std::make_unique<HandMlp<B>>(x.data(), y.data());
    for (auto _ : state) {
        net->step();
        benchmark::ClobberMemory();
    }
}

template <std::size_t B>
void mlp_infer(benchmark::State& state) {
    const std::vector<float> x = uniform_data(B * D0, 0.0f, 1.0f, 11);
    auto net = std::make_unique<HandMlp<B>>(x.data(), nullptr);
    for (auto _ : state) {
        net->forward();
        benchmark::DoNotOptimize(net->Z.data());
        benchmark::ClobberMemory();
    }
}

void cnn_step(benchmark::State& state) {
    const std::vector<float> x = uniform_data(cnn_batch * HW * HW, 0.0f, 1.0f, 7);
    const std::vector<std::int32_t> y = labels(cnn_batch, classes, 8);
    auto net = std::make_unique<HandCnn>(x.data(), y.data());
    for (auto _ : state) {
        net->step();
        benchmark::ClobberMemory();
    }
}

template <std::size_t N>
void chain(benchmark::State& state) {
    using Map = Eigen::Map<Eigen::ArrayXf>;
    using CMap = Eigen::Map<const Eigen::ArrayXf>;
    const std::vector<float> x = uniform_data(N, -1.0f, 1.0f, 1), a = uniform_data(N, -1.0f, 1.0f, 2),
                             b = uniform_data(N, -1.0f, 1.0f, 3), c = uniform_data(N, -1.0f, 1.0f, 4);
    std::vector<float> out(N);
    const CMap X(x.data(), Eigen::Index(N)), A(a.data(), Eigen::Index(N)), B(b.data(), Eigen::Index(N)),
        C(c.data(), Eigen::Index(N));
    Map Y(out.data(), Eigen::Index(N));
    for (auto _ : state) {
        Y = (X * A + B).tanh() * C;
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
}

using Quad = std::array<float, 4>;

void set_per_add(benchmark::State& state) {
    state.counters["ns/op"] =
        benchmark::Counter(double(tiny_ops), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

/// v[i+1] = v[i] + c for i < tiny_ops.
void tiny_forward(std::vector<Quad>& v, const Quad& c) {
    for (std::size_t i = 0; i < tiny_ops; ++i)
        for (std::size_t k = 0; k < 4; ++k) v[i + 1][k] = v[i][k] + c[k];
}

void tiny_adds_fwd(benchmark::State& state) {
    std::vector<Quad> v(tiny_ops + 1);
    v[0] = {0.5f, -1.0f, 2.0f, 0.25f};
    Quad c = {0.125f, 0.5f, -0.25f, 1.0f};
    for (auto _ : state) {
        benchmark::DoNotOptimize(v[0]);
        benchmark::DoNotOptimize(c);
        tiny_forward(v, c);
        benchmark::DoNotOptimize(v[tiny_ops]);
        benchmark::ClobberMemory();
    }
    set_per_add(state);
}

void tiny_adds_fwd_bwd(benchmark::State& state) {
    std::vector<Quad> v(tiny_ops + 1), gv(tiny_ops + 1);
    v[0] = {0.5f, -1.0f, 2.0f, 0.25f};
    Quad c = {0.125f, 0.5f, -0.25f, 1.0f}, gc{};
    for (auto _ : state) {
        benchmark::DoNotOptimize(v[0]);
        benchmark::DoNotOptimize(c);
        tiny_forward(v, c);
        // reverse sweep from d sum(v_100) / d v_100 = 1: each add passes its gradient to v_i and to c
        gv[tiny_ops] = {1.0f, 1.0f, 1.0f, 1.0f};
        gc = {};
        for (std::size_t i = tiny_ops; i-- > 0;)
            for (std::size_t k = 0; k < 4; ++k) {
                gv[i][k] = gv[i + 1][k];
                gc[k] += gv[i + 1][k];
            }
        benchmark::DoNotOptimize(v[tiny_ops]);
        benchmark::DoNotOptimize(gv[0]);
        benchmark::DoNotOptimize(gc);
        benchmark::ClobberMemory();
    }
    set_per_add(state);
}

}  // namespace

void register_hand() {
    check_cnn();
    add("mlp_step_b64", "hand", mlp_step<64>);
    add("mlp_step_b256", "hand", mlp_step<256>);
    add("cnn_step_b64", "hand", cnn_step);
    add("chain_1M", "hand", chain<chain_small>);
    add("chain_16M", "hand", chain<chain_large>);
    add("tiny_adds_fwd", "hand", tiny_adds_fwd);
    add("tiny_adds_fwd_bwd", "hand", tiny_adds_fwd_bwd);
    add("mlp_infer_b1", "hand", mlp_infer<1>);
    add("mlp_infer_b256", "hand", mlp_infer<256>);
}

}  // namespace peers
