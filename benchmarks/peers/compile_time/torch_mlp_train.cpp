// SPDX-License-Identifier: MIT
// benchmarks/peers/compile_time/torch_mlp_train.cpp: the compile-time probe of the LibTorch side. A small,
// complete LibTorch program with the scope of graft's MLP training program: the MLP 784-256-128-10 (ReLU,
// ReLU, logits) as a torch::nn::Module, mean cross-entropy on integer labels, plain SGD (lr 0.01), a few
// steps over seeded random data, the loss printed per step. Only its compile time is measured
// (g++ -O2 -std=c++20 -isystem <torch include dirs> -c); it has no CMake target.
#include <torch/torch.h>

#include <cstdint>
#include <cstdio>

namespace {

struct MlpImpl : torch::nn::Module {
    MlpImpl()
        : fc1(register_module("fc1", torch::nn::Linear(784, 256))),
          fc2(register_module("fc2", torch::nn::Linear(256, 128))),
          fc3(register_module("fc3", torch::nn::Linear(128, 10))) {}

    torch::Tensor forward(torch::Tensor x) {
        x = torch::relu(fc1(x));
        x = torch::relu(fc2(x));
        return fc3(x);
    }

    torch::nn::Linear fc1, fc2, fc3;
};
TORCH_MODULE(Mlp);

}  // namespace

int main() {
    constexpr std::int64_t batch = 64, steps = 5;
    torch::manual_seed(42);
    Mlp model;
    torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01));
    auto x = torch::rand({batch, 784});
    auto y = torch::randint(0, 10, {batch}, torch::kLong);
    for (std::int64_t step = 0; step < steps; ++step) {
        opt.zero_grad();
        auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
        loss.backward();
        opt.step();
        std::printf("step %lld  loss %.4f\n", static_cast<long long>(step), loss.item<double>());
    }
    return 0;
}
