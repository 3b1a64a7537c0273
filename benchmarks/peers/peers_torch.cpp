// SPDX-License-Identifier: MIT
// benchmarks/peers/peers_torch.cpp: the LibTorch side of bm_peers (workloads: peers.hpp), written the way an
// ordinary LibTorch C++ user writes them: torch::nn modules, eager tensor expressions, torch::optim.
//   mlp_step_b64, mlp_step_b256  Mlp (3 x torch::nn::Linear, ReLU) forward, F::cross_entropy (mean),
//                                loss.backward(), torch::optim::SGD (lr 0.01) with zero_grad() every step
//   cnn_step_b64                 Cnn (2 x Conv2d 5x5 padding 2 + ReLU + max_pool2d 2, Linear 3136->1024 + ReLU,
//                                Dropout 0.4 in train(), Linear 1024->10), F::cross_entropy, torch::optim::Adam
//   chain_1M, chain_16M          y = torch::tanh(x * a + b) * c, eager (three temporaries and y per iteration)
//   tiny_adds_fwd                100 x `v = v + c` on 2x2 tensors under torch::InferenceMode; counter ns/op
//   tiny_adds_fwd_bwd            v0, c requires_grad, 100 adds, v.sum().backward(), grads reset to undefined
//                                every iteration (so nothing accumulates); counter ns/op
//   mlp_infer_b1, mlp_infer_b256 Mlp forward to the logits under torch::InferenceMode
// Every body first calls torch::set_num_threads(threads) (peers::add has already set OpenBLAS's pool). Inputs
// are seeded (torch::manual_seed), uniform [0, 1), labels uniform in [0, 10). Before registering, one MLP step
// runs and the program aborts unless its loss is finite and within 0.5 of ln(10).
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "peers.hpp"

namespace {

namespace F = torch::nn::functional;
using peers::D0;
using peers::D1;
using peers::D2;
using peers::D3;

constexpr std::uint64_t seed = 42;

struct MlpImpl : torch::nn::Module {
    MlpImpl()
        : fc1(register_module("fc1", torch::nn::Linear(D0, D1))),
          fc2(register_module("fc2", torch::nn::Linear(D1, D2))),
          fc3(register_module("fc3", torch::nn::Linear(D2, D3))) {}

    torch::Tensor forward(torch::Tensor x) {
        x = torch::relu(fc1(x));
        x = torch::relu(fc2(x));
        return fc3(x);
    }

    torch::nn::Linear fc1, fc2, fc3;
};
TORCH_MODULE(Mlp);

struct CnnImpl : torch::nn::Module {
    CnnImpl()
        : conv1(register_module(
              "conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, peers::C1, peers::K).padding(peers::K / 2)))),
          conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(peers::C1, peers::C2, peers::K)
                                                                 .padding(peers::K / 2)))),
          fc1(register_module("fc1", torch::nn::Linear(peers::C2 * (peers::HW / 4) * (peers::HW / 4), peers::FC))),
          drop(register_module("drop", torch::nn::Dropout(peers::dropout_p))),
          fc2(register_module("fc2", torch::nn::Linear(peers::FC, peers::classes))) {}

    torch::Tensor forward(torch::Tensor x) {
        x = F::max_pool2d(torch::relu(conv1(x)), F::MaxPool2dFuncOptions(2));
        x = F::max_pool2d(torch::relu(conv2(x)), F::MaxPool2dFuncOptions(2));
        x = torch::relu(fc1(x.flatten(1)));
        return fc2(drop(x));
    }

    torch::nn::Conv2d conv1, conv2;
    torch::nn::Linear fc1;
    torch::nn::Dropout drop;
    torch::nn::Linear fc2;
};
TORCH_MODULE(Cnn);

torch::Tensor random_labels(std::int64_t batch, std::int64_t classes) {
    return torch::randint(0, classes, {batch}, torch::kLong);
}

void keep(const torch::Tensor& t) {
    void* p = t.data_ptr();
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
}

void tiny_counter(benchmark::State& state) {
    using C = benchmark::Counter;
    state.counters["ns/op"] = C(double(peers::tiny_ops), C::kIsIterationInvariantRate | C::kInvert);
}

/// The timed loop of both training workloads: zero_grad, forward, cross-entropy, backward, the optimizer's step.
template <class Model, class Opt>
void train_steps(benchmark::State& state, Model& model, Opt& opt, const torch::Tensor& x, const torch::Tensor& y) {
    for (auto _ : state) {
        opt.zero_grad();
        auto loss = F::cross_entropy(model->forward(x), y);
        loss.backward();
        opt.step();
        keep(loss);
    }
}

