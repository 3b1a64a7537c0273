// SPDX-License-Identifier: MIT
// graft/nn/optim/optimizer.hpp: ParamGrads (parameters with their gradient nodes) and Optimizer, the one
// update loop every optimizer shares. An optimizer binds, once, each parameter's buffer in the
// ParamStore and its gradient's buffer in the Machine; step() then updates in place and allocates
// nothing. A parameter with no gradient path to the loss is an error naming it, never a skipped update.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "../../autodiff/grad.hpp"
#include "../../exec/machine.hpp"
#include "../../graph/print.hpp"

namespace graft::nn {

/// A parameter and the node holding its gradient.
struct ParamGrad {
    NodeId param = no_node;  ///< the param node being trained
    NodeId grad = no_node;   ///< the node computing d loss / d param (same shape as the param)
    std::string name;        ///< the param's name, its key in the ParamStore
};

/// The gradients of a loss with respect to a list of parameters, as graph nodes.
struct ParamGrads {
    NodeId loss = no_node;         ///< the scalar loss node the gradients are taken of
    std::vector<ParamGrad> items;  ///< one entry per parameter, in the order given to param_grads()

    /// Output list for compile(): the given outputs first, then every gradient.
    template <VarType... V>
    [[nodiscard]] std::vector<NodeId> outputs(const V&... first) const {
        std::vector<NodeId> ids{first.id()...};
        for (const auto& it : items) ids.push_back(it.grad);
        return ids;
    }
};

namespace detail {
template <class X>
void collect_params(std::vector<NodeId>& out, const X& x) {
    if constexpr (VarType<X>) out.push_back(x.id());
    else if constexpr (requires { x.params(); }) {
        for (NodeId id : x.params()) out.push_back(id);
    } else {
        for (NodeId id : x) out.push_back(id);  // a range of NodeIds
    }
}
}  // namespace detail

/// grad(loss, params...) for parameters given as Vars, layers (anything with params()) or NodeId lists.
/// Throws graft::Error naming the first parameter that is not a param node or has no gradient path.
template <VarType L, class... P>
ParamGrads param_grads(const L& loss, const P&... params) {
    static_assert(has_one_element<typename L::shape_type>::value, "graft::nn::param_grads: the loss must have one element");
    Graph& g = loss.graph();
    std::vector<NodeId> ids;
    (detail::collect_params(ids, params), ...);
    if (ids.empty()) throw Error("nn::param_grads", "at least one parameter", "none");
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const NodeId id = ids[i];
        const Node& n = g.node(id);
        if (n.op != OpKind::param)
            throw Error("nn::param_grads", "parameters (param nodes)", std::string(op_name(n.op)) + " node %" + std::to_string(id));
        if (!has_gradient_path(g, loss.id(), id))
            throw Error("nn::param_grads: param \"" + n.name + "\"", "a gradient path from the loss", "none (the loss does not depend on it)");
        for (std::size_t j = 0; j < i; ++j)
            if (ids[j] == id)  // an optimizer would update it twice per step
                throw Error("nn::param_grads: param \"" + n.name + "\"", "each parameter once", "it listed twice");
    }
    const std::vector<NodeId> gs = grad(g, loss.id(), ids);
    ParamGrads pg;
    pg.loss = loss.id();
    for (std::size_t i = 0; i < ids.size(); ++i) pg.items.push_back({ids[i], gs[i], g.node(ids[i]).name});
    return pg;
}

/// Rejects NaN as well as out-of-range values (`!(x >= lo)` is true for NaN).
inline void check_hyper(const char* opt, const char* name, double v, double lo, double hi = INFINITY, bool hi_open = false) {
    const bool ok = v >= lo && std::isfinite(v) && (hi_open ? v < hi : v <= hi);
    if (!ok) {
        // shortest round-trip form, so -1e-09 is not shown as -0.000000
        std::string range = "[" + graft::detail::format_double(lo) + ", " + graft::detail::format_double(hi) + (hi_open || std::isinf(hi) ? ")" : "]");
        throw Error(std::string("nn::") + opt + ": " + name, "a finite value in " + range, graft::detail::format_double(v));
    }
}

/// eps of Adam, RMSprop and Adagrad: finite and > 0 (with eps = 0 a zero gradient gives 0 / 0 = NaN).
inline void check_eps(const char* opt, double eps) {
    check_hyper(opt, "eps", eps, 0.0);
    if (eps == 0.0)
        throw Error(std::string("nn::") + opt + ": eps", "a finite value > 0 (with eps = 0 a zero gradient makes 0 / 0 = NaN)", "0");
}

