// SPDX-License-Identifier: MIT
// benchmarks/bm_broadcast.cpp: a broadcasting add, Shape<256,1024> + Shape<1024> (a bias row added to
// every row), in graft, in Eigen (rowwise add on Maps of the same buffers) and as a plain loop.
//   graft_add/alloc       c = a + b: graft allocates (and zeroes) the result, then runs its broadcast loop
//   eigen_rowwise/alloc   an Eigen matrix made from A.rowwise() + b (allocates, does not zero)
//   eigen_rowwise/into    C.noalias() = A.rowwise() + b into a preallocated C
//   loop/into             two nested loops into a preallocated C
//   graft_add_to/inplace  graft::add_to(c, b): c += b in place, nothing allocated
//   eigen_rowwise/inplace C.rowwise() += b
// bytes_per_second counts the bytes read and written (a and c once, b once). All of it runs on one thread,
// so the ratios printed after the table compare CPU times.
#include <Eigen/Core>

#include <graft/tensor.hpp>

#include <cstddef>
#include <cstdint>

#include "ratio_reporter.hpp"

namespace {

constexpr std::size_t rows = 256, cols = 1024;
using Matrix = graft::Tensor<float, graft::Shape<rows, cols>>;
using Row = graft::Tensor<float, graft::Shape<cols>>;
using EigenMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using EigenRow = Eigen::Matrix<float, 1, Eigen::Dynamic>;

struct Operands {
    Matrix a = graft::uniform<float, graft::Shape<rows, cols>>(-1.0f, 1.0f, 1);
    Row b = graft::uniform<float, graft::Shape<cols>>(-1.0f, 1.0f, 2);
    Matrix c;
    Eigen::Map<const EigenMatrix> A{a.data(), Eigen::Index(rows), Eigen::Index(cols)};
    Eigen::Map<const EigenRow> B{b.data(), Eigen::Index(cols)};
    Eigen::Map<EigenMatrix> C{c.data(), Eigen::Index(rows), Eigen::Index(cols)};
};

void set_bytes(benchmark::State& state) {
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t((2 * rows * cols + cols) * sizeof(float)));
}

void graft_add_alloc(benchmark::State& state) {
    Operands op;
    for (auto _ : state) {
        auto c = op.a + op.b;
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    set_bytes(state);
}

void eigen_rowwise_alloc(benchmark::State& state) {
    Operands op;
    for (auto _ : state) {
        EigenMatrix c = op.A.rowwise() + op.B;
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    set_bytes(state);
}

void eigen_rowwise_into(benchmark::State& state) {
    Operands op;
    for (auto _ : state) {
        op.C.noalias() = op.A.rowwise() + op.B;
        benchmark::DoNotOptimize(op.c.data());
        benchmark::ClobberMemory();
    }
    set_bytes(state);
}

void loop_into(benchmark::State& state) {
    Operands op;
    for (auto _ : state) {
        const float* a = op.a.data();
        const float* b = op.b.data();
        float* c = op.c.data();
        for (std::size_t i = 0; i < rows; ++i)
            for (std::size_t j = 0; j < cols; ++j) c[i * cols + j] = a[i * cols + j] + b[j];
        benchmark::DoNotOptimize(op.c.data());
        benchmark::ClobberMemory();
    }
    set_bytes(state);
}

void graft_add_to_inplace(benchmark::State& state) {
    Operands op;
    op.c = op.a;
    for (auto _ : state) {
        graft::add_to(op.c, op.b);
        benchmark::DoNotOptimize(op.c.data());
        benchmark::ClobberMemory();
    }
    set_bytes(state);
}

void eigen_rowwise_inplace(benchmark::State& state) {
    Operands op;
    op.c = op.a;
    for (auto _ : state) {
        op.C.rowwise() += op.B;
        benchmark::DoNotOptimize(op.c.data());
        benchmark::ClobberMemory();
    }
    set_bytes(state);
}

}  // namespace

BENCHMARK(graft_add_alloc)->Name("graft_add/alloc")->Unit(benchmark::kMicrosecond);
BENCHMARK(eigen_rowwise_alloc)->Name("eigen_rowwise/alloc")->Unit(benchmark::kMicrosecond);
BENCHMARK(eigen_rowwise_into)->Name("eigen_rowwise/into")->Unit(benchmark::kMicrosecond);
BENCHMARK(loop_into)->Name("loop/into")->Unit(benchmark::kMicrosecond);
BENCHMARK(graft_add_to_inplace)->Name("graft_add_to/inplace")->Unit(benchmark::kMicrosecond);
BENCHMARK(eigen_rowwise_inplace)->Name("eigen_rowwise/inplace")->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
    return graft::bench::run_with_ratios(argc, argv,
                                         {{"graft_add/alloc", "eigen_rowwise/alloc"},
                                          {"graft_add/alloc", "eigen_rowwise/into"},
                                          {"graft_add/alloc", "loop/into"},
                                          {"loop/into", "eigen_rowwise/into"},
                                          {"graft_add_to/inplace", "eigen_rowwise/inplace"}},
                                         graft::bench::Clock::cpu);  // single-threaded code: CPU time
}
