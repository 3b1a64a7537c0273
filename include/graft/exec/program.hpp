// SPDX-License-Identifier: MIT
// graft/exec/program.hpp: Program, the compiled tape: value slots, a flat instruction list and the
// arena layout. Immutable once compiled and cheap to copy (shared), so several Machines can run one
// Program. dump() prints the numbered tape with arena offsets; the cost figures (arena bytes,
// parameter bytes, FLOPs per run) are known before anything runs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../core/aligned_buffer.hpp"
#include "../core/dtype.hpp"
#include "../graph/fused_program.hpp"
#include "../graph/node.hpp"
#include "../graph/op_table.hpp"
#include "../graph/print.hpp"
#include "../passes/pass.hpp"
#include "../tensor/blas.hpp"
#include "../tensor/detail/broadcast.hpp"

namespace graft {

/// Where a value lives while a Machine runs.
enum class Home : std::uint8_t {
    arena,     ///< a planned region of the machine's arena (op outputs and bound inputs)
    param,     ///< the ParamStore's buffer for that name
    constant,  ///< the program's read-only constant storage
};

/// One value of the program: an input, param, constant or op output.
struct Slot {
    NodeId node = no_node;  ///< the graph node it holds
    Home home = Home::arena;  ///< arena, ParamStore or constant storage
    DType dtype = DType::f32;  ///< element type
    Dims dims;                ///< shape, outermost axis first (empty for a scalar)
    std::string name;        ///< input/param name (or the node's name)
    std::size_t offset = 0;  ///< arena: byte offset; constant: index into the constant store
    std::size_t bytes = 0;   ///< storage size: size() * dtype_size(dtype)
    std::uint32_t alias_of = UINT32_MAX;  ///< a reshape shares the storage of this slot
    bool is_input = false;   ///< an input, bound with Machine::let() before run()
    bool is_output = false;  ///< requested by compile(); readable after run()
    /// Lifetime for the memory plan: index of the instruction that writes the value.
    std::size_t def = 0, last_use = 0;  ///< lifetime for the memory plan: index of the last instruction that reads it
    std::uint32_t in_place_of = UINT32_MAX;  ///< the input slot whose bytes this output took (memory plan)
    Init init;               ///< params: initializer
    /// Element count: the product of dims (1 for a scalar).
    [[nodiscard]] std::size_t size() const noexcept {
        std::size_t n = 1;
        for (auto d : dims) n *= d;
        return n;
    }
};

struct Instr;
/// A kernel: reads its inputs and writes its output through the machine's resolved slot pointers.
using KernelFn = void (*)(const Instr&, void* const* slots);

/// Precomputed GEMM arguments of a matmul instruction (batched: one GEMM per entry of a_off/b_off).
struct GemmArgs {
    /// Rows of op(A) and of C (C is m x n, op(A) is m x k, op(B) is k x n).
    std::size_t m = 0, n = 0, k = 0, lda = 0, ldb = 0;  ///< leading dimension of B as stored (k when tb, else n)
    /// \var n
    /// Columns of op(B) and of C; also C's leading dimension.
    /// \var k
    /// The summed dimension: columns of op(A), rows of op(B).
    /// \var lda
    /// Leading dimension of A as stored (m when ta, else k).

    /// A is read transposed (a transpose folded into the GEMM flag, schedule.hpp).
    bool ta = false, tb = false;  ///< B is read transposed
    /// Element offset of each batch's A (one entry when unbatched).
    std::vector<std::size_t> a_off, b_off;  ///< element offsets of each batch's B (one entry when unbatched)
    blas::Backend backend = blas::Backend::automatic;  ///< GEMM backend (Backend::tuned is resolved by compile())
};

/// One tape instruction. Everything a kernel needs is computed at compile time.
struct Instr {
    OpKind op = OpKind::add;  ///< the operation
    NodeId node = no_node;    ///< the graph node it computes
    DType dtype = DType::f32;  ///< dtype of its output
    KernelFn fn = nullptr;    ///< the kernel run() calls, chosen for op and dtype
    std::uint32_t out = 0;    ///< slot of the output
    std::vector<std::uint32_t> in;  ///< slots of the inputs, in operand order
    std::size_t n = 0;                        ///< output element count
    /// Product of the dims before the axis: reductions, softmax, argmax and concat/slice view a tensor as
    /// [outer, len, inner] (one_hot: the number of labels).
    std::size_t outer = 1, len = 1, inner = 1;  ///< elements after the axis (reductions, softmax, argmax, concat/slice blocks)
    /// \var len
    /// Extent of the axis (one_hot: the depth; concat: of the output; slice: of the input).

