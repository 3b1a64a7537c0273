// SPDX-License-Identifier: MIT
// tests/exec/memory_plan_test.cpp: the arena plan (TESTING.md P8, A3, G9).
// plan_memory never lets two buffers with overlapping lifetimes share a byte (random requests, many
// trials); compiled programs keep every value alive until its last reader, outputs to the end; and
// planning on vs off gives bitwise identical outputs while planning on never needs more bytes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <graft/autodiff.hpp>
#include <graft/exec.hpp>
#include <graft/graph.hpp>

#include "support/graph_runner.hpp"
#include "support/text.hpp"

using namespace graft;
using graft_test::cat;

namespace {

/// Empty when no two requests live at the same time and share bytes, else the first such pair.
std::string find_overlap(const std::vector<BufferRequest>& req, const MemoryPlan& p) {
    for (std::size_t i = 0; i < req.size(); ++i)
        for (std::size_t j = i + 1; j < req.size(); ++j) {
            if (req[i].bytes == 0 || req[j].bytes == 0) continue;
            const bool live_together = req[i].def <= req[j].last_use && req[j].def <= req[i].last_use;
            const bool share_bytes = p.offsets[i] < p.offsets[j] + req[j].bytes && p.offsets[j] < p.offsets[i] + req[i].bytes;
            if (live_together && share_bytes)
                return cat("buffers ", std::to_string(i), " and ", std::to_string(j), " overlap");
        }
    return {};
}

/// The same check over a compiled program's arena slots (op outputs; bound inputs persist throughout).
std::string find_slot_overlap(const Program& prog) {
    const auto& d = prog.data();
    const std::size_t last = d.instrs.empty() ? 0 : d.instrs.size() - 1;
    struct Live {
        std::size_t from, to, off, bytes, slot;
    };
    std::vector<Live> lives;
    for (std::size_t s = 0; s < d.slots.size(); ++s) {
        const Slot& sl = d.slots[s];
        if (sl.home != Home::arena || sl.alias_of != UINT32_MAX || sl.bytes == 0) continue;
        if (sl.is_input) lives.push_back({0, last, sl.offset, sl.bytes, s});
        else lives.push_back({sl.def, sl.last_use, sl.offset, sl.bytes, s});
        if (sl.offset + sl.bytes > d.arena_bytes) return cat("slot ", std::to_string(s), " ends past the arena");
        if (sl.is_output && !sl.is_input && sl.last_use != last) return cat("output slot ", std::to_string(s), " freed early");
    }
    for (std::size_t i = 0; i < lives.size(); ++i)
        for (std::size_t j = i + 1; j < lives.size(); ++j) {
            const Live &a = lives[i], &b = lives[j];
            if (a.from <= b.to && b.from <= a.to && a.off < b.off + b.bytes && b.off < a.off + a.bytes)
                return cat("slots ", std::to_string(a.slot), " and ", std::to_string(b.slot), " share bytes while both live");
        }
    // every instruction's inputs are still live when it runs
    for (std::size_t k = 0; k < d.instrs.size(); ++k)
        for (auto in : d.instrs[k].in) {
            std::uint32_t r = in;
            while (d.slots[r].alias_of != UINT32_MAX) r = d.slots[r].alias_of;
            const Slot& sl = d.slots[r];
            if (sl.home == Home::arena && !sl.is_input && (sl.def > k || sl.last_use < k))
                return cat("instruction #", std::to_string(k), " reads slot ", std::to_string(r), " outside its lifetime");
        }
    return {};
}

/// Runs `outs` with planning on and off; both must agree bitwise and pass the slot checks.
void check_plan_on_off(const Graph& g, std::vector<NodeId> outs, std::uint64_t seed) {
    const auto feed = graft_test::make_feed(g, seed);
    const Program planned = compile(g, outs);
    const Program unplanned = compile(g, outs, CompileOptions{.plan_memory = false});
    CHECK(find_slot_overlap(planned) == "");
    CHECK(find_slot_overlap(unplanned) == "");
    CHECK(planned.arena_bytes() <= planned.unplanned_arena_bytes());
    CHECK(unplanned.arena_bytes() == unplanned.unplanned_arena_bytes());
    CHECK(planned.unplanned_arena_bytes() == unplanned.unplanned_arena_bytes());
    const auto a = graft_test::run_graph(g, outs, feed);
    const auto b = graft_test::run_graph(g, outs, feed, CompileOptions{.plan_memory = false});
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("output " << i);
        CHECK(graft_test::bitwise_equal(a[i], b[i]));
    }
}

}  // namespace