void mlp_step(benchmark::State& state, std::int64_t batch) {
    torch::set_num_threads(int(state.range(0)));
    torch::manual_seed(seed);
    Mlp model;
    torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(peers::mlp_lr));
    auto x = torch::rand({batch, std::int64_t(D0)});
    auto y = random_labels(batch, D3);
    train_steps(state, model, opt, x, y);
}

void cnn_step(benchmark::State& state) {
    torch::set_num_threads(int(state.range(0)));
    torch::manual_seed(seed);
    Cnn model;
    model->train();
    torch::optim::Adam opt(model->parameters(),
                           torch::optim::AdamOptions(peers::adam_lr).betas({0.9, 0.999}).eps(1e-8));
    const auto b = std::int64_t(peers::cnn_batch), hw = std::int64_t(peers::HW);
    auto x = torch::rand({b, 1, hw, hw});
    auto y = random_labels(b, peers::classes);
    train_steps(state, model, opt, x, y);
}

void chain(benchmark::State& state, std::int64_t n) {
    torch::set_num_threads(int(state.range(0)));
    torch::manual_seed(seed);
    auto x = torch::rand({n}), a = torch::rand({n}), b = torch::rand({n}), c = torch::rand({n});
    for (auto _ : state) {
        auto y = torch::tanh(x * a + b) * c;
        keep(y);
    }
    state.SetBytesProcessed(std::int64_t(state.iterations()) * 5 * n * std::int64_t(sizeof(float)));
}

void tiny_adds_fwd(benchmark::State& state) {
    torch::set_num_threads(int(state.range(0)));
    torch::manual_seed(seed);
    torch::InferenceMode guard;
    auto v0 = torch::rand({2, 2}), c = torch::rand({2, 2});
    for (auto _ : state) {
        auto v = v0;
        for (std::size_t i = 0; i < peers::tiny_ops; ++i) v = v + c;
        keep(v);
    }
    tiny_counter(state);
}

void tiny_adds_fwd_bwd(benchmark::State& state) {
    torch::set_num_threads(int(state.range(0)));
    torch::manual_seed(seed);
    auto v0 = torch::rand({2, 2}, torch::requires_grad()), c = torch::rand({2, 2}, torch::requires_grad());
    for (auto _ : state) {
        auto v = v0;
        for (std::size_t i = 0; i < peers::tiny_ops; ++i) v = v + c;
        v.sum().backward();
        keep(v0.grad());
        keep(c.grad());
        v0.mutable_grad().reset();  // set_to_none: the next backward() writes fresh gradients
        c.mutable_grad().reset();
    }
    tiny_counter(state);
}

void mlp_infer(benchmark::State& state, std::int64_t batch) {
    torch::set_num_threads(int(state.range(0)));
    torch::manual_seed(seed);
    Mlp model;
    model->eval();
    auto x = torch::rand({batch, std::int64_t(D0)});
    torch::InferenceMode guard;
    for (auto _ : state) {
        auto logits = model->forward(x);
        keep(logits);
    }
}

// The honesty check: one MLP step on fresh seeded data; an untrained 10-class model's loss is about ln(10).
void check_mlp_loss() {
    torch::manual_seed(seed);
    Mlp model;
    torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(peers::mlp_lr));
    auto x = torch::rand({64, std::int64_t(D0)});
    auto y = random_labels(64, D3);
    opt.zero_grad();
    auto loss = F::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
    const float l = loss.item<float>();
    if (!std::isfinite(l) || std::fabs(l - std::log(10.0f)) > 0.5f) {
        std::fprintf(stderr, "bm_peers (torch): first MLP step loss %g is not near ln(10) = %g\n", double(l),
                     double(std::log(10.0f)));
        std::abort();
    }
}

}  // namespace

void peers::register_torch(const std::string& side) {
    check_mlp_loss();
    add("mlp_step_b64", side, [](benchmark::State& s) { mlp_step(s, 64); });
    add("mlp_step_b256", side, [](benchmark::State& s) { mlp_step(s, 256); });
    add("cnn_step_b64", side, [](benchmark::State& s) { cnn_step(s); });
    add("chain_1M", side, [](benchmark::State& s) { chain(s, std::int64_t(chain_small)); });
    add("chain_16M", side, [](benchmark::State& s) { chain(s, std::int64_t(chain_large)); });
    add("tiny_adds_fwd", side, [](benchmark::State& s) { tiny_adds_fwd(s); });
    add("tiny_adds_fwd_bwd", side, [](benchmark::State& s) { tiny_adds_fwd_bwd(s); });
    add("mlp_infer_b1", side, [](benchmark::State& s) { mlp_infer(s, 1); });
    add("mlp_infer_b256", side, [](benchmark::State& s) { mlp_infer(s, 256); });
}
