// SPDX-License-Identifier: MIT
// tests/exec/ops_forward_test.cpp: one harness over every op in op_table (ggml test-backend-ops style).
// Each case builds a one-op untyped graph, compiles it, runs it on a Machine with seeded random inputs
// in float and in double, and compares with tests/support/naive_ops.hpp (a naive loop in double over the
// same rounded inputs). Shapes cover broadcasting (scalar, row, column, [3,1]x[1,4]), 1-element and
// rank-0 values, rank 4 and zero-size dims. A new op without a case fails the coverage test.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <graft/exec.hpp>
#include <graft/graph.hpp>
#include <graft/tensor.hpp>

#include "support/files.hpp"
#include "support/graph_runner.hpp"
#include "support/naive_ops.hpp"
#include "support/text.hpp"

using namespace graft;
using graft_test::NaiveValue;
using graft_test::cat;

namespace {

/// How close a result must be to the double reference.
enum class Tol {
    exact,    ///< selection, copies, comparisons: equal to the reference
    rounded,  ///< one correctly rounded IEEE operation: within one ulp of T
    approx,   ///< transcendental functions and sums: a few hundred ulps of T
};

/// One operand: its dims and how its values are drawn.
struct In {
    enum class Kind { real, nonzero, ints, labels };
    Dims dims;
    Kind kind = Kind::real;
    double lo = -2.0, hi = 2.0;
};
In any(Dims d, double lo = -2.0, double hi = 2.0) { return {std::move(d), In::Kind::real, lo, hi}; }
In pos(Dims d) { return {std::move(d), In::Kind::real, 0.05, 3.0}; }
In nonzero(Dims d) { return {std::move(d), In::Kind::nonzero, 0.5, 2.0}; }
/// Small integers, so comparisons and maxima meet ties.
In ints(Dims d) { return {std::move(d), In::Kind::ints, -2.0, 2.0}; }
/// int32 labels in [0, depth): every class, none out of range (one_hot refuses those; tested below).
In labels(Dims d, std::size_t depth) { return {std::move(d), In::Kind::labels, 0.0, static_cast<double>(depth) - 1.0}; }

struct Case {
    OpKind op;
    std::vector<In> ins;
    Attrs at;
    Tol tol;
    std::string what;
};

Attrs axis_attr(std::int64_t axis, bool keepdims = false) {
    Attrs a;
    a.axis = axis;
    a.keepdims = keepdims;
    return a;
}
Attrs scalar_attr(double c, double c2 = 0.0) {
    Attrs a;
    a.scalar = c;
    a.scalar2 = c2;
    return a;
}
Attrs ints_attr(std::vector<std::size_t> v) {
    Attrs a;
    a.ints = std::move(v);
    return a;
}
Attrs slice_attr(std::int64_t axis, std::size_t start, std::size_t stop) {
    Attrs a;
    a.axis = axis;
    a.start = start;
    a.stop = stop;
    return a;
}
Attrs depth_attr(std::size_t depth) {
    Attrs a;
    a.start = depth;
    return a;
}
Attrs all_axes(bool keepdims) {
    Attrs a;
    a.all_axes = true;
    a.keepdims = keepdims;
    return a;
}

std::string dims_str(const Dims& d) { return shape_string(d); }

/// The shape pairs every broadcasting binary op runs on.
std::vector<std::pair<Dims, Dims>> binary_shapes() {
    return {
        {{2, 3}, {2, 3}},             // same shape
        {{2, 3}, {}},                 // tensor and rank-0 scalar
        {{}, {2, 3}},                 // scalar and tensor
        {{3, 4}, {4}},                // row
        {{3, 4}, {3, 1}},             // column
        {{3, 1}, {1, 4}},             // both broadcast: [3,1] x [1,4] -> [3,4]
        {{}, {}},                     // rank 0
        {{1}, {1}},                   // one element
        {{2, 3, 4, 5}, {3, 1, 5}},    // rank 4
        {{1, 3, 1, 5}, {2, 1, 4, 1}}, // rank 4, every operand broadcast
        {{0, 3}, {3}},                // zero-size dim
        {{2, 0}, {2, 1}},             // zero-size dim against a column
        {{37}, {37}},                 // a length that leaves a vector remainder
    };
}

std::vector<Case> all_cases() {
    std::vector<Case> cs;
    // ------------------------------------------------------------ binary, with broadcasting
    for (const auto& [a, b] : binary_shapes()) {
        const std::string s = cat(dims_str(a), " x ", dims_str(b));
        cs.push_back({OpKind::add, {any(a), any(b)}, {}, Tol::rounded, s});
        cs.push_back({OpKind::sub, {any(a), any(b)}, {}, Tol::rounded, s});
        cs.push_back({OpKind::mul, {any(a), any(b)}, {}, Tol::rounded, s});
        cs.push_back({OpKind::div, {any(a), nonzero(b)}, {}, Tol::rounded, s});
        cs.push_back({OpKind::maximum, {ints(a), any(b)}, {}, Tol::exact, s});
        cs.push_back({OpKind::minimum, {ints(a), ints(b)}, {}, Tol::exact, s});
        cs.push_back({OpKind::greater, {ints(a), ints(b)}, {}, Tol::exact, s});
        cs.push_back({OpKind::less, {ints(a), ints(b)}, {}, Tol::exact, s});
        cs.push_back({OpKind::equal, {ints(a), ints(b)}, {}, Tol::exact, s});
    }
    // ------------------------------------------------------------ with scalar attributes
    for (const Dims& d : std::vector<Dims>{{2, 3}, {}, {1}, {0, 4}, {2, 3, 4, 5}, {37}}) {
        const std::string s = dims_str(d);
        cs.push_back({OpKind::add_scalar, {any(d)}, scalar_attr(1.5), Tol::rounded, s + " + 1.5"});
        cs.push_back({OpKind::add_scalar, {any(d)}, scalar_attr(-0.25), Tol::rounded, s + " - 0.25"});
        cs.push_back({OpKind::mul_scalar, {any(d)}, scalar_attr(-3.0), Tol::rounded, s + " * -3"});
        cs.push_back({OpKind::div_scalar, {any(d)}, scalar_attr(3.0), Tol::rounded, s + " / 3"});
        cs.push_back({OpKind::div_scalar, {any(d)}, scalar_attr(-0.5), Tol::rounded, s + " / -0.5"});
        cs.push_back({OpKind::rsub_scalar, {any(d)}, scalar_attr(1.0), Tol::rounded, cat("1 - ", s)});
        cs.push_back({OpKind::rdiv_scalar, {nonzero(d)}, scalar_attr(2.0), Tol::rounded, cat("2 / ", s)});
        cs.push_back({OpKind::pow_scalar, {any(d)}, scalar_attr(2.0), Tol::rounded, s + " ^ 2"});
        cs.push_back({OpKind::pow_scalar, {any(d)}, scalar_attr(1.0), Tol::exact, s + " ^ 1"});
        cs.push_back({OpKind::pow_scalar, {any(d)}, scalar_attr(3.0), Tol::approx, s + " ^ 3 (negative bases)"});
        cs.push_back({OpKind::pow_scalar, {any(d)}, scalar_attr(0.0), Tol::exact, s + " ^ 0"});
        cs.push_back({OpKind::pow_scalar, {pos(d)}, scalar_attr(0.5), Tol::approx, s + " ^ 0.5"});
        cs.push_back({OpKind::pow_scalar, {pos(d)}, scalar_attr(-1.5), Tol::approx, s + " ^ -1.5"});
        cs.push_back({OpKind::clamp, {any(d)}, scalar_attr(-0.5, 0.75), Tol::exact, cat("clamp(", s, ", -0.5, 0.75)")});
        cs.push_back({OpKind::clamp, {any(d)}, scalar_attr(0.25, 0.25), Tol::exact, cat("clamp(", s, ", 0.25, 0.25)")});
    }
    // ------------------------------------------------------------ unary
    for (const Dims& d : std::vector<Dims>{{2, 3}, {}, {1}, {0, 5}, {2, 3, 4, 5}, {37}}) {
        const std::string s = dims_str(d);
        cs.push_back({OpKind::neg, {any(d)}, {}, Tol::exact, s});
        cs.push_back({OpKind::exp, {any(d, -5, 5)}, {}, Tol::approx, s});
        cs.push_back({OpKind::log, {pos(d)}, {}, Tol::approx, s});
        cs.push_back({OpKind::log1p, {any(d, -0.9, 3)}, {}, Tol::approx, s});
        cs.push_back({OpKind::expm1, {any(d, -3, 3)}, {}, Tol::approx, s});
        cs.push_back({OpKind::tanh, {any(d, -5, 5)}, {}, Tol::approx, s});
        cs.push_back({OpKind::sigmoid, {any(d, -8, 8)}, {}, Tol::approx, s});
        cs.push_back({OpKind::softplus, {any(d, -8, 8)}, {}, Tol::approx, s});
        cs.push_back({OpKind::relu, {any(d)}, {}, Tol::exact, s});
        cs.push_back({OpKind::sqrt, {any(d, 0.0, 4.0)}, {}, Tol::approx, s});  // Eigen's fast float sqrt: a few ulps
        cs.push_back({OpKind::square, {any(d)}, {}, Tol::rounded, s});
        cs.push_back({OpKind::abs, {any(d)}, {}, Tol::exact, s});
    }
    // ------------------------------------------------------------ where: mask != 0 selects a, all three broadcast
    for (const auto& [m, a, b] : std::vector<std::tuple<Dims, Dims, Dims>>{
             {{2, 3}, {2, 3}, {2, 3}}, {{3, 1}, {1, 4}, {}}, {{4}, {3, 4}, {3, 1}},
             {{}, {}, {}}, {{2, 1, 3}, {4, 1}, {2, 4, 3}}, {{0, 3}, {3}, {}}, {{1}, {2, 2}, {2, 1}}}) {
        cs.push_back({OpKind::where, {ints(m), any(a), any(b)}, {}, Tol::exact,
                      cat(dims_str(m), ", ", dims_str(a), ", ", dims_str(b))});
    }
    // ------------------------------------------------------------ matmul (NumPy semantics)
    for (const auto& [a, b] : std::vector<std::pair<Dims, Dims>>{
             {{2, 3}, {3, 4}},          // 2-D
             {{1, 1}, {1, 1}},          // 1x1
             {{5, 17}, {17, 9}},        // odd sizes
             {{3}, {3}},                // vector . vector -> scalar
             {{3}, {3, 4}},             // rank-1 left: row vector, M dropped
             {{2, 3}, {3}},             // rank-1 right: column vector, N dropped
             {{2, 2, 3}, {3, 4}},       // batch on A only (one GEMM over the batch rows)
             {{3, 4}, {2, 4, 5}},       // batch on B only
             {{2, 3, 4}, {2, 4, 5}},    // equal batches
             {{2, 1, 3, 4}, {5, 4, 2}}, // broadcast batch dims [2,1] x [5] -> [2,5]
             {{2, 3, 4}, {4}},          // batched with a rank-1 right operand
             {{4}, {2, 4, 3}},          // rank-1 left operand against a batch
             {{0, 3}, {3, 4}},          // M = 0
             {{2, 0}, {0, 3}},          // K = 0: zeros
             {{2, 3}, {3, 0}},          // N = 0
         }) {
        cs.push_back({OpKind::matmul, {any(a, -1, 1), any(b, -1, 1)}, {}, Tol::approx, cat(dims_str(a), " x ", dims_str(b))});
    }
    // ------------------------------------------------------------ shape ops
    for (const auto& [d, perm] : std::vector<std::pair<Dims, std::vector<std::size_t>>>{
             {{2, 3}, {}}, {{2, 3}, {1, 0}}, {{2, 3}, {0, 1}}, {{40, 33}, {1, 0}}, {{2, 3, 4}, {2, 0, 1}},
             {{2, 3, 4}, {1, 0, 2}}, {{2, 3, 4}, {0, 2, 1}}, {{2, 3, 4, 5}, {3, 1, 0, 2}}, {{}, {}},
             {{5}, {0}}, {{0, 3}, {1, 0}}, {{1, 1}, {1, 0}}}) {
        cs.push_back({OpKind::transpose, {any(d)}, ints_attr(perm), Tol::exact, cat(dims_str(d), " perm ", dims_str(perm))});
    }
    for (const auto& [d, to] : std::vector<std::pair<Dims, Dims>>{
             {{2, 3}, {3, 2}}, {{6}, {1, 6, 1}}, {{}, {1, 1}}, {{1}, {}}, {{0, 3}, {3, 0}}, {{2, 3, 4}, {4, 6}}}) {
        cs.push_back({OpKind::reshape, {any(d)}, ints_attr(to), Tol::exact, cat(dims_str(d), " -> ", dims_str(to))});
    }
    for (const Dims& d : std::vector<Dims>{{2, 3}, {}, {0, 3}})  // checkpoint: the identity (an alias when compiled)
        cs.push_back({OpKind::checkpoint, {any(d)}, {}, Tol::exact, dims_str(d)});
    for (const auto& [d, to] : std::vector<std::pair<Dims, Dims>>{
             {{3, 1}, {3, 4}}, {{4}, {2, 3, 4}}, {{}, {2, 2}}, {{1}, {0}}, {{2, 3}, {2, 3}}, {{1, 3, 1}, {2, 3, 4}}, {{}, {}}}) {
        cs.push_back({OpKind::broadcast_to, {any(d)}, ints_attr(to), Tol::exact, cat(dims_str(d), " -> ", dims_str(to))});
    }
    for (const auto& [ds, axis] : std::vector<std::pair<std::vector<Dims>, std::int64_t>>{
             {{{2, 3}, {1, 3}}, 0}, {{{2, 3}, {2, 4}, {2, 1}}, 1}, {{{2, 2}, {2, 3}}, -1}, {{{2, 3}}, 0},
             {{{2, 0}, {2, 3}}, 1}, {{{3}, {2}}, 0}, {{{2, 1, 3}, {2, 2, 3}}, 1}, {{{0, 2}, {0, 2}}, 0}}) {
        Case c{OpKind::concat, {}, axis_attr(axis), Tol::exact, cat("axis ", std::to_string(axis), ":")};
        for (const auto& d : ds) {
            c.ins.push_back(any(d));
            c.what += cat(" ", dims_str(d));
        }
        cs.push_back(c);
    }
    for (const auto& [d, at] : std::vector<std::pair<Dims, Attrs>>{
             {{4, 6}, slice_attr(0, 1, 3)}, {{4, 6}, slice_attr(1, 2, 5)}, {{4, 6}, slice_attr(-1, 0, 6)},
             {{4, 6}, slice_attr(1, 3, 3)}, {{2, 3, 4}, slice_attr(1, 1, 2)}, {{5}, slice_attr(0, 4, 5)},
             {{2, 3, 4, 5}, slice_attr(3, 1, 4)}}) {
        cs.push_back({OpKind::slice, {any(d)}, at, Tol::exact,
                      cat(dims_str(d), " axis ", std::to_string(at.axis), " [", std::to_string(at.start), ":",
                          std::to_string(at.stop), "]")});
    }
    // ------------------------------------------------------------ reductions
    for (OpKind op : {OpKind::sum, OpKind::mean, OpKind::max}) {
        const Tol t = op == OpKind::max ? Tol::exact : Tol::approx;
        for (bool keep : {false, true}) {
            const std::string k = keep ? ", keepdims" : "";
            cs.push_back({op, {any({2, 3, 4})}, all_axes(keep), t, cat("[2,3,4] all", k)});
            for (std::int64_t ax : {0, 1, 2, -1})
                cs.push_back({op, {any({2, 3, 4})}, axis_attr(ax, keep), t, cat("[2,3,4] axis ", std::to_string(ax), k)});
            cs.push_back({op, {any({37, 3})}, axis_attr(0, keep), t, cat("[37,3] axis 0", k)});
            cs.push_back({op, {any({})}, all_axes(keep), t, cat("rank-0 all", k)});
            cs.push_back({op, {any({1})}, axis_attr(0, keep), t, cat("[1] axis 0", k)});
            cs.push_back({op, {any({300})}, all_axes(keep), t, cat("[300] all (pairwise)", k)});
            cs.push_back({op, {any({2, 3, 4, 5})}, axis_attr(2, keep), t, cat("rank 4 axis 2", k)});
            cs.push_back({op, {any({0, 3})}, axis_attr(1, keep), t, cat("[0,3] axis 1", k)});
        }
        if (op != OpKind::max) {  // empty reductions: sum is 0, mean is NaN (NumPy's value)
            cs.push_back({op, {any({0, 3})}, axis_attr(0), t, "[0,3] axis 0 (empty axis)"});
            cs.push_back({op, {any({0, 3})}, all_axes(false), t, "[0,3] all (empty)"});
        }
    }
    // ------------------------------------------------------------ softmax family
    for (OpKind op : {OpKind::softmax, OpKind::log_softmax}) {
        for (const auto& [d, ax] : std::vector<std::pair<Dims, std::int64_t>>{
                 {{2, 5}, -1}, {{2, 5}, 0}, {{3, 4, 5}, 0}, {{3, 4, 5}, 1}, {{3, 4, 5}, 2}, {{7}, 0},
                 {{1}, 0}, {{0, 3}, 1}, {{0, 3}, 0}, {{2, 3, 4, 5}, -2}}) {
            cs.push_back({op, {any(d, -3, 3)}, axis_attr(ax), Tol::approx, cat(dims_str(d), " axis ", std::to_string(ax))});
        }
    }
    // ------------------------------------------------------------ integer-valued
    for (const auto& [d, depth] : std::vector<std::pair<Dims, std::size_t>>{
             {{8}, 4}, {{}, 3}, {{2, 3}, 4}, {{0}, 2}, {{6}, 1}}) {
        cs.push_back({OpKind::one_hot, {labels(d, depth)}, depth_attr(depth), Tol::exact,
                      cat(dims_str(d), " depth ", std::to_string(depth))});
    }
    for (const auto& [d, at] : std::vector<std::pair<Dims, Attrs>>{
             {{3, 4}, axis_attr(1)}, {{3, 4}, axis_attr(0)}, {{3, 4}, axis_attr(1, true)}, {{2, 3, 4}, axis_attr(1)},
             {{2, 3, 4}, axis_attr(-1, true)}, {{1}, axis_attr(0)}, {{5}, axis_attr(0)}, {{0, 3}, axis_attr(1)}}) {
        cs.push_back({OpKind::argmax, {ints(d)}, at, Tol::exact, cat(dims_str(d), " axis ", std::to_string(at.axis))});
    }
    // ------------------------------------------------------------ convolution and pooling (NCHW)
    {
        struct C {
            Dims x, w;
            std::vector<std::size_t> p;  // {sh, sw, pt, pl, pb, pr, dh, dw, groups}
            const char* what;
        };
        const std::vector<C> convs = {
            {{2, 3, 7, 6}, {4, 3, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1}, "3x3 pad 1"},
            {{2, 4, 9, 8}, {6, 2, 3, 3}, {2, 2, 1, 1, 1, 1, 1, 1, 2}, "stride 2, pad 1, groups 2"},
            {{1, 2, 9, 7}, {3, 2, 3, 2}, {1, 2, 2, 0, 1, 3, 2, 2, 1}, "dilation 2, stride 1x2, asymmetric pad"},
            {{2, 5, 4, 3}, {3, 5, 1, 1}, {1, 1, 0, 0, 0, 0, 1, 1, 1}, "1x1"},
            {{0, 3, 5, 5}, {2, 3, 3, 3}, {1, 1, 0, 0, 0, 0, 1, 1, 1}, "empty batch"},
        };
        for (const auto& c : convs) {
            const auto out = [&](std::size_t in, std::size_t lo, std::size_t hi, std::size_t k, std::size_t st, std::size_t dl) {
                return (in + lo + hi - dl * (k - 1) - 1) / st + 1;
            };
            const Dims y = {c.x[0], c.w[0], out(c.x[2], c.p[2], c.p[4], c.w[2], c.p[0], c.p[6]), out(c.x[3], c.p[3], c.p[5], c.w[3], c.p[1], c.p[7])};
            Attrs gi = ints_attr(c.p), gw = ints_attr(c.p);
            gi.ints.insert(gi.ints.end(), c.x.begin(), c.x.end());
            gw.ints.insert(gw.ints.end(), c.w.begin(), c.w.end());
            cs.push_back({OpKind::conv2d, {any(c.x), any(c.w)}, ints_attr(c.p), Tol::approx, cat(c.what, " ", dims_str(c.x), " * ", dims_str(c.w))});
            cs.push_back({OpKind::conv2d_grad_input, {any(y), any(c.w)}, gi, Tol::approx, cat(c.what, " dy ", dims_str(y))});
            cs.push_back({OpKind::conv2d_grad_weight, {any(c.x), any(y)}, gw, Tol::approx, cat(c.what, " x ", dims_str(c.x))});
        }
        struct P {
            Dims x;
            std::vector<std::size_t> p;  // {kh, kw, sh, sw, pt, pl, pb, pr}
            const char* what;
        };
        const std::vector<P> pools = {
            {{2, 3, 7, 6}, {2, 2, 2, 2, 0, 0, 0, 0}, "2x2 stride 2"},
            {{2, 3, 9, 8}, {3, 3, 2, 2, 1, 1, 1, 1}, "3x3 stride 2 pad 1"},
            {{1, 2, 5, 7}, {2, 3, 1, 2, 1, 0, 0, 2}, "2x3 stride 1x2 asymmetric pad"},
            {{0, 2, 4, 4}, {2, 2, 2, 2, 0, 0, 0, 0}, "empty batch"},
        };
        for (const auto& c : pools) {
            const Dims y = {c.x[0], c.x[1], (c.x[2] + c.p[4] + c.p[6] - c.p[0]) / c.p[2] + 1, (c.x[3] + c.p[5] + c.p[7] - c.p[1]) / c.p[3] + 1};
            Attrs ga = ints_attr(c.p);
            ga.ints.insert(ga.ints.end(), c.x.begin(), c.x.end());
            // small integers: windows meet ties, and the first maximum must win
            cs.push_back({OpKind::max_pool2d, {ints(c.x)}, ints_attr(c.p), Tol::exact, cat(c.what, " ", dims_str(c.x), " (ties)")});
            cs.push_back({OpKind::max_pool2d_grad, {ints(c.x), any(y)}, ints_attr(c.p), Tol::approx, cat(c.what, " ", dims_str(c.x), " (ties)")});
            cs.push_back({OpKind::avg_pool2d, {any(c.x)}, ints_attr(c.p), Tol::approx, cat(c.what, " ", dims_str(c.x))});
            cs.push_back({OpKind::avg_pool2d_grad, {any(y)}, ga, Tol::approx, cat(c.what, " dy ", dims_str(y))});
        }
    }
    // ------------------------------------------------------------ random (run 0)
    for (const auto& [d, p] : std::vector<std::pair<Dims, double>>{{{5, 7}, 0.25}, {{}, 0.5}, {{0}, 0.5}, {{300}, 0.0}, {{2, 3, 4}, 0.9}}) {
        Attrs at = scalar_attr(p);
        at.start = 11;
        cs.push_back({OpKind::dropout_mask, {any(d)}, at, Tol::rounded, cat(dims_str(d), " p ", std::to_string(p))});
    }
    // ------------------------------------------------------------ made by the fusion passes
    auto program = [](Dims dims, std::size_t inputs, std::size_t regs, std::vector<FusedStep> steps, std::vector<double> consts = {}) {
        FusedProgram p;  // dtype: set per run by run_case
        p.dims = std::move(dims);
        p.inputs = inputs;
        p.registers = regs;
        p.steps = std::move(steps);
        p.constants = std::move(consts);
        return p.encode();
    };
    cs.push_back({OpKind::fused, {any({3, 5}), any({5}), any({3, 1})},
                  program({3, 5}, 3, 4, {{OpKind::mul, 3, 0, 1, 0}, {OpKind::add, 3, 3, 2, 0}, {OpKind::tanh, 3, 3, 0, 0},
                                         {OpKind::mul_scalar, 3, 3, 0, 0}}, {0.5}),
                  Tol::approx, "tanh(a*b + c)*0.5, b [5] and c [3,1] broadcast"});
    cs.push_back({OpKind::fused, {ints({2, 3, 4}), ints({4}), any({})},
                  program({2, 3, 4}, 3, 5, {{OpKind::greater, 3, 0, 1, 0}, {OpKind::clamp, 4, 0, 0, 1}, {OpKind::where, 3, 3, 4, 2}},
                          {-1.0, 1.0}),
                  Tol::exact, "where(a > b, clamp(a, -1, 1), c), c a scalar"});
    cs.push_back({OpKind::fused, {pos({1000}), any({1})},
                  program({1000}, 2, 3, {{OpKind::log, 2, 0, 0, 0}, {OpKind::sub, 2, 2, 1, 0}, {OpKind::exp, 2, 2, 0, 0}}),
                  Tol::approx, "exp(log(a) - b) over 1000 (blocks of 256 and a tail)"});
    cs.push_back({OpKind::fused, {any({0, 3})}, program({0, 3}, 1, 2, {{OpKind::exp, 1, 0, 0, 0}, {OpKind::neg, 1, 1, 0, 0}}),
                  Tol::exact, "zero elements"});
    cs.push_back({OpKind::fused, {any({}), any({})}, program({}, 2, 3, {{OpKind::maximum, 2, 0, 1, 0}, {OpKind::square, 2, 2, 0, 0}}),
                  Tol::rounded, "rank 0"});
    for (std::size_t act = 0; act < 4; ++act) {
        cs.push_back({OpKind::matmul_bias_act, {any({4, 3}), any({3, 5}), any({5})}, ints_attr({act}), Tol::approx,
                      cat("[4,3] x [3,5] + [5], ", epilogue_name(static_cast<Epilogue>(act)))});
        cs.push_back({OpKind::matmul_bias_act, {any({1, 7}), any({7, 2}), any({1, 2})}, ints_attr({act}), Tol::approx,
                      cat("[1,7] x [7,2] + [1,2], ", epilogue_name(static_cast<Epilogue>(act)))});
    }
    return cs;
}

/// Empty when `got` matches `ref` within `tol` for element type T, else a description of the first miss.
template <class T>
std::string mismatch(const NaiveValue& got, const NaiveValue& ref, Tol tol) {
    if (got.dims != ref.dims) return cat("dims ", dims_str(got.dims), ", expected ", dims_str(ref.dims));
    if (got.v.size() != ref.v.size()) return "element count differs";
    const double eps = std::numeric_limits<T>::epsilon();
    const double rtol = tol == Tol::exact ? 0.0 : tol == Tol::rounded ? eps : (std::is_same_v<T, float> ? 2e-5 : 1e-12);
    const double atol = tol == Tol::approx ? (std::is_same_v<T, float> ? 1e-5 : 1e-13) : 0.0;
    for (std::size_t i = 0; i < ref.v.size(); ++i) {
        const double g = got.v[i], r = ref.v[i];
        if (std::isnan(g) && std::isnan(r)) continue;
        if (g == r) continue;
        if (!(std::fabs(g - r) <= atol + rtol * std::fabs(r)))
            return cat("element ", std::to_string(i), ": got ", std::to_string(g), ", expected ", std::to_string(r));
    }
    return {};
}

/// Draws a case's operand values (rounded to what the graph's inputs hold).
NaiveValue draw(const In& in, DType dtype, std::uint64_t seed) {
    Rng rng(seed);
    NaiveValue v{in.dims, std::vector<double>(graft_test::count_of(in.dims))};
    for (auto& x : v.v) {
        switch (in.kind) {
            case In::Kind::real: x = rng.uniform(in.lo, in.hi); break;
            case In::Kind::nonzero: x = (rng.below(2) ? 1.0 : -1.0) * rng.uniform(in.lo, in.hi); break;
            case In::Kind::ints:
            case In::Kind::labels: x = in.lo + static_cast<double>(rng.below(static_cast<std::uint64_t>(in.hi - in.lo + 1))); break;
        }
        x = graft_test::round_to(dtype, x);
    }
    return v;
}

/// Runs one case in element type T: graph op through compile()+Machine vs naive_forward.
/// Returns an empty string on success, else what went wrong.
template <class T>
std::string run_case(const Case& c, std::uint64_t seed) {
    Graph g;
    std::vector<NodeId> ids;
    std::vector<NaiveValue> vals;
    graft_test::Feed feed;
    for (std::size_t k = 0; k < c.ins.size(); ++k) {
        const DType dt = c.ins[k].kind == In::Kind::labels ? DType::i32 : dtype_of<T>;
        const std::string name = cat("x", std::to_string(k));
        ids.push_back(g.input(name, dt, c.ins[k].dims));
        vals.push_back(draw(c.ins[k], dt, seed * 31 + k));
        feed[name] = vals.back();
    }
    Attrs at = c.at;
    if (c.op == OpKind::one_hot || c.op == OpKind::fused) at.dtype = dtype_of<T>;
    const NodeId y = g.add(c.op, ids, at);
    try {
        verify(g);  // the IR checker agrees with what Graph::add built
    } catch (const Error& e) {
        return cat("verify: ", e.what());
    }
    const DType want = c.op == OpKind::argmax ? DType::i32 : dtype_of<T>;
    if (g.node(y).dtype != want)
        return cat("dtype ", dtype_name(g.node(y).dtype), ", expected ", dtype_name(want));
    const NaiveValue got = graft_test::run_graph(g, std::span<const NodeId>(&y, 1), feed)[0];
    const NaiveValue ref = graft_test::naive_forward(c.op, at, vals);
    return mismatch<T>(got, ref, c.tol);
}

/// Runs every case whose op satisfies `pick` in float and double; returns the ops that ran.
template <class Pick>
std::set<OpKind> run_cases(Pick pick) {
    std::set<OpKind> ran;
    const auto cases = all_cases();
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const Case& c = cases[i];
        if (!pick(c.op)) continue;
        INFO(cat(op_name(c.op), " ", c.what));
        {
            INFO("float");
            const std::string f = run_case<float>(c, i + 1);
            CHECK(f == "");
        }
        {
            INFO("double");
            const std::string d = run_case<double>(c, i + 1);
            CHECK(d == "");
        }
        ran.insert(c.op);
    }
    return ran;
}

