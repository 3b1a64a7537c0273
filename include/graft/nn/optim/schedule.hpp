// SPDX-License-Identifier: MIT
// graft/nn/optim/schedule.hpp: learning-rate schedules as callables of the step index, for
// Optimizer::schedule: StepLR, CosineAnnealingLR and LinearWarmup (which wraps another schedule).
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <numbers>

#include "optimizer.hpp"

namespace graft::nn {

/// lr = base * gamma^(floor(step / step_size)).
struct StepLR {
    double base;            ///< learning rate of the first step_size steps
    std::size_t step_size;  ///< steps between two decays, >= 1
    double gamma = 0.1;     ///< factor applied to the rate at every decay
    /// The learning rate for 0-based step `step`. Throws graft::Error when step_size is 0.
    double operator()(std::size_t step) const {
        if (step_size == 0) throw Error("nn::StepLR", "step_size >= 1", "0");
        return base * std::pow(gamma, static_cast<double>(step / step_size));
    }
};

/// lr = eta_min + (base - eta_min) * (1 + cos(pi * min(step, t_max) / t_max)) / 2.
struct CosineAnnealingLR {
    double base;           ///< learning rate at step 0 (the top of the half cosine)
    std::size_t t_max;     ///< steps to anneal over, >= 1; from step t_max on the rate stays at eta_min
    double eta_min = 0.0;  ///< learning rate at the end of the annealing
    /// The learning rate for 0-based step `step`. Throws graft::Error when t_max is 0.
    double operator()(std::size_t step) const {
        if (t_max == 0) throw Error("nn::CosineAnnealingLR", "t_max >= 1", "0");
        const double s = static_cast<double>(step < t_max ? step : t_max);
        return eta_min + (base - eta_min) * (1 + std::cos(std::numbers::pi * s / static_cast<double>(t_max))) / 2;
    }
};

/// Linear ramp from base/warmup_steps up to `after(0)` over warmup_steps, then `after(step - warmup_steps)`.
struct LinearWarmup {
    std::size_t warmup_steps;                  ///< length of the ramp in steps; 0 is no warmup
    std::function<double(std::size_t)> after;  ///< the schedule that takes over, called with steps counted from the end of warmup
    /// The learning rate for 0-based step `step`: (step + 1) / warmup_steps of `after(0)` during warmup.
    /// Throws graft::Error when `after` is empty.
    double operator()(std::size_t step) const {
        if (!after) throw Error("nn::LinearWarmup", "a schedule in `after` to hand over to", "an empty std::function");
        if (step < warmup_steps) return after(0) * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
        return after(step - warmup_steps);
    }
};

}  // namespace graft::nn
