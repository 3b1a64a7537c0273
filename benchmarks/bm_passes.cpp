// SPDX-License-Identifier: MIT
// benchmarks/bm_passes.cpp: what the optimization passes cost, and what they and the memory plan buy.
//   (a) optimize/<pass>/<n>  passes::standard() and each pass of passes::catalog() alone over a training
//       graph of about n = 10k, 100k and 1M nodes (blocks of tanh(h @ W + b), identities, constants,
//       log(1 + sigmoid), a duplicated expression, a dead branch and a relu chain, then grad() of the loss
//       for every W and b). Each iteration optimizes a fresh copy (the copy is not timed), with the same
//       roots compile() keeps: the outputs, then every input and param. Baseline: copy/<n>, one copy of
//       the graph, the cheapest thing that touches every node. Near-linear scaling shows as
//       optimize/<pass>/100000 / optimize/<pass>/10000 close to 10, or (less disturbed by the caches, which
//       make even the copy grow faster than the node count) as optimize/<pass>/n / copy/n staying flat
//       across n. Issue goal: standard at 100k < 1 s.
//   (b) mlp_step/<pipeline>  one training step (forward, backward, SGD) of the MLP 784-256-128-10, batch
//       64, float, compiled with passes::standard() vs passes::none() (and standard without memory
//       planning); mlp_compile/<pipeline>: compile() of that training graph.
//   (c) counters arena_bytes (planned, with in-place reuse), no_in_place (planned, no in-place reuse) and
//       unplanned (every buffer its own bytes) on each mlp_step row, also printed before the table.
// Before timing, main() checks that the standard and unoptimized programs agree on the loss and every
// gradient of the MLP step (relative 1e-4), so the comparison is between equal computations.
#include <graft/graft.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ratio_reporter.hpp"

