// SPDX-License-Identifier: MIT
// graft/exec/kernels/fused.hpp: the kernels of the ops the fusion passes make.
// fused: runs a register program (graph/fused_program.hpp) over blocks of 128 elements, so every input
// is read once and each step is one vectorized loop over a block that stays in L1. A step is a call
// through a table of small functions resolved once per run. Inputs with the output's element count are
// read in place; broadcast ones are read in place when a block lies inside one of their rows, else
// gathered with strides fixed at compile time. Each step uses the formula of the unfused kernel
// (elementwise.hpp, apply_unary), so a fused node equals the nodes it replaced to the last bit.
// matmul_bias_act: one GEMM, then one pass over the output adding the bias row and the activation.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "../../tensor/detail/broadcast.hpp"
#include "../../tensor/detail/unary.hpp"
#include "../program.hpp"
#include "elementwise.hpp"
#include "gemm.hpp"

namespace graft {

namespace detail {

/// Elements per block; a program with many registers runs smaller blocks so they fit the scratch.
/// Short blocks keep the loops that load from memory close to the loops that only compute (tanh), so
/// the out-of-order core overlaps them: measured here (bm_fusion, 1M floats), 128 beat 256 by a few
/// percent and 1024 was 1.5x slower. A multiple of every SIMD width, so Eigen splits each block into
/// packets (and a scalar tail) exactly where the unfused kernels split the whole array.
inline constexpr std::size_t fused_block = 128;
/// Stack bytes for the block buffers of one fused kernel call (running a step allocates nothing).
inline constexpr std::size_t fused_scratch_bytes = 32768;

/// True when a fused input's plan broadcasts one element to the whole output.
inline bool fused_is_splat(const BroadcastPlan& p) { return p.rank == 1 && p.a_stride[0] == 0; }

/// Where a broadcast input's next block starts: its multi-index over the plan's merged dims and the
/// element offset that index reads.
struct FusedCursor {
    std::size_t off = 0;
    std::array<std::size_t, max_rank> idx{};
};

/// The cursor at output position `start` (divisions: used once, or per block beyond the cursors kept).
inline FusedCursor fused_cursor_at(const BroadcastPlan& p, std::size_t start) {
    FusedCursor c;
    for (std::size_t k = p.rank; k-- > 0;) {
        c.idx[k] = start % p.dims[k];
        start /= p.dims[k];
        c.off += c.idx[k] * p.a_stride[k];
    }
    return c;
}

/// The next `len` elements of a broadcast input, from cursor `c` (advanced past them): a pointer into
/// the input when they lie there one after another (a bias row, or a block inside one row), else copied
/// into dst.
template <class T>
const T* fused_gather(const BroadcastPlan& p, const T* src, FusedCursor& c, std::size_t len, T* dst) {
    const std::size_t r = p.rank, inner = p.dims[r - 1], s = p.a_stride[r - 1];
    const T* result = s == 1 && c.idx[r - 1] + len <= inner ? src + c.off : dst;
    for (std::size_t done = 0; done < len;) {
        const std::size_t run = std::min(inner - c.idx[r - 1], len - done);
        if (result == dst) {
            const T* from = src + c.off;
            T* to = dst + done;
            if (s == 1) std::copy(from, from + run, to);
            else if (s == 0) std::fill(to, to + run, *from);
            else
                for (std::size_t i = 0; i < run; ++i) to[i] = from[i * s];
        }
        done += run;
        c.idx[r - 1] += run;
        c.off += run * s;
        if (c.idx[r - 1] < inner) continue;
        c.off -= inner * s;  // the inner axis wrapped: carry into the outer axes
        c.idx[r - 1] = 0;
        for (std::size_t k = r - 1; k-- > 0;) {
            c.off += p.a_stride[k];
            if (++c.idx[k] < p.dims[k]) break;
            c.off -= p.a_stride[k] * p.dims[k];
            c.idx[k] = 0;
        }
    }
    return result;
}

/// How many broadcast inputs keep a cursor from block to block (others recompute it per block).
inline constexpr std::size_t fused_cursors = 16;
/// One step over a block: d[0, n) = op(a, b, c) with the step's constants k0, k1. d may be a or b.
template <class T>
using FusedFn = void (*)(const T* a, const T* b, const T* c, T* d, std::size_t n, T k0, T k1);

// The step functions, one per op: the formulas of the unfused kernels (kernels::binary's functors,
// kernels::scalar's Eigen expressions, apply_unary's), so a fused node equals the nodes it replaced.
template <class T, class F>
void fused_binary(const T* a, const T* b, const T*, T* d, std::size_t n, T, T) {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
    for (std::size_t i = 0; i < n; ++i) d[i] = F{}(a[i], b[i]);
}
template <class T>
void fused_where(const T* m, const T* a, const T* b, T* d, std::size_t n, T, T) {
    for (std::size_t i = 0; i < n; ++i) d[i] = m[i] != T(0) ? a[i] : b[i];
}
/// y = f(x) over Eigen array maps, then the subnormal flush apply_unary does after exp-like functions.
template <class T, class F, bool Flush = false>
void fused_map(const T* a, const T*, const T*, T* d, std::size_t n, T k0, T k1) {
    ConstArrayMap<T> x(a, static_cast<Eigen::Index>(n));
    ArrayMap<T> y(d, static_cast<Eigen::Index>(n));
    F{}(x, y, k0, k1);
    if constexpr (Flush) flush_subnormal(d, n);
}
#define GRAFT_FUSED_MAP(name, expr) \
    struct name {                    \
        template <class X, class Y, class T> void operator()(const X& x, Y& y, [[maybe_unused]] T k0, [[maybe_unused]] T k1) const { y = expr; } \
    }
GRAFT_FUSED_MAP(FAddScalar, x + k0);
GRAFT_FUSED_MAP(FMulScalar, x * k0);
GRAFT_FUSED_MAP(FDivScalar, x / k0);
GRAFT_FUSED_MAP(FRsubScalar, k0 - x);
GRAFT_FUSED_MAP(FRdivScalar, k0 / x);
GRAFT_FUSED_MAP(FPow, x.pow(k0));
GRAFT_FUSED_MAP(FCopy, x);
GRAFT_FUSED_MAP(FClamp, x.max(k0).min(k1));
GRAFT_FUSED_MAP(FNeg, -x);
GRAFT_FUSED_MAP(FExp, x.exp());
struct FLog {  // apply_unary's formula (exact for subnormal arguments), x and y may alias
    template <class X, class Y, class T>
    void operator()(const X& x, Y& y, T, T) const {
        log_array(x.data(), y.data(), static_cast<std::size_t>(x.size()));
    }
};
GRAFT_FUSED_MAP(FLog1p, x.log1p());
GRAFT_FUSED_MAP(FExpm1, x.expm1());
GRAFT_FUSED_MAP(FTanh, x.tanh());
struct FSigmoid {  // apply_unary's formula (accurate where sigmoid is small), x and y may alias
    template <class X, class Y, class T>
    void operator()(const X& x, Y& y, T, T) const {
        sigmoid_array(x.data(), y.data(), static_cast<std::size_t>(x.size()));
    }
};
GRAFT_FUSED_MAP(FSoftplus, x.max(decltype(k0)(0)) + (-x.abs()).exp().log1p());
GRAFT_FUSED_MAP(FRelu, x.max(decltype(k0)(0)));
GRAFT_FUSED_MAP(FSqrt, x.sqrt());
GRAFT_FUSED_MAP(FSquare, x.square());
GRAFT_FUSED_MAP(FAbs, x.abs());
#undef GRAFT_FUSED_MAP

/// The step function of `op` (`c` is its first constant: pow_scalar picks square or copy by it, as the
/// unfused kernel does).
template <class T>
FusedFn<T> fused_fn(OpKind op, double c) {
    using namespace kernels;
    switch (op) {
        case OpKind::add: return fused_binary<T, AddF>;
        case OpKind::sub: return fused_binary<T, SubF>;
        case OpKind::mul: return fused_binary<T, MulF>;
        case OpKind::div: return fused_binary<T, DivF>;
        case OpKind::maximum: return fused_binary<T, MaxF>;
        case OpKind::minimum: return fused_binary<T, MinF>;
        case OpKind::greater: return fused_binary<T, GreaterF>;
        case OpKind::less: return fused_binary<T, LessF>;
        case OpKind::equal: return fused_binary<T, EqualF>;
        case OpKind::where: return fused_where<T>;
        case OpKind::add_scalar: return fused_map<T, FAddScalar>;
        case OpKind::mul_scalar: return fused_map<T, FMulScalar>;
        case OpKind::div_scalar: return fused_map<T, FDivScalar>;
        case OpKind::rsub_scalar: return fused_map<T, FRsubScalar>;
        case OpKind::rdiv_scalar: return fused_map<T, FRdivScalar>;
        case OpKind::pow_scalar: return c == 2.0 ? fused_map<T, FSquare> : c == 1.0 ? fused_map<T, FCopy> : fused_map<T, FPow>;
        case OpKind::clamp: return fused_map<T, FClamp>;
        case OpKind::neg: return fused_map<T, FNeg>;
        case OpKind::exp: return fused_map<T, FExp, true>;
        case OpKind::log: return fused_map<T, FLog>;
        case OpKind::log1p: return fused_map<T, FLog1p>;
        case OpKind::expm1: return fused_map<T, FExpm1>;
        case OpKind::tanh: return fused_map<T, FTanh>;
        case OpKind::sigmoid: return fused_map<T, FSigmoid>;  // sigmoid_array flushes itself
        case OpKind::softplus: return fused_map<T, FSoftplus, true>;
        case OpKind::relu: return fused_map<T, FRelu>;
        case OpKind::sqrt: return fused_map<T, FSqrt>;
        case OpKind::square: return fused_map<T, FSquare>;
        case OpKind::abs: return fused_map<T, FAbs>;
        default: return nullptr;  // FusedProgram::decode admits only the ops above
    }
}

/// A step ready to run: its function, operand registers and constants.
template <class T>
struct FusedOp {  // no default member initializers: the kernel's table of them is filled, not zeroed
    FusedFn<T> fn;
    std::uint32_t a, b, c, dst;
    T k0, k1;
};

}  // namespace detail

namespace kernels {

/// out = the node's register program, block by block.
template <class T>
void fused(const Instr& ins, void* const* s) {
    const FusedProgram& p = ins.fused;
    const std::size_t n = ins.n, k = p.inputs, regs = p.registers, steps = p.steps.size();
    if (n == 0 || steps == 0) return;
    T* out = out_ptr<T>(s, ins);
    // the step table, resolved once per call (decode() admitted at most max_steps steps)
    std::array<detail::FusedOp<T>, FusedProgram::max_steps> ops;
    for (std::size_t j = 0; j < steps; ++j) {
        const FusedStep& st = p.steps[j];
        const FusedForm form = fused_form(st.op);
        const bool scalar = form == FusedForm::scalar1 || form == FusedForm::scalar2;
        const double c0 = scalar ? p.constants[st.b] : 0.0;
        ops[j] = {detail::fused_fn<T>(st.op, c0), st.a, scalar ? st.a : st.b, form == FusedForm::regs3 ? st.c : st.a, st.dst,
                  static_cast<T>(c0), static_cast<T>(form == FusedForm::scalar2 ? p.constants[st.c] : 0.0)};
    }
    // one block buffer per temporary and per input not read in place
    std::size_t buffers = regs - k;
    for (std::size_t i = 0; i < k; ++i) buffers += ins.plans[i].rank != 0 ? 1 : 0;
    constexpr std::size_t cap = detail::fused_scratch_bytes / sizeof(T);
    const std::size_t per = cap / std::max<std::size_t>(buffers, 1) / 16 * 16;  // >= 16: at most 256 registers
    const std::size_t block = std::min(detail::fused_block, per);
    alignas(64) T scratch[cap];
    std::array<const T*, FusedProgram::max_registers> reg{};
    std::array<T*, FusedProgram::max_registers> buf{};
    std::size_t next = 0;
    for (std::size_t r = 0; r < regs; ++r)
        if (r >= k || ins.plans[r].rank != 0) {
            buf[r] = scratch + next++ * block;
            reg[r] = buf[r];
        }
    for (std::size_t i = 0; i < k; ++i)  // one element broadcast everywhere: fill its buffer once
        if (detail::fused_is_splat(ins.plans[i])) std::fill(buf[i], buf[i] + block, *in_ptr<T>(s, ins, i));
    std::array<detail::FusedCursor, detail::fused_cursors> cursors{};  // at position 0
    std::array<std::uint16_t, FusedProgram::max_registers> cursor_of{};  // 1 + index into cursors, 0: none
    for (std::size_t i = 0, used = 0; i < k && used < cursors.size(); ++i)
        if (ins.plans[i].rank != 0 && !detail::fused_is_splat(ins.plans[i])) cursor_of[i] = static_cast<std::uint16_t>(++used);
    const std::size_t last = steps - 1;
    for (std::size_t start = 0; start < n; start += block) {
        const std::size_t len = std::min(block, n - start);
        for (std::size_t i = 0; i < k; ++i) {
            const detail::BroadcastPlan& plan = ins.plans[i];
            if (plan.rank == 0) {
                reg[i] = in_ptr<T>(s, ins, i) + start;
            } else if (cursor_of[i]) {
                reg[i] = detail::fused_gather(plan, in_ptr<T>(s, ins, i), cursors[cursor_of[i] - 1u], len, buf[i]);
            } else if (!detail::fused_is_splat(plan)) {
                detail::FusedCursor c = detail::fused_cursor_at(plan, start);
                reg[i] = detail::fused_gather(plan, in_ptr<T>(s, ins, i), c, len, buf[i]);
            }
        }
        for (std::size_t j = 0; j < last; ++j) {
            const detail::FusedOp<T>& op = ops[j];
            op.fn(reg[op.a], reg[op.b], reg[op.c], buf[op.dst], len, op.k0, op.k1);
        }
        const detail::FusedOp<T>& op = ops[last];
        op.fn(reg[op.a], reg[op.b], reg[op.c], out + start, len, op.k0, op.k1);
    }
}

/// out = act(a @ b + bias): the matmul's GEMM, then one pass over the output in blocks that stay in L1:
/// add the bias row, then the activation. Blocks start at multiples of fused_block from the start of the
/// output, like the one long array the unfused add and activation kernels run over, so Eigen splits
/// them into packets and a scalar tail the same way and the results are the same bit for bit.
template <class T>
void matmul_bias_act(const Instr& ins, void* const* s) {
    matmul<T>(ins, s);
    const std::size_t n = ins.gemm.n, total = ins.n;
    const T* bias = in_ptr<T>(s, ins, 2);
    T* c = out_ptr<T>(s, ins);
    for (std::size_t start = 0; start < total; start += detail::fused_block) {
        const std::size_t len = std::min(detail::fused_block, total - start);
        T* y = c + start;
        for (std::size_t done = 0, col = start % n; done < len; col = 0) {  // the bias row, in runs
            const std::size_t run = std::min(n - col, len - done);
            for (std::size_t j = 0; j < run; ++j) y[done + j] += bias[col + j];
            done += run;
        }
        detail::ArrayMap<T> a(y, static_cast<Eigen::Index>(len));
        switch (ins.epilogue) {  // apply_unary's formulas
            case Epilogue::none: break;
            case Epilogue::relu: a = a.max(T(0)); break;
            case Epilogue::tanh: a = a.tanh(); break;
            case Epilogue::sigmoid:
                detail::sigmoid_array(y, y, len);
                break;
        }
    }
}

}  // namespace kernels
}  // namespace graft
