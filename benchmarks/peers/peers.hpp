// SPDX-License-Identifier: MIT
// benchmarks/peers/peers.hpp: the workloads of the peer benchmark (issue 8), shared by its three sides.
// One program, bm_peers, runs every workload written three ways, each in its own translation unit:
//   graft  peers_graft.cpp  graft's typed graph, compiled once, bound once, Machine::run() per iteration
//   hand   peers_hand.cpp   the practical floor: cblas_sgemm into preallocated buffers + plain loops
//   torch  peers_torch.cpp  LibTorch's C++ API (built only when find_package(Torch) succeeds)
// Every benchmark is registered as "<workload>/<side>/<threads>", threads in {1, 2}: the body first calls
// peers::set_threads(threads) (OpenBLAS's pool; LibTorch also sets its intra-op pool). Real time, µs.
// tools/../benchmarks/run_all.sh reads the JSON and writes docs/benchmarks.md (ratios per workload).
//
// The workloads (float32 throughout; data seeded, never read from disk):
//   mlp_step_b64, mlp_step_b256  one training step of an MLP 784-256-128-10: ReLU, ReLU, logits; mean softmax
//                                cross-entropy over integer labels; forward, backward, plain SGD (lr 0.01)
//   cnn_step_b64                 one training step of the CNN flagship (examples/fashion_mnist_model.hpp), batch 64:
//                                conv 5x5 1->32 "same" + ReLU, maxpool 2, conv 5x5 32->64 "same" + ReLU, maxpool 2,
//                                dense 3136->1024 + ReLU, dropout 0.4 (training mode), dense 1024->10;
//                                mean softmax cross-entropy; Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8)
//   chain_1M, chain_16M          y = tanh(x * a + b) * c over N floats (x, a, b, c full-size inputs, y preallocated
//                                where the side allows); single pass in graft (fused), Eigen array expression
//                                for the hand side
//   tiny_adds_fwd                v_{i+1} = v_i + c for i < 100 on 2x2 floats (100 adds), v_0 and c inputs
//   tiny_adds_fwd_bwd            the same, then the gradient of sum(v_100) with respect to v_0 and c
//   mlp_infer_b1, mlp_infer_b256 forward pass of the MLP above to the logits (no loss, no gradients)
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <functional>
#include <string>

namespace peers {

// MLP
inline constexpr std::size_t D0 = 784, D1 = 256, D2 = 128, D3 = 10;
inline constexpr float mlp_lr = 0.01f;
// CNN
inline constexpr std::size_t cnn_batch = 64, C1 = 32, C2 = 64, K = 5, HW = 28, FC = 1024, classes = 10;
inline constexpr float dropout_p = 0.4f, adam_lr = 1e-3f;
// elementwise chain and tiny adds
inline constexpr std::size_t chain_small = std::size_t(1) << 20, chain_large = std::size_t(1) << 24;
inline constexpr std::size_t tiny_ops = 100;

/// Sets the threads BLAS (and, on the torch side, LibTorch) may use. Defined in bm_peers.cpp.
void set_threads(int n);

/// Registers fn as "<workload>/<side>/1" and ".../2" (state.range(0) = threads), real time in µs.
inline void add(const std::string& workload, const std::string& side, std::function<void(benchmark::State&)> fn) {
    benchmark::RegisterBenchmark((workload + "/" + side).c_str(),
                                 [fn](benchmark::State& s) {
                                     set_threads(int(s.range(0)));
                                     fn(s);
                                 })
        ->Arg(1)
        ->Arg(2)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
}

/// Each side's registration; `side` names it in the benchmark names ("torch" or "torch_tuned").
void register_graft();
void register_hand();
void register_torch(const std::string& side);

}  // namespace peers