namespace {

using graft::DType;
using graft::Graph;
using graft::NodeId;
using graft::OpKind;
namespace ir = graft::ir;
namespace passes = graft::passes;

// ------------------------------------------------------------ (a) a big training graph
/// A graph, the outputs to keep and the roots compile() would keep (outputs, then inputs and params).
struct BigGraph {
    Graph g;
    std::vector<NodeId> roots;
    std::size_t outputs = 0;
};

/// About `target` nodes (forward and reverse sweep): blocks that give every pass something to do.
std::unique_ptr<BigGraph> make_big_graph(std::size_t target) {
    auto bg = std::make_unique<BigGraph>();
    Graph& g = bg->g;
    constexpr std::size_t rows = 4, width = 8;
    const NodeId x = g.input("x", DType::f32, {rows, width});
    std::vector<NodeId> params;
    NodeId h = x;
    graft::Rng rng(7);
    std::vector<float> cvals(width);
    // one block: ~24 forward nodes; grad() adds about 1.3x that
    const std::size_t blocks = std::max<std::size_t>(1, target / 55);
    for (std::size_t i = 0; i < blocks; ++i) {
        const std::string k = std::to_string(i);
        const NodeId W = g.param("W" + k, DType::f32, {width, width}, graft::init::uniform(-0.3, 0.3, 2 * i + 1));
        const NodeId b = g.param("b" + k, DType::f32, {width}, graft::init::uniform(-0.1, 0.1, 2 * i + 2));
        params.push_back(W);
        params.push_back(b);
        const NodeId a = ir::unary(g, OpKind::tanh, ir::add(g, ir::matmul(g, h, W), b));            // fuse_matmul_epilogue
        const NodeId u = ir::add(g, ir::mul(g, a, g.scalar_constant(DType::f32, 1.0)), g.scalar_constant(DType::f32, 0.0));  // simplify
        for (auto& c : cvals) c = static_cast<float>(rng.uniform(-1, 1));
        const NodeId kc = ir::mul_scalar(g, ir::unary(g, OpKind::exp, g.constant(DType::f32, {width}, cvals.data())), 2.0);  // fold
        const NodeId s = ir::unary(g, OpKind::log, ir::add(g, g.scalar_constant(DType::f32, 1.0), ir::unary(g, OpKind::sigmoid, u)));  // stability
        const NodeId e1 = ir::add(g, ir::mul(g, u, kc), s);
        const NodeId e2 = ir::add(g, ir::mul(g, u, kc), s);                                          // cse
        (void)ir::unary(g, OpKind::exp, ir::sub(g, e1, e2));                                         // dce: read by nothing
        h = ir::mul_scalar(g, ir::unary(g, OpKind::relu, ir::add(g, e1, e2)), 0.5);                  // fuse_elementwise
    }
    const NodeId loss = ir::sum_all(g, h);
    const std::vector<NodeId> grads = graft::grad(g, loss, params);
    bg->roots.push_back(loss);
    bg->roots.insert(bg->roots.end(), grads.begin(), grads.end());
    bg->outputs = bg->roots.size();
    bg->roots.push_back(x);
    bg->roots.insert(bg->roots.end(), params.begin(), params.end());
    return bg;
}

/// Built once per size, shared by every benchmark of that size.
const BigGraph& big_graph(std::size_t target) {
    static std::map<std::size_t, std::unique_ptr<BigGraph>> cache;
    auto& slot = cache[target];
    if (!slot) slot = make_big_graph(target);
    return *slot;
}

void bm_copy(benchmark::State& state, std::size_t target) {
    const BigGraph& bg = big_graph(target);
    for (auto _ : state) {
        auto w = std::make_unique<Graph>(bg.g);
        benchmark::DoNotOptimize(w->size());
        state.PauseTiming();
        w.reset();  // freeing is not part of a copy
        state.ResumeTiming();
    }
    state.counters["nodes"] = static_cast<double>(bg.g.size());
}

void bm_optimize(benchmark::State& state, std::size_t target, const passes::Pipeline& p) {
    const BigGraph& bg = big_graph(target);
    std::size_t after = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto w = std::make_unique<Graph>(bg.g);
        std::vector<NodeId> roots = bg.roots;
        state.ResumeTiming();
        const auto res = graft::optimize(*w, roots, p);
        benchmark::DoNotOptimize(res.reports.data());
        after = w->size();
        state.PauseTiming();
        w.reset();
        state.ResumeTiming();
    }
    state.counters["nodes"] = static_cast<double>(bg.g.size());
    state.counters["roots"] = static_cast<double>(bg.roots.size());
    state.counters["nodes_after"] = static_cast<double>(after);
    state.counters["ns_per_node"] = benchmark::Counter(static_cast<double>(bg.g.size()),
                                                       benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// ------------------------------------------------------------ (b), (c) the MLP training step
constexpr std::size_t B = 64, D0 = 784, D1 = 256, D2 = 128, D3 = 10;
namespace nn = graft::nn;

struct Mlp {
    Graph g;
    graft::Var<float, graft::Shape<B, D0>> x = g.input<float, B, D0>("x");
    graft::Var<std::int32_t, graft::Shape<B>> y = g.input<std::int32_t, B>("y");
    nn::Linear<D0, D1> fc1{g, "fc1", 1};
    nn::Linear<D1, D2> fc2{g, "fc2", 2};
    nn::Linear<D2, D3> fc3{g, "fc3", 3};
    graft::Var<float, graft::Shape<>> loss = nn::cross_entropy(nn::chain(x, fc1, nn::ReLU{}, fc2, nn::ReLU{}, fc3), y);
    nn::ParamGrads grads = nn::param_grads(loss, fc1, fc2, fc3);
    std::vector<NodeId> outputs = grads.outputs(loss);
};

graft::CompileOptions options(bool standard, bool plan = true, bool in_place = true) {
    graft::CompileOptions o;
    if (standard) o.pipeline = passes::standard();
    o.plan_memory = plan;
    o.in_place = in_place;
    return o;
}

/// A machine for the step, with the batch bound (seeded).
struct MlpRun {
    Mlp net;
    graft::Machine m;
    nn::SGD opt;
    explicit MlpRun(const graft::CompileOptions& o) : m(graft::compile(net.g, net.outputs, o)), opt(m, net.grads, {.lr = 0.01}) {
        const auto xv = graft::uniform<float, graft::Shape<B, D0>>(0.0f, 1.0f, 11);
        graft::Tensor<std::int32_t, graft::Shape<B>> yv;
        graft::Rng rng(12);
        for (auto& v : yv) v = static_cast<std::int32_t>(rng.below(D3));
        m.let(net.x, xv);
        m.let(net.y, yv);
    }
};

void arena_counters(benchmark::State& state, bool standard) {
    Mlp net;
    const graft::Program with = graft::compile(net.g, net.outputs, options(standard));
    const graft::Program no_in_place = graft::compile(net.g, net.outputs, options(standard, true, false));
    state.counters["arena_bytes"] = static_cast<double>(with.arena_bytes());
    state.counters["no_in_place"] = static_cast<double>(no_in_place.arena_bytes());
    state.counters["unplanned"] = static_cast<double>(with.unplanned_arena_bytes());
    state.counters["in_place"] = static_cast<double>(with.in_place_count());
    state.counters["instrs"] = static_cast<double>(with.instruction_count());
}

void bm_mlp_step(benchmark::State& state, bool standard, bool plan) {
    MlpRun run(options(standard, plan));
    for (auto _ : state) {
        run.m.run();
        run.opt.step();
        benchmark::ClobberMemory();
    }
    arena_counters(state, standard);
    if (!plan) state.counters["arena_bytes"] = state.counters["unplanned"];
}

void bm_mlp_compile(benchmark::State& state, bool standard) {
    Mlp net;
    const graft::CompileOptions o = options(standard);
    for (auto _ : state) {
        graft::Program p = graft::compile(net.g, net.outputs, o);
        benchmark::DoNotOptimize(p.instruction_count());
    }
    state.counters["nodes"] = static_cast<double>(net.g.size());
}

/// The standard and unoptimized programs compute the same step (loss and every gradient), else abort;
/// prints the arena figures.
void check_and_report() {
    MlpRun a(options(false)), b(options(true));
    a.m.run();
    b.m.run();
    auto fail = [](const std::string& what, double u, double v) {
        std::fprintf(stderr, "bm_passes: standard and unoptimized programs disagree on %s: %.8g vs %.8g\n", what.c_str(), u, v);
        std::abort();
    };
    const double la = a.m.value(a.net.loss).item(), lb = b.m.value(b.net.loss).item();
    if (std::fabs(la - lb) > 1e-4 * std::fabs(la)) fail("the loss", la, lb);
    for (std::size_t p = 0; p < a.net.grads.items.size(); ++p) {
        const auto& item = a.net.grads.items[p];
        const graft::ValueRef ga = a.m.value(item.grad), gb = b.m.value(b.net.grads.items[p].grad);
        std::size_t n = 1;
        for (auto d : *ga.dims) n *= d;
        const auto* u = static_cast<const float*>(ga.data);
        const auto* v = static_cast<const float*>(gb.data);
        double scale = 0;
        for (std::size_t i = 0; i < n; ++i) scale = std::max(scale, double(std::fabs(u[i])));
        for (std::size_t i = 0; i < n; ++i)
            if (std::fabs(u[i] - v[i]) > 1e-4 * scale + 1e-7) fail(item.name, u[i], v[i]);
    }
    std::printf("check: passes::standard() and passes::none() agree on the MLP step (loss %.6f, %zu gradients)\n", la,
                a.net.grads.items.size());
    for (bool standard : {false, true}) {
        Mlp net;
        const graft::Program with = graft::compile(net.g, net.outputs, options(standard));
        const graft::Program no_in_place = graft::compile(net.g, net.outputs, options(standard, true, false));
        const graft::Program off = graft::compile(net.g, net.outputs, options(standard, false));
        std::printf("arena, MLP training step, passes::%s(): %zu instructions; unplanned %zu bytes, planned %zu, planned with "
                    "in-place reuse %zu (%zu in place): %.1f%% of unplanned\n",
                    standard ? "standard" : "none", with.instruction_count(), off.arena_bytes(), no_in_place.arena_bytes(),
                    with.arena_bytes(), with.in_place_count(), 100.0 * double(with.arena_bytes()) / double(off.arena_bytes()));
    }
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    check_and_report();
    std::vector<std::pair<std::string, std::string>> ratios;
    const std::vector<std::size_t> sizes = {10000, 100000, 1000000};
    auto tag = [](std::size_t n) { return std::to_string(n); };
    std::vector<std::pair<std::string, passes::Pipeline>> pipelines = {{"standard", passes::standard()}};
    for (const passes::Pass& p : passes::catalog()) pipelines.push_back({p.name, passes::Pipeline({p})});
    for (std::size_t n : sizes)
        benchmark::RegisterBenchmark(("copy/" + tag(n)).c_str(), bm_copy, n)->Unit(benchmark::kMillisecond)->UseRealTime();
    for (const auto& [name, p] : pipelines)
        for (std::size_t n : sizes)
            benchmark::RegisterBenchmark(("optimize/" + name + "/" + tag(n)).c_str(), bm_optimize, n, p)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
    for (const auto& [name, p] : pipelines) {
        ratios.push_back({"optimize/" + name + "/100000", "optimize/" + name + "/10000"});
        ratios.push_back({"optimize/" + name + "/1000000", "optimize/" + name + "/100000"});
    }
    // per node, against copying the graph of the same size: flat across sizes when a pass is linear (the
    // copy itself grows faster than 10x per decade here once the graph leaves the caches)
    for (const auto& [name, p] : pipelines)
        for (std::size_t n : sizes) ratios.push_back({"optimize/" + name + "/" + tag(n), "copy/" + tag(n)});
    for (std::size_t n : {std::size_t{100000}, std::size_t{1000000}})
        ratios.push_back({"copy/" + tag(n), "copy/" + tag(n / 10)});

    benchmark::RegisterBenchmark("mlp_step/none", bm_mlp_step, false, true)->Unit(benchmark::kMicrosecond)->UseRealTime();
    benchmark::RegisterBenchmark("mlp_step/standard", bm_mlp_step, true, true)->Unit(benchmark::kMicrosecond)->UseRealTime();
    benchmark::RegisterBenchmark("mlp_step/standard_unplanned", bm_mlp_step, true, false)->Unit(benchmark::kMicrosecond)->UseRealTime();
    benchmark::RegisterBenchmark("mlp_compile/none", bm_mlp_compile, false)->Unit(benchmark::kMicrosecond)->UseRealTime();
    benchmark::RegisterBenchmark("mlp_compile/standard", bm_mlp_compile, true)->Unit(benchmark::kMicrosecond)->UseRealTime();
    ratios.push_back({"mlp_step/standard", "mlp_step/none"});
    ratios.push_back({"mlp_step/standard_unplanned", "mlp_step/standard"});
    ratios.push_back({"mlp_compile/standard", "mlp_compile/none"});
    return graft::bench::run_with_ratios(argc, argv, ratios);
}
