// SPDX-License-Identifier: MIT
// graft/autodiff/gradcheck.hpp: gradcheck compares grad()'s analytic gradients with central finite
// differences in double precision: d/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).
// A non-scalar output is projected onto a fixed random direction r (loss = sum(out * r)), so the whole
// Jacobian is exercised. This is the one autodiff/ file that runs programs (it compiles the graph and
// runs it on a Machine): a test utility at the end of the pipeline.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "../core/random.hpp"
#include "../tensor/view.hpp"
#include "../exec/compile.hpp"
#include "../exec/machine.hpp"
#include "grad.hpp"

namespace graft {

/// Tolerances and step of gradcheck; the defaults suit smooth ops in double precision.
struct GradcheckOptions {
    double eps = 1e-6;    ///< finite-difference step
    double atol = 1e-6;   ///< |analytic - numeric| <= atol + rtol * |numeric|
    double rtol = 1e-4;   ///< relative tolerance, multiplied by |numeric| (see atol)
    std::uint64_t seed = 1234;  ///< for the projection direction of non-scalar outputs
};

/// One input of an untyped gradcheck: f64 values to differentiate, or i32 values held fixed (labels).
struct GradcheckInput {
    Dims dims;                       ///< the input's dims; values (or ints) must hold their product, else graft::Error
    std::vector<double> values;      ///< f64 inputs
    std::vector<std::int32_t> ints;  ///< i32 inputs (not differentiated)
    bool is_int = false;             ///< true: an i32 input read from ints; false: an f64 input read from values
};

/// What gradcheck found: pass/fail, the largest error and the first failing element.
struct GradcheckResult {
    bool ok = true;            ///< every partial derivative within atol + rtol * |numeric|
    double max_abs_error = 0;  ///< over all checked elements
    std::size_t checked = 0;   ///< number of partial derivatives compared
    std::string worst;         ///< where the largest violation (or error) happened
};

/// Builds a graph from input nodes and returns the output node.
using GradcheckBuild = std::function<NodeId(Graph&, std::span<const NodeId>)>;

/// Untyped gradcheck over every f64 input (the op-table walker in the tests uses this form).
inline GradcheckResult gradcheck_ir(const GradcheckBuild& build, const std::vector<GradcheckInput>& inputs,
                                 const GradcheckOptions& opt = {}) {
    Graph g;
    std::vector<NodeId> xs;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        std::size_t n = 1;
        for (auto d : inputs[i].dims) n *= d;
        const std::size_t have = inputs[i].is_int ? inputs[i].ints.size() : inputs[i].values.size();
        if (have != n) {
            std::string where = "gradcheck: input ";
            where += std::to_string(i);
            throw Error(where, std::to_string(n) + (inputs[i].is_int ? " ints" : " values") + " for dims " + shape_string(inputs[i].dims),
                        std::to_string(have));
        }
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        std::string name = "x";  // appended: `"x" + to_string(i)` trips GCC 12's -Wrestrict at -O2 (PR 105329)
        name += std::to_string(i);
        xs.push_back(g.input(name, inputs[i].is_int ? DType::i32 : DType::f64, inputs[i].dims));
    }
    const NodeId out = build(g, xs);
    if (g.node(out).dtype != DType::f64) throw Error("gradcheck", "an f64 output", std::string(dtype_name(g.node(out).dtype)));
    NodeId loss = out;
    if (g.node(out).size() != 1 || !g.node(out).dims.empty()) {
        const Node& o = g.node(out);
        std::vector<double> r(o.size());
        Rng rng(opt.seed);
        for (auto& v : r) v = rng.uniform(-1.0, 1.0);
        const NodeId dir = g.constant(DType::f64, o.dims, r.data(), "direction");
        loss = ir::sum_all(g, ir::mul(g, out, dir));
    }
    std::vector<NodeId> wrt;
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (!inputs[i].is_int) wrt.push_back(xs[i]);
    const std::vector<NodeId> grads = grad(g, loss, wrt);
    std::vector<NodeId> outs{loss};
    outs.insert(outs.end(), grads.begin(), grads.end());
    Machine m(compile(g, outs));
    std::vector<std::vector<double>> vals;
    // binds input i, unless the program never reads it (the loss is then constant in it: numeric slope 0)
    auto let = [&](std::size_t i) {
        if (m.program().slot_of(xs[i]) == UINT32_MAX) return;
        std::string name = "x";
        name += std::to_string(i);
        if (inputs[i].is_int) m.let(name, DType::i32, inputs[i].dims, inputs[i].ints.data());
        else m.let(name, DType::f64, inputs[i].dims, vals[i].data());
    };
    for (std::size_t i = 0; i < inputs.size(); ++i) vals.push_back(inputs[i].values);
    for (std::size_t i = 0; i < inputs.size(); ++i) let(i);
    m.run();
    std::vector<std::vector<double>> analytic;
    for (NodeId gid : grads) {
        const ValueRef v = m.value(gid);
        const auto* p = static_cast<const double*>(v.data);
        analytic.emplace_back(p, p + g.node(gid).size());
    }
    auto loss_at = [&]() {
        m.run();
        return *static_cast<const double*>(m.value(loss).data);
    };
    GradcheckResult res;
    std::size_t w = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].is_int) continue;
        std::string name = "x";
        name += std::to_string(i);
        for (std::size_t k = 0; k < vals[i].size(); ++k) {
            const double orig = vals[i][k];
            vals[i][k] = orig + opt.eps;
            let(i);
            const double lp = loss_at();
            vals[i][k] = orig - opt.eps;
            let(i);
            const double lm = loss_at();
            vals[i][k] = orig;
            let(i);
            const double numeric = (lp - lm) / (2 * opt.eps);
            const double a = analytic[w][k];
            const double err = std::fabs(a - numeric);
            ++res.checked;
            const bool bad = !(err <= opt.atol + opt.rtol * std::fabs(numeric));
            if (bad || err > res.max_abs_error) {
                if (bad && res.ok) {
                    res.ok = false;
                    res.worst = name + "[" + std::to_string(k) + "]: analytic " + std::to_string(a) + ", numeric " + std::to_string(numeric);
                }
                res.max_abs_error = std::max(res.max_abs_error, err);
            }
        }
        ++w;
    }
    return res;
}

