// SPDX-License-Identifier: MIT
// benchmarks/bm_fusion.cpp: a 4-op elementwise chain, y = tanh(x * a + b) * c, over N floats, three ways.
// DESIGN.md's figures: a fused chain runs within 20% of Eigen's single array expression, and (issue 6)
// at least 2x faster than the unfused tape.
//   eigen/N           one hand-written Eigen array expression over Maps of the same buffers:
//                     Y = ((X * A + B).tanh() * C), one pass, vectorized tanh
//   fused/N           the graph compiled with passes::standard(): one `fused` instruction whose register
//                     program runs over blocks of 128 elements (each input read once, the block in L1)
//   unfused/N         the same graph compiled with passes::none(): four instructions (mul, add, tanh, mul),
//                     each a pass over memory with its intermediate in the arena
//   *_bcast/N         the same chain with a, b, c rows of 1024 broadcast over x [N/1024, 1024] (the fused
//                     kernel reads them in place block by block; Eigen uses rowwise broadcasting)
//   *_relu/N          the chain with relu in place of tanh, y = relu(x * a + b) * c: four cheap ops, so the
//                     time is memory traffic (the unfused tape streams 11 arrays, a single pass 5), where
//                     tanh's arithmetic dominates the chain above and leaves fusion less to save
//   paired/N          eigen, fused and unfused (full-size operands) in one loop, taking turns at going first,
//                     each call timed on its own; the counters fused/eigen and unfused/fused are ratios of
//                     median call times (real time). They share the machine's load, so they stay readable on
//                     a busy machine where the separate benchmarks drift apart.
// N in {1M, 16M}. All single-threaded: the ratios printed after the table compare CPU times (median of
// the repetitions when --benchmark_repetitions is given). Inputs are bound once, outside the loop.
#include <Eigen/Core>

#include <graft/graft.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ratio_reporter.hpp"

