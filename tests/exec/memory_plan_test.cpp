// SPDX-License-Identifier: MIT
// tests/exec/memory_plan_test.cpp: the arena plan (TESTING.md P8, A3, G9).
// plan_memory never lets two buffers with overlapping lifetimes share a byte (random requests, many
// trials); compiled programs keep every value alive until its last reader, outputs to the end; and
// planning on vs off gives bitwise identical outputs while planning on never needs more bytes.
// In-place reuse: an elementwise op writes over an input that dies there only when that input is an op
// output of the same dims and dtype (never an output, a leaf, an alias or a broadcast operand); every
// elementwise kernel gives the same bits in place and out of place; random graphs agree with the reference.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <graft/autodiff.hpp>
#include <graft/exec.hpp>
#include <graft/graph.hpp>
#include <graft/passes.hpp>

#include "support/graph_runner.hpp"
#include "support/random_graph.hpp"
#include "support/text.hpp"

using namespace graft;
using graft_test::cat;

namespace {

/// Empty when no two requests live at the same time and share bytes, else the first such pair. A buffer
/// that took another's bytes in place (p.took) touches it at exactly one instruction: its def, the
/// other's last use; that pair is checked for exactly that.
std::string find_overlap(const std::vector<BufferRequest>& req, const MemoryPlan& p) {
    for (std::size_t i = 0; i < req.size(); ++i)
        for (std::size_t j = i + 1; j < req.size(); ++j) {
            if (req[i].bytes == 0 || req[j].bytes == 0) continue;
            if (p.took[i] == j || p.took[j] == i) {
                const std::size_t taker = p.took[i] == j ? i : j, given = taker == i ? j : i;
                if (req[given].def >= req[taker].def || std::max(req[given].last_use, req[given].def) != req[taker].def ||
                    p.offsets[i] != p.offsets[j] || align_up(req[i].bytes) != align_up(req[j].bytes))
                    return cat("buffer ", std::to_string(taker), " took the bytes of ", std::to_string(given), " while it was live");
                continue;
            }
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
        if (sl.in_place_of != UINT32_MAX) {  // in place: same type, the input's last reader is this slot's producer
            const Slot& x = d.slots[sl.in_place_of];
            if (x.dims != sl.dims || x.dtype != sl.dtype || x.offset != sl.offset || x.last_use != sl.def || x.is_output ||
                x.is_input || x.home != Home::arena || x.alias_of != UINT32_MAX)
                return cat("slot ", std::to_string(s), " took the bytes of slot ", std::to_string(sl.in_place_of), " unsafely");
        }
    }
    for (std::size_t i = 0; i < lives.size(); ++i)
        for (std::size_t j = i + 1; j < lives.size(); ++j) {
            const Live &a = lives[i], &b = lives[j];
            if (d.slots[a.slot].in_place_of == b.slot || d.slots[b.slot].in_place_of == a.slot) continue;  // checked above
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

/// Runs `outs` with planning on (with and without in-place reuse) and off; all must agree bitwise and
/// pass the slot checks.
void check_plan_on_off(const Graph& g, std::vector<NodeId> outs, std::uint64_t seed) {
    const auto feed = graft_test::make_feed(g, seed);
    const Program planned = compile(g, outs);
    const Program no_in_place = compile(g, outs, CompileOptions{.in_place = false});
    const Program unplanned = compile(g, outs, CompileOptions{.plan_memory = false});
    CHECK(find_slot_overlap(planned) == "");
    CHECK(find_slot_overlap(no_in_place) == "");
    CHECK(find_slot_overlap(unplanned) == "");
    CHECK(planned.arena_bytes() <= planned.unplanned_arena_bytes());
    CHECK(no_in_place.in_place_count() == 0);
    CHECK(unplanned.in_place_count() == 0);
    CHECK(unplanned.arena_bytes() == unplanned.unplanned_arena_bytes());
    CHECK(planned.unplanned_arena_bytes() == unplanned.unplanned_arena_bytes());
    const auto a = graft_test::run_graph(g, outs, feed);
    const auto b = graft_test::run_graph(g, outs, feed, CompileOptions{.plan_memory = false});
    const auto c = graft_test::run_graph(g, outs, feed, CompileOptions{.in_place = false});
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("output " << i);
        CHECK(graft_test::bitwise_equal(a[i], b[i]));
        CHECK(graft_test::bitwise_equal(c[i], b[i]));
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

TEST_CASE("plan_memory honours reuse_of only where the bytes are really free to take", "[exec][memory_plan][in_place]") {
    Rng rng(77);
    std::size_t taken = 0;
    for (int trial = 0; trial < 400; ++trial) {
        const std::size_t n = 1 + rng.below(40);
        std::vector<BufferRequest> req(n);
        for (auto& r : req) {
            r.bytes = rng.below(8) == 0 ? 0 : 1 + rng.below(rng.below(2) ? 100 : 300);
            r.def = rng.below(30);
            r.last_use = r.def + rng.below(rng.below(4) == 0 ? 30 : 4);
        }
        for (std::size_t i = 0; i < n; ++i) {  // ask at random, valid or not: it must be honoured only when safe
            if (rng.below(3) == 0) continue;
            std::vector<std::size_t> fits;  // the requests it could validly take
            for (std::size_t j = 0; j < n; ++j)
                if (req[j].def < req[i].def && req[j].last_use == req[i].def) fits.push_back(j);
            if (!fits.empty() && rng.below(3) != 0) {
                req[i].reuse_of = fits[rng.below(fits.size())];
                if (rng.below(2) == 0) req[i].bytes = req[req[i].reuse_of].bytes;
            } else {
                req[i].reuse_of = rng.below(2 * n);  // mostly wrong, sometimes out of range
            }
        }
        INFO("trial " << trial);
        const MemoryPlan p = plan_memory(req);
        CHECK(find_overlap(req, p) == "");
        std::size_t mine = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (p.took[i] == no_reuse) continue;
            ++mine;
            CHECK(p.took[i] == req[i].reuse_of);
            for (std::size_t j = 0; j < n; ++j) CHECK((j == i || p.took[j] != p.took[i]));  // bytes given to one taker only
        }
        CHECK(mine == p.in_place);
        CHECK(p.arena_bytes <= p.unplanned_bytes);
        taken += mine;
        const MemoryPlan off = plan_memory(req, false);  // planning off: no reuse of any kind
        CHECK(off.in_place == 0);
        CHECK(off.arena_bytes == off.unplanned_bytes);
    }
    CHECK(taken > 100);  // the valid requests were honoured often enough to test something
}

TEST_CASE("plan_memory in place: a chain of same-size buffers shares one block", "[exec][memory_plan][in_place]") {
    std::vector<BufferRequest> req;
    for (std::size_t k = 0; k < 10; ++k) req.push_back({1000, k, k + 1, k == 0 ? no_reuse : k - 1});  // made at k, read by k+1
    const MemoryPlan p = plan_memory(req);
    CHECK(find_overlap(req, p) == "");
    CHECK(p.in_place == 9);
    CHECK(p.arena_bytes == align_up(1000));
    for (std::size_t k = 0; k < 10; ++k) CHECK(p.offsets[k] == 0);
    // a buffer still read after the would-be taker is made, or of another size, is not taken
    std::vector<BufferRequest> bad = {{1000, 0, 2}, {1000, 1, 3, 0}, {640, 2, 3}, {64, 3, 4, 2}};
    const MemoryPlan q = plan_memory(bad);
    CHECK(q.in_place == 0);
    CHECK(find_overlap(bad, q) == "");
    CHECK(q.offsets[0] != q.offsets[1]);
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

// ---------------------------------------------------------------- in-place reuse (TESTING.md A3, G9)

namespace {

const Slot& slot_of(const Program& p, NodeId id) {
    const auto s = p.slot_of(id);
    REQUIRE(s != UINT32_MAX);
    return p.data().slots[s];
}

/// The dump line of the instruction computing node `id`.
std::string dump_line(const Program& p, NodeId id) {
    const std::string d = p.dump(), key = " %" + std::to_string(id) + " = ";
    const auto at = d.find(key);
    if (at == std::string::npos) return {};
    const auto from = d.rfind('\n', at) + 1;
    return d.substr(from, d.find('\n', at) - from);
}

/// A program's outputs equal reference::evaluate's (relative 1e-12 for double, 1e-5 for float).
void check_against_reference(const Graph& g, const std::vector<NodeId>& outs, std::uint64_t seed, const CompileOptions& opt = {}) {
    const auto feed = graft_test::make_feed(g, seed);
    reference::Bindings b;
    for (const auto& [name, v] : feed) b.inputs[name] = reference::Value{g.node(g.find(name)).dtype, v.dims, v.v};
    const auto want = reference::evaluate(g, outs, b);
    const auto got = graft_test::run_graph(g, outs, feed, opt);
    for (std::size_t i = 0; i < outs.size(); ++i) {
        INFO("output " << i);
        REQUIRE(got[i].v.size() == want[i].data.size());
        const double tol = want[i].dtype == DType::f32 ? 1e-5 : 1e-12;
        for (std::size_t k = 0; k < want[i].data.size(); ++k)
            CHECK(got[i].v[k] == Approx(want[i].data[k]).epsilon(tol).margin(tol));
    }
}

}  // namespace

TEST_CASE("an elementwise op writes over an input that dies there, and the dump says so", "[exec][memory_plan][in_place]") {
    Graph g;
    auto x = g.input<float, 4, 5>("x");
    auto a = exp(x);     // an op output in the arena
    auto b = tanh(a);    // a's last reader: b takes a's bytes
    auto c = b * 2.0f;   // and c takes them again
    auto loss = sum(c);
    const Program p = compile(g, loss);
    CHECK(p.in_place_count() == 2);
    CHECK(slot_of(p, b.id()).offset == slot_of(p, a.id()).offset);
    CHECK(slot_of(p, c.id()).offset == slot_of(p, a.id()).offset);
    CHECK(p.data().slots[slot_of(p, c.id()).in_place_of].node == b.id());
    const std::size_t off = slot_of(p, a.id()).offset;
    const std::string range = "arena[" + std::to_string(off) + ", " + std::to_string(off + 80) + ")";
    CHECK(dump_line(p, a.id()).find("-> f32[4,5] " + range) != std::string::npos);
    CHECK(dump_line(p, b.id()).find("-> f32[4,5] " + range + " in place of %" + std::to_string(a.id())) != std::string::npos);
    CHECK(dump_line(p, c.id()).find("-> f32[4,5] " + range + " in place of %" + std::to_string(b.id())) != std::string::npos);
    CHECK(p.dump().find("2 in place") != std::string::npos);
    // one buffer serves the chain: the arena holds x, that buffer and the loss
    CHECK(p.arena_bytes() < compile(g, CompileOptions{.in_place = false}, loss).arena_bytes());
    check_plan_on_off(g, {loss.id()}, 11);
    check_against_reference(g, {loss.id()}, 11);
}

TEST_CASE("in place never overwrites a value read later", "[exec][memory_plan][in_place]") {
    Graph g;
    auto x = g.input<double, 3, 4>("x");
    auto a = exp(x);
    auto b = tanh(a);   // a is read again below: b gets its own bytes
    auto c = b + a;     // b dies here (a does not): c takes b's bytes
    auto d = c * a;     // c and a both die here: d takes the first, c
    const Program p = compile(g, d);
    CHECK(slot_of(p, b.id()).in_place_of == UINT32_MAX);
    CHECK(slot_of(p, b.id()).offset != slot_of(p, a.id()).offset);
    CHECK(p.data().slots[slot_of(p, c.id()).in_place_of].node == b.id());
    CHECK(slot_of(p, c.id()).offset != slot_of(p, a.id()).offset);
    CHECK(p.data().slots[slot_of(p, d.id()).in_place_of].node == c.id());
    check_plan_on_off(g, {d.id()}, 12);
    check_against_reference(g, {d.id()}, 12);
}

TEST_CASE("in place never overwrites an output, an input, a param, a constant or storage behind an output alias",
          "[exec][memory_plan][in_place]") {
    Graph g;
    auto x = g.input<float, 4, 5>("x");
    auto w = g.param<float, 4, 5>("w", init::uniform(-1, 1, 3));
    Tensor<float, Shape<4, 5>> half;
    for (auto& v : half) v = 0.5f;
    auto k = g.constant(half);
    auto a = exp(x);
    auto b = tanh(a);
    SECTION("a requested output stays intact") {
        const Program p = compile(g, a, b);
        CHECK(p.in_place_count() == 0);
        CHECK(slot_of(p, b.id()).offset != slot_of(p, a.id()).offset);
        check_plan_on_off(g, {a.id(), b.id()}, 13);
    }
    SECTION("a reshape of it that is an output keeps it too") {
        auto r = reshape<20>(a);
        const Program p = compile(g, r, b);
        CHECK(p.in_place_count() == 0);
        check_plan_on_off(g, {r.id(), b.id()}, 14);
    }
    SECTION("leaves are never written") {
        auto y = tanh(x) + sigmoid(w) * k;  // x, w and k die here, but none is an op output
        const Program p = compile(g, y);
        for (const Slot& s : p.data().slots)
            if (s.in_place_of != UINT32_MAX) {
                const Slot& taken = p.data().slots[s.in_place_of];
                CHECK_FALSE(taken.is_input);
                CHECK(taken.home == Home::arena);
            }
        check_plan_on_off(g, {y.id()}, 15);
        check_against_reference(g, {y.id()}, 15);
    }
}

TEST_CASE("in place never takes a broadcast operand, even one whose aligned size matches", "[exec][memory_plan][in_place]") {
    Graph g;
    auto x = g.input<float, 4, 1>("x");
    auto y = g.input<float, 4, 4>("y");
    auto m = g.input<float, 1, 4>("m");
    auto a = exp(x);   // f32[4,1]: 16 bytes, 64 once aligned, like the f32[4,4] results below
    auto s = sigmoid(m);
    auto p1 = a * y;   // a dies here, but it is broadcast along axis 1: not in place
    auto p2 = y - exp(x * 2.0f);
    auto p3 = where(greater(s, g.constant(Tensor<float, Shape<>>(0.6f))), y, exp(x * 3.0f));  // mask [1,4] and b [4,1] broadcast
    auto out = p1 + p2 + p3;
    const Program p = compile(g, out);
    for (NodeId id : {p1.id(), p2.id(), p3.id()}) {
        INFO(dump_line(p, id));
        CHECK(slot_of(p, id).in_place_of == UINT32_MAX);
    }
    CHECK(slot_of(p, p1.id()).offset != slot_of(p, a.id()).offset);
    CHECK(p.in_place_count() > 0);  // the sums do go in place: their operands have the output's dims
    check_plan_on_off(g, {out.id()}, 16);
    check_against_reference(g, {out.id()}, 16);
}

TEST_CASE("every elementwise kernel reads element i before writing it: in place equals out of place, bitwise",
          "[exec][memory_plan][in_place]") {
    // one input the output may overwrite (an op output `a`), the other operands bound inputs with the
    // output's dims or broadcasting ones; odd sizes exercise the vector loops' remainders
    const std::vector<Dims> shapes = {{1}, {7}, {3, 67}, {16, 64}};
    std::size_t programs = 0;
    for (DType dt : {DType::f32, DType::f64}) {
        for (const Dims& d : shapes) {
            Graph g;
            const NodeId x = g.input("x", dt, d);
            Dims row = d;
            row.front() = 1;
            const NodeId y_full = g.input("y", dt, d);
            const NodeId y_row = g.input("r", dt, row);
            const NodeId y_one = g.input("s", dt, {});
            std::vector<NodeId> outs;
            auto arena_value = [&] { return ir::add_scalar(g, ir::unary(g, OpKind::square, x), 0.5); };  // positive
            for (OpKind op : {OpKind::neg, OpKind::exp, OpKind::log, OpKind::log1p, OpKind::expm1, OpKind::tanh, OpKind::sigmoid,
                              OpKind::softplus, OpKind::relu, OpKind::sqrt, OpKind::square, OpKind::abs})
                outs.push_back(ir::unary(g, op, arena_value()));
            for (OpKind op : {OpKind::add_scalar, OpKind::mul_scalar, OpKind::div_scalar, OpKind::rsub_scalar, OpKind::rdiv_scalar})
                outs.push_back(ir::with_scalar(g, op, arena_value(), 1.75));
            for (double e : {2.0, 1.0, 0.5, 3.0}) outs.push_back(ir::pow_scalar(g, arena_value(), e));
            Attrs cl;
            cl.scalar = 0.6;
            cl.scalar2 = 0.9;
            outs.push_back(g.add(OpKind::clamp, {arena_value()}, cl));
            for (OpKind op : {OpKind::add, OpKind::sub, OpKind::mul, OpKind::div, OpKind::maximum, OpKind::minimum, OpKind::greater,
                              OpKind::less, OpKind::equal})
                for (NodeId other : {y_full, y_row, y_one}) {
                    outs.push_back(ir::binary(g, op, arena_value(), other));
                    outs.push_back(ir::binary(g, op, other, arena_value()));
                }
            const NodeId mask = ir::binary(g, OpKind::greater, y_full, y_row);
            outs.push_back(ir::where(g, ir::binary(g, OpKind::greater, arena_value(), y_row), y_full, y_row));
            outs.push_back(ir::where(g, mask, arena_value(), y_row));
            outs.push_back(ir::where(g, y_row, y_one, arena_value()));
            outs.push_back(ir::where(g, mask, arena_value(), arena_value()));
            // every op above is read once, by a sum, so its result is not an output itself
            NodeId total = no_node;
            for (NodeId o : outs) {
                const NodeId s = ir::sum_all(g, o);
                total = total == no_node ? s : ir::add(g, total, s);
            }
            std::vector<NodeId> results;
            for (NodeId o : outs) results.push_back(ir::sum_all(g, ir::mul_scalar(g, o, 1.0)));
            results.push_back(total);
            const Program p = compile(g, results);
            INFO(dtype_name(dt) << shape_string(d));
            CHECK(p.in_place_count() >= outs.size());  // each op wrote over its arena_value(), and each mul_scalar too
            check_plan_on_off(g, results, 17 + programs++);
        }
    }
}

TEST_CASE("a fused node writes over an input that dies there, even when its program reuses the result register",
          "[exec][memory_plan][in_place]") {
    // r2 = exp(r0); r3 = r2 * r0; r2 = r3 + r0 + broadcast r1: the result register is written before the last
    // reads of r0, so a kernel that stored every step of the result register into the output would
    // overwrite r0 too early; the kernel stores only the last step, block by block
    for (DType dt : {DType::f32, DType::f64})
        for (const Dims& d : {Dims{5}, Dims{3, 300}, Dims{2, 4, 129}}) {
            Graph g;
            const NodeId x = g.input("x", dt, d);
            Dims row = d;
            row.front() = 1;
            const NodeId y = g.input("y", dt, row);
            const NodeId a = ir::mul_scalar(g, x, 0.75);  // an op output of the fused node's dims: it may be taken
            FusedProgram prog;
            prog.dtype = dt;
            prog.dims = d;
            prog.inputs = 2;
            prog.registers = 4;
            prog.steps = {{OpKind::exp, 2, 0, 0, 0}, {OpKind::mul, 3, 2, 0, 0}, {OpKind::add, 3, 3, 0, 0}, {OpKind::add, 2, 3, 1, 0}};
            const NodeId f = g.add(OpKind::fused, {a, y}, prog.encode());
            const NodeId out = ir::sum_all(g, f);
            const Program p = compile(g, std::vector<NodeId>{out});
            INFO(p.dump());
            REQUIRE(slot_of(p, f).in_place_of != UINT32_MAX);
            CHECK(p.data().slots[slot_of(p, f).in_place_of].node == a);
            check_plan_on_off(g, {out}, 31);
            check_against_reference(g, {out}, 31);
        }
}

TEST_CASE("in place on random graphs with their gradients: planning on equals planning off bitwise and the reference",
          "[exec][memory_plan][in_place][random]") {
    const std::uint64_t seed = graft_test::seed_from_env(4242);
    const std::size_t graphs = 150 * graft_test::repeat_from_env();
    std::size_t in_place = 0, with_in_place = 0, compared = 0;
    for (std::size_t i = 0; i < graphs; ++i) {
        graft_test::RandomGraphOptions opt;
        opt.dtype = i % 3 == 2 ? DType::f32 : DType::f64;
        opt.empty_axis = i % 17 == 5;
        // every other graph through passes::standard(): fused nodes and GEMM epilogues go through the plan too
        const bool optimized = i % 2 == 1;
        opt.patterns = optimized;
        CompileOptions base;
        if (optimized) base.pipeline = passes::standard();
        Graph g;
        const auto rg = graft_test::random_graph(g, seed * 1000003 + i, opt);
        const std::vector<NodeId> grads = grad(g, rg.loss, rg.wrt);
        std::vector<NodeId> outs = rg.outputs;
        outs.push_back(rg.loss);
        outs.insert(outs.end(), grads.begin(), grads.end());
        INFO("graph " << i << " (GRAFT_SEED=" << seed << ")" << (optimized ? ", passes::standard()" : ""));
        const Program p = compile(g, outs, base);
        CHECK(find_slot_overlap(p) == "");
        in_place += p.in_place_count();
        with_in_place += p.in_place_count() > 0;
        const auto want = reference::evaluate(g, outs, rg.bindings);
        auto run = [&](bool plan) {
            CompileOptions o = base;
            o.plan_memory = plan;
            Machine m(compile(g, outs, o));
            std::vector<std::vector<unsigned char>> keep;
            for (const auto& [name, v] : rg.bindings.inputs) {
                const NodeId id = g.find(name);
                if (m.program().slot_of(id) == UINT32_MAX) continue;
                keep.push_back(reference::to_bytes(v));
                m.let(name, v.dtype, v.dims, keep.back().data());
            }
            m.run();
            std::vector<reference::Value> r;
            for (NodeId o : outs) {
                const ValueRef v = m.value(o);
                r.push_back(reference::from_bytes(v.dtype, *v.dims, v.data));
            }
            return r;
        };
        const auto planned = run(true);
        const auto unplanned = run(false);
        ++compared;
        for (std::size_t o = 0; o < outs.size(); ++o) {
            INFO("output " << o);
            CHECK(planned[o].data.size() == unplanned[o].data.size());
            CHECK((planned[o].data.empty() ||
                   std::memcmp(planned[o].data.data(), unplanned[o].data.data(), planned[o].data.size() * sizeof(double)) == 0));
            const double tol = opt.dtype == DType::f32 ? 1e-4 : optimized ? 1e-7 : 1e-9;
            for (std::size_t k = 0; k < want[o].data.size(); ++k) {
                const double a = planned[o].data[k], b = want[o].data[k];
                if ((std::isnan(a) && std::isnan(b)) || (std::isinf(b) && a == b)) continue;
                if (!std::isfinite(b) || std::fabs(b) > 1e6) continue;  // overflowed chains: compared bitwise above only
                CHECK(std::fabs(a - b) <= tol * std::max(1.0, std::fabs(b)));
            }
        }
    }
    std::cout << "in place: " << in_place << " instructions over " << with_in_place << "/" << compared
              << " random graphs (half of them through passes::standard())\n";
    CHECK(with_in_place * 2 > compared);  // it fires on most graphs, or this test proves little
}

TEST_CASE("the MLP training step writes in place and needs a smaller arena", "[exec][memory_plan][in_place]") {
    Graph g;
    auto x = g.input<float, 64, 784>("x");
    auto labels = g.input<std::int32_t, 64>("labels");
    auto W1 = g.param<float, 784, 256>("W1", init::he_normal(1));
    auto b1 = g.param<float, 256>("b1", init::zeros());
    auto W2 = g.param<float, 256, 128>("W2", init::he_normal(2));
    auto b2 = g.param<float, 128>("b2", init::zeros());
    auto W3 = g.param<float, 128, 10>("W3", init::he_normal(3));
    auto b3 = g.param<float, 10>("b3", init::zeros());
    auto h1 = relu(matmul(x, W1) + b1);
    auto h2 = relu(matmul(h1, W2) + b2);
    auto logits = matmul(h2, W3) + b3;
    auto loss = -mean(sum<1>(one_hot<10>(labels) * log_softmax(logits)));
    auto [g1, gb1, g2, gb2, g3, gb3] = grad(loss, W1, b1, W2, b2, W3, b3);
    const Program with = compile(g, loss, g1, gb1, g2, gb2, g3, gb3);
    const Program without = compile(g, CompileOptions{.in_place = false}, loss, g1, gb1, g2, gb2, g3, gb3);
    CHECK(with.in_place_count() > 0);
    CHECK(with.arena_bytes() < without.arena_bytes());
    CHECK(find_slot_overlap(with) == "");
}