bool in_class(OpKind op, std::initializer_list<OpClass> cls) {
    for (OpClass c : cls)
        if (op_info(op).cls == c) return true;
    return false;
}

/// Every op of these families, read from op_table (so a new op joins the check by itself).
std::set<OpKind> ops_of(std::initializer_list<OpClass> cls) {
    std::set<OpKind> s;
    for (const OpInfo& row : op_table)
        if (in_class(row.kind, cls)) s.insert(row.kind);
    return s;
}

}  // namespace

TEST_CASE("every non-leaf op in op_table has a forward case, and every case matches the naive loop", "[exec][ops]") {
    std::set<OpKind> with_case;
    for (const Case& c : all_cases()) with_case.insert(c.op);
    std::size_t ops = 0;
    std::vector<std::string> missing;
    for (const OpInfo& row : op_table) {
        if (row.cls == OpClass::leaf) continue;
        ++ops;
        if (!with_case.count(row.kind)) missing.emplace_back(row.name);
    }
    INFO(cat(std::to_string(ops - missing.size()), "/", std::to_string(ops), " ops have a forward case"));
    CHECK(missing == std::vector<std::string>{});
    CHECK(ops >= 42);  // the ops of the "Symbolic graph" issue

    const std::set<OpKind> ran = run_cases([](OpKind) { return true; });
    CHECK(ran == with_case);
    WARN(cat(std::to_string(ran.size()), "/", std::to_string(ops), " ops forward-checked in float and double"));
}

