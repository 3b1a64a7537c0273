// SPDX-License-Identifier: MIT
// benchmarks/bm_gemm_vs_cblas.cpp: graft's matrix product against a bare cblas_sgemm on the same buffers.
// Square float products C = A B, N in {64, 128, 256, 512, 1024}, operands in 64-byte aligned Tensors:
//   cblas_sgemm/N       the baseline: cblas_sgemm straight into a preallocated C
//   graft_matmul/N      graft::matmul(a, b): allocates the result Tensor, then the seam's cblas_sgemm
//   graft_blas_gemm/N   graft::blas::gemm into the preallocated C: the seam's own overhead (checks, dispatch)
//   graft_gemm_eigen/N  graft::blas::gemm with Backend::eigen: Eigen's product (one thread; OpenBLAS uses its own pool)
//   tensor_alloc/N      only what matmul adds around the GEMM: making (allocating and zero-filling) an N x N Tensor
// Real time is measured (OpenBLAS runs threads). The FLOP column is a rate of 2 N^3 per product, so its
// "G/s" reads as GFLOP/s. After the table the program prints each variant's time over cblas_sgemm's.
// (A benchmark baseline is the one place outside graft/tensor/blas.hpp that includes <cblas.h>.)
#include <cblas.h>

#include <graft/tensor.hpp>

#include <cstddef>
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
    // Shown as e.g. "95.1G/s" in the FLOP column: GFLOP/s.
    state.counters["FLOP"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

template <std::size_t N>
void bm_cblas_sgemm(benchmark::State& state) {
    Operands<N> op;
    const int n = int(N);
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, op.a.data(), n, op.b.data(), n, 0.0f,
                    op.c.data(), n);
        benchmark::DoNotOptimize(op.c.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, N);
}

template <std::size_t N>
void bm_graft_matmul(benchmark::State& state) {
    Operands<N> op;
    for (auto _ : state) {
        auto c = graft::matmul(op.a, op.b);
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, N);
}

template <std::size_t N>
void bm_graft_blas_gemm(benchmark::State& state, graft::blas::Backend backend) {
    Operands<N> op;
    for (auto _ : state) {
        graft::blas::gemm<float>(false, false, N, N, N, 1.0f, op.a.data(), N, op.b.data(), N, 0.0f, op.c.data(), N,
                                 backend);
        benchmark::DoNotOptimize(op.c.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, N);
}

template <std::size_t N>
void bm_tensor_alloc(benchmark::State& state) {
    for (auto _ : state) {
        Mat<N> c;
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
}

std::vector<std::pair<std::string, std::string>> ratios;

template <std::size_t N>
void register_size() {
    const std::string n = "/" + std::to_string(N);
    const std::string base = "cblas_sgemm" + n;
    auto add = [](const std::string& name, auto fn) {
        benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMicrosecond)->UseRealTime();
    };
    add(base, bm_cblas_sgemm<N>);
    add("graft_matmul" + n, bm_graft_matmul<N>);
    add("graft_blas_gemm" + n, [](benchmark::State& s) { bm_graft_blas_gemm<N>(s, graft::blas::Backend::automatic); });
    add("graft_gemm_eigen" + n, [](benchmark::State& s) { bm_graft_blas_gemm<N>(s, graft::blas::Backend::eigen); });
    add("tensor_alloc" + n, bm_tensor_alloc<N>);
    for (const char* v : {"graft_matmul", "graft_blas_gemm", "graft_gemm_eigen", "tensor_alloc"})
        ratios.emplace_back(v + n, base);
}

}  // namespace

int main(int argc, char** argv) {
    register_size<64>();
    register_size<128>();
    register_size<256>();
    register_size<512>();
    register_size<1024>();
    return graft::bench::run_with_ratios(argc, argv, ratios);
}
