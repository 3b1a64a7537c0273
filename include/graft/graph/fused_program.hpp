// SPDX-License-Identifier: MIT
// graft/graph/fused_program.hpp: the register program a `fused` node holds, and the epilogue of
// `matmul_bias_act`. FusedProgram encodes to and decodes from a node's Attrs (checking every field),
// and prints as "r4=mul(r0,r1); r4=tanh(r4)". The fusion passes build programs; kernels run them.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../core/dtype.hpp"
#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "node.hpp"
#include "op_kind.hpp"

namespace graft {

/// The activation matmul_bias_act applies after adding the bias (its attrs.ints[0]).
enum class Epilogue : std::uint8_t { none, relu, tanh, sigmoid };

/// "none", "relu", "tanh", "sigmoid".
constexpr std::string_view epilogue_name(Epilogue e) noexcept {
    switch (e) {
        case Epilogue::none: return "none";
        case Epilogue::relu: return "relu";
        case Epilogue::tanh: return "tanh";
        case Epilogue::sigmoid: return "sigmoid";
    }
    return "?";
}

/// How a program instruction reads its operands.
enum class FusedForm : std::uint8_t {
    none,     ///< the op cannot appear in a fused program
    regs1,    ///< unary: r[a]
    regs2,    ///< binary, comparison: r[a], r[b]
    regs3,    ///< where: r[a] (mask), r[b], r[c]
    scalar1,  ///< *_scalar, pow_scalar: r[a] and the constant reals[b]
    scalar2,  ///< clamp: r[a], lo = reals[b], hi = reals[c]
};

/// The operand form of `op` inside a fused program (FusedForm::none: not elementwise, cannot be fused).
constexpr FusedForm fused_form(OpKind op) noexcept {
    switch (op) {
        case OpKind::add: case OpKind::sub: case OpKind::mul: case OpKind::div: case OpKind::maximum:
        case OpKind::minimum: case OpKind::greater: case OpKind::less: case OpKind::equal:
            return FusedForm::regs2;
        case OpKind::add_scalar: case OpKind::mul_scalar: case OpKind::div_scalar: case OpKind::rsub_scalar:
        case OpKind::rdiv_scalar: case OpKind::pow_scalar:
            return FusedForm::scalar1;
        case OpKind::clamp: return FusedForm::scalar2;
        case OpKind::neg: case OpKind::exp: case OpKind::log: case OpKind::log1p: case OpKind::expm1:
        case OpKind::tanh: case OpKind::sigmoid: case OpKind::softplus: case OpKind::relu: case OpKind::sqrt:
        case OpKind::square: case OpKind::abs:
            return FusedForm::regs1;
        case OpKind::where: return FusedForm::regs3;
        default: return FusedForm::none;
    }
}

/// One instruction: r[dst] = op(operands), the operands read as fused_form(op) says. Unused fields are 0.
struct FusedStep {
    OpKind op = OpKind::add;  ///< the elementwise op to apply (fused_form(op) is not FusedForm::none)
    /// Register written: a temporary, never an input.
    std::uint32_t dst = 0, a = 0, b = 0, c = 0;  ///< third operand: register (regs3) or constant index (scalar2)
    /// \var a
    /// First operand: always a register.
    /// \var b
    /// Second operand: a register (regs2, regs3) or an index into FusedProgram::constants (scalar1, scalar2).

    /// Field-by-field equality (two programs are equal when their steps are).
    bool operator==(const FusedStep&) const = default;
};

/// A fused elementwise program.
///
/// Registers 0..inputs-1 are the node's inputs, in order, each broadcast (NumPy rules) to `dims`;
/// registers inputs..registers-1 are temporaries with `dims`. Inputs are never written. Steps run in
/// order; a temporary may be rewritten once its value is dead (the passes reuse registers), and the
/// node's value is the last step's dst. Every value has element type `dtype`.
///
/// Encoding in Attrs (what print, CSE and verify see):
///   attrs.dtype = dtype
///   attrs.ints  = [rank, dims..., registers, then 5 words per step: op, dst, a, b, c]
///   attrs.reals = the scalar constants the scalar steps index
struct FusedProgram {
    /// The most registers a program may use (its kernel shrinks its blocks to keep them on the stack).
    static constexpr std::size_t max_registers = 256;
    /// The most steps a program may have (the kernel keeps its step table on the stack).
    static constexpr std::size_t max_steps = 128;

