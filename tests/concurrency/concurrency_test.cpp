// SPDX-License-Identifier: MIT
// tests/concurrency/concurrency_test.cpp: graft's threading promises, proved by doing the same work on
// several std::threads at once and one job after another, and comparing the results bit for bit.
//   - one Program, shared read-only, trains in 8 Machines on 8 threads (each Machine with its own
//     ParamStore and its own data): every loss and every final parameter equals a serial run's;
//   - the same with GEMMs big enough that OpenBLAS splits each one over its own thread pool;
//   - 8 inference Machines sharing one Program and one ParamStore (read-only) on different inputs;
//   - Graphs built and compiled on several threads at once (incl. Backend::tuned, whose measured choices
//     live in one process-wide cache) give the same Programs, listings and results as serial compiles.
// Catch2's assertions are not thread-safe: the threads only compute; every check runs on the test thread.
// The room also runs under ThreadSanitizer (tools/test.sh, build-tsan), which checks the shared reads.
#include <catch2/catch.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <graft/nn.hpp>
#include <graft/passes.hpp>

#include "support/reference.hpp"

using namespace graft;

namespace {

constexpr int workers = 8;

/// Runs job(i) for i in [0, n): one after another on this thread, or each on its own std::thread, all
/// released together by a latch so that they really overlap. An exception in a job is rethrown here.
template <class R, class F>
std::vector<R> run_jobs(int n, bool concurrent, const F& job) {
    std::vector<R> out(static_cast<std::size_t>(n));
    if (!concurrent) {
        for (int i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = job(i);
        return out;
    }
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
    std::latch start(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
            const auto k = static_cast<std::size_t>(i);
            start.arrive_and_wait();
            try {
                out[k] = job(i);
            } catch (...) {
                errors[k] = std::current_exception();
            }
        });
    for (auto& t : threads) t.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    return out;
}

/// What one machine produced: a value per run (bit patterns, so -0 vs 0 and NaN payloads count) and the
/// bytes of every parameter in its store at the end.
struct Trace {
    std::vector<std::uint32_t> values;
    std::vector<std::vector<unsigned char>> params;
    bool operator==(const Trace&) const = default;
};

void append_bits(std::vector<std::uint32_t>& to, const float* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) to.push_back(std::bit_cast<std::uint32_t>(p[i]));
}

std::vector<std::vector<unsigned char>> param_bytes(const ParamStore& store) {
    std::vector<std::vector<unsigned char>> out;
    for (const auto* e : store.entries()) out.emplace_back(e->data.data(), e->data.data() + e->data.size());
    return out;
}

/// Batch -> In -> Hidden (relu) -> Classes MLP with softmax cross-entropy, and its training step (loss
/// and every parameter gradient) compiled once with the standard passes.
template <std::size_t Batch, std::size_t In, std::size_t Hidden, std::size_t Classes>
struct Mlp {
    static constexpr std::size_t batch = Batch, in = In, classes = Classes;
    Graph g;
    Var<float, Shape<Batch, In>> x = g.input<float, Batch, In>("x");
    Var<std::int32_t, Shape<Batch>> y = g.input<std::int32_t, Batch>("y");
    nn::Linear<In, Hidden> fc1{g, "fc1", 1};
    nn::Linear<Hidden, Classes> fc2{g, "fc2", 2};
    Var<float, Shape<Batch, Classes>> logits = nn::chain(x, fc1, nn::ReLU{}, fc2);
    Var<float, Shape<>> loss = nn::cross_entropy(logits, y);
    nn::ParamGrads grads = nn::param_grads(loss, fc1, fc2);
    Program step = compile(g, grads.outputs(loss), CompileOptions{.pipeline = passes::standard()});
};

/// `count` batches of machine `who`'s own data: seeds depend on `who`, so every machine sees other data.
template <class Net>
struct Batches {
    std::vector<Tensor<float, Shape<Net::batch, Net::in>>> xs;
    std::vector<Tensor<std::int32_t, Shape<Net::batch>>> ys;
    Batches(int who, std::size_t count) : xs(count), ys(count) {
        for (std::size_t b = 0; b < count; ++b) {
            const std::uint64_t seed = 1000 * static_cast<std::uint64_t>(who + 1) + b;
            graft_test::randomize(xs[b], seed, -1.0, 1.0);
            graft_test::randomize(ys[b], seed + 500, 0, double(Net::classes - 1));
        }
    }
};

/// Machine `who`: a fresh Machine (and so a fresh ParamStore, initialised from the layers' seeds) over the
/// shared Program, `steps` Adam steps over its own 4 batches; the loss of every step and the final params.
template <class Net>
Trace train(const Net& net, int who, int steps) {
    Machine m(net.step);
    nn::Adam opt(m, net.grads, {.lr = 3e-3});
    const Batches<Net> data(who, 4);
    Trace t;
    t.values.reserve(static_cast<std::size_t>(steps));
    for (int s = 0; s < steps; ++s) {
        const std::size_t b = static_cast<std::size_t>(s) % data.xs.size();
        m.let(net.x, data.xs[b]);
        m.let(net.y, data.ys[b]);
        m.run();
        const float loss = m.value(net.loss).item();
        append_bits(t.values, &loss, 1);
        opt.step();
    }
    t.params = param_bytes(m.params());
    return t;
}

