// SPDX-License-Identifier: MIT
// graft/exec/kernels/elementwise.hpp: kernels for binary (broadcasting), comparison, scalar, unary and
// where instructions. Unary math runs vectorized through the tensor room's apply_unary.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstddef>

#include "../../tensor/detail/broadcast.hpp"
#include "../../tensor/detail/reduce.hpp"
#include "../../tensor/detail/unary.hpp"
#include "../program.hpp"

namespace graft::kernels {

/// Input `k` of the instruction, as elements of T.
template <class T>
inline const T* in_ptr(void* const* slots, const Instr& ins, std::size_t k) {
    return static_cast<const T*>(slots[ins.in[k]]);
}
/// The instruction's output, as elements of T.
template <class T>
inline T* out_ptr(void* const* slots, const Instr& ins) {
    return static_cast<T*>(slots[ins.out]);
}

/// out = f(a, b) with broadcasting (the plan was made at compile time).
template <class T, class F>
void binary(const Instr& ins, void* const* s) {
    const T* a = in_ptr<T>(s, ins, 0);
    const T* b = in_ptr<T>(s, ins, 1);
    T* o = out_ptr<T>(s, ins);
    detail::broadcast_binary(ins.plan, a, b, o, F{});
}

/// The op of the add kernel: binary<T, AddF>.
struct AddF { template <class T> T operator()(T x, T y) const { return x + y; } };
/// The op of the sub kernel: binary<T, SubF>.
struct SubF { template <class T> T operator()(T x, T y) const { return x - y; } };
/// The op of the mul kernel: binary<T, MulF>.
struct MulF { template <class T> T operator()(T x, T y) const { return x * y; } };
/// The op of the div kernel: binary<T, DivF>.
struct DivF { template <class T> T operator()(T x, T y) const { return x / y; } };
/// The op of the maximum kernel: binary<T, MaxF>.
struct MaxF { template <class T> T operator()(T x, T y) const { return (x > y || x != x) ? x : y; } };
/// The op of the minimum kernel: binary<T, MinF>.
struct MinF { template <class T> T operator()(T x, T y) const { return (x < y || x != x) ? x : y; } };
/// The op of the greater kernel: binary<T, GreaterF>.
struct GreaterF { template <class T> T operator()(T x, T y) const { return x > y ? T(1) : T(0); } };
/// The op of the less kernel: binary<T, LessF>.
struct LessF { template <class T> T operator()(T x, T y) const { return x < y ? T(1) : T(0); } };
/// The op of the equal kernel: binary<T, EqualF>.
struct EqualF { template <class T> T operator()(T x, T y) const { return x == y ? T(1) : T(0); } };
/// \fn template <class T> T AddF::operator()(T x, T y) const
/// `x + y`.
/// \fn template <class T> T SubF::operator()(T x, T y) const
/// `x - y`.
/// \fn template <class T> T MulF::operator()(T x, T y) const
/// `x * y`.
/// \fn template <class T> T DivF::operator()(T x, T y) const
/// `x / y`.
/// \fn template <class T> T MaxF::operator()(T x, T y) const
/// The larger of `x` and `y`; NaN when either is NaN.
/// \fn template <class T> T MinF::operator()(T x, T y) const
/// The smaller of `x` and `y`; NaN when either is NaN.
/// \fn template <class T> T GreaterF::operator()(T x, T y) const
/// 1 where `x > y`, else 0 (NaN compares false).
/// \fn template <class T> T LessF::operator()(T x, T y) const
/// 1 where `x < y`, else 0 (NaN compares false).
/// \fn template <class T> T EqualF::operator()(T x, T y) const
/// 1 where `x == y`, else 0 (NaN compares false).

/// Elementwise ops with scalar attributes (s1, s2).
template <class T>
void scalar(const Instr& ins, void* const* s) {
    const auto N = static_cast<Eigen::Index>(ins.n);
    detail::ConstArrayMap<T> x(in_ptr<T>(s, ins, 0), N);
    detail::ArrayMap<T> y(out_ptr<T>(s, ins), N);
    const T c = static_cast<T>(ins.s1);
    switch (ins.op) {
        case OpKind::add_scalar: y = x + c; break;
        case OpKind::mul_scalar: y = x * c; break;
        case OpKind::div_scalar: y = x / c; break;
        case OpKind::rsub_scalar: y = c - x; break;
        case OpKind::rdiv_scalar: y = c / x; break;
        case OpKind::pow_scalar:
            if (ins.s1 == 2.0) y = x.square();
            else if (ins.s1 == 1.0) y = x;
            else y = x.pow(c);
            break;
        case OpKind::clamp: y = x.max(c).min(static_cast<T>(ins.s2)); break;
        default: break;
    }
}

/// The tensor room's unary function for a unary op (neg for an op that is not unary).
inline detail::Unary unary_of(OpKind op) {
    switch (op) {
        case OpKind::neg: return detail::Unary::neg;
        case OpKind::exp: return detail::Unary::exp;
        case OpKind::log: return detail::Unary::log;
        case OpKind::log1p: return detail::Unary::log1p;
        case OpKind::expm1: return detail::Unary::expm1;
        case OpKind::tanh: return detail::Unary::tanh;
        case OpKind::sigmoid: return detail::Unary::sigmoid;
        case OpKind::softplus: return detail::Unary::softplus;
        case OpKind::relu: return detail::Unary::relu;
        case OpKind::sqrt: return detail::Unary::sqrt;
        case OpKind::square: return detail::Unary::square;
        case OpKind::abs: return detail::Unary::abs;
        default: return detail::Unary::neg;
    }
}

/// out = f(x) for the unary ops (exp, log, tanh, relu, ...), vectorized by apply_unary.
template <class T>
void unary(const Instr& ins, void* const* s) {
    detail::apply_unary(unary_of(ins.op), in_ptr<T>(s, ins, 0), out_ptr<T>(s, ins), ins.n);
}

/// where(mask, a, b) with all three broadcast to the output (strides precomputed, 0 where broadcast).
template <class T>
void where(const Instr& ins, void* const* s) {
    const T* m = in_ptr<T>(s, ins, 0);
    const T* a = in_ptr<T>(s, ins, 1);
    const T* b = in_ptr<T>(s, ins, 2);
    T* o = out_ptr<T>(s, ins);
    const std::size_t r = ins.out_dims.size();
    if (ins.n == 0) return;
    if (r == 0) {
        o[0] = m[0] != T(0) ? a[0] : b[0];
        return;
    }
    std::array<std::size_t, detail::max_rank> idx{};
    std::size_t om = 0, oa = 0, ob = 0;
    const auto& st = ins.strides;
    for (std::size_t i = 0; i < ins.n; ++i) {
        o[i] = m[om] != T(0) ? a[oa] : b[ob];
        for (std::size_t k = r; k-- > 0;) {
            om += st[0][k];
            oa += st[1][k];
            ob += st[2][k];
            if (++idx[k] < ins.out_dims[k]) break;
            om -= st[0][k] * ins.out_dims[k];
            oa -= st[1][k] * ins.out_dims[k];
            ob -= st[2][k] * ins.out_dims[k];
            idx[k] = 0;
        }
    }
}

}  // namespace graft::kernels