    DType dtype = DType::f32;        ///< element type of every register and of the result
    Dims dims;                       ///< dims of the result; every input is broadcast to them
    std::size_t inputs = 0;          ///< registers 0..inputs-1 hold the node's inputs, in order
    std::size_t registers = 0;       ///< total registers, inputs included (at most max_registers)
    std::vector<FusedStep> steps;    ///< the instructions, run in order (at most max_steps)
    std::vector<double> constants;   ///< scalars the scalar1 and scalar2 steps index (attrs.reals)

    /// The register holding the result.
    [[nodiscard]] std::uint32_t result() const { return steps.empty() ? 0 : steps.back().dst; }

    /// The attributes of a fused node running this program.
    [[nodiscard]] Attrs encode() const {
        Attrs a;
        a.dtype = dtype;
        a.ints.push_back(dims.size());
        a.ints.insert(a.ints.end(), dims.begin(), dims.end());
        a.ints.push_back(registers);
        for (const FusedStep& s : steps) {
            a.ints.push_back(static_cast<std::size_t>(s.op));
            a.ints.push_back(s.dst);
            a.ints.push_back(s.a);
            a.ints.push_back(s.b);
            a.ints.push_back(s.c);
        }
        a.reals = constants;
        return a;
    }

    /// Decodes and checks the program of a fused node with `inputs` inputs; throws graft::Error naming
    /// the first malformed field.
    [[nodiscard]] static FusedProgram decode(const Attrs& at, std::size_t inputs) {
        const std::string where = "graph op fused";
        FusedProgram p;
        p.dtype = at.dtype;
        p.inputs = inputs;
        p.constants = at.reals;
        const auto& w = at.ints;
        if (w.empty() || w[0] > 64 || w.size() < w[0] + 2)
            throw Error(where, "attrs.ints = [rank, dims..., registers, steps...]", std::to_string(w.size()) + " words");
        const std::size_t rank = w[0];
        p.dims.assign(w.begin() + 1, w.begin() + 1 + static_cast<std::ptrdiff_t>(rank));
        p.registers = w[rank + 1];
        const std::size_t head = rank + 2;
        if ((w.size() - head) % 5 != 0 || w.size() == head || (w.size() - head) / 5 > max_steps)
            throw Error(where, "1 to " + std::to_string(max_steps) + " steps of 5 words after the header",
                        std::to_string(w.size() - head) + " words");
        if (inputs == 0 || p.registers <= inputs || p.registers > max_registers)
            throw Error(where, "registers in (" + std::to_string(inputs) + " inputs, " + std::to_string(max_registers) + "]",
                        std::to_string(p.registers));
        std::vector<char> defined(p.registers, 0);
        for (std::size_t r = 0; r < inputs; ++r) defined[r] = 1;
        for (std::size_t at_w = head; at_w < w.size(); at_w += 5) {
            const std::string step = where + " step " + std::to_string((at_w - head) / 5);
            if (w[at_w] >= static_cast<std::size_t>(OpKind::count) || fused_form(static_cast<OpKind>(w[at_w])) == FusedForm::none)
                throw Error(step, "an elementwise op", "op #" + std::to_string(w[at_w]));
            FusedStep s;
            s.op = static_cast<OpKind>(w[at_w]);
            for (std::size_t k = 1; k < 5; ++k)
                if (w[at_w + k] > UINT32_MAX) throw Error(step, "operands below 2^32", std::to_string(w[at_w + k]));
            s.dst = static_cast<std::uint32_t>(w[at_w + 1]);
            s.a = static_cast<std::uint32_t>(w[at_w + 2]);
            s.b = static_cast<std::uint32_t>(w[at_w + 3]);
            s.c = static_cast<std::uint32_t>(w[at_w + 4]);
            auto reg = [&](std::uint32_t r) {
                if (r >= p.registers) throw Error(step, "registers below " + std::to_string(p.registers), "r" + std::to_string(r));
                if (!defined[r]) throw Error(step, "registers written before they are read", "r" + std::to_string(r) + " unset");
            };
            auto constant = [&](std::uint32_t k) {
                if (k >= p.constants.size())
                    throw Error(step, "a constant index below " + std::to_string(p.constants.size()), std::to_string(k));
            };
            switch (fused_form(s.op)) {
                case FusedForm::regs3: reg(s.c); [[fallthrough]];
                case FusedForm::regs2: reg(s.b); [[fallthrough]];
                case FusedForm::regs1: reg(s.a); break;
                case FusedForm::scalar2: constant(s.c); [[fallthrough]];
                case FusedForm::scalar1: reg(s.a); constant(s.b); break;
                case FusedForm::none: break;
            }
            if (s.dst < inputs || s.dst >= p.registers) throw Error(step, "a temporary register in [" + std::to_string(inputs) + ", " + std::to_string(p.registers) + ") as destination",
                            "r" + std::to_string(s.dst));
            defined[s.dst] = 1;
            p.steps.push_back(s);
        }
        return p;
    }

