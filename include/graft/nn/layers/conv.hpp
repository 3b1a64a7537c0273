// SPDX-License-Identifier: MIT
// graft/nn/layers/conv.hpp: the layers of a convolutional network, spelled as LibTorch spells them:
// Conv2d, MaxPool2d, AvgPool2d, Flatten, Dropout, BatchNorm2d. Like Linear they are thin: Conv2d creates its params
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
#include "../../exec/machine.hpp"
#include "../../graph/conv.hpp"
#include "../init.hpp"

namespace graft::nn {

/// How a Conv2d pads: `valid` (no padding: the output shrinks by K-1) or `same` (stride 1 only: the
/// output keeps the input's height and width; the odd padding row/column goes to the bottom/right).
enum class Padding { valid, same };

/// Options of a Conv2d layer (weights Glorot-uniform from the layer's seed with fan_in = In*K*K and
/// fan_out = Out*K*K, bias zeros: Keras's defaults, which the TensorFlow CNN tutorial uses).
struct Conv2dOptions {
    bool bias = true;                            ///< create the "<name>.bias" param [Out] (false: no bias)
    Init weight_init = init::glorot_uniform(0);  ///< its seed is replaced by the layer's seed
    Init bias_init = init::zeros();              ///< initializer of the bias, used as given (its seed is kept)
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

    /// Creates the params "<name>.weight" (from `opt.weight_init` with `seed`) and, with `opt.bias`,
    /// "<name>.bias" in `g`.
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

    Var<T, Shape<Out, In, K, K>> weight;  ///< the param "<name>.weight", [Out, In, K, K]
    Var<T, Shape<Out>> bias;  ///< invalid (default-constructed) without bias
};

/// Max over K x K windows moved by Stride (default K): MaxPool2d<2>{} halves height and width.
template <std::size_t K, std::size_t Stride = K, std::size_t Pad = 0>
struct MaxPool2d {
    /// x [N, C, H, W] -> [N, C, H', W'], the max of each window (max_pool2d).
    template <VarType V>
    auto operator()(const V& x) const { return max_pool2d<K, Stride, Pad>(x); }
};

/// Mean over K x K windows moved by Stride (default K); padding counts as zeros (count_include_pad).
template <std::size_t K, std::size_t Stride = K, std::size_t Pad = 0>
struct AvgPool2d {
    /// x [N, C, H, W] -> [N, C, H', W'], the mean of each window (avg_pool2d).
    template <VarType V>
    auto operator()(const V& x) const { return avg_pool2d<K, Stride, Pad>(x); }
};

/// [N, d1, d2, ...] -> [N, d1*d2*...]: between the convolutions and the first Linear.
struct Flatten {
    /// x [N, d1, d2, ...] -> [N, d1*d2*...], the same elements in the same order.
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
    /// A layer dropping with probability `p`, its masks drawn from `seed`. Throws graft::Error unless p is in [0, 1).
    explicit Dropout(double p, std::uint64_t seed = 0) : p_(p), seed_(seed) {
        if (!(p >= 0.0 && p < 1.0)) throw Error("nn::Dropout", "a probability p in [0, 1)", std::to_string(p));
    }
    /// Training (true, the default) or evaluation mode for the graphs built from now on.
    Dropout& train(bool on = true) {
        training_ = on;
        return *this;
    }
    /// True when the graphs built from now on drop (training mode).
    [[nodiscard]] bool is_training() const { return training_; }
    /// The drop probability, in [0, 1).
    [[nodiscard]] double p() const { return p_; }

    /// x -> the same shape: dropout(x, p, seed) while training, x itself in evaluation or when p is 0.
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

/// Options of BatchNorm2d (PyTorch's defaults).
struct BatchNorm2dOptions {
    double eps = 1e-5;       ///< added to the variance before the square root
    double momentum = 0.1;   ///< running = (1 - momentum) * running + momentum * batch statistic
    bool affine = true;      ///< learn a per-channel scale ("<name>.weight", ones) and shift ("<name>.bias", zeros)
};

/// Batch normalisation over the N, H and W of NCHW batches, per channel.
///
/// Training graph: y = (x - mean) / sqrt(var + eps) * weight + bias with the batch's own mean and
/// (biased) variance, built from ordinary differentiable ops, so gradients flow through the statistics.
/// The running averages "<name>.running_mean" (zeros) and "<name>.running_var" (ones) live in the
/// ParamStore next to the parameters (checkpoints save them) but are not trained: list batch_mean() and
/// batch_var() among the program's outputs and call update_running_stats(machine) after each run():
/// running = (1 - momentum) * running + momentum * batch, with the unbiased variance, as PyTorch does.
/// Evaluation graph (after train(false)): the running averages replace the batch statistics.
template <std::size_t C, FloatElement T = float>
class BatchNorm2d {
    static_assert(C > 0, "graft::nn::BatchNorm2d: needs at least one channel");

public:
    /// Creates "<name>.running_mean" and "<name>.running_var" in `g` and, with `opt.affine`, "<name>.weight"
    /// and "<name>.bias". Throws graft::Error for an eps that is not > 0 or a momentum outside [0, 1].
    BatchNorm2d(Graph& g, const std::string& name, BatchNorm2dOptions opt = {}) : name_(name), opt_(opt) {
        if (!(opt.eps > 0.0)) throw Error("nn::BatchNorm2d " + name + ": eps", "a positive number", std::to_string(opt.eps));
        if (!(opt.momentum >= 0.0 && opt.momentum <= 1.0))
            throw Error("nn::BatchNorm2d " + name + ": momentum", "a number in [0, 1]", std::to_string(opt.momentum));
        if (opt.affine) {
            weight = g.param<T, C>(name + ".weight", init::constant(1.0));
            bias = g.param<T, C>(name + ".bias", init::zeros());
        }
        running_mean = g.param<T, C>(name + ".running_mean", init::zeros());
        running_var = g.param<T, C>(name + ".running_var", init::constant(1.0));
    }
    /// Training (true, the default) or evaluation mode for the graphs built from now on.
    BatchNorm2d& train(bool on = true) {
        training_ = on;
        return *this;
    }
    /// True when the graphs built from now on use batch statistics (training mode).
    [[nodiscard]] bool is_training() const { return training_; }

