// SPDX-License-Identifier: MIT
// benchmarks/bm_machine_overhead.cpp: the cost of running a tape, apart from the arithmetic.
// A chain of N tiny adds, v_{i+1} = v_i + x on 2x2 floats, compiled once (N instructions; the memory plan
// keeps two buffers alive), inputs bound once; each iteration is one Machine::run(), N in {10, 100, 1000}.
//   machine_chain/N   Machine::run(): per instruction, an indirect kernel call that reads its slots and
//                     its precomputed broadcast plan, then adds 4 floats
//   inline_chain/N    the floor: the same N adds of 4 floats written as a plain loop over two arrays
//   machine_chain_anomaly/N   Machine::run() with set_anomaly_check(true): each output is also scanned
//                     for NaN/inf (the ratio to machine_chain/N is the price of anomaly mode; off, run()
//                     is the machine_chain loop itself)
// Counters (CPU time: the chain runs on one thread, so a busy machine disturbs them less than real time):
// "instr" is instructions per second; "time/instr" is its inverse in seconds, so "15.2n" reads as 15.2 ns
// per instruction. After the table: the machine's real time over the inline loop's.
#include <graft/graft.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "ratio_reporter.hpp"

namespace {

using S = graft::Shape<2, 2>;

void set_counters(benchmark::State& state, std::size_t n) {
    using C = benchmark::Counter;
    state.counters["instr"] = C(double(n), C::kIsIterationInvariantRate);
    state.counters["time/instr"] = C(double(n), C::kIsIterationInvariantRate | C::kInvert);
}

void bm_machine_chain(benchmark::State& state, std::size_t n, bool anomaly = false) {
    graft::Graph g;
    auto x = g.input<float, 2, 2>("x");
    auto v = x;
    for (std::size_t i = 0; i < n; ++i) v = v + x;
    graft::Machine m(graft::compile(g, v));
    if (m.program().instruction_count() != n) {
        state.SkipWithError("expected one instruction per add");
        return;
    }
    m.let(x, graft::Tensor<float, S>{{1, 2}, {3, 4}});
    m.set_anomaly_check(anomaly);
    m.run();  // once before timing, so the output can be located outside the loop
    const float* out = m.value(v).data();
    for (auto _ : state) {
        m.run();
        benchmark::DoNotOptimize(out);
        benchmark::ClobberMemory();
    }
    if (m.value(v)(1, 1) != 4.0f * float(n + 1)) state.SkipWithError("wrong result");
    set_counters(state, n);
}

void bm_inline_chain(benchmark::State& state, std::size_t n) {
    alignas(64) float x[4] = {1, 2, 3, 4};
    alignas(64) float v[4];
    for (auto _ : state) {
        for (std::size_t k = 0; k < 4; ++k) v[k] = x[k];
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t k = 0; k < 4; ++k) v[k] = v[k] + x[k];
            benchmark::DoNotOptimize(v);  // one add per "instruction": the chain is not folded into a multiply
        }
    }
    if (v[3] != 4.0f * float(n + 1)) state.SkipWithError("wrong result");
    set_counters(state, n);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::pair<std::string, std::string>> ratios;
    for (std::size_t n : {10, 100, 1000}) {
        const std::string machine = std::string("machine_chain/") + std::to_string(n);
        const std::string floor = std::string("inline_chain/") + std::to_string(n);
        benchmark::RegisterBenchmark(machine.c_str(), [n](benchmark::State& st) { bm_machine_chain(st, n); });
        benchmark::RegisterBenchmark(floor.c_str(), [n](benchmark::State& st) { bm_inline_chain(st, n); });
        ratios.emplace_back(machine, floor);
    }
    for (std::size_t n : {10, 100, 1000}) {
        const std::string checked = std::string("machine_chain_anomaly/") + std::to_string(n);
        const std::string plain = std::string("machine_chain/") + std::to_string(n);
        benchmark::RegisterBenchmark(checked.c_str(), [n](benchmark::State& st) { bm_machine_chain(st, n, true); });
        ratios.emplace_back(checked, plain);
    }
    return graft::bench::run_with_ratios(argc, argv, ratios);
}
