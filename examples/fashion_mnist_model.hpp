// SPDX-License-Identifier: MIT
// examples/fashion_mnist_model.hpp: what the Fashion-MNIST flagship (fashion_mnist_mlp.cpp, which trains)
// and its inference example (fashion_mnist_predict.cpp, which loads the checkpoint) must agree on: the
// dataset's files, classes and pixel standardisation, the checkpoint's file name, and the model itself.
// Parameters are matched by name ("fc1.weight", ...) when a checkpoint is loaded, so building the graph
// from this one definition is what makes the two programs fit together.
#pragma once

#include <graft/graft.hpp>
#include <graft/io.hpp>

#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace fashion_mnist {

namespace nn = graft::nn;
using graft::Error;
using graft::Graph;
using graft::Shape;
using graft::Tensor;
using graft::Var;

inline constexpr std::size_t kTrain = 60000, kTest = 10000, kPixels = 784, kClasses = 10;
/// Where the Debian package dataset-fashion-mnist installs the four IDX files.
inline constexpr const char* kDefaultData = "/usr/share/datasets/fashion-mnist";
/// The checkpoint's file name inside the flagship's --out directory (default ".").
inline constexpr const char* kCheckpointFile = "fashion_mnist_mlp.safetensors";
/// Stored in the checkpoint's metadata as "model", checked by the inference example.
inline constexpr const char* kModelName = "mlp-784-256-128-10";

/// The dataset's labels 0..9, in order.
inline constexpr std::array<std::string_view, kClasses> kClassNames = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

/// `dir/stem.gz`, else `dir/stem`; a graft::Error naming the Debian package when neither exists.
inline std::string find_file(const std::string& program, const std::string& dir, const std::string& stem) {
    for (const std::string& name : {stem + ".gz", stem}) {
        const auto p = std::filesystem::path(dir) / name;
        if (std::filesystem::exists(p)) return p.string();
    }
    throw Error(program, stem + "[.gz] in " + dir +
                " (install the Debian package dataset-fashion-mnist: apt-get install dataset-fashion-mnist, or pass --data DIR)",
                "no such file");
}

/// Raw 28x28 bytes -> rows of 784 floats, standardised with the training set's mean and standard deviation.
template <std::size_t N>
Tensor<float, Shape<N, kPixels>> standardize(const Tensor<std::uint8_t, Shape<N, 28, 28>>& pixels) {
    return nn::normalize<float>(pixels.template reshape<N, kPixels>(), 1 / 255.f, 0.2860f, 0.3530f);
}

/// The model, x[Batch, 784] -> Linear 256 -> ReLU -> Linear 128 -> ReLU -> Linear 10 -> logits.
/// One definition builds the training graph (batch 64), the evaluation graph (batch 1000) and the
/// inference graph: only the batch, a type, differs; the parameters keep their names.
template <std::size_t Batch>
struct Mlp {
    explicit Mlp(Graph& g, bool /*training: the MLP has no dropout*/ = true)
        : x(g.input<float, Batch, kPixels>("x")), fc1(g, "fc1", 1), fc2(g, "fc2", 2), fc3(g, "fc3", 3),
          logits(nn::chain(x, fc1, nn::ReLU{}, fc2, nn::ReLU{}, fc3)) {}
    [[nodiscard]] std::vector<graft::NodeId> params() const {
        std::vector<graft::NodeId> p;
        for (const auto& layer : {fc1.params(), fc2.params(), fc3.params()}) p.insert(p.end(), layer.begin(), layer.end());
        return p;
    }
    Var<float, Shape<Batch, kPixels>> x;
    nn::Linear<kPixels, 256> fc1;
    nn::Linear<256, 128> fc2;
    nn::Linear<128, kClasses> fc3;
    Var<float, Shape<Batch, kClasses>> logits;
};

/// The CNN of TensorFlow's layers tutorial (listed at 0.916 in Fashion-MNIST's benchmark table):
/// x[Batch, 784] -> [Batch, 1, 28, 28] -> Conv 5x5 32 same -> ReLU -> MaxPool 2 -> Conv 5x5 64 same ->
/// ReLU -> MaxPool 2 -> Flatten [Batch, 3136] -> Linear 1024 -> ReLU -> Dropout 0.4 -> Linear 10 -> logits.
/// `training` = false builds the evaluation graph, where dropout is the identity.
template <std::size_t Batch>
struct Cnn {
    explicit Cnn(Graph& g, bool training = true)
        : x(g.input<float, Batch, kPixels>("x")), conv1(g, "conv1", 1), conv2(g, "conv2", 2), fc1(g, "fc1", 3),
          fc2(g, "fc2", 4), drop(nn::Dropout(0.4, 5).train(training)),
          logits(nn::chain(graft::reshape<Batch, 1, 28, 28>(x), conv1, nn::ReLU{}, nn::MaxPool2d<2>{}, conv2, nn::ReLU{},
                           nn::MaxPool2d<2>{}, nn::Flatten{}, fc1, nn::ReLU{}, drop, fc2)) {}
    [[nodiscard]] std::vector<graft::NodeId> params() const {
        std::vector<graft::NodeId> p;
        for (const auto& layer : {conv1.params(), conv2.params(), fc1.params(), fc2.params()})
            p.insert(p.end(), layer.begin(), layer.end());
        return p;
    }
    Var<float, Shape<Batch, kPixels>> x;
    nn::Conv2d<1, 32, 5, nn::Padding::same> conv1;
    nn::Conv2d<32, 64, 5, nn::Padding::same> conv2;
    nn::Linear<64 * 7 * 7, 1024> fc1;
    nn::Linear<1024, kClasses> fc2;
    nn::Dropout drop;
    Var<float, Shape<Batch, kClasses>> logits;
};

}  // namespace fashion_mnist
