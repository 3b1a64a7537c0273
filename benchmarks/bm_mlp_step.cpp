// SPDX-License-Identifier: MIT
// benchmarks/bm_mlp_step.cpp: one training step of an MLP 784-256-128-10 (ReLU, softmax cross-entropy,
// batch 64, float, plain SGD), compiled by graft against the same step written by hand on cblas_sgemm.
//   graft_mlp_step   compile once, bind the batch once, then each iteration: Machine::run() (forward and
//                    backward, one tape) + SGD::step()
//   hand_mlp_step    the baseline (peers/hand_mlp.hpp, shared with bm_peers): the forward and backward GEMMs
//                    as cblas_sgemm calls into preallocated buffers, bias/ReLU/softmax/cross-entropy and the
//                    update as plain loops
// Both start from the same weights and data. Before timing, main() runs one step of each and aborts if
// the loss or any gradient disagrees (relative 1e-4), so the two really compute the same thing.
// DESIGN's target: graft_mlp_step / hand_mlp_step <= 0.8 (printed after the table).
// (A benchmark baseline is the one place outside graft/tensor/blas.hpp that includes <cblas.h>.)
#include <cblas.h>

#include <graft/nn.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "peers/hand_mlp.hpp"
#include "ratio_reporter.hpp"

namespace {

constexpr std::size_t B = 64, D0 = 784, D1 = 256, D2 = 128, D3 = 10;
constexpr float lr = 0.01f;
namespace nn = graft::nn;

/// The batch both versions train on (seeded).
struct Batch {
    graft::Tensor<float, graft::Shape<B, D0>> x = graft::uniform<float, graft::Shape<B, D0>>(0.0f, 1.0f, 11);
    graft::Tensor<std::int32_t, graft::Shape<B>> y;
    Batch() {
        graft::Rng rng(12);
        for (auto& v : y) v = static_cast<std::int32_t>(rng.below(D3));
    }
};

// ------------------------------------------------------------ graft
struct GraftMlp {
    graft::Graph g;
    graft::Var<float, graft::Shape<B, D0>> x = g.input<float, B, D0>("x");
    graft::Var<std::int32_t, graft::Shape<B>> y = g.input<std::int32_t, B>("y");
    nn::Linear<D0, D1> fc1{g, "fc1", 1};
    nn::Linear<D1, D2> fc2{g, "fc2", 2};
    nn::Linear<D2, D3> fc3{g, "fc3", 3};
    graft::Var<float, graft::Shape<>> loss = nn::cross_entropy(nn::chain(x, fc1, nn::ReLU{}, fc2, nn::ReLU{}, fc3), y);
    nn::ParamGrads grads = nn::param_grads(loss, fc1, fc2, fc3);
    graft::Machine m{graft::compile(g, grads.outputs(loss))};
    nn::SGD opt{m, grads, {.lr = lr}};

    explicit GraftMlp(const Batch& b) {
        m.let(x, b.x);
        m.let(y, b.y);
    }
    void step() {
        m.run();
        opt.step();
    }
};

// ------------------------------------------------------------ by hand
// peers::HandMlp (peers/hand_mlp.hpp), the one hand-written MLP, shared with bm_peers.
using HandMlp = peers::HandMlp<B>;

HandMlp make_hand(const Batch& b, graft::Machine& m) {
    HandMlp hand(b.x.data(), b.y.data());
    hand.copy_params(m);
    hand.lr = lr;
    return hand;
}

// ------------------------------------------------------------ the honesty check
/// One step of each from the same start: the loss and all six gradients must agree, else abort.
void check_same_step() {
    Batch batch;
    GraftMlp net(batch);
    HandMlp hand = make_hand(batch, net.m);
    net.m.run();
    hand.forward_backward();
    auto fail = [](const char* what, double a, double b) {
        std::fprintf(stderr, "bm_mlp_step: graft and the hand-written step disagree on %s: %.8g vs %.8g\n", what, a, b);
        std::abort();
    };
    auto close = [](double a, double b, double scale) { return std::fabs(a - b) <= 1e-4 * scale + 1e-7; };
    const double lg = net.m.value(net.loss).item();
    if (!close(lg, hand.loss, std::fabs(hand.loss))) fail("the loss", lg, hand.loss);
    const std::vector<float>* hg[] = {&hand.dW1, &hand.db1, &hand.dW2, &hand.db2, &hand.dW3, &hand.db3};
    for (std::size_t p = 0; p < 6; ++p) {
        const auto* gg = static_cast<const float*>(net.m.value(net.grads.items[p].grad).data);
        const auto& h = *hg[p];
        double scale = 0;
        for (float v : h) scale = std::max(scale, double(std::fabs(v)));
        if (scale == 0) fail(net.grads.items[p].name.c_str(), 0, 0);  // a vanished gradient would make the check vacuous
        for (std::size_t i = 0; i < h.size(); ++i)
            if (!close(gg[i], h[i], scale)) fail(net.grads.items[p].name.c_str(), gg[i], h[i]);
    }
    // and one update each leaves the same parameters
    net.opt.step();
    hand.update();
    const auto& w1 = net.m.params().at("fc1.weight");
    const float* gw = reinterpret_cast<const float*>(w1.data.data());
    for (std::size_t i = 0; i < hand.W1.size(); ++i)
        if (!close(gw[i], hand.W1[i], 1.0)) fail("fc1.weight after one SGD step", gw[i], hand.W1[i]);
    std::printf("check: graft and the hand-written step agree (loss %.6f, 6 gradients, one SGD update)\n", lg);
}

void set_flops(benchmark::State& state, double flops) {
    state.counters["FLOP"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}
// 3 GEMMs per layer (forward, input gradient, weight gradient), minus the unneeded input gradient of layer 1
constexpr double gemm_flops = 2.0 * B * (3.0 * (D0 * D1 + D1 * D2 + D2 * D3) - D0 * D1);

void bm_graft_mlp_step(benchmark::State& state) {
    Batch batch;
    GraftMlp net(batch);
    for (auto _ : state) {
        net.step();
        benchmark::ClobberMemory();
    }
    set_flops(state, gemm_flops);
}

void bm_hand_mlp_step(benchmark::State& state) {
    Batch batch;
    GraftMlp net(batch);  // only for the same initial weights
    HandMlp hand = make_hand(batch, net.m);
    for (auto _ : state) {
        hand.step();
        benchmark::ClobberMemory();
    }
    set_flops(state, gemm_flops);
}

}  // namespace

int main(int argc, char** argv) {
    check_same_step();
    benchmark::RegisterBenchmark("hand_mlp_step", bm_hand_mlp_step)->Unit(benchmark::kMicrosecond)->UseRealTime();
    benchmark::RegisterBenchmark("graft_mlp_step", bm_graft_mlp_step)->Unit(benchmark::kMicrosecond)->UseRealTime();
    return graft::bench::run_with_ratios(argc, argv, {{"graft_mlp_step", "hand_mlp_step"}});
}
