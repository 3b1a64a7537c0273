// SPDX-License-Identifier: MIT
// examples/11_gradient_checkpointing.cpp: gradient checkpointing trades compute for memory.
//   h_0 = x,  h_i = tanh(h_{i-1} W_i + b_i)  for i = 1..16,  loss = mean((h_16 - y)^2)
// The reverse sweep needs the forward values: dW_i = h_{i-1}^T g_i and tanh' = 1 - h_i^2. A plain program
// keeps every h_i alive from the forward sweep until the reverse sweep comes back down to layer i, so the
// activation memory grows with the depth L. passes::recompute with {.every = k} keeps only every k-th
// layer's output (a "checkpoint") and, when the reverse sweep reaches a segment, recomputes that segment's
// k - 1 other layers from the checkpoint below it. At any moment the program then holds the L/k
// checkpoints plus the k values of one segment: L/k + k, smallest near k = sqrt(L) (4 for 16 layers).
// The price: every layer that is not a checkpoint (and not in the last segment, which the reverse sweep
// reads right away) runs its forward step twice, nearly one extra forward pass, about a third more FLOPs
// than forward + backward. The clones run the same kernels on the same inputs, so the loss and the
// gradients are bitwise the same. docs/passes.md, "Gradient checkpointing", has the rules.
#include <graft/graft.hpp>

#include "teaching.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using graft::Shape;
namespace nn = graft::nn;
namespace passes = graft::passes;

namespace {

/// The MLP with its loss and every gradient, built into its own graph.
template <std::size_t Batch, std::size_t Width>
struct Mlp {
    graft::Graph g;
    graft::Var<float, Shape<Batch, Width>> x = g.input<float, Batch, Width>("x"), y = g.input<float, Batch, Width>("y");
    std::vector<graft::NodeId> outputs;  // the loss, then dW_1, db_1, dW_2, ...

    /// draw: write the pictures (--dot DIR) of this graph
    Mlp(std::size_t layers, const teaching::Pictures& pics, bool draw) {
        auto h = x;
        std::vector<graft::NodeId> params;
        for (std::size_t i = 1; i <= layers; ++i) {
            std::string wn = "W", bn = "b";  // (not "W" + to_string(i): GCC 12 warns falsely, -Wrestrict)
            wn += std::to_string(i);
            bn += std::to_string(i);
            auto W = g.param<float, Width, Width>(wn, graft::init::glorot_uniform(i));
            auto b = g.param<float, Width>(bn, graft::init::constant(0.01));
            h = tanh(matmul(h, W) + b);
            params.insert(params.end(), {W.id(), b.id()});
        }
        auto d = h - y;
        auto loss = mean(d * d);
        if (draw) pics.forward(g, {loss.id()}, "3 tanh layers, loss = mean((h3 - y)^2)");
        const auto first_bwd = static_cast<graft::NodeId>(g.size());
        outputs = nn::param_grads(loss, params).outputs(loss);
        if (!draw) return;
        pics.backward(g, outputs, first_bwd);
        pics.after_passes(g, outputs);
        // the same graph through the recompute pipeline with {.every = 2}: layer 2's output becomes a
        // checkpoint node, and layer 1 (a matmul_bias_act after fusion) gets a clone that the reverse sweep reads
        graft::Graph copy = g;
        std::vector<graft::NodeId> kept = outputs;
        graft::optimize(copy, kept, passes::with_recompute(passes::standard(), {.every = 2}));
        pics.write("recompute", "after passes::with_recompute(standard(), {.every = 2})", copy, kept);
    }
};

graft::CompileOptions options(std::size_t every) {
    graft::CompileOptions o;
    o.pipeline = every == 0 ? passes::standard() : passes::with_recompute(passes::standard(), {.every = every});
    return o;
}

/// The most bytes of computed intermediate values (gradients and inputs left out) alive at once.
std::size_t activation_peak(const graft::Program& p) {
    const auto& d = p.data();
    std::vector<long long> delta(d.instrs.size() + 1, 0);
    for (const auto& s : d.slots) {
        if (s.home != graft::Home::arena || s.is_input || s.is_output || s.alias_of != UINT32_MAX || s.node == graft::no_node) continue;
        delta[s.def] += static_cast<long long>(s.bytes);
        delta[s.last_use + 1] -= static_cast<long long>(s.bytes);
    }
    long long live = 0, peak = 0;
    for (long long b : delta) peak = std::max(peak, live += b);
    return static_cast<std::size_t>(peak);
}

}  // namespace

