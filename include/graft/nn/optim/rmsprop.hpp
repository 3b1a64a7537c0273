// SPDX-License-Identifier: MIT
// graft/nn/optim/rmsprop.hpp: RMSprop (PyTorch's rule, optional centering and momentum):
//   g += wd p;  s = a s + (1 - a) g^2;  centered: ga = a ga + (1 - a) g, d = sqrt(s - ga^2) + eps, else d = sqrt(s) + eps
//   momentum: buf = mu buf + g / d, p -= lr buf;  else p -= lr g / d
#pragma once

#include <cmath>
#include <type_traits>

#include "optimizer.hpp"

namespace graft::nn {

/// Hyperparameters of RMSprop (PyTorch's defaults).
struct RMSpropOptions {
    double lr = 0.01;           ///< step size (learning rate), finite and >= 0
    double alpha = 0.99;        ///< decay rate of the running mean of squared gradients, in [0, 1]
    double eps = 1e-8;          ///< added to the denominator for stability, finite and > 0
    double weight_decay = 0.0;  ///< L2 penalty: wd * p is added to the gradient, >= 0
    double momentum = 0.0;      ///< momentum factor of the buffer of normalized steps, >= 0; 0 is none
    bool centered = false;      ///< divide by sqrt(s - ga^2), the gradient's estimated variance, instead of sqrt(s)
};

/// RMSprop: each element's step is divided by the root of a running mean of its squared gradients.
class RMSprop final : public Optimizer {
public:
    /// Binds the parameters of `pg` in `m` with three state buffers each (squares, mean, momentum). Throws
    /// graft::Error for an option out of range (see RMSpropOptions) or a parameter Optimizer cannot bind.
    RMSprop(Machine& m, const ParamGrads& pg, RMSpropOptions o = {}) : Optimizer("RMSprop", m, pg, o.lr, 3), o_(o) {
        check_hyper("RMSprop", "alpha", o.alpha, 0.0, 1.0);
        check_eps("RMSprop", o.eps);
        check_hyper("RMSprop", "weight_decay", o.weight_decay, 0.0);
        check_hyper("RMSprop", "momentum", o.momentum, 0.0);
    }

private:
    void update(Bound& b) override {
        with_typed(b, [&](auto* p, const auto* g) {
            using T = std::remove_pointer_t<decltype(p)>;
            T* sq = reinterpret_cast<T*>(b.state[0].data());
            T* ga = reinterpret_cast<T*>(b.state[1].data());
            T* buf = reinterpret_cast<T*>(b.state[2].data());
            const T a = static_cast<T>(o_.alpha), eps = static_cast<T>(o_.eps), wd = static_cast<T>(o_.weight_decay);
            const T mu = static_cast<T>(o_.momentum), lr_ = static_cast<T>(lr);
            // per element: g' = g + wd p; sq = a sq + (1 - a) g'^2; avg = sqrt(sq [- ga^2 clamped at 0, ga = a ga + (1 - a) g']) + eps;
            // p -= lr g' / avg, or with momentum buf = mu buf + g' / avg, p -= lr buf
            Eigen::Array<T, 256, 1> gi, avg;  // one block of g' and of the denominator
            for_blocks(b.n, [&](std::size_t i, std::size_t len) {
                const auto L = static_cast<Eigen::Index>(len);
                BlockArray<T> P(p + i, L), SQ(sq + i, L), GA(ga + i, L), BUF(buf + i, L);
                ConstBlockArray<T> G(g + i, L);
                auto gb = gi.head(L);
                auto ab = avg.head(L);
                gb = G + wd * P;
                SQ = a * SQ + (T(1) - a) * gb * gb;
                if (o_.centered) {
                    GA = a * GA + (T(1) - a) * gb;
                    // sq - ga^2 is a variance: >= 0 exactly, but it can round below 0 when the gradient is
                    // nearly constant (sqrt would give NaN; clamped as PyTorch's addcmul_ path is not)
                    ab = (SQ - GA * GA).max(T(0)).sqrt() + eps;
                } else {
                    ab = SQ.sqrt() + eps;
                }
                if (o_.momentum > 0) {
                    BUF = mu * BUF + gb / ab;
                    P -= lr_ * BUF;
                } else {
                    P -= lr_ * gb / ab;
                }
            });
        });
    }
    RMSpropOptions o_;
};

}  // namespace graft::nn