namespace {

using Array = Eigen::Array<float, Eigen::Dynamic, 1>;
using Rows = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVec = Eigen::Array<float, 1, Eigen::Dynamic>;
constexpr std::size_t cols = 1024;

std::vector<float> draw(std::size_t n, std::uint64_t seed, float lo, float hi) {
    graft::Rng rng(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(rng.uniform(lo, hi));
    return v;
}

/// The operands: x has n elements; a, b, c have n (or `cols` when broadcast).
struct Operands {
    Operands(std::size_t n, bool bcast)
        : x(draw(n, 1, -2, 2)), a(draw(bcast ? cols : n, 2, -1, 1)), b(draw(bcast ? cols : n, 3, -1, 1)),
          c(draw(bcast ? cols : n, 4, -1, 1)), y(n) {}
    std::vector<float> x, a, b, c, y;
};

void set_bytes(benchmark::State& state, std::size_t n, bool bcast) {
    const std::size_t arrays = bcast ? 2 : 5;  // x and y, plus a, b, c when full size
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(arrays * n * sizeof(float)));
}

/// The chain's nonlinearity.
enum class Act { tanh, relu };

void bm_eigen(benchmark::State& state, std::size_t n, bool bcast, Act act) {
    Operands op(n, bcast);
    const auto N = Eigen::Index(n);
    for (auto _ : state) {
        if (bcast) {
            const Eigen::Index r = N / Eigen::Index(cols), k = Eigen::Index(cols);
            Eigen::Map<const Rows> X(op.x.data(), r, k);
            Eigen::Map<const RowVec> A(op.a.data(), k), B(op.b.data(), k), C(op.c.data(), k);
            Eigen::Map<Rows> Y(op.y.data(), r, k);
            if (act == Act::tanh) Y = ((X.rowwise() * A).rowwise() + B).tanh().rowwise() * C;
            else Y = ((X.rowwise() * A).rowwise() + B).max(0.0f).rowwise() * C;
        } else {
            Eigen::Map<const Array> X(op.x.data(), N), A(op.a.data(), N), B(op.b.data(), N), C(op.c.data(), N);
            Eigen::Map<Array> Y(op.y.data(), N);
            if (act == Act::tanh) Y = (X * A + B).tanh() * C;
            else Y = (X * A + B).max(0.0f) * C;
        }
        benchmark::DoNotOptimize(op.y.data());
        benchmark::ClobberMemory();
    }
    set_bytes(state, n, bcast);
}

void bm_graph(benchmark::State& state, std::size_t n, bool bcast, Act act, bool fuse) {
    graft::Graph g;
    const graft::Dims xd = bcast ? graft::Dims{n / cols, cols} : graft::Dims{n};
    const graft::Dims pd = bcast ? graft::Dims{cols} : graft::Dims{n};
    const graft::NodeId x = g.input("x", graft::DType::f32, xd);
    const graft::NodeId a = g.input("a", graft::DType::f32, pd);
    const graft::NodeId b = g.input("b", graft::DType::f32, pd);
    const graft::NodeId c = g.input("c", graft::DType::f32, pd);
    const graft::OpKind f = act == Act::tanh ? graft::OpKind::tanh : graft::OpKind::relu;
    const graft::NodeId y = graft::ir::mul(g, graft::ir::unary(g, f, graft::ir::add(g, graft::ir::mul(g, x, a), b)), c);
    graft::CompileOptions opt;
    opt.pipeline = fuse ? graft::passes::standard() : graft::passes::none();
    graft::Machine m(graft::compile(g, std::span<const graft::NodeId>(&y, 1), opt));
    if (m.program().instruction_count() != (fuse ? 1u : 4u)) {
        state.SkipWithError(fuse ? "expected one fused instruction" : "expected four instructions");
        return;
    }
    {
        const Operands op(n, bcast);
        m.let("x", graft::DType::f32, xd, op.x.data());
        m.let("a", graft::DType::f32, pd, op.a.data());
        m.let("b", graft::DType::f32, pd, op.b.data());
        m.let("c", graft::DType::f32, pd, op.c.data());
    }
    m.run();
    const void* out = m.value(y).data;
    for (auto _ : state) {
        m.run();
        benchmark::DoNotOptimize(out);
        benchmark::ClobberMemory();
    }
    set_bytes(state, n, bcast);
}

/// The three variants in one loop, taking turns at going first, each call timed on its own; the counters
/// are ratios of median call times. The variants share the machine's load, so these ratios stay readable
/// on a busy machine where the separate benchmarks above drift apart.
void bm_paired(benchmark::State& state, std::size_t n) {
    Operands op(n, false);
    const auto N = Eigen::Index(n);
    graft::Graph g;
    const graft::Dims d{n};
    const graft::NodeId x = g.input("x", graft::DType::f32, d), a = g.input("a", graft::DType::f32, d);
    const graft::NodeId b = g.input("b", graft::DType::f32, d), c = g.input("c", graft::DType::f32, d);
    const graft::NodeId y =
        graft::ir::mul(g, graft::ir::unary(g, graft::OpKind::tanh, graft::ir::add(g, graft::ir::mul(g, x, a), b)), c);
    graft::CompileOptions fused_opt, plain_opt;
    fused_opt.pipeline = graft::passes::standard();
    graft::Machine fused(graft::compile(g, std::span<const graft::NodeId>(&y, 1), fused_opt));
    graft::Machine plain(graft::compile(g, std::span<const graft::NodeId>(&y, 1), plain_opt));
    for (graft::Machine* m : {&fused, &plain}) {
        m->let("x", graft::DType::f32, d, op.x.data());
        m->let("a", graft::DType::f32, d, op.a.data());
        m->let("b", graft::DType::f32, d, op.b.data());
        m->let("c", graft::DType::f32, d, op.c.data());
        m->run();
    }
    auto eigen_call = [&] {
        Eigen::Map<const Array> X(op.x.data(), N), A(op.a.data(), N), B(op.b.data(), N), C(op.c.data(), N);
        Eigen::Map<Array> Y(op.y.data(), N);
        Y = (X * A + B).tanh() * C;
        benchmark::DoNotOptimize(op.y.data());
        benchmark::ClobberMemory();
    };
    auto run = [](graft::Machine& m) {
        return [&m] {
            m.run();
            benchmark::ClobberMemory();
        };
    };
    const std::function<void()> calls[3] = {eigen_call, run(fused), run(plain)};
    std::vector<double> t[3];
    std::size_t turn = 0;
    for (auto _ : state) {
        for (std::size_t k = 0; k < 3; ++k) {
            const std::size_t v = (turn + k) % 3;
            const auto t0 = std::chrono::steady_clock::now();
            calls[v]();
            t[v].push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        ++turn;
    }
    auto median = [](std::vector<double>& v) {
        std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
        return v[v.size() / 2];
    };
    if (!t[0].empty()) {
        const double e = median(t[0]), f = median(t[1]), u = median(t[2]);
        state.counters["fused/eigen"] = f / e;
        state.counters["unfused/fused"] = u / f;
    }
}

std::vector<std::pair<std::string, std::string>> ratios;

void register_size(std::size_t n, const std::string& label) {
    const std::pair<bool, Act> variants[] = {{false, Act::tanh}, {true, Act::tanh}, {false, Act::relu}};
    for (const auto& [bcast, act] : variants) {
        const std::string suffix =
            std::string(bcast ? "_bcast/" : act == Act::relu ? "_relu/" : "/") + label;
        auto add = [](const std::string& name, auto fn) {
            return benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMillisecond);
        };
        add("eigen" + suffix, [n, bcast, act](benchmark::State& s) { bm_eigen(s, n, bcast, act); });
        add("fused" + suffix, [n, bcast, act](benchmark::State& s) { bm_graph(s, n, bcast, act, true); });
        add("unfused" + suffix, [n, bcast, act](benchmark::State& s) { bm_graph(s, n, bcast, act, false); });
        ratios.emplace_back("fused" + suffix, "eigen" + suffix);      // goal: <= 1.2
        ratios.emplace_back("unfused" + suffix, "fused" + suffix);    // goal: >= 2
    }
    benchmark::RegisterBenchmark(("paired/" + label).c_str(), [n](benchmark::State& s) { bm_paired(s, n); })
        ->Unit(benchmark::kMillisecond)
        ->MinTime(n >= (std::size_t(1) << 24) ? 4.0 : 1.0);
}

}  // namespace

int main(int argc, char** argv) {
    register_size(std::size_t(1) << 14, "16K");
    register_size(std::size_t(1) << 20, "1M");
    register_size(std::size_t(1) << 24, "16M");
    return graft::bench::run_with_ratios(argc, argv, ratios, graft::bench::Clock::cpu);
}