    /// "r4=mul(r0,r1); r4=add_scalar(r4,1); r4=tanh(r4)"
    [[nodiscard]] std::string text() const {
        std::string s;
        auto reg = [&](std::uint32_t r) {
            s += 'r';
            s += std::to_string(r);
        };
        auto num = [&](std::uint32_t k) {
            char buf[64];
            const double v = k < constants.size() ? constants[k] : 0.0;
            if (v != v) s += "nan";
            else if (v > 1.7976931348623157e308) s += "inf";
            else if (v < -1.7976931348623157e308) s += "-inf";
            else s.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
        };
        for (std::size_t i = 0; i < steps.size(); ++i) {
            const FusedStep& st = steps[i];
            if (i) s += "; ";
            reg(st.dst);
            s += '=';
            s += op_text(st.op);
            s += '(';
            reg(st.a);
            switch (fused_form(st.op)) {
                case FusedForm::regs2: s += ','; reg(st.b); break;
                case FusedForm::regs3: s += ','; reg(st.b); s += ','; reg(st.c); break;
                case FusedForm::scalar1: s += ','; num(st.b); break;
                case FusedForm::scalar2: s += ','; num(st.b); s += ','; num(st.c); break;
                default: break;
            }
            s += ')';
        }
        return s;
    }

private:
    // op names without op_table (which includes this header through the shape rules)
    static constexpr std::string_view op_text(OpKind op) noexcept {
        switch (op) {
            case OpKind::add: return "add";
            case OpKind::sub: return "sub";
            case OpKind::mul: return "mul";
            case OpKind::div: return "div";
            case OpKind::maximum: return "maximum";
            case OpKind::minimum: return "minimum";
            case OpKind::greater: return "greater";
            case OpKind::less: return "less";
            case OpKind::equal: return "equal";
            case OpKind::add_scalar: return "add_scalar";
            case OpKind::mul_scalar: return "mul_scalar";
            case OpKind::div_scalar: return "div_scalar";
            case OpKind::rsub_scalar: return "rsub_scalar";
            case OpKind::rdiv_scalar: return "rdiv_scalar";
            case OpKind::pow_scalar: return "pow_scalar";
            case OpKind::clamp: return "clamp";
            case OpKind::neg: return "neg";
            case OpKind::exp: return "exp";
            case OpKind::log: return "log";
            case OpKind::log1p: return "log1p";
            case OpKind::expm1: return "expm1";
            case OpKind::tanh: return "tanh";
            case OpKind::sigmoid: return "sigmoid";
            case OpKind::softplus: return "softplus";
            case OpKind::relu: return "relu";
            case OpKind::sqrt: return "sqrt";
            case OpKind::square: return "square";
            case OpKind::abs: return "abs";
            case OpKind::where: return "where";
            default: return "?";
        }
    }
};

}  // namespace graft
