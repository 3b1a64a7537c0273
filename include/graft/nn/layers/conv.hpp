// SPDX-License-Identifier: MIT
// graft/nn/layers/conv.hpp: the layers of a convolutional network, spelled as LibTorch spells them:
// Conv2d, MaxPool2d, AvgPool2d, Flatten, Dropout. Like Linear they are thin: Conv2d creates its params
// ("<name>.weight" [Out, In, K, K], "<name>.bias" [Out]) and every layer returns typed Vars whose
// shapes are computed at compile time, so
//   nn::Conv2d<1, 32, 5, nn::Padding::same> conv1(g, "conv1", seed);
//   auto h = conv1(x);  // x: Var<float, Shape<64,1,28,28>>  ->  h: Var<float, Shape<64,32,28,28>>
// and a channel mismatch is a static_assert naming both shapes. The graph can always be written by hand
// with conv2d / max_pool2d / avg_pool2d / flatten / dropout (graph/conv.hpp, graph/build.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../../core/error.hpp"
#include "../../graph/build.hpp"
#include "../../graph/conv.hpp"
#include "../init.hpp"

namespace graft::nn {

/// How a Conv2d pads: `valid` (no padding: the output shrinks by K-1) or `same` (stride 1 only: the
/// output keeps the input's height and width; the odd padding row/column goes to the bottom/right).
enum class Padding { valid, same };

/// Options of a Conv2d layer (weights Glorot-uniform from the layer's seed with fan_in = In*K*K and
/// fan_out = Out*K*K, bias zeros: Keras's defaults, which the TensorFlow CNN tutorial uses).
struct Conv2dOptions {
    bool bias = true;
    Init weight_init = init::glorot_uniform(0);  ///< its seed is replaced by the layer's seed
    Init bias_init = init::zeros();
};

/// 2-D convolution over NCHW batches with In input and Out output channels and a K x K kernel.
template <std::size_t In, std::size_t Out, std::size_t K, Padding P = Padding::valid, std::size_t Stride = 1,
          FloatElement T = float>
class Conv2d {
    static_assert(In > 0 && Out > 0 && K > 0, "graft::nn::Conv2d: channels and kernel size must be positive");
    static_assert(P == Padding::valid || Stride == 1, "graft::nn::Conv2d: Padding::same needs stride 1");

public:
    /// The options conv2d() is built with.
    static constexpr graft::Conv2dOptions options{.stride_h = Stride, .stride_w = Stride, .same = P == Padding::same};

    Conv2d(Graph& g, const std::string& name, std::uint64_t seed, Conv2dOptions opt = {}) {
        Init w = opt.weight_init;
        w.seed = seed;
        weight = g.param<T, Out, In, K, K>(name + ".weight", w);
        if (opt.bias) bias = g.param<T, Out>(name + ".bias", opt.bias_init);
    }
    /// x [N, In, H, W] -> [N, Out, H', W'] (H' = H for Padding::same, H - K + 1 for valid at stride 1).
    template <ShapeType S>
    auto operator()(const Var<T, S>& x) const {
        auto y = conv2d<options>(x, weight);
        if (bias.valid()) return y + reshape<Out, 1, 1>(bias);  // broadcasts over N, H and W: same type as y
        return y;
    }
    /// The layer's parameters (weight, then bias if any).
    [[nodiscard]] std::vector<NodeId> params() const {
        std::vector<NodeId> p{weight.id()};
        if (bias.valid()) p.push_back(bias.id());
        return p;
    }

    Var<T, Shape<Out, In, K, K>> weight;
    Var<T, Shape<Out>> bias;  ///< invalid (default-constructed) without bias
};

/// Max over K x K windows moved by Stride (default K): MaxPool2d<2>{} halves height and width.
template <std::size_t K, std::size_t Stride = K, std::size_t Pad = 0>
struct MaxPool2d {
    template <VarType V>
    auto operator()(const V& x) const { return max_pool2d<K, Stride, Pad>(x); }
};

/// Mean over K x K windows moved by Stride (default K); padding counts as zeros (count_include_pad).
template <std::size_t K, std::size_t Stride = K, std::size_t Pad = 0>
struct AvgPool2d {
    template <VarType V>
    auto operator()(const V& x) const { return avg_pool2d<K, Stride, Pad>(x); }
};

/// [N, d1, d2, ...] -> [N, d1*d2*...]: between the convolutions and the first Linear.
struct Flatten {
    template <VarType V>
    auto operator()(const V& x) const { return flatten(x); }
};

/// Inverted dropout with probability p: while training, each element is zeroed with probability p and
/// the rest scaled by 1/(1-p), a new mask every run (seeded: runs are reproducible); in evaluation
/// (train(false)) the layer is the identity. A graph is built for one mode, as a program is compiled for
/// one batch size: build the training graph with the layer training and the evaluation graph after
/// train(false), like LibTorch's module.train() / module.eval().
class Dropout {
public:
    explicit Dropout(double p, std::uint64_t seed = 0) : p_(p), seed_(seed) {
        if (!(p >= 0.0 && p < 1.0)) throw Error("nn::Dropout", "a probability p in [0, 1)", std::to_string(p));
    }
    /// Training (true, the default) or evaluation mode for the graphs built from now on.
    Dropout& train(bool on = true) {
        training_ = on;
        return *this;
    }
    [[nodiscard]] bool is_training() const { return training_; }
    [[nodiscard]] double p() const { return p_; }

    template <VarType V>
    V operator()(const V& x) const {
        if (!training_ || p_ == 0.0) return x;
        return dropout(x, p_, seed_);
    }

private:
    double p_;
    std::uint64_t seed_;
    bool training_ = true;
};

}  // namespace graft::nn
