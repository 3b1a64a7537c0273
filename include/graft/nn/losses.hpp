// SPDX-License-Identifier: MIT
// graft/nn/losses.hpp: mse, cross_entropy, nll and binary_cross_entropy_with_logits as graph functions.
// Each is built from ordinary ops, so its gradient comes from grad(); the stable forms are used:
// cross_entropy goes through log_softmax (finite for logits of +-1e4), BCE through softplus.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "../graph/build.hpp"

namespace graft::nn {

/// How a loss reduces over the batch.
enum class Reduction : unsigned char { mean, sum };

namespace detail {
template <VarType V>
auto reduce_loss(const V& per_item, Reduction r) {
    return r == Reduction::mean ? mean(per_item) : sum(per_item);
}
}  // namespace detail

/// Mean (or sum) of squared differences; pred and target have one shape.
template <VarType P, VarType T>
auto mse(const P& pred, const T& target, Reduction r = Reduction::mean) {
    static_assert(std::is_same_v<typename P::shape_type, typename T::shape_type>, "graft::nn::mse: prediction and target shapes differ");
    return detail::reduce_loss(square(pred - target), r);
}

/// Negative log-likelihood of int32 class labels under log-probabilities [N, C]: -mean_i logp[i, y_i].
template <VarType L, VarType Y>
auto nll(const L& log_probs, const Y& labels, Reduction r = Reduction::mean) {
    using S = typename L::shape_type;
    static_assert(has_rank<S, 2>::value, "graft::nn::nll: log-probabilities are [batch, classes]");
    static_assert(std::is_same_v<typename Y::value_type, std::int32_t>, "graft::nn::nll: labels are int32");
    static_assert(std::is_same_v<typename Y::shape_type, Shape<S::dims[0]>>, "graft::nn::nll: one label per row");
    using T = typename L::value_type;
    // where(one_hot, logp, 0), not one_hot * logp: a masked class (logit -inf, logp -inf) away from the
    // label must give 0, and 0 * -inf would be NaN
    const Var<T, Shape<>> zero(log_probs.graph(), log_probs.graph().scalar_constant(dtype_of<T>, 0.0));
    const auto picked = sum<1>(where(one_hot<S::dims[1], T>(labels), log_probs, zero));
    return detail::reduce_loss(-picked, r);
}

/// Softmax cross-entropy of logits [N, C] against int32 labels [N], via log_softmax (stable).
template <VarType L, VarType Y>
auto cross_entropy(const L& logits, const Y& labels, Reduction r = Reduction::mean) {
    return nll(log_softmax(logits), labels, r);
}

/// Binary cross-entropy of logits x against targets t in [0, 1]: softplus(x) - x*t, stable for any x.
template <VarType X, VarType T>
auto binary_cross_entropy_with_logits(const X& logits, const T& targets, Reduction r = Reduction::mean) {
    static_assert(std::is_same_v<typename X::shape_type, typename T::shape_type>, "graft::nn::binary_cross_entropy_with_logits: shapes differ");
    return detail::reduce_loss(softplus(logits) - logits * targets, r);
}

}  // namespace graft::nn
