// SPDX-License-Identifier: MIT
// benchmarks/peers/peers_graft.cpp: the graft side of bm_peers (workloads: peers.hpp).
// Each workload is a typed graph compiled once with passes::standard() (DCE, folding, CSE, matmul epilogue
// and elementwise fusion, planned arena) and Backend::tuned (per GEMM the faster of cblas and Eigen, measured
// at compile time at the benchmark's thread count), inputs bound once; an iteration is one Machine::run() (and the
// optimizer's step() for training). Nothing is allocated per iteration. Counters: "instr" = tape length,
// "gemm_flops" (MLP step) = the step's GEMM FLOPs per second of the whole step, and for the tiny-add chains "ns/instr" and "ns/op" (per tape instruction and per add of the source).
//   mlp_step_b*    loss + 6 gradients in one tape, nn::SGD
//   cnn_step_b64   examples/fashion_mnist_model.hpp's network (dropout in training mode), nn::Adam
//   chain_*        one `fused` instruction over blocks of 128 elements; side "graft_unfused": the same graph
//                  compiled with passes::none() (four instructions, each a pass over memory)
//   tiny_adds_*    compiled with passes::none() so that the tape keeps one instruction per add: the figure
//                  is the cost of running an instruction (fusion would otherwise merge the chain into one)
//   mlp_infer_b*   the logits only
#include <graft/nn.hpp>
#include <graft/passes.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "peers.hpp"