int main(int argc, char** argv) {
    const teaching::Pictures pics("11_gradient_checkpointing", argc, argv);  // --dot DIR: pictures of a 3-layer, width-4 version
    if (pics.enabled()) {
        const Mlp<2, 4> small(3, pics, true);
    }

    constexpr std::size_t batch = 256, width = 128, layers = 16;
    Mlp<batch, width> net(layers, pics, false);
    graft::Tensor<float, Shape<batch, width>> X, Y;  // fixed random data, the same for every program
    graft::Rng rng(11);
    for (float& v : X) v = static_cast<float>(rng.uniform(-1.0, 1.0));
    for (float& v : Y) v = static_cast<float>(rng.uniform(-1.0, 1.0));
    std::printf("%zu layers of tanh(h W + b), batch %zu, width %zu, float: the loss and %zu gradients per step\n\n", layers, batch,
                width, net.outputs.size() - 1);

    // one program per variant, compiled from the same graph; run once to compare the results
    const std::size_t variants[] = {0, 2, 4, 8};
    std::vector<graft::Machine> machines;
    for (std::size_t k : variants) {
        machines.emplace_back(graft::compile(net.g, net.outputs, options(k)));
        machines.back().let(net.x, X);
        machines.back().let(net.y, Y);
        machines.back().run();
    }

    const graft::Program& p0 = machines[0].program();
    std::printf("checkpoint every  marks  instructions  arena KiB  activations KiB  MFLOP/step    arena  activations  FLOPs\n");
    for (std::size_t v = 0; v < machines.size(); ++v) {
        const graft::Program& p = machines[v].program();
        std::size_t marks = 0;
        for (const auto& r : p.pass_reports())
            if (r.name == "recompute" && r.rewrites.count("checkpoints")) marks = r.rewrites.at("checkpoints");
        const std::string every = variants[v] ? std::to_string(variants[v]) + " layers" : "(none)";
        std::printf("%-16s  %5zu  %12zu  %9zu  %15zu  %10.1f  %6.2fx  %10.2fx  %4.2fx\n", every.c_str(), marks, p.instruction_count(),
                    p.arena_bytes() / 1024, activation_peak(p) / 1024, p.flops() / 1e6, double(p.arena_bytes()) / double(p0.arena_bytes()),
                    double(activation_peak(p)) / double(activation_peak(p0)), p.flops() / p0.flops());
    }

    // the same loss and gradients: compare every output with the program without checkpoints
    std::printf("\nloss %.6f\n", double(*static_cast<const float*>(machines[0].value(net.outputs[0]).data)));
    for (std::size_t v = 1; v < machines.size(); ++v) {
        float max_diff = 0;
        for (graft::NodeId o : net.outputs) {
            const graft::ValueRef a = machines[0].value(o), b = machines[v].value(o);
            std::size_t n = 1;
            for (auto dim : *a.dims) n *= dim;
            for (std::size_t i = 0; i < n; ++i)
                max_diff = std::max(max_diff, std::abs(static_cast<const float*>(a.data)[i] - static_cast<const float*>(b.data)[i]));
        }
        std::printf("every %zu: largest difference from the plain program over the loss and all gradients: %g\n", variants[v],
                    double(max_diff));
    }

    // time steps, wall clock (varies from run to run): 3 warm-up rounds, then 15 rounds that run each program
    // once, so a busy moment of the machine slows all four alike; the median of each program's 15 times
    std::printf("\nstep time (median of 15 runs)\n");
    std::vector<std::vector<double>> ms(machines.size());
    for (int round = 0; round < 18; ++round)
        for (std::size_t v = 0; v < machines.size(); ++v) {
            const auto start = std::chrono::steady_clock::now();
            machines[v].run();
            if (round >= 3) ms[v].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
    for (auto& t : ms) std::nth_element(t.begin(), t.begin() + 7, t.end());
    for (std::size_t v = 0; v < machines.size(); ++v) {
        const std::string every = variants[v] ? "every " + std::to_string(variants[v]) : "plain";
        std::printf("  %-8s %7.2f ms  %5.2fx\n", every.c_str(), ms[v][7], ms[v][7] / ms[0][7]);
    }
}