    /// First scalar attribute (the scalar of scalar ops, the drop probability, slice start).
    double s1 = 0, s2 = 0;                    ///< second scalar attribute (clamp's upper bound, slice count)
    detail::BroadcastPlan plan;               ///< binary ops and broadcast_to
    std::array<std::array<std::size_t, detail::max_rank>, 3> strides{};  ///< where: per-operand strides
    /// Dims of the first input (shape ops).
    Dims in_dims, out_dims;                   ///< dims of the output
    std::vector<std::size_t> perm;            ///< transpose: the permutation; concat: each input's extent along the axis
    GemmArgs gemm;                            ///< matmul, matmul_bias_act: the GEMM arguments (conv ops: only the backend)
    FusedProgram fused;                        ///< fused: the register program (graph/fused_program.hpp)
    std::vector<detail::BroadcastPlan> plans;  ///< fused: per input, its strides over the output (rank 0: read in place)
    Epilogue epilogue = Epilogue::none;        ///< matmul_bias_act: the activation after the bias
    std::uint32_t aux = UINT32_MAX;            ///< dropout_mask: the slot holding the machine's run counter
    std::uint64_t seed = 0;                    ///< dropout_mask: its seed
    std::vector<std::size_t> window;           ///< conv and pool ops: x dims, w dims, y dims (4 each), then attrs.ints (kernels/conv.hpp)
    double flops = 0;                          ///< floating-point operations per run (Program::flops() sums them)
    std::string note;                         ///< shown in dump(): gemm flags, backend
};

namespace detail {
struct ProgramData {
    std::vector<Slot> slots;
    std::vector<Instr> instrs;
    std::vector<std::uint32_t> inputs;   ///< slots bound by let()
    std::vector<std::uint32_t> params;   ///< slots living in the ParamStore
    std::vector<std::uint32_t> outputs;  ///< requested values, in compile() order
    std::vector<AlignedBuffer<unsigned char>> constants;
    std::vector<std::uint32_t> slot_of_node;  ///< NodeId -> slot (UINT32_MAX when not in the program)
    std::size_t arena_bytes = 0;
    std::size_t unplanned_bytes = 0;  ///< sum of all arena buffers without reuse
    std::size_t in_place = 0;         ///< instructions writing their output over a dying input
    std::uint32_t step_slot = UINT32_MAX;  ///< 8 arena bytes the Machine sets to its run count (random ops read it)
    std::string graph_text;           ///< print(graph) of the graph compiled (after passes)
    std::vector<passes::PassReport> pass_reports;  ///< what each pass of the pipeline did
};
}  // namespace detail

/// A compiled program. Copies share the same immutable data.
class Program {
public:
    /// An empty Program: every accessor throws graft::Error until one from compile() is assigned.
    Program() = default;
    /// Wraps compiled data (compile() makes Programs this way).
    explicit Program(std::shared_ptr<const detail::ProgramData> d) : d_(std::move(d)) {}