/// Typed gradcheck: `gradcheck([](auto x, auto w) { return sum(tanh(matmul(x, w))); }, x0, w0)` with
/// Tensor<double, S> inputs (Tensor<int32_t, S> inputs are bound but not differentiated).
template <class F, TensorLike... X>
GradcheckResult gradcheck(F fn, const GradcheckOptions& opt, const X&... inputs) {
    std::vector<GradcheckInput> ins;
    auto add_input = [&](const auto& t) {
        using T = std::remove_cvref_t<decltype(*t.data())>;
        using S = typename std::remove_cvref_t<decltype(t)>::shape_type;
        GradcheckInput in;
        in.dims = Dims(S::dims.begin(), S::dims.end());
        if constexpr (std::is_same_v<T, std::int32_t>) {
            in.is_int = true;
            in.ints.assign(t.data(), t.data() + S::size);
        } else {
            static_assert(std::is_same_v<T, double>, "graft::gradcheck: inputs are double (or int32 labels)");
            in.values.assign(t.data(), t.data() + S::size);
        }
        ins.push_back(std::move(in));
    };
    (add_input(inputs), ...);
    auto build = [&](Graph& g, std::span<const NodeId> xs) {
        std::size_t k = 0;
        auto make = [&](const auto& t) {
            using T = std::remove_cvref_t<decltype(*t.data())>;
            using S = typename std::remove_cvref_t<decltype(t)>::shape_type;
            return Var<T, S>(g, xs[k++]);
        };
        return std::apply([&](const auto&... t) { return fn(t...).id(); }, std::tuple{make(inputs)...});
    };
    return gradcheck_ir(build, ins, opt);
}
/// Typed gradcheck with the default GradcheckOptions.
template <class F, TensorLike... X>
    requires(sizeof...(X) >= 1)
GradcheckResult gradcheck(F fn, const X&... inputs) {
    return gradcheck(fn, GradcheckOptions{}, inputs...);
}

}  // namespace graft