namespace peers {
namespace {

namespace nn = graft::nn;
using graft::Shape;
using graft::Tensor;

template <class Tn>
void fill_uniform(Tn& t, float lo, float hi, std::uint64_t seed) {
    graft::Rng rng(seed);
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(rng.uniform(lo, hi));
}

template <std::size_t B>
Tensor<std::int32_t, Shape<B>> labels(std::uint64_t seed) {
    Tensor<std::int32_t, Shape<B>> y;
    graft::Rng rng(seed);
    for (auto& v : y) v = static_cast<std::int32_t>(rng.below(D3));
    return y;
}

/// What a user after speed compiles with: every pass, and per GEMM the faster of cblas and Eigen (measured).
graft::CompileOptions standard() { return {.pipeline = graft::passes::standard(), .gemm_backend = graft::blas::Backend::tuned}; }

void instr_counter(benchmark::State& s, const graft::Machine& m) { s.counters["instr"] = double(m.program().instruction_count()); }

/// The MLP 784-256-128-10 on a batch of B.
template <std::size_t B>
struct Mlp {
    graft::Graph g;
    graft::Var<float, Shape<B, D0>> x = g.input<float, B, D0>("x");
    nn::Linear<D0, D1> fc1{g, "fc1", 1};
    nn::Linear<D1, D2> fc2{g, "fc2", 2};
    nn::Linear<D2, D3> fc3{g, "fc3", 3};
    graft::Var<float, Shape<B, D3>> logits = nn::chain(x, fc1, nn::ReLU{}, fc2, nn::ReLU{}, fc3);
    Tensor<float, Shape<B, D0>> xv;
    Mlp() { fill_uniform(xv, 0.0f, 1.0f, 11); }
};

/// GEMM FLOPs of one MLP training step: 3 GEMMs per layer, minus layer 1's unneeded input gradient.
template <std::size_t B>
constexpr double mlp_step_gemm_flops = 2.0 * double(B) * (3.0 * (D0 * D1 + D1 * D2 + D2 * D3) - double(D0 * D1));

template <std::size_t B>
void mlp_step(benchmark::State& s) {
    Mlp<B> net;
    auto y = net.g.template input<std::int32_t, B>("y");
    auto loss = nn::cross_entropy(net.logits, y);
    auto grads = nn::param_grads(loss, net.fc1, net.fc2, net.fc3);
    graft::Machine m(graft::compile(net.g, grads.outputs(loss), standard()));
    nn::SGD opt(m, grads, {.lr = mlp_lr});
    m.let(net.x, net.xv);
    m.let(y, labels<B>(12));
    m.run();
    if (const double l = m.value(loss).item(); !(std::fabs(l - std::log(10.0)) < 0.5)) {
        s.SkipWithError("the first loss is not near ln(10)");
        return;
    }
    for (auto _ : s) {
        m.run();
        opt.step();
        benchmark::ClobberMemory();
    }
    instr_counter(s, m);
    s.counters["gemm_flops"] = benchmark::Counter(mlp_step_gemm_flops<B>, benchmark::Counter::kIsIterationInvariantRate);
}

template <std::size_t B>
void mlp_infer(benchmark::State& s) {
    Mlp<B> net;
    graft::Machine m(graft::compile(net.g, standard(), net.logits));
    m.let(net.x, net.xv);
    for (auto _ : s) {
        m.run();
        benchmark::ClobberMemory();
    }
    instr_counter(s, m);
}

void cnn_step(benchmark::State& s) {
    graft::Graph g;
    auto x = g.input<float, cnn_batch, 1, HW, HW>("x");
    auto y = g.input<std::int32_t, cnn_batch>("y");
    nn::Conv2d<1, C1, K, nn::Padding::same> conv1(g, "conv1", 1);
    nn::Conv2d<C1, C2, K, nn::Padding::same> conv2(g, "conv2", 2);
    nn::Linear<C2 * (HW / 4) * (HW / 4), FC> fc1(g, "fc1", 3);
    nn::Linear<FC, classes> fc2(g, "fc2", 4);
    nn::Dropout drop(dropout_p, 5);
    auto logits = nn::chain(x, conv1, nn::ReLU{}, nn::MaxPool2d<2>{}, conv2, nn::ReLU{}, nn::MaxPool2d<2>{}, nn::Flatten{},
                            fc1, nn::ReLU{}, drop, fc2);
    auto loss = nn::cross_entropy(logits, y);
    auto grads = nn::param_grads(loss, conv1, conv2, fc1, fc2);
    graft::Machine m(graft::compile(g, grads.outputs(loss), standard()));
    nn::Adam opt(m, grads, {.lr = adam_lr});
    Tensor<float, Shape<cnn_batch, 1, HW, HW>> xv;
    fill_uniform(xv, 0.0f, 1.0f, 7);
    m.let(x, xv);
    m.let(y, labels<cnn_batch>(8));
    for (auto _ : s) {
        m.run();
        opt.step();
        benchmark::ClobberMemory();
    }
    instr_counter(s, m);
}

template <std::size_t N>
void chain(benchmark::State& s, bool fuse) {
    graft::Graph g;
    auto x = g.input<float, N>("x");
    auto a = g.input<float, N>("a");
    auto b = g.input<float, N>("b");
    auto c = g.input<float, N>("c");
    auto y = graft::tanh(x * a + b) * c;
    graft::Machine m(graft::compile(g, fuse ? standard() : graft::CompileOptions{}, y));
    // heap tensors: 16M floats are 64 MiB each
    auto bind = [&](const auto& v, float lo, float hi, std::uint64_t seed) {
        auto t = std::make_unique<Tensor<float, Shape<N>>>();
        fill_uniform(*t, lo, hi, seed);
        m.let(v, *t);
    };
    bind(x, -1, 1, 1), bind(a, -1, 1, 2), bind(b, -1, 1, 3), bind(c, -1, 1, 4);
    for (auto _ : s) {
        m.run();
        benchmark::ClobberMemory();
    }
    instr_counter(s, m);
    s.SetItemsProcessed(std::int64_t(s.iterations()) * std::int64_t(N));
}

void tiny_adds(benchmark::State& s, bool backward) {
    graft::Graph g;
    auto v0 = g.input<float, 2, 2>("v0");
    auto c = g.input<float, 2, 2>("c");
    auto v = v0;
    for (std::size_t i = 0; i < tiny_ops; ++i) v = v + c;
    std::vector<graft::NodeId> outs{v.id()};
    if (backward) {
        const auto total = graft::sum(v);
        for (graft::NodeId id : graft::grad(g, total.id(), std::vector<graft::NodeId>{v0.id(), c.id()})) outs.push_back(id);
    }
    graft::Machine m(graft::compile(g, std::span<const graft::NodeId>(outs)));  // passes::none(): one instruction per add
    m.let(v0, Tensor<float, Shape<2, 2>>{{1, 2}, {3, 4}});
    m.let(c, Tensor<float, Shape<2, 2>>{{1, 1}, {1, 1}});
    m.run();
    if (m.value(v)(1, 1) != 4.0f + float(tiny_ops)) {
        s.SkipWithError("wrong result");
        return;
    }
    for (auto _ : s) {
        m.run();
        benchmark::ClobberMemory();
    }
    using C = benchmark::Counter;
    const double n = double(m.program().instruction_count());
    s.counters["instr"] = n;
    s.counters["ns/instr"] = C(n, C::kIsIterationInvariantRate | C::kInvert);
    s.counters["ns/op"] = C(double(tiny_ops), C::kIsIterationInvariantRate | C::kInvert);
}

}  // namespace

void register_graft() {
    add("mlp_step_b64", "graft", mlp_step<64>);
    add("mlp_step_b256", "graft", mlp_step<256>);
    add("cnn_step_b64", "graft", cnn_step);
    add("chain_1M", "graft", [](benchmark::State& s) { chain<chain_small>(s, true); });
    add("chain_16M", "graft", [](benchmark::State& s) { chain<chain_large>(s, true); });
    add("chain_1M", "graft_unfused", [](benchmark::State& s) { chain<chain_small>(s, false); });
    add("chain_16M", "graft_unfused", [](benchmark::State& s) { chain<chain_large>(s, false); });
    add("tiny_adds_fwd", "graft", [](benchmark::State& s) { tiny_adds(s, false); });
    add("tiny_adds_fwd_bwd", "graft", [](benchmark::State& s) { tiny_adds(s, true); });
    add("mlp_infer_b1", "graft", mlp_infer<1>);
    add("mlp_infer_b256", "graft", mlp_infer<256>);
}

}  // namespace peers