TEST_CASE("broadcasting binary ops and comparisons match the naive loop", "[exec][ops]") {
    const auto ran = run_cases([](OpKind op) { return in_class(op, {OpClass::binary, OpClass::compare}); });
    CHECK(ran == ops_of({OpClass::binary, OpClass::compare}));
}

TEST_CASE("scalar-attribute ops (add_scalar ... clamp) match the naive loop", "[exec][ops]") {
    const auto ran = run_cases([](OpKind op) { return in_class(op, {OpClass::scalar}); });
    CHECK(ran == ops_of({OpClass::scalar}));
}

TEST_CASE("unary elementwise ops match the naive loop", "[exec][ops]") {
    const auto ran = run_cases([](OpKind op) { return in_class(op, {OpClass::unary}); });
    CHECK(ran == ops_of({OpClass::unary}));
}

TEST_CASE("where broadcasts mask, a and b together", "[exec][ops]") {
    const auto ran = run_cases([](OpKind op) { return in_class(op, {OpClass::select}); });
    CHECK(ran == ops_of({OpClass::select}));
}

TEST_CASE("matmul follows NumPy: 2-D, batched with broadcast batch dims, rank-1 operands, empty dims", "[exec][ops][matmul]") {
    const auto ran = run_cases([](OpKind op) { return in_class(op, {OpClass::matmul}); });
    CHECK(ran == ops_of({OpClass::matmul}));
}

