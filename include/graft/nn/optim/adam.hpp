// SPDX-License-Identifier: MIT
// graft/nn/optim/adam.hpp: AdamW, and Adam as its special case with coupled (L2) weight decay.
//   AdamW: p *= 1 - lr * wd;  Adam: g += wd * p
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
#pragma once

#include <cmath>
#include <type_traits>

#include "optimizer.hpp"

namespace graft::nn {

/// Hyperparameters of Adam and AdamW (PyTorch's defaults; AdamW's constructor defaults weight_decay to 1e-2).
struct AdamOptions {
    double lr = 1e-3;           ///< step size (learning rate), finite and >= 0
    double beta1 = 0.9;         ///< decay rate of the first-moment (mean) estimate, in [0, 1)
    double beta2 = 0.999;       ///< decay rate of the second-moment (uncentered variance) estimate, in [0, 1)
    double eps = 1e-8;          ///< added to the denominator sqrt(v) for stability, finite and > 0
    double weight_decay = 0.0;  ///< decoupled decay factor (AdamW) or L2 penalty added to the gradient (Adam), >= 0
};

/// Adam with decoupled weight decay (Loshchilov & Hutter); with decoupled = false it is Adam.
class AdamW : public Optimizer {
public:
    /// Binds the parameters of `pg` in `m` with two moment buffers each (zeros). Throws graft::Error for
    /// an option out of range (see AdamOptions) or a parameter Optimizer cannot bind.
    AdamW(Machine& m, const ParamGrads& pg, AdamOptions o = {.lr = 1e-3, .weight_decay = 1e-2}) : AdamW("AdamW", m, pg, o, true) {}

protected:
    /// For Adam: the same rule under another name, with weight decay decoupled (AdamW) or added to the gradient (Adam).
    AdamW(const char* name, Machine& m, const ParamGrads& pg, AdamOptions o, bool decoupled)
        : Optimizer(name, m, pg, o.lr, 2), o_(o), decoupled_(decoupled) {
        check_hyper(name, "beta1", o.beta1, 0.0, 1.0, true);
        check_hyper(name, "beta2", o.beta2, 0.0, 1.0, true);
        check_eps(name, o.eps);
        check_hyper(name, "weight_decay", o.weight_decay, 0.0);
    }

private:
    void update(Bound& b) override {
        with_typed(b, [&](auto* p, const auto* g) {
            using T = std::remove_pointer_t<decltype(p)>;
            T* m = reinterpret_cast<T*>(b.state[0].data());
            T* v = reinterpret_cast<T*>(b.state[1].data());
            const double t = static_cast<double>(t_);
            const T b1 = static_cast<T>(o_.beta1), b2 = static_cast<T>(o_.beta2), eps = static_cast<T>(o_.eps);
            const T c1 = static_cast<T>(1.0 / (1.0 - std::pow(o_.beta1, t)));
            const T c2 = static_cast<T>(1.0 / (1.0 - std::pow(o_.beta2, t)));
            const T lr_ = static_cast<T>(lr), wd = static_cast<T>(o_.weight_decay);
            const T decay = static_cast<T>(1.0 - lr * o_.weight_decay);
            // per element: g' = g (+ wd * p unless decoupled, where p *= 1 - lr * wd first);
            // m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2; p -= lr (m c1) / (sqrt(v c2) + eps)
            for_blocks(b.n, [&](std::size_t i, std::size_t len) {
                const auto L = static_cast<Eigen::Index>(len);
                BlockArray<T> P(p + i, L), M(m + i, L), V(v + i, L);
                ConstBlockArray<T> G(g + i, L);
                if (decoupled_) {
                    P *= decay;
                    M = b1 * M + (T(1) - b1) * G;
                    V = b2 * V + (T(1) - b2) * G * G;
                } else {
                    M = b1 * M + (T(1) - b1) * (G + wd * P);
                    V = b2 * V + (T(1) - b2) * (G + wd * P) * (G + wd * P);
                }
                P -= lr_ * (M * c1) / ((V * c2).sqrt() + eps);
            });
        });
    }
    AdamOptions o_;
    bool decoupled_;
};

/// Adam: AdamW with the weight decay added to the gradient (L2), PyTorch's Adam.
class Adam final : public AdamW {
public:
    /// Binds the parameters of `pg` in `m` with two moment buffers each (zeros). Throws graft::Error for
    /// an option out of range (see AdamOptions) or a parameter Optimizer cannot bind.
    Adam(Machine& m, const ParamGrads& pg, AdamOptions o = {}) : AdamW("Adam", m, pg, o, false) {}
};

}  // namespace graft::nn