float loss_at(const Trace& t, std::size_t i) { return std::bit_cast<float>(t.values[i]); }

/// The checks every training comparison makes: threads equal serial, bit for bit, machine by machine;
/// and the comparison is not vacuous (the machines trained, on different data).
void check_same_training(const std::vector<Trace>& serial, const std::vector<Trace>& threaded) {
    REQUIRE(serial.size() == threaded.size());
    for (std::size_t i = 0; i < serial.size(); ++i) {
        INFO("machine " << i);
        REQUIRE(threaded[i].values.size() == serial[i].values.size());
        std::size_t first_diff = serial[i].values.size();
        for (std::size_t s = 0; s < serial[i].values.size() && first_diff == serial[i].values.size(); ++s)
            if (threaded[i].values[s] != serial[i].values[s]) first_diff = s;
        INFO("first step whose loss differs: " << first_diff);
        CHECK(threaded[i].values == serial[i].values);
        CHECK(threaded[i].params == serial[i].params);
        const std::size_t n = serial[i].values.size();
        CHECK(loss_at(serial[i], n - 1) < loss_at(serial[i], 0));  // it trained
    }
    CHECK(serial[0].values != serial[1].values);  // each machine had its own data
    CHECK(serial[0].params != serial[1].params);
}

/// OpenBLAS's pool raised to 2 threads if it is smaller (OPENBLAS_NUM_THREADS=1 in the environment, or a
/// 1-core machine) for the guard's lifetime, then restored. graft has no setter; OpenBLAS's own is used.
struct BlasPool {
#if !defined(GRAFT_NO_BLAS) && defined(OPENBLAS_VERSION)
    static constexpr bool openblas = true;
    int before = blas::threads();
    BlasPool() {
        if (before < 2) openblas_set_num_threads(2);
    }
    ~BlasPool() {
        if (before < 2) openblas_set_num_threads(before);
    }
#else
    static constexpr bool openblas = false;
#endif
    BlasPool(const BlasPool&) = delete;
    BlasPool& operator=(const BlasPool&) = delete;
};

/// One of the graphs test 4 builds and compiles on a thread: an MLP of hidden width H, compiled with the
/// standard passes and tuned GEMMs, or with no passes and the default backend; then run once.
struct Compiled {
    std::string listing;   // Program::dump(): the tape, arena offsets, GEMM backends (with tuned timings)
    std::string graph;     // the graph after the passes
    std::vector<std::uint32_t> outputs;  // loss and every gradient of one run
};

template <std::size_t H>
Compiled build_compile_run(bool tuned, std::uint64_t seed) {
    Graph g;
    auto x = g.input<float, 16, 24>("x");
    auto y = g.input<std::int32_t, 16>("y");
    nn::Linear<24, H> fc1{g, "fc1", seed};
    nn::Linear<H, 5> fc2{g, "fc2", seed + 1};
    auto loss = nn::cross_entropy(nn::chain(x, fc1, nn::Tanh{}, fc2), y);
    const nn::ParamGrads grads = nn::param_grads(loss, fc1, fc2);
    CompileOptions o;
    if (tuned) {
        o.pipeline = passes::standard();
        o.gemm_backend = blas::Backend::tuned;
    }
    const Program p = compile(g, grads.outputs(loss), o);
    Machine m(p);
    Tensor<float, Shape<16, 24>> xs;
    Tensor<std::int32_t, Shape<16>> ys;
    graft_test::randomize(xs, seed + 7);
    graft_test::randomize(ys, seed + 8, 0, 4);
    m.let(x, xs);
    m.let(y, ys);
    m.run();
    Compiled c{p.dump(), p.graph_text(), {}};
    for (NodeId id : grads.outputs(loss)) {
        const ValueRef v = m.value(id);
        std::size_t n = 1;
        for (auto d : *v.dims) n *= d;
        append_bits(c.outputs, static_cast<const float*>(v.data), n);
    }
    return c;
}

/// Job i of test 4: four widths, each with and without passes + tuning; the seed differs per job too.
Compiled compile_job(int i) {
    const bool tuned = i % 2 == 0;
    const auto seed = static_cast<std::uint64_t>(10 + i);
    switch (i / 2 % 4) {
        case 0: return build_compile_run<8>(tuned, seed);
        case 1: return build_compile_run<17>(tuned, seed);
        case 2: return build_compile_run<32>(tuned, seed);
        default: return build_compile_run<48>(tuned, seed);
    }
}

}  // namespace

TEST_CASE("one Program trains in 8 Machines on 8 threads exactly as in 8 serial runs", "[concurrency]") {
    // 32 -> 64 -> 10, batch 16: OpenBLAS runs these small GEMMs on the calling thread
    const Mlp<16, 32, 64, 10> net;
    constexpr int steps = 1000;
    const auto job = [&](int who) { return train(net, who, steps); };
    const auto serial = run_jobs<Trace>(workers, false, job);
    const auto threaded = run_jobs<Trace>(workers, true, job);
    check_same_training(serial, threaded);
}