TEST_CASE("shape ops transpose, reshape, broadcast_to, concat and slice move the right elements", "[exec][ops]") {
    const auto ran = run_cases([](OpKind op) { return in_class(op, {OpClass::shape}); });
    CHECK(ran == ops_of({OpClass::shape}));
}

TEST_CASE("sum, mean and max reduce all axes or one axis, with and without keepdims", "[exec][ops]") {
    const auto ran = run_cases([](OpKind op) { return in_class(op, {OpClass::reduce}); });
    CHECK(ran == ops_of({OpClass::reduce}));
}

TEST_CASE("softmax and log_softmax along each axis match the naive loop", "[exec][ops]") {
    const auto ran = run_cases([](OpKind op) { return in_class(op, {OpClass::softmax}); });
    CHECK(ran == ops_of({OpClass::softmax}));
}

TEST_CASE("one_hot of labels in range and argmax along each axis match the naive loop", "[exec][ops]") {
    const auto ran = run_cases([](OpKind op) { return in_class(op, {OpClass::index}); });
    CHECK(ran == ops_of({OpClass::index}));
}

TEST_CASE("one_hot writes one 1 per row; argmax takes the first of equal maxima", "[exec][ops]") {
    Graph g;
    auto labels = g.input<std::int32_t, 6>("labels");
    auto x = g.input<double, 3, 4>("x");
    auto oh = one_hot<4, double>(labels);
    auto am1 = argmax<1>(x);
    auto am0 = argmax<0, true>(x);
    Machine m(compile(g, oh, am1, am0));
    m.let(labels, Tensor<std::int32_t, Shape<6>>{2, 1, 3, 0, 3, 2});
    m.let(x, Tensor<double, Shape<3, 4>>{{1, 5, 5, 2}, {7, 7, 7, 7}, {7, 0, 9, 7}});
    m.run();
    CHECK(to_string(m.value(oh)) == "[[0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]");
    CHECK(to_string(m.value(am1)) == "[1, 0, 2]");
    CHECK(to_string(m.value(am0)) == "[[1, 1, 2, 1]]");
}