/// The shared part of every optimizer: bound buffers, the learning rate, the step count, clipping.
class Optimizer {
public:
    /// One parameter as the optimizer holds it: its buffers, bound once at construction.
    struct Bound {
        std::string name;           ///< the param's name in the ParamStore
        DType dtype = DType::f32;   ///< element type of the param, its gradient and its state (f32 or f64)
        Dims dims;                  ///< the param's shape
        std::size_t n = 0;          ///< element count of the param
        void* param = nullptr;      ///< the param's data in the machine's ParamStore, updated in place
        void* grad = nullptr;       ///< the gradient's output buffer in the Machine, refreshed by each run()
        std::vector<AlignedBuffer<unsigned char>> state;  ///< per-optimizer moment buffers, allocated once
    };

    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    /// Applies one update from the gradients of the machine's last run(). Allocates nothing.
    void step() {
        if (machine_->steps() == 0) throw Error(std::string("nn::") + name_ + "::step", "gradients from a run() of the machine", "no run() yet");
        if (schedule) lr = schedule(t_);
        check_hyper(name_, "lr", lr, 0.0);
        ++t_;
        for (auto& b : bound_) update(b);
    }
    /// Scales all gradients so their global L2 norm is at most max_norm; returns the norm before clipping.
    double clip_grad_norm(double max_norm) {
        check_hyper(name_, "max_norm", max_norm, 0.0);
        double total = 0;
        for (auto& b : bound_) total += sumsq(b);
        const double norm = std::sqrt(total);
        if (norm > max_norm && norm > 0) {
            const double scale = max_norm / (norm + 1e-6);
            for (auto& b : bound_) {
                if (b.dtype == DType::f32) for (std::size_t i = 0; i < b.n; ++i) static_cast<float*>(b.grad)[i] *= static_cast<float>(scale);
                else for (std::size_t i = 0; i < b.n; ++i) static_cast<double*>(b.grad)[i] *= scale;
            }
        }
        return norm;
    }
    /// Steps taken so far.
    [[nodiscard]] std::size_t steps() const noexcept { return t_; }
    /// Restores the step count (bias corrections, schedules) when resuming from a checkpoint.
    void set_steps(std::size_t t) noexcept { t_ = t; }
    /// "SGD", "Adam", "AdamW", "RMSprop" or "Adagrad".
    [[nodiscard]] const char* name() const noexcept { return name_; }
    /// Per-parameter state buffers (moments), writable for checkpoint restore.
    [[nodiscard]] std::vector<Bound>& bound_state() noexcept { return bound_; }
    /// The bound parameters, in order.
    [[nodiscard]] const std::vector<Bound>& bound() const noexcept { return bound_; }

    double lr;                                 ///< learning rate used by the next step()
    std::function<double(std::size_t)> schedule;  ///< if set, lr = schedule(step index) before each step

protected:
    /// Binds every parameter of `pg` in `m` with `state_buffers` zeroed param-sized state buffers each.
    /// Throws graft::Error for an lr that is not a finite value >= 0, an empty `pg`, a param the machine's
    /// ParamStore lacks, or a gradient that is not among the compiled program's outputs.
    Optimizer(const char* name, Machine& m, const ParamGrads& pg, double lr_, std::size_t state_buffers)
        : lr(lr_), name_(name), machine_(&m) {
        check_hyper(name_, "lr", lr_, 0.0);
        if (pg.items.empty()) throw Error(std::string("nn::") + name, "at least one parameter", "none");
        for (const auto& it : pg.items) {
            auto* e = m.params().find(it.name);
            if (!e) throw Error(std::string("nn::") + name + ": param \"" + it.name + "\"", "a parameter the machine holds", "none");
            Bound b;
            b.name = it.name;
            b.dtype = e->dtype;
            b.dims = e->dims;
            b.n = e->size();
            b.param = e->data.data();
            try {
                b.grad = m.output_data(it.grad);
            } catch (const Error&) {
                throw Error(std::string("nn::") + name + ": param \"" + it.name + "\"", "its gradient among the program's outputs (compile(g, grads.outputs(...)))", "not an output");
            }
            for (std::size_t k = 0; k < state_buffers; ++k) b.state.emplace_back(e->data.size());
            bound_.push_back(std::move(b));
        }
    }
    /// The optimizer's rule for one parameter; t_ is already the 1-based index of this step.
    virtual void update(Bound& b) = 0;
    std::size_t t_ = 0;  ///< steps taken; inside update(), the 1-based index of the current step
    const char* name_;   ///< the optimizer's name, as name() returns it and errors show it

private:
    static double sumsq(const Bound& b) {
        double s = 0;
        if (b.dtype == DType::f32) for (std::size_t i = 0; i < b.n; ++i) s += double(static_cast<float*>(b.grad)[i]) * static_cast<float*>(b.grad)[i];
        else for (std::size_t i = 0; i < b.n; ++i) s += static_cast<double*>(b.grad)[i] * static_cast<double*>(b.grad)[i];
        return s;
    }
    Machine* machine_;
    std::vector<Bound> bound_;
};

/// Calls f(i0, len) over [0, n) in blocks of at most 256 elements. An update rule written as Eigen array
/// expressions over one block runs vectorized (std::sqrt in a plain loop is not, unless the user compiles
/// with -fno-math-errno) and still makes a single pass over memory: a block's operands stay in L1.
template <class F>
void for_blocks(std::size_t n, F&& f) {
    constexpr std::size_t block = 256;
    for (std::size_t i = 0; i < n; i += block) f(i, std::min(block, n - i));
}
/// A block of a parameter-sized buffer as an Eigen array.
template <class T>
using BlockArray = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
/// A block of a read-only parameter-sized buffer (the gradient) as an Eigen array.
template <class T>
using ConstBlockArray = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

/// Calls f(param, grad) with both buffers cast to the parameter's dtype: `float*` and `const float*` for
/// f32, `double*` and `const double*` otherwise (f takes `auto*` parameters).
template <class F>
void with_typed(Optimizer::Bound& b, F&& f) {
    if (b.dtype == DType::f32) f(static_cast<float*>(b.param), static_cast<const float*>(b.grad));
    else f(static_cast<double*>(b.param), static_cast<const double*>(b.grad));
}

}  // namespace graft::nn