TEST_CASE("8 training threads stay bitwise equal to serial while OpenBLAS splits every GEMM over its own threads", "[concurrency]") {
    // 128 x 256 -> 256 -> 16: every GEMM of the step (forward 128x256x256 and 128x16x256, backward
    // 256x16x128, 128x256x16 and 256x256x128) has m*n*k > 4 * 65536, above which OpenBLAS (0.3.x,
    // interface/gemm.c) uses its whole thread pool instead of the calling thread alone. Threaded GEMMs from
    // 8 callers take turns on that one pool (OpenBLAS 0.3.21, pthreads build): slow, but the same split.
    const BlasPool pool;  // at least 2 OpenBLAS threads while this case runs
    INFO("OpenBLAS threads: " << blas::threads());
    if (!pool.openblas) WARN("graft was not built against OpenBLAS: this case runs without BLAS threads");
    const Mlp<128, 256, 256, 16> net;
    constexpr int steps = 25;
    const auto job = [&](int who) { return train(net, who, steps); };
    const auto serial = run_jobs<Trace>(workers, false, job);
    const auto threaded = run_jobs<Trace>(workers, true, job);
    if (pool.openblas) CHECK(blas::threads() >= 2);  // otherwise this case would only repeat the first
    check_same_training(serial, threaded);
}

TEST_CASE("8 inference threads sharing one Program and one ParamStore give the serial results", "[concurrency]") {
    const Mlp<16, 32, 64, 10> net;
    const Program infer = compile(net.g, net.logits);
    // trained params, so the shared store holds more than its seeded initial values
    auto store = std::make_shared<ParamStore>();
    {
        Machine trainer(net.step, store);
        nn::SGD opt(trainer, net.grads, {.lr = 0.05, .momentum = 0.9});
        const Batches<decltype(net)> data(99, 4);
        for (int s = 0; s < 40; ++s) {
            trainer.let(net.x, data.xs[std::size_t(s) % 4]);
            trainer.let(net.y, data.ys[std::size_t(s) % 4]);
            trainer.run();
            opt.step();
        }
    }
    const auto before = param_bytes(*store);
    constexpr int runs = 200;
    // each thread makes its Machine over the shared store (the params exist: the store is only read)
    const auto job = [&](int who) {
        Machine m(infer, store);
        const Batches<decltype(net)> data(who, 8);
        Trace t;
        for (int r = 0; r < runs; ++r) {
            m.let(net.x, data.xs[std::size_t(r) % 8]);
            m.run();
            append_bits(t.values, m.value(net.logits).data(), decltype(net)::batch * decltype(net)::classes);
        }
        return t;
    };
    const auto serial = run_jobs<Trace>(workers, false, job);
    const auto threaded = run_jobs<Trace>(workers, true, job);
    for (std::size_t i = 0; i < serial.size(); ++i) {
        INFO("machine " << i);
        CHECK(threaded[i].values.size() == std::size_t(runs) * 160);
        CHECK(threaded[i].values == serial[i].values);
    }
    CHECK(serial[0].values != serial[1].values);
    CHECK(param_bytes(*store) == before);  // nobody wrote the shared params
    CHECK(store->size() == 4);
}

TEST_CASE("Graphs built and compiled on several threads at once give the serial Programs and results", "[concurrency]") {
    // Backend::tuned measures each GEMM shape once per process and caches the choice behind a mutex: start
    // from an empty cache so the threads race to measure, then compile serially (the serial compiles read
    // the threads' choices, so the listings, which show each choice and its timings, must match exactly).
    blas::clear_tuning();
    const auto threaded = run_jobs<Compiled>(workers, true, compile_job);
    const std::size_t tuned_after_threads = blas::tuned_count();
    const auto serial = run_jobs<Compiled>(workers, false, compile_job);
    CHECK(tuned_after_threads > 0);
    CHECK(blas::tuned_count() == tuned_after_threads);  // every shape was measured once, by the threads
    for (std::size_t i = 0; i < serial.size(); ++i) {
        INFO("job " << i << "\n" << serial[i].listing);
        CHECK(threaded[i].listing == serial[i].listing);
        CHECK(threaded[i].graph == serial[i].graph);
        CHECK(threaded[i].outputs == serial[i].outputs);
    }
    CHECK(serial[0].listing.find("tuned: cblas") != std::string::npos);  // the tuner did measure
    CHECK(serial[0].outputs != serial[2].outputs);

    // one Graph compiled by 8 threads at once: compile() only reads it
    const Mlp<16, 32, 64, 10> net;
    const auto same = [&](int) {
        const Program p = compile(net.g, net.grads.outputs(net.loss),
                                  CompileOptions{.pipeline = passes::standard(), .gemm_backend = blas::Backend::tuned});
        return p.dump();
    };
    const auto listings = run_jobs<std::string>(workers, true, same);
    const std::string expected = same(0);
    for (const auto& l : listings) CHECK(l == expected);
}