TEST_CASE("one_hot refuses a label outside [0, depth) with graft::Error, compiled and in the reference", "[exec][ops][bad-input]") {
    Graph g;
    auto labels = g.input<std::int32_t, 6>("labels");
    auto oh = one_hot<4, double>(labels);
    Machine m(compile(g, oh));
    for (const auto& [bad, text] : std::vector<std::pair<Tensor<std::int32_t, Shape<6>>, std::string>>{
             {{2, -1, 3, 0, 3, 2}, "expected labels in [0, 4), found -1 at label index 1"},
             {{2, 1, 4, 0, 3, 2}, "expected labels in [0, 4), found 4 at label index 2"},
             {{2, 1, 3, 0, 3, 2147483647}, "expected labels in [0, 4), found 2147483647 at label index 5"},
             {{-2147483647 - 1, 1, 3, 0, 3, 2}, "expected labels in [0, 4), found -2147483648 at label index 0"}}) {
        m.let(labels, bad);
        const std::string where = "one_hot %" + std::to_string(oh.id());
        CHECK_THAT(graft_test::error_of([&] { m.run(); }), Catch::Matchers::Contains(where) && Catch::Matchers::Contains(text));
        CHECK(m.steps() == 0);  // a refused run is not a step
        reference::Bindings b;
        b.inputs.emplace("labels", reference::Value{DType::i32, {6}, std::vector<double>(bad.begin(), bad.end())});
        CHECK_THAT(graft_test::error_of([&] { (void)reference::evaluate(g, oh.id(), b); }),
                   Catch::Matchers::Contains("reference::evaluate(one_hot)") && Catch::Matchers::Contains(text));
    }
    // nothing is lost: the machine runs again once the labels are good
    m.let(labels, Tensor<std::int32_t, Shape<6>>{0, 1, 2, 3, 0, 1});
    m.run();
    CHECK(m.steps() == 1);
    CHECK(to_string(m.value(oh)) == "[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]");
}

