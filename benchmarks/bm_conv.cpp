// SPDX-License-Identifier: MIT
// benchmarks/bm_conv.cpp: convolutions at the CNN flagship's layer shapes, and its training step.
//   conv_fwd/<layer>      y = conv2d(x, w) compiled once, inputs bound once; one Machine::run() per
//                         iteration: im2col per image, then one GEMM per image through the BLAS seam
//   conv_fwd_bwd/<layer>  y, and the gradients of sum(y * r) for x and w: conv2d, conv2d_grad_input
//                         (GEMM + col2im) and conv2d_grad_weight (im2col + GEMM), plus the elementwise glue
//   gemm/<layer>          the baseline: one cblas_sgemm of the forward convolution's exact FLOPs laid out as
//                         a single product [O, C*K*K] x [C*K*K, N*OH*OW] on preallocated columns, i.e. what
//                         the forward would cost with im2col free and one large GEMM for the whole batch
//   cnn_step              one training step of the CNN flagship's model at batch 64 (forward, backward,
//                         Adam), compiled with passes::standard(); counters samples/s and arena bytes
//   cnn_step_recompute    the same with checkpoint() after each max pool and passes::with_recompute():
//                         the convolutions' activations are recomputed in the reverse sweep
// Layers: conv1 = x[64,1,28,28] * w[32,1,5,5] "same"; conv2 = x[64,32,14,14] * w[64,32,5,5] "same".
// The FLOP column is a rate of Program::flops() per run, so its "G/s" reads as GFLOP/s. Real time is
// measured (OpenBLAS runs threads). After the table: each conv variant's median time over the GEMM
// baseline of the same layer (conv_fwd / gemm is the cost of im2col and of per-image GEMMs).
// (A benchmark baseline is the one place outside graft/tensor/blas.hpp that includes <cblas.h>.)
#include <cblas.h>

#include <graft/graft.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "ratio_reporter.hpp"

namespace {

using namespace graft;

constexpr std::size_t kBatch = 64;

template <class T>
void fill(T& t, std::uint64_t seed) {
    Rng rng(seed);
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(rng.uniform(-1, 1));
}

void set_flops(benchmark::State& state, double flops) {
    state.counters["FLOP"] = benchmark::Counter(flops * double(state.iterations()), benchmark::Counter::kIsRate);
}

/// conv_fwd / conv_fwd_bwd of one layer: C input channels of H x W, O output channels, K x K "same".
template <std::size_t C, std::size_t H, std::size_t O, std::size_t K>
void bm_conv(benchmark::State& state, bool backward) {
    Graph g;
    auto x = g.input<float, kBatch, C, H, H>("x");
    auto w = g.input<float, O, C, K, K>("w");
    auto y = conv2d<Conv2dOptions{.same = true}>(x, w);
    std::vector<NodeId> outs{y.id()};
    auto r = g.input<float, kBatch, O, H, H>("r");
    if (backward) {
        auto loss = sum(y * r);
        const std::vector<NodeId> wrt{x.id(), w.id()};
        const std::vector<NodeId> gs = grad(g, loss.id(), wrt);
        outs = {loss.id(), gs[0], gs[1]};
    }
    Machine m(compile(g, std::span<const NodeId>(outs), CompileOptions{.pipeline = passes::standard()}));
    Tensor<float, Shape<kBatch, C, H, H>> xv;
    Tensor<float, Shape<O, C, K, K>> wv;
    Tensor<float, Shape<kBatch, O, H, H>> rv;
    fill(xv, 1);
    fill(wv, 2);
    fill(rv, 3);
    m.let(x, xv);
    m.let(w, wv);
    if (backward) m.let(r, rv);
    m.run();
    for (auto _ : state) {
        m.run();
        benchmark::ClobberMemory();
    }
    set_flops(state, m.program().flops());
}

/// One sgemm with the forward convolution's FLOPs: [O, C*K*K] x [C*K*K, N*H*H].
template <std::size_t C, std::size_t H, std::size_t O, std::size_t K>
void bm_gemm(benchmark::State& state) {
    const std::size_t m = O, k = C * K * K, n = kBatch * H * H;
    std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), c(m * n);
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0f, a.data(), int(k), b.data(),
                    int(n), 0.0f, c.data(), int(n));
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * double(m) * double(n) * double(k));
}

