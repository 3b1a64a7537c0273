// SPDX-License-Identifier: MIT
// graft/nn/optim/sgd.hpp: SGD with momentum, dampening, Nesterov and weight decay (PyTorch's rule):
//   g = grad + wd * p;  buf = momentum * buf + (1 - dampening) * g  (buf = g on the first step);
//   g = nesterov ? g + momentum * buf : buf;  p -= lr * g.   Plain SGD is momentum = 0.
#pragma once

#include <type_traits>

#include "optimizer.hpp"

namespace graft::nn {

/// Hyperparameters of SGD (PyTorch's meanings; lr defaults to 0.01).
struct SGDOptions {
    double lr = 0.01;           ///< step size (learning rate), finite and >= 0
    double momentum = 0.0;      ///< momentum factor, >= 0; 0 is plain SGD and keeps no state buffer
    double dampening = 0.0;     ///< the gradient enters the momentum buffer scaled by 1 - dampening, in [0, 1]
    double weight_decay = 0.0;  ///< L2 penalty: wd * p is added to the gradient, >= 0
    bool nesterov = false;      ///< Nesterov momentum; needs momentum > 0 and dampening == 0
};

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay.
class SGD final : public Optimizer {
public:
    /// Binds the parameters of `pg` in `m` (one momentum buffer each when momentum != 0). Throws
    /// graft::Error for an option out of range (see SGDOptions) or a parameter Optimizer cannot bind.
    SGD(Machine& m, const ParamGrads& pg, SGDOptions o = {}) : Optimizer("SGD", m, pg, o.lr, o.momentum != 0.0 ? 1 : 0), o_(o) {
        check_hyper("SGD", "momentum", o.momentum, 0.0);
        check_hyper("SGD", "dampening", o.dampening, 0.0, 1.0);
        check_hyper("SGD", "weight_decay", o.weight_decay, 0.0);
        if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
            throw Error("nn::SGD: nesterov", "momentum > 0 and dampening == 0", "momentum " + graft::detail::format_double(o.momentum) + ", dampening " + graft::detail::format_double(o.dampening));
    }

private:
    void update(Bound& b) override {
        with_typed(b, [&](auto* p, const auto* g) {
            using T = std::remove_pointer_t<decltype(p)>;
            const T lr_ = static_cast<T>(lr), wd = static_cast<T>(o_.weight_decay), mu = static_cast<T>(o_.momentum);
            const T damp = static_cast<T>(1 - o_.dampening);
            T* buf = o_.momentum != 0.0 ? reinterpret_cast<T*>(b.state[0].data()) : nullptr;
            const bool first = t_ == 1;
            for_blocks(b.n, [&](std::size_t i, std::size_t len) {
                const auto L = static_cast<Eigen::Index>(len);
                BlockArray<T> P(p + i, L);
                ConstBlockArray<T> G(g + i, L);
                if (!buf) {
                    if (wd == T(0)) P -= lr_ * G;
                    else P -= lr_ * (G + wd * P);
                    return;
                }
                BlockArray<T> U(buf + i, L);
                if (first) U = G + wd * P;
                else U = mu * U + damp * (G + wd * P);
                if (o_.nesterov) P -= lr_ * ((G + wd * P) + mu * U);
                else P -= lr_ * U;
            });
        });
    }
    SGDOptions o_;
};

}  // namespace graft::nn