TEST_CASE("compiled kernels give IEEE results for special inputs and propagate NaN", "[exec][ops]") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    Graph g;
    auto x = g.input<float, 6>("x");
    auto y = g.input<float, 6>("y");
    auto lg = log(x);
    auto dv = x / y;
    auto sq = sqrt(x);
    auto ex = exp(x);
    auto mn = minimum(x, y);
    auto mxm = maximum(x, y);
    auto rl = relu(x);
    auto cl = clamp(x, -1, 1);
    auto mx = max(x);
    auto am = argmax<0>(x);
    auto sg = sigmoid(x);
    auto th = tanh(x);
    Machine m(compile(g, lg, dv, sq, ex, mn, mxm, rl, cl, mx, am, sg, th));
    m.let(x, Tensor<float, Shape<6>>{0.f, 0.f, -1.f, 100.f, -100.f, nan});
    m.let(y, Tensor<float, Shape<6>>{1.f, 0.f, 2.f, nan, 1.f, 3.f});
    m.run();
    CHECK(m.value(lg)[0] == -inf);           // log(0)
    CHECK(std::isnan(m.value(lg)[2]));       // log(-1)
    CHECK(std::isnan(m.value(dv)[1]));       // 0/0
    CHECK(std::isnan(m.value(sq)[2]));       // sqrt(-1)
    CHECK(m.value(ex)[3] == inf);            // exp(100) overflows float
    CHECK(m.value(ex)[4] == 0.0f);
    for (auto v : {m.value(mn)[3], m.value(mn)[5], m.value(mxm)[3], m.value(mxm)[5], m.value(rl)[5], m.value(cl)[5],
                   m.value(mx).item(), m.value(lg)[5], m.value(sg)[5], m.value(th)[5]})
        CHECK(std::isnan(v));
    CHECK(m.value(am).item() == 5);          // the first NaN wins, as NumPy's argmax
    CHECK(m.value(cl)[3] == 1.0f);
    CHECK(m.value(cl)[4] == -1.0f);
    CHECK(m.value(sg)[3] == 1.0f);
    CHECK(m.value(sg)[4] >= 0.0f);
    CHECK(m.value(sg)[4] < 1e-30f);
    CHECK(m.value(th)[3] == 1.0f);
    CHECK(m.value(th)[4] == -1.0f);
}
