// SPDX-License-Identifier: MIT
// graft/nn/optim/adagrad.hpp: Adagrad (PyTorch's rule):
//   clr = lr / (1 + (t - 1) lr_decay);  g += wd p;  s += g^2;  p -= clr g / (sqrt(s) + eps)
#pragma once

#include <cmath>
#include <cstring>
#include <type_traits>

#include "optimizer.hpp"

namespace graft::nn {

/// Hyperparameters of Adagrad (PyTorch's defaults).
struct AdagradOptions {
    double lr = 0.01;                        ///< step size (learning rate), finite and >= 0
    double lr_decay = 0.0;                   ///< step t uses lr / (1 + (t - 1) * lr_decay), >= 0
    double weight_decay = 0.0;               ///< L2 penalty: wd * p is added to the gradient, >= 0
    double initial_accumulator_value = 0.0;  ///< starting value of every sum of squared gradients, >= 0
    double eps = 1e-10;                      ///< added to the denominator sqrt(s) for stability, finite and > 0
};

/// Adagrad: each element's step is scaled by the inverse root of its accumulated squared gradients.
class Adagrad final : public Optimizer {
public:
    /// Binds the parameters of `pg` in `m` with one accumulator each, filled with initial_accumulator_value.
    /// Throws graft::Error for an option out of range (see AdagradOptions) or a parameter Optimizer cannot bind.
    Adagrad(Machine& m, const ParamGrads& pg, AdagradOptions o = {}) : Optimizer("Adagrad", m, pg, o.lr, 1), o_(o) {
        check_hyper("Adagrad", "lr_decay", o.lr_decay, 0.0);
        check_hyper("Adagrad", "weight_decay", o.weight_decay, 0.0);
        check_hyper("Adagrad", "initial_accumulator_value", o.initial_accumulator_value, 0.0);
        check_eps("Adagrad", o.eps);
        for (auto& b : bound_state())
            with_typed(b, [&](auto* p, const auto*) {
                using T = std::remove_pointer_t<decltype(p)>;
                T* s = reinterpret_cast<T*>(b.state[0].data());
                for (std::size_t i = 0; i < b.n; ++i) s[i] = static_cast<T>(o.initial_accumulator_value);
            });
    }

private:
    void update(Bound& b) override {
        with_typed(b, [&](auto* p, const auto* g) {
            using T = std::remove_pointer_t<decltype(p)>;
            T* s = reinterpret_cast<T*>(b.state[0].data());
            const T clr = static_cast<T>(lr / (1.0 + static_cast<double>(t_ - 1) * o_.lr_decay));
            const T wd = static_cast<T>(o_.weight_decay), eps = static_cast<T>(o_.eps);
            Eigen::Array<T, 256, 1> gi;  // one block of g + wd p
            for_blocks(b.n, [&](std::size_t i, std::size_t len) {
                const auto L = static_cast<Eigen::Index>(len);
                BlockArray<T> P(p + i, L), S(s + i, L);
                ConstBlockArray<T> G(g + i, L);
                auto gb = gi.head(L);
                gb = G + wd * P;
                S += gb * gb;
                P -= clr * gb / (S.sqrt() + eps);
            });
        });
    }
    AdagradOptions o_;
};

}  // namespace graft::nn
