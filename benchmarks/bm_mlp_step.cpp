// SPDX-License-Identifier: MIT
// benchmarks/bm_mlp_step.cpp: one training step of an MLP 784-256-128-10 (ReLU, softmax cross-entropy,
// batch 64, float, plain SGD), compiled by graft against the same step written by hand on cblas_sgemm.
//   graft_mlp_step   compile once, bind the batch once, then each iteration: Machine::run() (forward and
//                    backward, one tape) + SGD::step()
//   hand_mlp_step    the baseline: 6 forward/backward GEMMs per layer pair as cblas_sgemm calls into
//                    preallocated buffers, bias/ReLU/softmax/cross-entropy and the update as plain loops
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
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a, const float* b, float* c) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), 1.0f, a,
                ta ? int(m) : int(k), b, tb ? int(k) : int(n), 0.0f, c, int(n));
}

struct HandMlp {
    const float* x;
    const std::int32_t* y;
    // parameters [in, out] and biases, and their gradients
    std::vector<float> W1 = std::vector<float>(D0 * D1), b1 = std::vector<float>(D1), W2 = std::vector<float>(D1 * D2),
                       b2 = std::vector<float>(D2), W3 = std::vector<float>(D2 * D3), b3 = std::vector<float>(D3);
    std::vector<float> dW1 = std::vector<float>(D0 * D1), db1 = std::vector<float>(D1), dW2 = std::vector<float>(D1 * D2),
                       db2 = std::vector<float>(D2), dW3 = std::vector<float>(D2 * D3), db3 = std::vector<float>(D3);
    // activations (post-ReLU), logits/probabilities, and backward temporaries
    std::vector<float> A1 = std::vector<float>(B * D1), A2 = std::vector<float>(B * D2), Z = std::vector<float>(B * D3);
    std::vector<float> dA1 = std::vector<float>(B * D1), dA2 = std::vector<float>(B * D2);
    float loss = 0;

    HandMlp(const Batch& b, graft::Machine& m) : x(b.x.data()), y(b.y.data()) {
        auto copy = [&](const char* name, std::vector<float>& dst) {
            const auto& e = m.params().at(name);
            std::copy_n(reinterpret_cast<const float*>(e.data.data()), dst.size(), dst.data());
        };
        copy("fc1.weight", W1), copy("fc1.bias", b1), copy("fc2.weight", W2), copy("fc2.bias", b2);
        copy("fc3.weight", W3), copy("fc3.bias", b3);
    }

    static void bias_relu(float* a, const float* bias, std::size_t rows, std::size_t cols) {
        for (std::size_t i = 0; i < rows; ++i)
            for (std::size_t j = 0; j < cols; ++j) a[i * cols + j] = std::max(a[i * cols + j] + bias[j], 0.0f);
    }
    /// dA *= [A > 0] (ReLU's derivative from its output), and db = column sums of dA.
    static void relu_back(float* da, const float* a, float* db, std::size_t rows, std::size_t cols) {
        std::fill(db, db + cols, 0.0f);
        for (std::size_t i = 0; i < rows; ++i)
            for (std::size_t j = 0; j < cols; ++j) {
                float& d = da[i * cols + j];
                d = a[i * cols + j] > 0 ? d : 0.0f;
                db[j] += d;
            }
    }
    static void sgd(std::vector<float>& w, const std::vector<float>& dw) {
        for (std::size_t i = 0; i < w.size(); ++i) w[i] -= lr * dw[i];
    }

    void forward_backward() {
        // forward
        gemm(false, false, B, D1, D0, x, W1.data(), A1.data());
        bias_relu(A1.data(), b1.data(), B, D1);
        gemm(false, false, B, D2, D1, A1.data(), W2.data(), A2.data());
        bias_relu(A2.data(), b2.data(), B, D2);
        gemm(false, false, B, D3, D2, A2.data(), W3.data(), Z.data());
        // softmax cross-entropy (mean over the batch); Z becomes dLoss/dlogits = (softmax - onehot) / B
        double total = 0;
        std::fill(db3.begin(), db3.end(), 0.0f);
        for (std::size_t i = 0; i < B; ++i) {
            float* z = Z.data() + i * D3;
            for (std::size_t j = 0; j < D3; ++j) z[j] += b3[j];
            const float mx = *std::max_element(z, z + D3);
            float s = 0;
            for (std::size_t j = 0; j < D3; ++j) s += std::exp(z[j] - mx);
            const float lse = mx + std::log(s);
            total += lse - z[y[i]];
            for (std::size_t j = 0; j < D3; ++j) {
                z[j] = (std::exp(z[j] - lse) - (std::int32_t(j) == y[i] ? 1.0f : 0.0f)) / float(B);
                db3[j] += z[j];
            }
        }
        loss = float(total / B);
        // backward
        gemm(true, false, D2, D3, B, A2.data(), Z.data(), dW3.data());
        gemm(false, true, B, D2, D3, Z.data(), W3.data(), dA2.data());
        relu_back(dA2.data(), A2.data(), db2.data(), B, D2);
        gemm(true, false, D1, D2, B, A1.data(), dA2.data(), dW2.data());
        gemm(false, true, B, D1, D2, dA2.data(), W2.data(), dA1.data());
        relu_back(dA1.data(), A1.data(), db1.data(), B, D1);
        gemm(true, false, D0, D1, B, x, dA1.data(), dW1.data());
    }
    void update() {
        sgd(W1, dW1), sgd(b1, db1), sgd(W2, dW2), sgd(b2, db2), sgd(W3, dW3), sgd(b3, db3);
    }
    void step() {
        forward_backward();
        update();
    }
};

// ------------------------------------------------------------ the honesty check
/// One step of each from the same start: the loss and all six gradients must agree, else abort.
void check_same_step() {
    Batch batch;
    GraftMlp net(batch);
    HandMlp hand(batch, net.m);
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
    HandMlp hand(batch, net.m);
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
