// SPDX-License-Identifier: MIT
// graft/nn/layers/linear.hpp: Linear<In, Out>, y = x W + b with W [In, Out] and b [Out].
// A thin helper: it creates the two params (named "<name>.weight", "<name>.bias") and returns typed Vars;
// the same graph can always be written by hand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../../graph/build.hpp"
#include "../init.hpp"

namespace graft::nn {

/// Options of a Linear layer (weights Glorot-uniform from the seed, bias zeros, as Keras does).
struct LinearOptions {
    bool bias = true;                            ///< create the "<name>.bias" param (false: y = x W only)
    Init weight_init = init::glorot_uniform(0);  ///< its seed is replaced by the layer's seed
    Init bias_init = init::zeros();              ///< initializer of the bias, used as given (its seed is kept)
};

namespace detail {
/// An input X [..., In] fits a Linear layer's weight W [In, Out]: X's last dim equals W's first.
template <ShapeType X, ShapeType W>
struct linear_input_fits {
    /// true when X has rank >= 1 and `X::dims[rank - 1] == W::dims[0]`.
    static constexpr bool value = X::rank >= 1 && W::rank >= 1 && X::dims[X::rank >= 1 ? X::rank - 1 : 0] == W::dims[0];
};
}  // namespace detail

/// Fully connected layer y = x W + b with W [In, Out] and b [Out], elements of type T.
template <std::size_t In, std::size_t Out, FloatElement T = float>
class Linear {
public:
    /// Creates the params "<name>.weight" (from `opt.weight_init` with `seed`) and, with `opt.bias`,
    /// "<name>.bias" in `g`.
    Linear(Graph& g, const std::string& name, std::uint64_t seed, LinearOptions opt = {}) {
        Init w = opt.weight_init;
        w.seed = seed;
        weight = g.param<T, In, Out>(name + ".weight", w);
        if (opt.bias) bias = g.param<T, Out>(name + ".bias", opt.bias_init);
    }
    /// x [..., In] -> [..., Out].
    template <ShapeType S>
    auto operator()(const Var<T, S>& x) const {
        static_assert(detail::linear_input_fits<S, Shape<In, Out>>::value, "graft::nn::Linear: the input's last dim must equal In");
        if constexpr (detail::linear_input_fits<S, Shape<In, Out>>::value) {
            auto y = matmul(x, weight);
            if (bias.valid()) return y + bias;  // same type as y: the bias broadcasts over the leading dims
            return y;
        } else {
            return x;  // never compiled into a program: only here so that the assert above is the one error
        }
    }
    /// The layer's parameters (weight, then bias if any).
    [[nodiscard]] std::vector<NodeId> params() const {
        std::vector<NodeId> p{weight.id()};
        if (bias.valid()) p.push_back(bias.id());
        return p;
    }

    Var<T, Shape<In, Out>> weight;  ///< the param "<name>.weight", [In, Out]
    Var<T, Shape<Out>> bias;  ///< invalid (default-constructed) without bias
};

/// Activation functors, for composing with chain(): chain(x, fc1, ReLU{}, fc2).
struct ReLU { /** relu(x) = max(x, 0), elementwise; same type as x. */ template <VarType V> auto operator()(const V& x) const { return relu(x); } };
/// Hyperbolic tangent as a functor for chain().
struct Tanh { /** tanh(x), elementwise; same type as x. */ template <VarType V> auto operator()(const V& x) const { return tanh(x); } };
/// Logistic sigmoid as a functor for chain().
struct Sigmoid { /** sigmoid(x) = 1 / (1 + exp(-x)), elementwise; same type as x. */ template <VarType V> auto operator()(const V& x) const { return sigmoid(x); } };

/// f_n(...f_2(f_1(x))): Sequential-style composition of layers and functors, each step typed.
template <class X>
auto chain(const X& x) { return x; }
/// Applies `f` to `x`, then the rest of the chain to the result.
template <class X, class F, class... Fs>
auto chain(const X& x, const F& f, const Fs&... fs) { return chain(f(x), fs...); }

}  // namespace graft::nn
