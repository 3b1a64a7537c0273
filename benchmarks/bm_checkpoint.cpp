// SPDX-License-Identifier: MIT
// benchmarks/bm_checkpoint.cpp: what gradient checkpointing (passes::recompute) saves and costs.
// A deep relu MLP, float, loss = mean squared error; one step = Machine::run() (forward, reverse sweep,
// every weight and bias gradient), compiled with passes::standard() (plain/...) and with
// passes::with_recompute(passes::standard(), {.every = k}) (every2/..., every4/...): the pass marks every
// k-th layer's output and recomputes the rest of each segment for the reverse sweep.
//   mlp1024   16 layers of 1024, batch 128 (the shape: the weight gradients, 64 MiB, outweigh the
//             activations, 16 MiB; they are outputs, so they stay in the arena whatever the pass does)
//   mlp256    16 layers of 256, batch 1024 (activations outweigh the weights)
// Counters: arena (bytes of the planned arena, what a Machine allocates), activations (the most bytes of
// non-output values live at once: what checkpointing is about), flops (per step, from the program).
// Ratios after the table: step time with recompute / without, same process, real time (BLAS threads).
// Before timing, main() checks that both programs give bitwise equal gradients, and prints the memory table.
#include <graft/graft.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ratio_reporter.hpp"

namespace {

using graft::DType;
using graft::Graph;
using graft::NodeId;
namespace ir = graft::ir;
namespace passes = graft::passes;

struct Shape {
    const char* name;
    std::size_t layers, width, batch;
};
constexpr Shape shapes[] = {{"mlp1024", 16, 1024, 128}, {"mlp256", 16, 256, 1024}};

struct Net {
    Graph g;
    std::vector<NodeId> outputs;  ///< loss, then every gradient
    explicit Net(const Shape& s) {
        NodeId h = g.input("x", DType::f32, {s.batch, s.width});
        const NodeId y = g.input("y", DType::f32, {s.batch, s.width});
        std::vector<NodeId> params;
        for (std::size_t l = 0; l < s.layers; ++l) {
            std::string wn = "W";
            wn += std::to_string(l);
            std::string bn = "b";
            bn += std::to_string(l);
            const NodeId W = g.param(wn, DType::f32, {s.width, s.width}, graft::init::he_uniform(l + 1));
            const NodeId b = g.param(bn, DType::f32, {s.width}, graft::init::constant(0.01));
            params.push_back(W);
            params.push_back(b);
            h = ir::unary(g, graft::OpKind::relu, ir::add(g, ir::matmul(g, h, W), b));
        }
        const NodeId d = ir::sub(g, h, y);
        const NodeId loss = ir::mul_scalar(g, ir::sum_all(g, ir::mul(g, d, d)), 1.0 / double(s.batch * s.width));
        outputs.push_back(loss);
        const auto grads = graft::grad(g, loss, params);
        outputs.insert(outputs.end(), grads.begin(), grads.end());
    }
};

graft::CompileOptions options(std::size_t every) {
    graft::CompileOptions o;
    o.pipeline = passes::standard();
    if (every) {
        passes::RecomputeOptions r;
        r.every = every;
        o.pipeline = passes::with_recompute(passes::standard(), r);
    }
    return o;
}

/// The most bytes of computed values (outputs left out) live at once.
std::size_t activation_peak(const graft::Program& p) {
    const auto& d = p.data();
    std::vector<long long> delta(d.instrs.size() + 1, 0);
    for (const auto& s : d.slots) {
        if (s.home != graft::Home::arena || s.is_input || s.is_output || s.alias_of != UINT32_MAX || s.node == graft::no_node) continue;
        delta[s.def] += static_cast<long long>(s.bytes);
        delta[s.last_use + 1] -= static_cast<long long>(s.bytes);
    }
    long long live = 0, peak = 0;
    for (long long x : delta) peak = std::max(peak, live += x);
    return static_cast<std::size_t>(peak);
}

struct Run {
    Net net;
    graft::Machine m;
    std::vector<float> x, y;
    Run(const Shape& s, std::size_t every)
        : net(s), m(graft::compile(net.g, net.outputs, options(every))), x(s.batch * s.width), y(s.batch * s.width) {
        graft::Rng rng(5);
        for (auto& v : x) v = static_cast<float>(rng.uniform(-1.0, 1.0));
        for (auto& v : y) v = static_cast<float>(rng.uniform(-1.0, 1.0));
        m.let("x", DType::f32, {s.batch, s.width}, x.data());
        m.let("y", DType::f32, {s.batch, s.width}, y.data());
    }
};

void bm_step(benchmark::State& state, Shape s, std::size_t every) {
    Run run(s, every);
    for (auto _ : state) {
        run.m.run();
        benchmark::ClobberMemory();
    }
    const graft::Program& p = run.m.program();
    state.counters["arena"] = static_cast<double>(p.arena_bytes());
    state.counters["activations"] = static_cast<double>(activation_peak(p));
    state.counters["flops"] = p.flops();
}

/// Both programs give bitwise equal loss and gradients (else abort); prints the memory table.
void check_and_report() {
    for (const Shape& s : shapes) {
        Run plain(s, 0);
        plain.m.run();
        const double a0 = double(plain.m.program().arena_bytes()), p0 = double(activation_peak(plain.m.program()));
        const double f0 = plain.m.program().flops();
        for (std::size_t every : {2, 4}) {
            Run ck(s, every);
            ck.m.run();
            for (NodeId o : plain.net.outputs) {
                const graft::ValueRef u = plain.m.value(o), v = ck.m.value(o);
                std::size_t n = 1;
                for (auto d : *u.dims) n *= d;
                if (std::memcmp(u.data, v.data, n * sizeof(float)) != 0) {
                    std::fprintf(stderr, "bm_checkpoint: %s every %zu: output %%%u differs from the plain program\n", s.name, every, o);
                    std::abort();
                }
            }
            const graft::Program& p = ck.m.program();
            std::printf("%s every %zu: gradients bitwise equal; arena %.1f -> %.1f MiB (%.1f%%), activations %.1f -> %.1f MiB "
                        "(%.1f%%), flops %+.1f%%\n",
                        s.name, every, a0 / 1048576.0, double(p.arena_bytes()) / 1048576.0,
                        100.0 * (double(p.arena_bytes()) / a0 - 1.0), p0 / 1048576.0, double(activation_peak(p)) / 1048576.0,
                        100.0 * (double(activation_peak(p)) / p0 - 1.0), 100.0 * (p.flops() / f0 - 1.0));
        }
    }
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    check_and_report();
    std::vector<std::pair<std::string, std::string>> ratios;
    for (const Shape& s : shapes) {
        const std::string plain = std::string("plain/") + s.name;
        benchmark::RegisterBenchmark(plain.c_str(), bm_step, s, std::size_t{0})->Unit(benchmark::kMillisecond)->UseRealTime();
        for (std::size_t every : {2, 4}) {
            std::string name = "every";
            name += std::to_string(every);
            name += '/';
            name += s.name;
            benchmark::RegisterBenchmark(name.c_str(), bm_step, s, every)->Unit(benchmark::kMillisecond)->UseRealTime();
            ratios.push_back({name, plain});
        }
    }
    return graft::bench::run_with_ratios(argc, argv, ratios);
}