/// The CNN flagship's model (examples/fashion_mnist_model.hpp), one Adam step per iteration.
void bm_cnn_step(benchmark::State& state, bool recompute) {
    Graph g;
    auto x = g.input<float, kBatch, 1, 28, 28>("x");
    auto labels = g.input<std::int32_t, kBatch>("y");
    nn::Conv2d<1, 32, 5, nn::Padding::same> conv1(g, "conv1", 1);
    nn::Conv2d<32, 64, 5, nn::Padding::same> conv2(g, "conv2", 2);
    nn::Linear<64 * 7 * 7, 1024> fc1(g, "fc1", 3);
    nn::Linear<1024, 10> fc2(g, "fc2", 4);
    nn::Dropout drop(0.4, 5);
    auto mark = [recompute](const auto& v) { return recompute ? checkpoint(v) : v; };
    auto logits = nn::chain(x, conv1, nn::ReLU{}, nn::MaxPool2d<2>{}, mark, conv2, nn::ReLU{}, nn::MaxPool2d<2>{}, mark,
                            nn::Flatten{}, fc1, nn::ReLU{}, drop, fc2);
    auto loss = nn::cross_entropy(logits, labels);
    auto grads = nn::param_grads(loss, conv1, conv2, fc1, fc2);
    const passes::Pipeline p = recompute ? passes::with_recompute(passes::standard()) : passes::standard();
    Machine m(compile(g, grads.outputs(loss), CompileOptions{.pipeline = p}));
    nn::Adam opt(m, grads, {.lr = 1e-3});
    Tensor<float, Shape<kBatch, 1, 28, 28>> xv;
    fill(xv, 7);
    Tensor<std::int32_t, Shape<kBatch>> yv;
    for (std::size_t i = 0; i < kBatch; ++i) yv(i) = static_cast<std::int32_t>(i % 10);
    m.let(x, xv);
    m.let(labels, yv);
    for (auto _ : state) {
        m.run();
        opt.step();
        benchmark::ClobberMemory();
    }
    set_flops(state, m.program().flops());
    state.counters["samples/s"] = benchmark::Counter(double(kBatch) * double(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["arena"] = double(m.program().arena_bytes());
}

}  // namespace

int main(int argc, char** argv) {
    auto reg = [](const std::string& name, auto fn) {
        return benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMillisecond)->UseRealTime();
    };
    reg("gemm/conv1", bm_gemm<1, 28, 32, 5>);
    reg("conv_fwd/conv1", [](benchmark::State& s) { bm_conv<1, 28, 32, 5>(s, false); });
    reg("conv_fwd_bwd/conv1", [](benchmark::State& s) { bm_conv<1, 28, 32, 5>(s, true); });
    reg("gemm/conv2", bm_gemm<32, 14, 64, 5>);
    reg("conv_fwd/conv2", [](benchmark::State& s) { bm_conv<32, 14, 64, 5>(s, false); });
    reg("conv_fwd_bwd/conv2", [](benchmark::State& s) { bm_conv<32, 14, 64, 5>(s, true); });
    reg("cnn_step", [](benchmark::State& s) { bm_cnn_step(s, false); });
    reg("cnn_step_recompute", [](benchmark::State& s) { bm_cnn_step(s, true); });
    const std::vector<std::pair<std::string, std::string>> ratios = {
        {"conv_fwd/conv1", "gemm/conv1"}, {"conv_fwd_bwd/conv1", "gemm/conv1"},
        {"conv_fwd/conv2", "gemm/conv2"}, {"conv_fwd_bwd/conv2", "gemm/conv2"}, {"cnn_step_recompute", "cnn_step"}};
    return graft::bench::run_with_ratios(argc, argv, ratios, graft::bench::Clock::real);
}