TEST_CASE("plan_memory never gives bytes to two buffers that are live at the same time", "[exec][memory_plan]") {
    Rng rng(2024);
    for (int trial = 0; trial < 400; ++trial) {
        const std::size_t n = 1 + rng.below(40);
        std::vector<BufferRequest> req(n);
        for (auto& r : req) {
            r.bytes = rng.below(8) == 0 ? 0 : 1 + rng.below(rng.below(2) ? 100 : 5000);
            r.def = rng.below(30);
            r.last_use = r.def + rng.below(rng.below(4) == 0 ? 30 : 4);
        }
        INFO("trial " << trial);
        for (bool reuse : {true, false}) {
            const MemoryPlan p = plan_memory(req, reuse);
            REQUIRE(p.offsets.size() == n);
            CHECK(find_overlap(req, p) == "");
            std::size_t sum = 0, end = 0;
            for (std::size_t i = 0; i < n; ++i) {
                CHECK(p.offsets[i] % buffer_alignment == 0);
                sum += align_up(req[i].bytes);
                if (req[i].bytes) end = std::max(end, p.offsets[i] + req[i].bytes);
            }
            CHECK(p.unplanned_bytes == sum);
            CHECK(end <= p.arena_bytes);
            CHECK(p.arena_bytes <= p.unplanned_bytes);
            if (!reuse) CHECK(p.arena_bytes == p.unplanned_bytes);
        }
    }
}

TEST_CASE("plan_memory reuses the bytes of a chain: each buffer dies when the next is made", "[exec][memory_plan]") {
    std::vector<BufferRequest> req;
    for (std::size_t k = 0; k < 10; ++k) req.push_back({1000, k, k + 1});  // made at k, read by k+1
    const MemoryPlan p = plan_memory(req);
    CHECK(find_overlap(req, p) == "");
    CHECK(p.arena_bytes == 2 * align_up(1000));  // the producer's input and its output
    CHECK(p.unplanned_bytes == 10 * align_up(1000));
    CHECK(plan_memory({}).arena_bytes == 0);
}

TEST_CASE("a compiled MLP step gives bitwise identical outputs with memory planning on and off", "[exec][memory_plan]") {
    Graph g;
    auto x = g.input<float, 16, 12>("x");
    auto labels = g.input<std::int32_t, 16>("labels");
    auto W1 = g.param<float, 12, 8>("W1", init::he_normal(3));
    auto b1 = g.param<float, 8>("b1", init::uniform(-0.1, 0.1, 4));
    auto W2 = g.param<float, 8, 5>("W2", init::glorot_normal(5));
    auto h = relu(matmul(x, W1) + b1);
    auto logits = matmul(h, W2);
    auto loss = -mean(sum<1>(one_hot<5>(labels) * log_softmax(logits)));
    auto probs = softmax(logits);
    check_plan_on_off(g, {loss.id(), probs.id(), h.id()}, 1);
    CHECK(compile(g, loss).arena_bytes() < compile(g, loss).unplanned_arena_bytes());
}

