// SPDX-License-Identifier: MIT
// tests/nn/checkpoint_test.cpp: nn::save_checkpoint / nn::load_checkpoint. Resuming from a checkpoint gives
// the same next steps as the run that was never interrupted — losses and parameters bit for bit — with every
// optimizer that keeps state; a checkpoint that does not fit the model or the optimizer, or a truncated
// file, is a graft::Error naming what is wrong, and leaves the model and the optimizer as they were.
#include <catch2/catch.hpp>
#include <graft/nn.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include "support/reference.hpp"
#include "support/text.hpp"
#include "support/scratch_dir.hpp"
#include "support/files.hpp"

using namespace graft;
using graft_test::error_of;
using Catch::Contains;
using graft_test::cat;
namespace fs = std::filesystem;
using Bytes = std::vector<unsigned char>;
using Snapshot = std::map<std::string, Bytes>;

namespace {

constexpr std::size_t kIn = 8, kClasses = 3, kSamples = 40, kBatch = 8;  // 5 batches per epoch
using X = Tensor<float, Shape<kSamples, kIn>>;
using Y = Tensor<std::int32_t, Shape<kSamples>>;
using CkptLoader = nn::DataLoader<kBatch, X, Y>;

Bytes slurp_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void spit_bytes(const std::string& path, const Bytes& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

/// An MLP In-Hidden-3 with cross-entropy over batches of 8, ready to train (fc1 without bias if !Bias).
template <std::size_t Hidden = 16, bool Bias = true, class T = float>
struct Mlp {
    explicit Mlp(std::uint64_t seed) : fc1(g, "fc1", seed, {.bias = Bias}), fc2(g, "fc2", seed + 1) {}
    Mlp(const Mlp&) = delete;
    Mlp& operator=(const Mlp&) = delete;

    Graph g;
    Var<T, Shape<kBatch, kIn>> x = g.input<T, kBatch, kIn>("x");
    Var<std::int32_t, Shape<kBatch>> y = g.input<std::int32_t, kBatch>("y");
    nn::Linear<kIn, Hidden, T> fc1;
    nn::Linear<Hidden, kClasses, T> fc2;
    Var<T, Shape<>> loss = nn::cross_entropy(nn::chain(x, fc1, nn::ReLU{}, fc2), y);
    nn::ParamGrads grads = nn::param_grads(loss, fc1, fc2);
    Machine m{compile(g, grads.outputs(loss))};
};

/// Synthetic, seeded data: 40 samples of 8 features, labels in [0, 3).
struct Data {
    X x;
    Y y;
    Data() {
        graft_test::randomize(x, 11, -1.0, 1.0);
        graft_test::randomize(y, 12, 0, 2);
    }
};
const Data& data() {
    static const Data d;
    return d;
}

/// The bytes of every parameter, by name.
Snapshot params_of(ParamStore& ps) {
    Snapshot s;
    for (const auto* e : ps.entries()) s[e->name] = Bytes(e->data.data(), e->data.data() + e->data.size());
    return s;
}
/// The bytes of every optimizer state buffer, by "<param>/<k>".
Snapshot state_of(const nn::Optimizer& opt) {
    Snapshot s;
    for (const auto& b : opt.bound())
        for (std::size_t k = 0; k < b.state.size(); ++k)
            s[cat(b.name, "/", std::to_string(k))] = Bytes(b.state[k].data(), b.state[k].data() + b.state[k].size());
    return s;
}

/// One training step on the loader's next batch (starting the next epoch when this one is over).
/// Returns the loss of the forward pass, computed from the parameters before the update.
template <class Net>
float train_step(Net& net, nn::Optimizer& opt, CkptLoader& loader) {
    static CkptLoader::batch_t<X> xb;
    static CkptLoader::batch_t<Y> yb;
    if (!loader.next(xb, yb)) {
        loader.start_epoch(loader.epoch() + 1);
        REQUIRE(loader.next(xb, yb));
    }
    net.m.let(net.x, xb);
    net.m.let(net.y, yb);
    net.m.run();
    const float loss = net.m.value(net.loss).item();
    opt.step();
    return loss;
}

constexpr int kBefore = 7;  // steps before the checkpoint: epoch 1, batch 2 (crosses an epoch boundary)
constexpr int kAfter = 4;   // steps compared after it: the rest of epoch 1 and the first batch of epoch 2

/// Trains kBefore steps, saves a checkpoint, trains kAfter more; then a fresh model (initialised from
/// another seed), optimizer and loader resume from the checkpoint and must take the same kAfter steps.
template <class Opt, class Options>
void check_resume(Options o, const std::function<void(nn::Optimizer&)>& configure = {}) {
    graft_test::ScratchDir dir("checkpoint_test");
    const std::string path = dir.file("ckpt.safetensors");

    Mlp<> a(1);
    Opt opt_a(a.m, a.grads, o);
    if (configure) configure(opt_a);
    CkptLoader loader_a(data().x, data().y, {.shuffle = true, .seed = 5});
    float first_loss = 0;
    for (int s = 0; s < kBefore; ++s) {
        const float l = train_step(a, opt_a, loader_a);
        if (s == 0) first_loss = l;
    }
    const Snapshot params_at_save = params_of(a.m.params());
    const Snapshot state_at_save = state_of(opt_a);
    nn::save_checkpoint(path, a.m.params(), &opt_a,
                        {{"epoch", std::to_string(loader_a.epoch())}, {"batch", std::to_string(loader_a.batch_index())}});
    std::vector<std::uint32_t> losses;
    std::vector<Snapshot> params;
    for (int s = 0; s < kAfter; ++s) {
        losses.push_back(std::bit_cast<std::uint32_t>(train_step(a, opt_a, loader_a)));
        params.push_back(params_of(a.m.params()));
    }
    CHECK(std::bit_cast<float>(losses.back()) < first_loss);  // it trains: the comparison is not of a no-op

    Mlp<> b(1000);  // other initial values, so a load that copied nothing cannot pass
    Opt opt_b(b.m, b.grads, o);
    if (configure) configure(opt_b);
    REQUIRE(params_of(b.m.params()) != params_at_save);
    const auto meta = nn::load_checkpoint(path, b.m.params(), &opt_b);
    CHECK(params_of(b.m.params()) == params_at_save);
    CHECK(state_of(opt_b) == state_at_save);
    CHECK(opt_b.steps() == std::size_t(kBefore));
    CkptLoader loader_b(data().x, data().y, {.shuffle = true, .seed = 5});
    loader_b.seek(std::stoul(meta.at("epoch")), std::stoul(meta.at("batch")));
    for (int s = 0; s < kAfter; ++s) {
        INFO("step " << kBefore + s + 1 << " after resuming");
        CHECK(std::bit_cast<std::uint32_t>(train_step(b, opt_b, loader_b)) == losses[std::size_t(s)]);
        CHECK(params_of(b.m.params()) == params[std::size_t(s)]);
    }
}

/// Saves a checkpoint of an Mlp<16> trained 3 steps with Adam, with optimizer state; returns its path.
std::string adam_checkpoint(const graft_test::ScratchDir& dir, const std::string& name = "adam.safetensors") {
    Mlp<> net(1);
    nn::Adam opt(net.m, net.grads, {.lr = 1e-2});
    CkptLoader loader(data().x, data().y, {.seed = 5});
    for (int s = 0; s < 3; ++s) train_step(net, opt, loader);
    const std::string path = dir.file(name);
    nn::save_checkpoint(path, net.m.params(), &opt, {{"epoch", "0"}});
    return path;
}

}  // namespace

// Bit-identical, not "close": the resumed run executes the same compiled program on the same inputs with
// the same parameter bytes, optimizer moments and step count, in the same process (same BLAS and thread
// count), so every floating-point operation repeats exactly. Any difference means some state was lost.
TEST_CASE("resuming from a checkpoint reproduces the uninterrupted run's next losses and parameters bit for bit", "[nn][checkpoint]") {
    SECTION("Adam, with a cosine schedule driven by the restored step count") {
        check_resume<nn::Adam>(nn::AdamOptions{.lr = 1e-2}, [](nn::Optimizer& o) { o.schedule = nn::CosineAnnealingLR{1e-2, 20, 1e-3}; });
    }
    SECTION("AdamW") { check_resume<nn::AdamW>(nn::AdamOptions{.lr = 1e-2, .weight_decay = 1e-2}); }
    SECTION("SGD with momentum (its first step differs, so the step count matters)") {
        check_resume<nn::SGD>(nn::SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.1});
    }
    SECTION("SGD with Nesterov momentum") { check_resume<nn::SGD>(nn::SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true}); }
    SECTION("RMSprop, centered with momentum (all three state buffers)") {
        check_resume<nn::RMSprop>(nn::RMSpropOptions{.lr = 1e-2, .momentum = 0.5, .centered = true});
    }
    SECTION("Adagrad with lr_decay (depends on the step count)") {
        check_resume<nn::Adagrad>(nn::AdagradOptions{.lr = 0.05, .lr_decay = 0.1, .initial_accumulator_value = 0.1});
    }
    SECTION("plain SGD (no state buffers)") { check_resume<nn::SGD>(nn::SGDOptions{.lr = 0.1}); }
}