    /// x [N, C, H, W] -> the same shape.
    template <ShapeType S>
    Var<T, S> operator()(const Var<T, S>& x) {
        static_assert(S::rank == 4 && S::dims[1] == C, "graft::nn::BatchNorm2d: the input must be [N, C, H, W] with C channels");
        Var<T, S> normed;
        if (training_) {
            auto mu = mean<3, true>(mean<2, true>(mean<0, true>(x)));  // [1, C, 1, 1]
            auto d = x - mu;
            auto var = mean<3, true>(mean<2, true>(mean<0, true>(square(d))));
            normed = d / sqrt(var + static_cast<T>(opt_.eps));
            batch_mean_ = reshape<C>(mu);
            batch_var_ = reshape<C>(var);
            count_ = S::dims[0] * S::dims[2] * S::dims[3];
        } else {
            auto var = reshape<1, C, 1, 1>(running_var) + static_cast<T>(opt_.eps);
            normed = (x - reshape<1, C, 1, 1>(running_mean)) / sqrt(var);
        }
        if (!opt_.affine) return normed;
        return normed * reshape<1, C, 1, 1>(weight) + reshape<1, C, 1, 1>(bias);
    }

    /// The batch statistics of the last training graph built (list them as outputs of its program).
    [[nodiscard]] const Var<T, Shape<C>>& batch_mean() const { return batch_mean_; }
    /// The biased batch variance [C] of the last training graph built (list it as an output of its program).
    [[nodiscard]] const Var<T, Shape<C>>& batch_var() const { return batch_var_; }

    /// Folds the last run's batch statistics into the running averages in `m`'s ParamStore (which the
    /// evaluation program reads when it shares the store).
    void update_running_stats(Machine& m) const {
        if (!batch_mean_.valid())
            throw Error("nn::BatchNorm2d " + name_ + ": update_running_stats", "a training graph built with this layer", "none built");
        const auto bm = m.value(batch_mean_);  // throws when not an output or before run()
        const auto bv = m.value(batch_var_);
        auto& rm = m.params().ensure(name_ + ".running_mean", dtype_of<T>, Dims{C}, init::zeros());
        auto& rv = m.params().ensure(name_ + ".running_var", dtype_of<T>, Dims{C}, init::constant(1.0));
        T* mean_data = reinterpret_cast<T*>(rm.data.data());
        T* var_data = reinterpret_cast<T*>(rv.data.data());
        const double k = opt_.momentum, unbias = count_ > 1 ? double(count_) / double(count_ - 1) : 1.0;
        for (std::size_t c = 0; c < C; ++c) {
            mean_data[c] = static_cast<T>((1.0 - k) * double(mean_data[c]) + k * double(bm(c)));
            var_data[c] = static_cast<T>((1.0 - k) * double(var_data[c]) + k * double(bv(c)) * unbias);
        }
    }

    /// The trained parameters (weight, then bias; none without affine). The running averages are not.
    [[nodiscard]] std::vector<NodeId> params() const {
        if (!weight.valid()) return {};
        return {weight.id(), bias.id()};
    }

    /// The per-channel scale "<name>.weight" (ones), invalid without affine; bias is the shift "<name>.bias" (zeros).
    Var<T, Shape<C>> weight, bias;               ///< invalid without affine
    /// The running mean "<name>.running_mean" (zeros); running_var is the running variance (ones).
    Var<T, Shape<C>> running_mean, running_var;  ///< params that no optimizer updates

private:
    std::string name_;
    BatchNorm2dOptions opt_;
    bool training_ = true;
    Var<T, Shape<C>> batch_mean_, batch_var_;
    std::size_t count_ = 0;
};

}  // namespace graft::nn