TEST_CASE("a long elementwise chain reuses its buffers and still equals the naive evaluator", "[exec][memory_plan]") {
    Graph g;
    auto x = g.input<double, 8, 9>("x");
    auto y = x;
    for (int k = 0; k < 12; ++k) y = tanh(y * 1.5 + x) - sigmoid(y);  // x stays live to the end
    check_plan_on_off(g, {y.id()}, 2);
    const Program p = compile(g, y);
    CHECK(p.arena_bytes() * 4 < p.unplanned_arena_bytes());  // planning fired
    const NodeId out = y.id();
    const auto feed = graft_test::make_feed(g, 2);
    const auto got = graft_test::run_graph(g, {&out, 1}, feed)[0];
    const auto ref = graft_test::naive_eval(g, {&out, 1}, feed)[0];
    REQUIRE(got.v.size() == ref.v.size());
    for (std::size_t i = 0; i < ref.v.size(); ++i) CHECK(got.v[i] == Approx(ref.v[i]).epsilon(1e-12).margin(1e-12));
}

TEST_CASE("outputs read later, outputs with no reader and values behind reshapes stay live", "[exec][memory_plan]") {
    Graph g;
    auto x = g.input<float, 6, 4>("x");
    auto a = exp(x);                          // an output that later ops also read
    auto r = reshape<4, 6>(a);                // an alias: a must live as long as r's readers
    auto t = transpose(r);                    // [6,4]
    auto b = t * x + a;                       // reads a again, late
    auto dead_end = sqrt(abs(b));             // an output nobody reads
    auto c = sum<0>(b) + sum<0>(a);           // a read at the very end
    auto r2 = reshape<2, 2>(c * 0.0f + 1.0f);  // an output that is itself an alias
    check_plan_on_off(g, {a.id(), dead_end.id(), c.id(), r.id(), r2.id()}, 3);
    check_plan_on_off(g, {c.id()}, 4);

    const std::vector<NodeId> outs{a.id(), dead_end.id(), c.id(), r.id()};
    const auto feed = graft_test::make_feed(g, 5);
    const auto got = graft_test::run_graph(g, outs, feed);
    const auto ref = graft_test::naive_eval(g, outs, feed);
    for (std::size_t i = 0; i < outs.size(); ++i) {
        INFO("output " << i);
        REQUIRE(got[i].dims == ref[i].dims);
        for (std::size_t k = 0; k < ref[i].v.size(); ++k) CHECK(got[i].v[k] == Approx(ref[i].v[k]).epsilon(2e-6));
    }
}

TEST_CASE("a diamond of shared subexpressions and broadcasts plans safely", "[exec][memory_plan]") {
    Graph g;
    auto x = g.input<float, 5, 1>("x");
    auto y = g.input<float, 1, 7>("y");
    auto s = x + y;                                            // [5,7]
    auto l = log1p(square(s));
    auto m = maximum(l, s) - minimum(l, s);
    auto n = where(greater(m, l), m, l * s);
    auto cat = concat<1>(n, slice<1, 2, 5>(s), broadcast_to<Shape<5, 2>>(x));
    auto out = softmax<0>(cat) + mean<1, true>(cat);
    check_plan_on_off(g, {out.id()}, 6);
    check_plan_on_off(g, {out.id(), s.id(), m.id()}, 7);
}

TEST_CASE("values the reverse sweep reads stay intact: loss and gradients equal with planning on and off", "[exec][memory_plan]") {
    Graph g;
    auto x = g.input<double, 8, 6>("x");
    auto labels = g.input<std::int32_t, 8>("labels");
    auto W1 = g.param<double, 6, 5>("W1", init::he_uniform(1));
    auto b1 = g.param<double, 5>("b1", init::uniform(-0.1, 0.1, 2));
    auto W2 = g.param<double, 5, 3>("W2", init::glorot_uniform(3));
    auto h = tanh(matmul(x, W1) + b1);
    auto logits = matmul(h * sigmoid(h), W2);
    auto loss = -mean(sum<1>(one_hot<3, double>(labels) * log_softmax(logits)));
    auto [gW1, gb1, gW2] = grad(loss, W1, b1, W2);
    check_plan_on_off(g, {loss.id(), gW1.id(), gb1.id(), gW2.id()}, 8);
    check_plan_on_off(g, {gW1.id()}, 9);
    const Program p = compile(g, loss, gW1, gb1, gW2);
    CHECK(p.arena_bytes() < p.unplanned_arena_bytes());
}