    /// The compiled slots, instructions and layout; throws graft::Error on an empty Program.
    [[nodiscard]] const detail::ProgramData& data() const {
        if (!d_) throw Error("Program", "a Program made by compile()", "an empty Program");
        return *d_;
    }
    /// Number of instructions on the tape (reshapes and leaves take none).
    [[nodiscard]] std::size_t instruction_count() const { return data().instrs.size(); }
    /// The reports of the passes compile() ran, in order (empty for passes::none()).
    [[nodiscard]] const std::vector<passes::PassReport>& pass_reports() const { return data().pass_reports; }
    /// The graph that was lowered (after passes), in print() form.
    [[nodiscard]] const std::string& graph_text() const { return data().graph_text; }
    /// Bytes of the arena one Machine allocates (after liveness-based reuse).
    [[nodiscard]] std::size_t arena_bytes() const { return data().arena_bytes; }
    /// Bytes the arena would need if no buffer were reused.
    [[nodiscard]] std::size_t unplanned_arena_bytes() const { return data().unplanned_bytes; }
    /// How many instructions write their output over an input that dies there (in-place reuse).
    [[nodiscard]] std::size_t in_place_count() const { return data().in_place; }
    /// Bytes of all parameters the program reads.
    [[nodiscard]] std::size_t param_bytes() const {
        std::size_t b = 0;
        for (auto s : data().params) b += data().slots[s].bytes;
        return b;
    }
    /// Floating-point operations per run (2mnk per GEMM, about one per element elsewhere).
    [[nodiscard]] double flops() const {
        double f = 0;
        for (const auto& i : data().instrs) f += i.flops;
        return f;
    }
    /// The slot holding graph node `id`, or UINT32_MAX when the program does not compute it.
    [[nodiscard]] std::uint32_t slot_of(NodeId id) const {
        const auto& m = data().slot_of_node;
        return id < m.size() ? m[id] : UINT32_MAX;
    }

    /// The numbered tape: one instruction per line with its output's arena range.
    [[nodiscard]] std::string dump() const {
        const auto& d = data();
        std::string s = "program: " + std::to_string(d.instrs.size()) + " instructions, arena " +
                        std::to_string(d.arena_bytes) + " bytes (unplanned " + std::to_string(d.unplanned_bytes) +
                        (d.in_place ? ", " + std::to_string(d.in_place) + " in place" : std::string()) +
                        "), params " + std::to_string(d.params.size()) + " (" + std::to_string(param_bytes()) +
                        " bytes), " + std::to_string(static_cast<long long>(flops())) + " flops/run\n";
        for (auto i : d.inputs) s += "  input  %" + std::to_string(d.slots[i].node) + " \"" + d.slots[i].name + "\" " + slot_text(i) + "\n";
        for (auto i : d.params) s += "  param  %" + std::to_string(d.slots[i].node) + " \"" + d.slots[i].name + "\" " + slot_text(i) + "\n";
        for (std::size_t k = 0; k < d.instrs.size(); ++k) {
            const Instr& in = d.instrs[k];
            std::string line = "  #" + std::to_string(k) + " %" + std::to_string(in.node) + " = " + std::string(op_name(in.op));
            for (auto a : in.in) line += " %" + std::to_string(d.slots[a].node);
            if (!in.note.empty()) line += " [" + in.note + "]";
            line += " -> " + slot_text(in.out);
            if (const auto r = d.slots[in.out].in_place_of; r != UINT32_MAX) line += " in place of %" + std::to_string(d.slots[r].node);
            s += line + "\n";
        }
        s += "  outputs:";
        for (auto o : d.outputs) s += " %" + std::to_string(d.slots[o].node);
        return s + "\n";
    }

private:
    [[nodiscard]] std::string slot_text(std::uint32_t i) const {
        const Slot& sl = data().slots[i];
        std::string t = std::string(dtype_name(sl.dtype)) + detail::dims_text(sl.dims);
        switch (sl.home) {
            case Home::arena:
                return t + " arena[" + std::to_string(sl.offset) + ", " + std::to_string(sl.offset + sl.bytes) + ")";
            case Home::param: return t + " param";
            case Home::constant: return t + " const";
        }
        return t;
    }
    std::shared_ptr<const detail::ProgramData> d_;
};

}  // namespace graft