TEST_CASE("a checkpoint's metadata round-trips, with the optimizer's name and step count added", "[nn][checkpoint]") {
    graft_test::ScratchDir dir("checkpoint_test");
    Mlp<> net(1);
    nn::RMSprop opt(net.m, net.grads);
    CkptLoader loader(data().x, data().y);
    for (int s = 0; s < 3; ++s) train_step(net, opt, loader);
    const std::map<std::string, std::string> mine = {
        {"epoch", "12"}, {"model", "mlp-8-16-3"}, {"note", "caf\xc3\xa9, \"quoted\", back\\slash\nnew line"}, {"empty", ""}};
    nn::save_checkpoint(dir.file("a.safetensors"), net.m.params(), &opt, mine);
    nn::save_checkpoint(dir.file("b.safetensors"), net.m.params(), nullptr, mine);

    std::map<std::string, std::string> expected = mine;
    expected["optimizer"] = "RMSprop";
    expected["optimizer.steps"] = "3";
    CHECK(nn::load_checkpoint(dir.file("a.safetensors"), net.m.params(), &opt) == expected);
    CHECK(opt.steps() == 3);
    CHECK(nn::load_checkpoint(dir.file("b.safetensors"), net.m.params()) == mine);
}

TEST_CASE("without an optimizer, load_checkpoint restores the parameters and ignores the optimizer's state", "[nn][checkpoint]") {
    graft_test::ScratchDir dir("checkpoint_test");
    const std::string path = adam_checkpoint(dir);
    const auto saved = io::load_safetensors(path);
    Mlp<> net(77);
    const auto meta = nn::load_checkpoint(path, net.m.params());
    CHECK(meta.at("optimizer") == "Adam");
    for (const auto* e : net.m.params().entries()) {
        INFO(e->name);
        CHECK(Bytes(e->data.data(), e->data.data() + e->data.size()) == saved.at(e->name).data);
    }
}

