// SPDX-License-Identifier: MIT
// benchmarks/bm_graph_matmul.cpp: what a graph adds to one matrix product. DESIGN.md's figure: a graph
// matmul adds under 3% over a bare cblas_sgemm from 256x256 up.
//   cblas_sgemm/N        the baseline: cblas_sgemm(NoTrans, NoTrans) into a preallocated C
//   graph_matmul/N       Graph{a, b inputs; c = matmul(a, b)} compiled once, inputs bound once with let()
//                        outside the loop; each iteration is one Machine::run() (a one-instruction tape)
//   cblas_sgemm_nt/N     cblas_sgemm(NoTrans, Trans): C = A B^T
//   graph_matmul_nt/N    matmul(a, transpose(b)): the transpose folds into the GEMM's flag (no copy)
//   paired/N, paired_nt/N  both in one loop, alternating which goes first, each call timed on its own; the
//                        counter "graph/cblas" is the median graph call over the median cblas call. Pairs
//                        share the machine's load, so this ratio stays readable on a busy machine where the
//                        separate benchmarks drift apart.
// Square float operands, N in {64, 256, 512, 1024}. Real time is measured (OpenBLAS runs threads). The
// FLOP column is a rate of 2 N^3 per product, so its "G/s" reads as GFLOP/s. After the table the program
// prints each graph variant's median time over its cblas baseline's.
// (A benchmark baseline is the one place outside graft/tensor/blas.hpp that includes <cblas.h>.)
#include <cblas.h>

#include <graft/graft.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ratio_reporter.hpp"

namespace {

template <std::size_t N>
using Mat = graft::Tensor<float, graft::Shape<N, N>>;

template <std::size_t N>
struct Operands {
    Mat<N> a = graft::uniform<float, graft::Shape<N, N>>(-1.0f, 1.0f, 1);
    Mat<N> b = graft::uniform<float, graft::Shape<N, N>>(-1.0f, 1.0f, 2);
    Mat<N> c;
};

void set_flops(benchmark::State& state, std::size_t n) {
    const double flops = 2.0 * double(n) * double(n) * double(n);
    state.counters["FLOP"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);  // "G/s" = GFLOP/s
}

template <std::size_t N>
void bm_cblas_sgemm(benchmark::State& state, bool transpose_b) {
    Operands<N> op;
    const int n = int(N);
    const auto tb = transpose_b ? CblasTrans : CblasNoTrans;
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, tb, n, n, n, 1.0f, op.a.data(), n, op.b.data(), n, 0.0f, op.c.data(), n);
        benchmark::DoNotOptimize(op.c.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, N);
}

template <std::size_t N>
void bm_graph_matmul(benchmark::State& state, bool transpose_b) {
    graft::Graph g;
    auto a = g.input<float, N, N>("a");
    auto b = g.input<float, N, N>("b");
    const graft::NodeId c = transpose_b ? graft::matmul(a, graft::transpose(b)).id() : graft::matmul(a, b).id();
    graft::Machine m(graft::compile(g, std::span<const graft::NodeId>(&c, 1)));
    if (m.program().instruction_count() != 1) {
        state.SkipWithError("expected a one-instruction tape (the transpose folded into the GEMM)");
        return;
    }
    {
        const Operands<N> op;  // the same values as the cblas baseline, copied into the machine's arena
        m.let(a, op.a);
        m.let(b, op.b);
    }
    m.run();  // once before timing, so the output can be located outside the loop
    const void* out = m.value(c).data;
    for (auto _ : state) {
        m.run();
        benchmark::DoNotOptimize(out);
        benchmark::ClobberMemory();
    }
    set_flops(state, N);
}

template <std::size_t N>
void bm_paired(benchmark::State& state, bool transpose_b) {
    Operands<N> op;
    const int n = int(N);
    const auto tb = transpose_b ? CblasTrans : CblasNoTrans;
    graft::Graph g;
    auto a = g.input<float, N, N>("a");
    auto b = g.input<float, N, N>("b");
    const graft::NodeId c = transpose_b ? graft::matmul(a, graft::transpose(b)).id() : graft::matmul(a, b).id();
    graft::Machine m(graft::compile(g, std::span<const graft::NodeId>(&c, 1)));
    m.let(a, op.a);
    m.let(b, op.b);
    m.run();
    const void* out = m.value(c).data;
    auto graph_call = [&] {
        m.run();
        benchmark::DoNotOptimize(out);
        benchmark::ClobberMemory();
    };
    auto cblas_call = [&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, tb, n, n, n, 1.0f, op.a.data(), n, op.b.data(), n, 0.0f, op.c.data(), n);
        benchmark::DoNotOptimize(op.c.data());
        benchmark::ClobberMemory();
    };
    auto seconds = [](auto&& call) {
        const auto t0 = std::chrono::steady_clock::now();
        call();
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    std::vector<double> t_graph, t_cblas;
    bool graph_first = false;
    for (auto _ : state) {
        graph_first = !graph_first;
        if (graph_first) {
            t_graph.push_back(seconds(graph_call));
            t_cblas.push_back(seconds(cblas_call));
        } else {
            t_cblas.push_back(seconds(cblas_call));
            t_graph.push_back(seconds(graph_call));
        }
    }
    auto median = [](std::vector<double>& v) {
        std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
        return v[v.size() / 2];
    };
    if (!t_graph.empty()) state.counters["graph/cblas"] = median(t_graph) / median(t_cblas);
    const double flops = 2.0 * 2.0 * double(N) * double(N) * double(N);  // two products per iteration
    state.counters["FLOP"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

std::vector<std::pair<std::string, std::string>> ratios;

template <std::size_t N>
void register_size() {
    const std::string n = "/" + std::to_string(N);
    auto add = [](const std::string& name, auto fn) {
        return benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMicrosecond)->UseRealTime();
    };
    add("cblas_sgemm" + n, [](benchmark::State& s) { bm_cblas_sgemm<N>(s, false); });
    add("graph_matmul" + n, [](benchmark::State& s) { bm_graph_matmul<N>(s, false); });
    add("cblas_sgemm_nt" + n, [](benchmark::State& s) { bm_cblas_sgemm<N>(s, true); });
    add("graph_matmul_nt" + n, [](benchmark::State& s) { bm_graph_matmul<N>(s, true); });
    // enough pairs for a median even at N = 1024 (about 40 ms a pair on two cores)
    const double min_time = N >= 512 ? 2.0 : 0.5;
    add("paired" + n, [](benchmark::State& s) { bm_paired<N>(s, false); })->MinTime(min_time);
    add("paired_nt" + n, [](benchmark::State& s) { bm_paired<N>(s, true); })->MinTime(min_time);
    ratios.emplace_back("graph_matmul" + n, "cblas_sgemm" + n);
    ratios.emplace_back("graph_matmul_nt" + n, "cblas_sgemm_nt" + n);
}

}  // namespace

int main(int argc, char** argv) {
    register_size<64>();
    register_size<256>();
    register_size<512>();
    register_size<1024>();
    return graft::bench::run_with_ratios(argc, argv, ratios);
}
