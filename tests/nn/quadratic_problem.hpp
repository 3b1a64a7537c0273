// SPDX-License-Identifier: MIT
// tests/nn/quadratic_problem.hpp: a tiny training problem whose gradients are known in closed form, for
// checking optimizers step by step against reference recurrences written in the tests.
//   loss = sum(cw * w + 0.5 * aw * w^2) + sum(cb * b + 0.5 * ab * b^2),  w [2,3], b [3]
//   dloss/dw = cw + aw * w,  dloss/db = cb + ab * b
// Seen as one flat vector p = (w, b) of 9 values: grad_i(p) = c_i + a_i * p_i.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <vector>

#include <graft/graft.hpp>

namespace graft_test {

struct QuadraticData {
    static constexpr std::size_t n = 9;
    // one element with c = 0, a = 0 and p = 0 has a zero gradient throughout (moments stay 0)
    static constexpr std::array<double, n> c = {0.5, -1.0, 2.0, -0.25, 0.0, 0.75, -0.5, 1.25, 0.0};
    static constexpr std::array<double, n> a = {1.0, 0.5, 2.0, 0.0, 1.5, 0.25, 1.0, 0.0, 0.0};
    static constexpr std::array<double, n> p0 = {0.3, -0.7, 1.1, 0.4, -2.0, 0.05, -0.6, 0.9, 0.0};
    static double grad(std::size_t i, double p) { return c[i] + a[i] * p; }
};

template <class T>
struct QuadraticProblem : QuadraticData {
    graft::Graph g;
    graft::Var<T, graft::Shape<2, 3>> w;
    graft::Var<T, graft::Shape<3>> b;
    graft::Var<T, graft::Shape<>> loss;
    graft::nn::ParamGrads grads;
    std::optional<graft::Machine> m;

    QuadraticProblem() {
        using graft::Shape;
        using graft::Tensor;
        w = g.param<T, 2, 3>("w", graft::init::zeros());
        b = g.param<T, 3>("b", graft::init::zeros());
        Tensor<T, Shape<2, 3>> cw, aw;
        Tensor<T, Shape<3>> cb, ab;
        for (std::size_t i = 0; i < 6; ++i) {
            cw.data()[i] = static_cast<T>(c[i]);
            aw.data()[i] = static_cast<T>(a[i]);
        }
        for (std::size_t i = 0; i < 3; ++i) {
            cb.data()[i] = static_cast<T>(c[6 + i]);
            ab.data()[i] = static_cast<T>(a[6 + i]);
        }
        loss = sum(g.constant(cw) * w + g.constant(aw) * square(w) * 0.5) + sum(g.constant(cb) * b + g.constant(ab) * square(b) * 0.5);
        grads = graft::nn::param_grads(loss, w, b);
        m.emplace(graft::compile(g, grads.outputs(loss)));
        auto wv = m->param(w);
        auto bv = m->param(b);
        for (std::size_t i = 0; i < 6; ++i) wv.data()[i] = static_cast<T>(p0[i]);
        for (std::size_t i = 0; i < 3; ++i) bv.data()[i] = static_cast<T>(p0[6 + i]);
    }
    QuadraticProblem(const QuadraticProblem&) = delete;
    QuadraticProblem& operator=(const QuadraticProblem&) = delete;

    /// The current parameters as one flat vector (w, then b).
    std::vector<double> params() {
        std::vector<double> p;
        for (T v : m->param(w)) p.push_back(static_cast<double>(v));
        for (T v : m->param(b)) p.push_back(static_cast<double>(v));
        return p;
    }
    /// The gradients the last run() computed, flat (w, then b).
    std::vector<double> gradients() {
        std::vector<double> out;
        for (const auto& it : grads.items) {
            const graft::ValueRef v = m->value(it.grad);
            const auto* p = static_cast<const T*>(v.data);
            std::size_t count = 1;
            for (auto d : *v.dims) count *= d;
            for (std::size_t i = 0; i < count; ++i) out.push_back(static_cast<double>(p[i]));
        }
        return out;
    }
};

}  // namespace graft_test
