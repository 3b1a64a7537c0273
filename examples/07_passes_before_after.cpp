// SPDX-License-Identifier: MIT
// examples/07_passes_before_after.cpp: what the optimization passes do to a graph.
//
// Part 1 takes a small expression written the naive way and prints it before and after each pass of
// passes::standard(), so every rewrite can be read off the text form. Part 2 builds the MLP training
// graph of the flagship (784-256-128-10, batch 64, forward + cross-entropy + backward), optimizes it and
// prints what each pass did, then compiles it with and without passes and compares the tapes.
// With --dot DIR the graphs are also written as DOT (and SVG when Graphviz is installed) into DIR
// (teaching.hpp): the small expression before and after the passes (.small_before, .small_after), and the
// MLP graph as built (.forward), with its reverse sweep (.backward) and after passes::standard() (.passes).
#include <graft/graft.hpp>

#include "teaching.hpp"

#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

using namespace graft;

namespace {

/// A report without its timing (so this program's output is the same on every run).
std::string stable_summary(const passes::PassReport& r) {
    std::string s = r.name + ": " + std::to_string(r.nodes_before) + " -> " + std::to_string(r.nodes_after) + " nodes";
    for (const auto& [kind, n] : r.rewrites) s += ", " + kind + " " + std::to_string(n);
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    const teaching::Pictures pics("07_passes_before_after", argc, argv);
    // ---------------------------------------------------------------- part 1: one rewrite of each kind
    std::cout << "== part 1: a small expression, pass by pass\n";
    {
        Graph g;
        auto x = g.input<float, 4, 3>("x");
        auto b = g.input<float, 3>("b");
        auto scale = g.constant(Tensor<float, Shape<3>>{2, 2, 2}) * 0.5f;  // a constant subexpression: [1, 1, 1]
        auto h = x * scale + b;                                           // * [1, 1, 1]: folded, then simplified
        auto soft = log(1.0f + exp(h));                                    // softplus written by hand: log1p
        auto y = -(-soft) + tanh(x * scale + b);                           // neg(neg(.)) and a repeated x*scale+b
        std::vector<NodeId> outs{y.id()};
        std::cout << "before (" << g.size() << " nodes):\n" << print(g);
        pics.write("small_before", "a small expression, as written", g, outs);
        // standard() runs its passes in rounds until a round changes nothing; here one pass at a time,
        // printing the graph after each pass that changed it
        const passes::Pipeline p = passes::standard();
        for (int round = 1, changed = 1; changed; ++round) {
            changed = 0;
            std::cout << "round " << round << "\n";
            for (const passes::Pass& pass : p.passes) {
                const auto res = optimize(g, outs, passes::Pipeline({pass}));
                std::cout << "-- " << stable_summary(res.reports[0]) << "\n";
                if (res.reports[0].changed()) {
                    changed = 1;
                    std::cout << print(g);
                }
            }
        }
        std::cout << "then, once: fusion\n";
        for (const passes::Pass& pass : p.then) {
            const auto res = optimize(g, outs, passes::Pipeline({pass}));
            std::cout << "-- " << stable_summary(res.reports[0]) << "\n";
            if (res.reports[0].changed()) std::cout << print(g);
        }
        pics.write("small_after", "the small expression after passes::standard()", g, outs);
    }

    // ---------------------------------------------------------------- part 2: the MLP training graph
    std::cout << "\n== part 2: the MLP training graph (784-256-128-10, batch 64, forward + backward)\n";
    Graph g;
    auto x = g.input<float, 64, 784>("x");
    auto labels = g.input<std::int32_t, 64>("labels");
    nn::Linear<784, 256> fc1(g, "fc1", 1);
    nn::Linear<256, 128> fc2(g, "fc2", 2);
    nn::Linear<128, 10> fc3(g, "fc3", 3);
    auto logits = nn::chain(x, fc1, nn::ReLU{}, fc2, nn::ReLU{}, fc3);
    auto loss = nn::cross_entropy(logits, labels);
    pics.forward(g, {loss.id()}, "MLP 784-256-128-10: forward and cross-entropy");
    const auto first_bwd = static_cast<NodeId>(g.size());
    auto grads = nn::param_grads(loss, fc1, fc2, fc3);
    const std::vector<NodeId> outputs = grads.outputs(loss);
    pics.backward(g, outputs, first_bwd, "MLP: forward + backward (reverse sweep in blue)");
    pics.after_passes(g, outputs, "MLP training graph after passes::standard()");

    CompileOptions plain;
    plain.pipeline = passes::none();
    CompileOptions optimized;
    optimized.pipeline = passes::standard();
    const Program before = compile(g, outputs, plain);
    const Program after = compile(g, outputs, optimized);
    std::cout << "graph as built: " << g.size() << " nodes\n";
    for (const auto& r : after.pass_reports()) std::cout << "  " << stable_summary(r) << "\n";
    std::printf("tape without passes: %zu instructions, arena %zu bytes\n", before.instruction_count(), before.arena_bytes());
    std::printf("tape with standard(): %zu instructions, arena %zu bytes\n", after.instruction_count(), after.arena_bytes());

    // the same values either way: one step on the same data
    Machine m0(before), m1(after);
    const auto xv = uniform<float, Shape<64, 784>>(-1.0f, 1.0f, 11);
    Tensor<std::int32_t, Shape<64>> yv;
    for (std::size_t i = 0; i < 64; ++i) yv(i) = static_cast<std::int32_t>(i % 10);
    for (Machine* m : {&m0, &m1}) {
        m->let(x, xv);
        m->let(labels, yv);
        m->run();
    }
    std::printf("loss without passes %.6f, with passes %.6f\n", m0.value(loss)(), m1.value(loss)());
    return 0;
}