TEST_CASE("a checkpoint that does not fit the model is an error naming the tensor, and changes nothing", "[nn][checkpoint][errors]") {
    graft_test::ScratchDir dir("checkpoint_test");
    const std::string path = adam_checkpoint(dir);

    SECTION("a parameter of another shape") {
        Mlp<17> net(3);
        const Snapshot before = params_of(net.m.params());
        const std::string e = error_of([&] { nn::load_checkpoint(path, net.m.params()); });
        CHECK_THAT(e, Contains("load_checkpoint: " + path) && Contains("tensor \"fc1.weight\"") &&
                          Contains("expected f32 Shape<8,17>, found f32 Shape<8,16>"));
        CHECK(params_of(net.m.params()) == before);
    }
    SECTION("a parameter of another dtype") {
        Mlp<16, true, double> net(3);
        const Snapshot before = params_of(net.m.params());
        CHECK_THAT(error_of([&] { nn::load_checkpoint(path, net.m.params()); }),
                   Contains("tensor \"fc1.weight\"") && Contains("expected f64 Shape<8,16>, found f32 Shape<8,16>"));
        CHECK(params_of(net.m.params()) == before);
    }
    SECTION("a parameter the file does not have") {
        Mlp<16, false> small(3);
        nn::save_checkpoint(dir.file("nobias.safetensors"), small.m.params(), nullptr);
        Mlp<> net(4);
        const Snapshot before = params_of(net.m.params());
        CHECK_THAT(error_of([&] { nn::load_checkpoint(dir.file("nobias.safetensors"), net.m.params()); }),
                   Contains("expected tensor \"fc1.bias\", found no such tensor in the file"));
        CHECK(params_of(net.m.params()) == before);
    }
    SECTION("a tensor in the file that is not a parameter of the model") {
        Mlp<16, false> net(3);
        const Snapshot before = params_of(net.m.params());
        CHECK_THAT(error_of([&] { nn::load_checkpoint(path, net.m.params()); }), Contains("unexpected tensor \"fc1.bias\""));
        CHECK(params_of(net.m.params()) == before);
    }
}

TEST_CASE("a checkpoint of another optimizer, or of none, is an error naming it, and changes nothing", "[nn][checkpoint][errors]") {
    graft_test::ScratchDir dir("checkpoint_test");
    const std::string adam = adam_checkpoint(dir);
    Mlp<> net(3);

    // Each optimizer below has taken one step, so a restore that went through would change its state.
    CkptLoader loader(data().x, data().y);
    auto expect_refused = [&](nn::Optimizer& opt, const std::string& file, const std::string& message) {
        const Snapshot p = params_of(net.m.params());
        const Snapshot s = state_of(opt);
        const std::size_t steps = opt.steps();
        CHECK_THAT(error_of([&] { nn::load_checkpoint(file, net.m.params(), &opt); }), Contains(message));
        CHECK(params_of(net.m.params()) == p);
        CHECK(state_of(opt) == s);
        CHECK(opt.steps() == steps);
    };

    SECTION("Adam's state into SGD") {
        nn::SGD sgd(net.m, net.grads, {.lr = 0.1, .momentum = 0.9});
        train_step(net, sgd, loader);
        expect_refused(sgd, adam, "expected optimizer state of SGD, found Adam");
    }
    SECTION("Adam's state into AdamW (a different rule, though the moments have the same shapes)") {
        nn::AdamW adamw(net.m, net.grads);
        train_step(net, adamw, loader);
        expect_refused(adamw, adam, "expected optimizer state of AdamW, found Adam");
    }
    SECTION("a checkpoint saved without an optimizer") {
        nn::save_checkpoint(dir.file("bare.safetensors"), net.m.params(), nullptr);
        nn::Adam opt(net.m, net.grads);
        train_step(net, opt, loader);
        expect_refused(opt, dir.file("bare.safetensors"), "expected optimizer state of Adam, found none");
    }
    SECTION("plain SGD's checkpoint (no momentum buffer) into SGD with momentum") {
        {
            nn::SGD plain(net.m, net.grads, {.lr = 0.1});
            nn::save_checkpoint(dir.file("plain.safetensors"), net.m.params(), &plain);
        }
        nn::SGD momentum(net.m, net.grads, {.lr = 0.1, .momentum = 0.9});
        train_step(net, momentum, loader);
        expect_refused(momentum, dir.file("plain.safetensors"), "expected tensor \"optimizer/fc1.weight/0\", found no such tensor");
    }
    SECTION("SGD-with-momentum's checkpoint into plain SGD (its momentum would be dropped silently)") {
        {
            nn::SGD momentum(net.m, net.grads, {.lr = 0.1, .momentum = 0.9});
            nn::save_checkpoint(dir.file("momentum.safetensors"), net.m.params(), &momentum);
        }
        nn::SGD plain(net.m, net.grads, {.lr = 0.1});
        train_step(net, plain, loader);
        expect_refused(plain, dir.file("momentum.safetensors"), "unexpected tensor \"optimizer/fc1.weight/0\"");
    }
    SECTION("state for a parameter the optimizer does not update") {
        const auto only_fc2 = nn::param_grads(net.loss, net.fc2);
        Machine m2(compile(net.g, only_fc2.outputs(net.loss)), net.m.shared_params());
        nn::Adam opt(m2, only_fc2);
        CkptLoader::batch_t<X> xb;
        CkptLoader::batch_t<Y> yb;
        REQUIRE(loader.next(xb, yb));
        m2.let(net.x, xb);
        m2.let(net.y, yb);
        m2.run();
        opt.step();
        expect_refused(opt, adam, "unexpected tensor \"optimizer/fc1.weight/0\"");
    }
    SECTION("a step count that is not a number") {
        // the same tensors as a good Adam checkpoint, with the metadata edited
        const auto good = io::load_safetensors(adam);
        std::vector<io::TensorRef> refs;
        for (const auto& r : good.tensors) refs.push_back({r.name, r.dtype, r.dims, r.data.data()});
        auto meta = good.metadata;
        meta["optimizer.steps"] = "three";
        io::save_safetensors(dir.file("steps.safetensors"), refs, meta);
        meta.erase("optimizer.steps");
        io::save_safetensors(dir.file("nosteps.safetensors"), refs, meta);
        nn::Adam opt(net.m, net.grads);
        train_step(net, opt, loader);
        expect_refused(opt, dir.file("steps.safetensors"), "optimizer.steps");
        expect_refused(opt, dir.file("nosteps.safetensors"), "optimizer.steps");
    }
}

TEST_CASE("a truncated checkpoint is an error and the model and optimizer keep their state", "[nn][checkpoint][errors]") {
    graft_test::ScratchDir dir("checkpoint_test");
    const std::string path = adam_checkpoint(dir);
    const Bytes good = slurp_bytes(path);
    REQUIRE(good.size() > 100);

    Mlp<> net(3);
    nn::Adam opt(net.m, net.grads, {.lr = 1e-2});
    CkptLoader loader(data().x, data().y);
    train_step(net, opt, loader);
    const Snapshot params = params_of(net.m.params());
    const Snapshot state = state_of(opt);

    std::uint64_t header = 0;
    for (int i = 7; i >= 0; --i) header = header << 8 | good[std::size_t(i)];
    const std::size_t data_start = 8 + std::size_t(header);
    for (std::size_t cut : {std::size_t{0}, std::size_t{4}, std::size_t{8}, std::size_t{8} + std::size_t(header) / 2, data_start,
                            data_start + 1, data_start + (good.size() - data_start) / 2, good.size() - 4, good.size() - 1}) {
        INFO("checkpoint cut to " << cut << " of " << good.size() << " bytes");
        const std::string cut_path = dir.file("cut.safetensors");
        spit_bytes(cut_path, Bytes(good.begin(), good.begin() + std::ptrdiff_t(cut)));
        CHECK_THAT(error_of([&] { nn::load_checkpoint(cut_path, net.m.params(), &opt); }), Contains("load_safetensors: " + cut_path));
        CHECK(params_of(net.m.params()) == params);
        CHECK(state_of(opt) == state);
        CHECK(opt.steps() == 1);
    }
    // the intact file still loads
    nn::load_checkpoint(path, net.m.params(), &opt);
    CHECK(opt.steps() == 3);
}

TEST_CASE("a checkpoint save that fails leaves the previous checkpoint intact and no temporary behind", "[nn][checkpoint][errors]") {
    graft_test::ScratchDir dir("checkpoint_test");
    const std::string path = adam_checkpoint(dir, "ckpt.safetensors");
    const Bytes before = slurp_bytes(path);

    Mlp<> net(9);
    nn::Adam opt(net.m, net.grads);
    CHECK_THAT(error_of([&] { nn::save_checkpoint(path, net.m.params(), &opt, {{"note", "not UTF-8: \xff"}}); }), Contains("UTF-8"));
    CHECK(slurp_bytes(path) == before);
    CHECK(dir.entries() == std::vector<std::string>{"ckpt.safetensors"});

    CHECK_THAT(error_of([&] { nn::save_checkpoint(dir.file(""), net.m.params(), &opt); }), Contains("atomic_write"));
    CHECK(dir.entries() == std::vector<std::string>{"ckpt.safetensors"});
}
