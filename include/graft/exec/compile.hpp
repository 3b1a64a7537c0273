// SPDX-License-Identifier: MIT
// graft/exec/compile.hpp: compile(g, outputs...) -> Program.
// Lowers the graph to a tape: schedule what the outputs need, give every value a slot (inputs and op
// outputs in the arena, params in the ParamStore, constants in the program, reshapes as aliases),
// pick each instruction's kernel and precompute its arguments (broadcast plans, GEMM flags and leading
// dims, reduction blocks), then plan the arena from the values' lifetimes, letting an elementwise
// instruction write its output over an input of the same type that dies there (in place).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "../graph/graph.hpp"
#include "../graph/print.hpp"
#include "../graph/var.hpp"
#include "../passes/pipeline.hpp"
#include "kernels/conv.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/fused.hpp"
#include "kernels/gemm.hpp"
#include "../tensor/blas_tune.hpp"
#include "kernels/random.hpp"
#include "kernels/reduce.hpp"
#include "kernels/shape.hpp"
#include "memory_plan.hpp"
#include "program.hpp"
#include "schedule.hpp"

namespace graft {

/// Options for compile().
struct CompileOptions {
    passes::Pipeline pipeline{};                     ///< graph passes run first (passes::none(): none)
    bool plan_memory = true;                         ///< reuse arena bytes between values with disjoint lifetimes
    bool in_place = true;                            ///< with plan_memory: an elementwise op may write over an input that dies there
    blas::Backend gemm_backend = blas::Backend::automatic;  ///< cblas (automatic), Eigen, or tuned: the faster per shape, measured
};

namespace detail {

template <class T>
KernelFn select_kernel(OpKind op) {
    // shape ops move elements of any type
    switch (op) {
        case OpKind::transpose: return kernels::transpose<T>;
        case OpKind::broadcast_to: return kernels::broadcast_to<T>;
        case OpKind::concat: return kernels::concat<T>;
        case OpKind::slice: return kernels::slice<T>;
        case OpKind::reshape: return kernels::copy<T>;
        default: break;
    }
    if constexpr (std::is_floating_point_v<T>) {
        switch (op) {
            case OpKind::add: return kernels::binary<T, kernels::AddF>;
            case OpKind::sub: return kernels::binary<T, kernels::SubF>;
            case OpKind::mul: return kernels::binary<T, kernels::MulF>;
            case OpKind::div: return kernels::binary<T, kernels::DivF>;
            case OpKind::maximum: return kernels::binary<T, kernels::MaxF>;
            case OpKind::minimum: return kernels::binary<T, kernels::MinF>;
            case OpKind::greater: return kernels::binary<T, kernels::GreaterF>;
            case OpKind::less: return kernels::binary<T, kernels::LessF>;
            case OpKind::equal: return kernels::binary<T, kernels::EqualF>;
            case OpKind::where: return kernels::where<T>;
            case OpKind::matmul: return kernels::matmul<T>;
            case OpKind::fused: return kernels::fused<T>;
            case OpKind::matmul_bias_act: return kernels::matmul_bias_act<T>;
            case OpKind::sum: case OpKind::mean: case OpKind::max: return kernels::reduce<T>;
            case OpKind::softmax: case OpKind::log_softmax: return kernels::softmax<T>;
            case OpKind::one_hot: return kernels::one_hot<T>;
            case OpKind::argmax: return kernels::argmax<T>;
            case OpKind::dropout_mask: return kernels::dropout_mask<T>;
            case OpKind::conv2d: return kernels::conv2d<T>;
            case OpKind::conv2d_grad_input: return kernels::conv2d_grad_input<T>;
            case OpKind::conv2d_grad_weight: return kernels::conv2d_grad_weight<T>;
            case OpKind::max_pool2d: return kernels::max_pool2d<T>;
            case OpKind::max_pool2d_grad: return kernels::max_pool2d_grad<T>;
            case OpKind::avg_pool2d: return kernels::avg_pool2d<T>;
            case OpKind::avg_pool2d_grad: return kernels::avg_pool2d_grad<T>;
            default: break;
        }
        switch (op_info(op).cls) {
            case OpClass::scalar: return kernels::scalar<T>;
            case OpClass::unary: return kernels::unary<T>;
            default: break;
        }
    }
    throw Error("compile", "an op with a kernel for " + std::string(dtype_name(dtype_of<T>)), std::string(op_name(op)));
}

inline KernelFn kernel_for(OpKind op, DType dispatch) {
    switch (dispatch) {
        case DType::f32: return select_kernel<float>(op);
        case DType::f64: return select_kernel<double>(op);
        case DType::i32: return select_kernel<std::int32_t>(op);
        case DType::u8: return select_kernel<std::uint8_t>(op);
    }
    return nullptr;
}

inline std::size_t prod(const Dims& d, std::size_t from = 0, std::size_t to = SIZE_MAX) {
    std::size_t r = 1;
    for (std::size_t i = from; i < std::min(to, d.size()); ++i) r *= d[i];
    return r;
}

/// GEMM arguments for a matmul whose operands (as stored) have dims `a`, `b` and flags ta, tb.
inline GemmArgs gemm_args(Dims a, Dims b, bool ta, bool tb, const Dims& out, blas::Backend backend) {
    GemmArgs g;
    g.ta = ta;
    g.tb = tb;
    g.backend = backend;
    auto logical = [](Dims d, bool t) {
        if (t) std::swap(d[d.size() - 1], d[d.size() - 2]);
        return d;
    };
    const Dims la = logical(a, ta), lb = logical(b, tb);
    g.m = la.size() == 1 ? 1 : la[la.size() - 2];
    g.k = la.back();
    g.n = lb.size() == 1 ? 1 : lb.back();
    g.lda = ta ? g.m : g.k;
    g.ldb = tb ? g.k : g.n;
    const Dims ba(la.begin(), la.end() - std::min<std::size_t>(la.size(), 2));
    const Dims bb(lb.begin(), lb.end() - std::min<std::size_t>(lb.size(), 2));
    const std::size_t trailing = (la.size() >= 2 ? 1 : 0) + (lb.size() >= 2 ? 1 : 0);
    const Dims bo(out.begin(), out.end() - static_cast<std::ptrdiff_t>(trailing));
    const std::size_t nb = prod(bo);
    if (bb.empty() && !ta && !ba.empty()) {  // one GEMM over every batch row of A
        g.m *= prod(ba);
        g.a_off = {0};
        g.b_off = {0};
        return g;
    }
    // per output batch entry: offsets of A and B (0 stride where broadcast)
    auto strides = [&](const Dims& d) {
        std::vector<std::size_t> s(bo.size(), 0);
        std::size_t acc = 1;
        for (std::size_t i = 0; i < bo.size(); ++i) {
            const std::size_t k = bo.size() - 1 - i;
            const std::size_t dim = i < d.size() ? d[d.size() - 1 - i] : 1;
            s[k] = dim == 1 ? 0 : acc;
            acc *= dim;
        }
        return s;
    };
    const auto sa = strides(ba), sb = strides(bb);
    for (std::size_t o = 0; o < nb; ++o) {
        // o's multi-index, last axis fastest (computed, not counted in a vector: GCC 12 -O3 then warns
        // -Wfree-nonheap-object about that vector in some translation units, a false positive)
        std::size_t ia = 0, ib = 0, rest = o;
        for (std::size_t k = bo.size(); k-- > 0;) {
            const std::size_t i = rest % bo[k];
            rest /= bo[k];
            ia += i * sa[k];
            ib += i * sb[k];
        }
        g.a_off.push_back(ia * g.m * g.k);
        g.b_off.push_back(ib * g.k * g.n);
    }
    return g;
}

/// The backend a GEMM of this shape runs on: `requested`, or for Backend::tuned the measured choice
/// (blas_tune.hpp) with its timings. Integer GEMMs always run on Eigen.
inline blas::TunedGemm choose_backend(DType dt, const blas::GemmShape& s, blas::Backend requested) {
    if (requested != blas::Backend::tuned) return {requested};
    if (dt == DType::f32) return blas::tuned<float>(s);
    if (dt == DType::f64) return blas::tuned<double>(s);
    return {blas::Backend::eigen};
}

/// Resolves ga.backend (Backend::tuned becomes the measured choice); returns the text dump() shows for it.
inline std::string resolve_gemm_backend(GemmArgs& ga, DType dt) {
    const blas::TunedGemm t = choose_backend(dt, {ga.ta, ga.tb, ga.m, ga.n, ga.k, false}, ga.backend);
    const bool was_tuned = ga.backend == blas::Backend::tuned;
    ga.backend = t.backend;
    return was_tuned ? blas::tuned_text(t) : std::string(blas::backend_name(t.backend));
}

/// "cblas NT m=64 n=256 k=784": how a GEMM instruction runs, as dump() shows it (the backend text last when
/// it carries the tuner's timings).
inline std::string gemm_note(const GemmArgs& ga, const std::string& backend_text = {}) {
    const bool long_text = backend_text.find(' ') != std::string::npos;
    std::string s = long_text || backend_text.empty() ? blas::backend_name(ga.backend) : backend_text;
    s += ' ';
    s += ga.ta ? 'T' : 'N';
    s += ga.tb ? 'T' : 'N';
    // appended piece by piece: `"literal" + std::string&&` trips GCC 12's -Wrestrict at -O3 (PR 105329)
    s += " m=";
    s += std::to_string(ga.m);
    s += " n=";
    s += std::to_string(ga.n);
    s += " k=";
    s += std::to_string(ga.k);
    if (ga.a_off.size() > 1) {
        s += " batch=";
        s += std::to_string(ga.a_off.size());
    }
    if (long_text) {
        s += ", ";
        s += backend_text;
    }
    return s;
}

/// Strides of an operand with dims `d` over output dims `out` (0 where broadcast).
inline std::array<std::size_t, max_rank> operand_strides(const Dims& d, const Dims& out) {
    std::array<std::size_t, max_rank> s{};
    std::size_t acc = 1;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const std::size_t k = out.size() - 1 - i;
        const std::size_t dim = i < d.size() ? d[d.size() - 1 - i] : 1;
        s[k] = (dim == 1 && out[k] != 1) ? 0 : acc;
        acc *= dim;
    }
    return s;
}

/// Instr::window of a conv or pool instruction (kernels/conv.hpp): the dims of the image x, the weight w
/// (pools: {C, 1, KH, KW}) and the windowed result y, 4 each, then the window attributes.
inline std::vector<std::size_t> conv_window(const Graph& g, const Node& n) {
    const Dims& in0 = g.node(n.inputs[0]).dims;
    const Dims& in1 = g.node(n.inputs[n.inputs.size() > 1 ? 1 : 0]).dims;
    Dims x, w, y;
    std::size_t attrs = Pool2dParams::count;
    switch (n.op) {
        case OpKind::conv2d: x = in0, w = in1, y = n.dims, attrs = Conv2dParams::count; break;
        case OpKind::conv2d_grad_input: x = n.dims, w = in1, y = in0, attrs = Conv2dParams::count; break;
        case OpKind::conv2d_grad_weight: x = in0, w = n.dims, y = in1, attrs = Conv2dParams::count; break;
        case OpKind::max_pool2d:
        case OpKind::avg_pool2d: x = in0, y = n.dims; break;
        case OpKind::max_pool2d_grad: x = in0, y = in1; break;
        default: x = n.dims, y = in0; break;  // avg_pool2d_grad
    }
    if (attrs == Pool2dParams::count) w = {x[1], 1, n.attrs.ints[0], n.attrs.ints[1]};
    std::vector<std::size_t> v;
    for (const Dims* d : {&x, &w, &y}) v.insert(v.end(), d->begin(), d->end());
    v.insert(v.end(), n.attrs.ints.begin(), n.attrs.ints.begin() + static_cast<std::ptrdiff_t>(attrs));
    return v;
}

}  // namespace detail

namespace detail {
/// True when the kernel of `op` may write its output over an input of the same dims and dtype: output
/// element i depends only on element i of such an input, and the kernel reads it before writing
/// element i (binary/compare broadcast loops, scalar and unary Eigen maps, where, the fused register
/// program, which loads a block of its inputs before it stores that block of its output).
inline bool in_place_safe(OpKind op) {
    switch (op_info(op).cls) {
        case OpClass::binary:
        case OpClass::compare:
        case OpClass::scalar:
        case OpClass::unary:
        case OpClass::select: return true;
        default: return op == OpKind::fused;
    }
}

/// Marks, for every in-place-safe instruction, one input its output may overwrite: an op output in the
/// arena (not a bound input, param, constant, reshape alias or requested output, nor the storage behind
/// an output alias) with the output's dims and dtype, whose last reader is this instruction. Broadcast
/// operands never qualify (their dims differ from the output's), so element i is always read at i.
inline void ask_in_place(const ProgramData& d, std::vector<BufferRequest>& req, const std::vector<std::size_t>& req_of_slot) {
    std::vector<char> pinned(d.slots.size(), 0);  // outputs, and the storage their aliases share
    for (std::uint32_t s : d.outputs) {
        pinned[s] = 1;
        std::uint32_t r = s;
        while (d.slots[r].alias_of != UINT32_MAX) r = d.slots[r].alias_of;
        pinned[r] = 1;
    }
    for (std::size_t k = 0; k < d.instrs.size(); ++k) {
        const Instr& ins = d.instrs[k];
        const Slot& out = d.slots[ins.out];
        const std::size_t me = req_of_slot[ins.out];
        if (!in_place_safe(ins.op) || me == no_reuse || out.bytes == 0) continue;
        for (std::uint32_t i : ins.in) {
            const Slot& x = d.slots[i];
            const std::size_t r = req_of_slot[i];
            if (r == no_reuse || pinned[i] || x.alias_of != UINT32_MAX || x.home != Home::arena || x.is_input) continue;
            if (x.dtype != out.dtype || x.dims != out.dims || x.bytes != out.bytes) continue;
            if (x.def >= k || x.last_use != k) continue;
            bool read_through_alias = false;  // reshape(x) read by the same instruction: keep it simple, no
            for (std::uint32_t j : ins.in) {
                std::uint32_t rj = j;
                while (d.slots[rj].alias_of != UINT32_MAX) rj = d.slots[rj].alias_of;
                read_through_alias = read_through_alias || (rj == i && j != i);
            }
            if (read_through_alias) continue;
            req[me].reuse_of = r;
            break;
        }
    }
}

/// Lowers `g` (already optimized) to program data: schedule, slots, instructions, memory plan.
/// `keep`: leaves (inputs, params) that get a slot even when no output reads them.
inline std::shared_ptr<ProgramData> lower(const Graph& g, std::span<const NodeId> outputs, const CompileOptions& opt,
                                          std::span<const NodeId> keep = {}) {
    auto d = std::make_shared<detail::ProgramData>();
    const MatmulOperands mm = fold_matmul_transposes(g);
    std::vector<NodeId> wanted(outputs.begin(), outputs.end());
    wanted.insert(wanted.end(), keep.begin(), keep.end());
    const std::vector<NodeId> order = schedule(g, wanted, mm);
    d->slot_of_node.assign(g.size(), UINT32_MAX);
    d->graph_text = print(g);

    // 1. slots, and instructions in schedule order
    auto root = [&](std::uint32_t s) {
        while (d->slots[s].alias_of != UINT32_MAX) s = d->slots[s].alias_of;
        return s;
    };
    for (NodeId id : order) {
        const Node& n = g.node(id);
        Slot sl;
        sl.node = id;
        sl.dtype = n.dtype;
        sl.dims = n.dims;
        sl.name = n.name;
        sl.bytes = n.size() * dtype_size(n.dtype);
        const auto sid = static_cast<std::uint32_t>(d->slots.size());
        d->slot_of_node[id] = sid;
        if (n.op == OpKind::input) {
            sl.is_input = true;
            d->inputs.push_back(sid);
        } else if (n.op == OpKind::param) {
            sl.home = Home::param;
            sl.init = n.init;
            d->params.push_back(sid);
        } else if (n.op == OpKind::constant) {
            sl.home = Home::constant;
            sl.offset = d->constants.size();
            const auto bytes = g.constant_bytes(n);
            AlignedBuffer<unsigned char> buf(bytes.size());
            if (!bytes.empty()) std::memcpy(buf.data(), bytes.data(), bytes.size());
            d->constants.push_back(std::move(buf));
        } else if (n.op == OpKind::reshape || n.op == OpKind::checkpoint) {
            sl.alias_of = root(d->slot_of_node[n.inputs[0]]);  // same bytes (new dims): no instruction
        }
        d->slots.push_back(std::move(sl));
        if (op_info(n.op).cls == OpClass::leaf || n.op == OpKind::reshape || n.op == OpKind::checkpoint) continue;

        Instr ins;
        ins.op = n.op;
        ins.node = id;
        ins.dtype = n.dtype;
        ins.out = sid;
        ins.n = n.size();
        ins.out_dims = n.dims;
        ins.flops = static_cast<double>(n.size());
        const bool is_mm = n.op == OpKind::matmul || n.op == OpKind::matmul_bias_act;
        std::vector<NodeId> ins_nodes = is_mm ? std::vector<NodeId>{mm.a[id], mm.b[id]} : n.inputs;
        if (n.op == OpKind::matmul_bias_act) ins_nodes.push_back(n.inputs[2]);  // the bias
        for (NodeId i : ins_nodes) ins.in.push_back(d->slot_of_node[i]);
        const Node& x = g.node(ins_nodes[0]);
        ins.in_dims = x.dims;
        const OpClass cls = op_info(n.op).cls;
        DType dispatch = n.dtype;
        // where and transpose index with fixed arrays of detail::max_rank dims; binary ops and
        // broadcast_to check the same limit when their broadcast plan is made
        if ((cls == OpClass::select || n.op == OpKind::transpose) && n.dims.size() > detail::max_rank) {
            std::string where = "compile: node %";
            where += std::to_string(id);
            where += " (";
            where += op_name(n.op);
            where += ')';
            std::string want = "rank <= ";
            want += std::to_string(detail::max_rank);
            throw Error(where, want, shape_string(n.dims));
        }
        switch (cls) {
            case OpClass::binary:
            case OpClass::compare:
                ins.plan = detail::make_broadcast_plan(x.dims, g.node(ins_nodes[1]).dims, n.dims);
                break;
            case OpClass::scalar:
                ins.s1 = n.attrs.scalar;
                ins.s2 = n.attrs.scalar2;
                break;
            case OpClass::select:
                for (std::size_t k = 0; k < 3; ++k) ins.strides[k] = detail::operand_strides(g.node(ins_nodes[k]).dims, n.dims);
                break;
            case OpClass::matmul: {
                ins.gemm = detail::gemm_args(x.dims, g.node(ins_nodes[1]).dims, mm.ta[id], mm.tb[id], n.dims, opt.gemm_backend);
                const std::string backend = detail::resolve_gemm_backend(ins.gemm, n.dtype);
                const auto& ga = ins.gemm;
                ins.flops = 2.0 * double(ga.m) * double(ga.n) * double(ga.k) * double(ga.a_off.size());
                ins.note = detail::gemm_note(ga, backend);
                break;
            }
            case OpClass::fused:
                if (n.op == OpKind::matmul_bias_act) {  // the GEMM of a matmul, then one epilogue pass
                    ins.gemm = detail::gemm_args(x.dims, g.node(ins_nodes[1]).dims, mm.ta[id], mm.tb[id], n.dims, opt.gemm_backend);
                    const std::string backend = detail::resolve_gemm_backend(ins.gemm, n.dtype);
                    const auto& ga = ins.gemm;
                    ins.epilogue = static_cast<Epilogue>(n.attrs.ints.at(0));
                    ins.flops = 2.0 * double(ga.m) * double(ga.n) * double(ga.k) + 2.0 * double(n.size());
                    ins.note = detail::gemm_note(ga);
                    ins.note += " +bias";
                    if (ins.epilogue != Epilogue::none) {
                        ins.note += ' ';
                        ins.note += epilogue_name(ins.epilogue);
                    }
                    if (backend.find(' ') != std::string::npos) {
                        ins.note += ", ";
                        ins.note += backend;
                    }
                } else {  // a register program; inputs with the output's element count are read in place
                    ins.fused = FusedProgram::decode(n.attrs, n.inputs.size());
                    for (NodeId i : ins_nodes) {
                        const Node& in = g.node(i);
                        ins.plans.push_back(in.size() == n.size() ? detail::BroadcastPlan{}
                                                                  : detail::make_broadcast_plan(in.dims, n.dims, n.dims));
                    }
                    ins.flops = double(n.size()) * double(ins.fused.steps.size());
                    ins.note = ins.fused.text();
                }
                break;
            case OpClass::shape:
                if (n.op == OpKind::transpose) ins.perm = n.attrs.ints;
                if (n.op == OpKind::broadcast_to) ins.plan = detail::make_broadcast_plan(x.dims, x.dims, n.dims);
                if (n.op == OpKind::concat || n.op == OpKind::slice) {
                    const auto ax = static_cast<std::size_t>(n.attrs.axis);
                    ins.outer = detail::prod(n.dims, 0, ax);
                    ins.inner = detail::prod(n.dims, ax + 1);
                    if (n.op == OpKind::concat) {
                        ins.len = n.dims[ax];
                        for (NodeId i : ins_nodes) ins.perm.push_back(g.node(i).dims[ax]);
                    } else {
                        ins.len = x.dims[ax];
                        ins.s1 = static_cast<double>(n.attrs.start);
                        ins.s2 = static_cast<double>(n.attrs.stop - n.attrs.start);
                    }
                }
                ins.flops = 0;
                break;
            case OpClass::conv: {  // im2col + GEMM (conv2d and its gradients) or window loops (pools)
                ins.window = detail::conv_window(g, n);
                const auto& v = ins.window;
                ins.gemm.backend = opt.gemm_backend;
                if (n.op == OpKind::conv2d || n.op == OpKind::conv2d_grad_input || n.op == OpKind::conv2d_grad_weight) {
                    const kernels::conv_detail::ConvGeometry cg = kernels::conv_detail::ConvGeometry::of(ins);
                    ins.flops = 2.0 * double(cg.N) * double(cg.O) * double(cg.OHW()) * double(cg.K());
                    ins.note = Conv2dParams::decode(n.attrs).text();
                    // the kernel's GEMM (one per image and group): forward w * cols, input gradient w^T * dy,
                    // weight gradient dy * cols^T summed over the batch
                    const blas::GemmShape gs = n.op == OpKind::conv2d ? blas::GemmShape{false, false, cg.Og(), cg.OHW(), cg.K(), false}
                                               : n.op == OpKind::conv2d_grad_input
                                                   ? blas::GemmShape{true, false, cg.K(), cg.OHW(), cg.Og(), false}
                                                   : blas::GemmShape{false, true, cg.Og(), cg.K(), cg.OHW(), true};
                    const blas::TunedGemm t = detail::choose_backend(n.dtype, gs, opt.gemm_backend);
                    ins.gemm.backend = t.backend;
                    if (opt.gemm_backend == blas::Backend::tuned) {
                        ins.note += ", ";
                        ins.note += blas::tuned_text(t);
                    }
                    if (!cg.direct() && cg.K() * cg.OHW() > 0) {  // the column matrix: a scratch slot live at this instruction only
                        Slot sc;
                        sc.dtype = n.dtype;
                        sc.dims = {cg.K(), cg.OHW()};
                        sc.bytes = cg.K() * cg.OHW() * dtype_size(n.dtype);
                        sc.name = "(im2col columns)";
                        ins.aux = static_cast<std::uint32_t>(d->slots.size());
                        d->slots.push_back(std::move(sc));
                        ins.note += ", im2col";
                    }
                } else {
                    ins.flops = double(v[8]) * double(v[9]) * double(v[10]) * double(v[11]) * double(v[12]) * double(v[13]);
                    ins.note = Pool2dParams::decode(n.attrs).text();
                }
                break;
            }
            case OpClass::random:  // dropout_mask: a fresh mask per run, from the run counter
                if (d->step_slot == UINT32_MAX) {
                    Slot st;
                    st.dtype = DType::u8;
                    st.dims = {8};
                    st.bytes = 8;
                    st.name = "(run counter)";
                    d->step_slot = static_cast<std::uint32_t>(d->slots.size());
                    d->slots.push_back(std::move(st));
                }
                ins.aux = d->step_slot;
                ins.s1 = n.attrs.scalar;
                ins.seed = n.attrs.start;
                ins.note = "p=" + detail::format_double(n.attrs.scalar) + " seed=" + std::to_string(n.attrs.start);
                break;
            case OpClass::reduce:
            case OpClass::softmax:
            case OpClass::index: {
                if (n.op == OpKind::one_hot) {
                    ins.outer = x.size();
                    ins.len = n.attrs.start;
                    break;
                }
                if (n.op == OpKind::argmax) dispatch = x.dtype;
                if (n.attrs.all_axes) {
                    ins.outer = 1;
                    ins.len = x.size();
                    ins.inner = 1;
                } else {
                    const auto ax = static_cast<std::size_t>(n.attrs.axis);
                    ins.outer = detail::prod(x.dims, 0, ax);
                    ins.len = x.dims[ax];
                    ins.inner = detail::prod(x.dims, ax + 1);
                }
                ins.flops = static_cast<double>(x.size()) * (cls == OpClass::softmax ? 4.0 : 1.0);
                break;
            }
            default: break;
        }
        ins.fn = detail::kernel_for(n.op, dispatch);
        d->instrs.push_back(std::move(ins));
    }

    // 2. lifetimes: an instruction's inputs are read at its index; outputs and bound inputs live throughout
    const std::size_t end = d->instrs.empty() ? 0 : d->instrs.size() - 1;
    for (auto& s : d->slots) s.def = s.last_use = 0;
    std::vector<bool> defined(d->slots.size(), false);
    for (std::size_t k = 0; k < d->instrs.size(); ++k) {
        const Instr& ins = d->instrs[k];
        d->slots[ins.out].def = k;
        d->slots[ins.out].last_use = std::max(d->slots[ins.out].last_use, k);
        if (ins.aux != UINT32_MAX && ins.aux != d->step_slot) d->slots[ins.aux].def = d->slots[ins.aux].last_use = k;  // scratch
        for (auto i : ins.in) {
            const auto r = root(i);
            d->slots[r].last_use = std::max(d->slots[r].last_use, k);
        }
    }
    for (NodeId o : outputs) {
        const auto s = d->slot_of_node[o];
        d->outputs.push_back(s);
        d->slots[s].is_output = true;
        d->slots[root(s)].last_use = end;
    }
    // 3. the arena: bound inputs first (they persist across runs), then the planned op outputs
    std::size_t input_bytes = 0;
    for (auto i : d->inputs) {
        d->slots[i].offset = input_bytes;
        input_bytes += align_up(d->slots[i].bytes);
    }
    if (d->step_slot != UINT32_MAX) {  // the run counter persists across runs, like a bound input
        d->slots[d->step_slot].offset = input_bytes;
        input_bytes += align_up(d->slots[d->step_slot].bytes);
    }
    std::vector<BufferRequest> req;
    std::vector<std::uint32_t> req_slot;
    std::vector<std::size_t> req_of_slot(d->slots.size(), no_reuse);
    for (std::uint32_t s = 0; s < d->slots.size(); ++s) {
        const Slot& sl = d->slots[s];
        if (sl.home != Home::arena || sl.is_input || sl.alias_of != UINT32_MAX || s == d->step_slot) continue;
        req_of_slot[s] = req.size();
        req.push_back({sl.bytes, sl.def, sl.last_use});
        req_slot.push_back(s);
    }
    if (opt.in_place) detail::ask_in_place(*d, req, req_of_slot);
    const MemoryPlan plan = plan_memory(req, opt.plan_memory);
    d->in_place = plan.in_place;
    for (std::size_t r = 0; r < req.size(); ++r) {
        d->slots[req_slot[r]].offset = input_bytes + plan.offsets[r];
        if (plan.took[r] != no_reuse) d->slots[req_slot[r]].in_place_of = req_slot[plan.took[r]];
    }
    d->arena_bytes = input_bytes + plan.arena_bytes;
    d->unplanned_bytes = input_bytes + plan.unplanned_bytes;
    for (auto& s : d->slots)
        if (s.alias_of != UINT32_MAX) {
            const Slot& r = d->slots[root(s.alias_of)];
            s.home = r.home;
            s.offset = r.offset;
        }
    return d;
}

/// Runs a lowered program of constants and ops once (no Machine, no params, no inputs).
inline void run_constant_program(const ProgramData& d, NodeId id, void* out) {
    AlignedBuffer<unsigned char> arena(d.arena_bytes);
    std::vector<void*> ptr(d.slots.size(), nullptr);
    for (std::size_t s = 0; s < d.slots.size(); ++s) {
        const Slot& sl = d.slots[s];
        if (sl.alias_of != UINT32_MAX) continue;
        if (sl.home == Home::constant) ptr[s] = const_cast<unsigned char*>(d.constants[sl.offset].data());
        else if (sl.home == Home::arena && !sl.is_input) ptr[s] = arena.data() + sl.offset;
        else throw Error("passes: constant evaluation", "a graph of constants and ops", "input or param \"" + sl.name + "\"");
    }
    for (std::size_t s = 0; s < d.slots.size(); ++s)
        if (d.slots[s].alias_of != UINT32_MAX) ptr[s] = ptr[d.slots[s].alias_of];
    for (const Instr& ins : d.instrs) ins.fn(ins, ptr.data());
    const Slot& res = d.slots[d.slot_of_node[id]];
    if (res.bytes) std::memcpy(out, ptr[d.slot_of_node[id]], res.bytes);
}

/// The Evaluator compile() hands to fold_constants: the same lowering and kernels as a real run.
inline passes::Evaluator kernel_evaluator() {
    return [](const Graph& g, NodeId id, void* out) {
        const CompileOptions o;
        const auto d = lower(g, std::span<const NodeId>(&id, 1), o);
        run_constant_program(*d, id, out);
    };
}
}  // namespace detail

/// Compiles the part of `g` that `outputs` need into a Program, after running `opt.pipeline` over a
/// copy of the graph (`g` itself is never changed). Throws graft::Error for unknown ids.
inline Program compile(const Graph& g, std::span<const NodeId> outputs, const CompileOptions& opt = {}) {
    if (outputs.empty()) throw Error("compile", "at least one output", "none");
    for (NodeId o : outputs)
        if (o >= g.size()) throw Error("compile", "output ids below " + std::to_string(g.size()), std::to_string(o));
    if (opt.pipeline.empty()) return Program(detail::lower(g, outputs, opt));

    // optimize a copy; the roots are the outputs, then every input and param they read (a pass may make
    // one unnecessary, but let() and the ParamStore must still know it)
    Graph work = g;
    std::vector<NodeId> roots(outputs.begin(), outputs.end());
    for (NodeId leaf : leaves_read(g, outputs)) roots.push_back(leaf);
    const passes::Evaluator eval = detail::kernel_evaluator();
    passes::PipelineResult res = passes::run_pipeline(work, roots, opt.pipeline, &eval);
    // an output the passes turned into a leaf, or merged with an earlier output, gets its own copy so
    // that every output stays a distinct computed value (optimizers update gradients in place)
    std::vector<NodeId> outs(roots.begin(), roots.begin() + static_cast<std::ptrdiff_t>(outputs.size()));
    for (std::size_t i = 0; i < outs.size(); ++i) {
        const bool was_op = op_info(g.node(outputs[i]).op).cls != OpClass::leaf;
        bool dup = false;
        for (std::size_t j = 0; j < i; ++j) dup = dup || (outs[j] == outs[i] && outputs[j] != outputs[i]);
        if ((was_op && op_info(work.node(outs[i]).op).cls == OpClass::leaf) || dup) {
            Attrs a;
            a.ints = work.node(outs[i]).dims;
            outs[i] = work.add(OpKind::broadcast_to, {outs[i]}, a);
        }
    }
    const std::vector<NodeId> kept(roots.begin() + static_cast<std::ptrdiff_t>(outputs.size()), roots.end());
    auto d = detail::lower(work, outs, opt, kept);
    // answer for the caller's node ids: original id -> optimized id -> slot
    std::vector<std::uint32_t> by_original(g.size(), UINT32_MAX);
    for (NodeId i = 0; i < g.size(); ++i) {
        const NodeId w = res.old_to_new[i];
        if (w != no_node && w < d->slot_of_node.size()) by_original[i] = d->slot_of_node[w];
    }
    for (std::size_t i = 0; i < outs.size(); ++i) by_original[outputs[i]] = d->slot_of_node[outs[i]];
    d->slot_of_node = std::move(by_original);
    d->pass_reports = std::move(res.reports);
    return Program(std::move(d));
}

/// compile(g, z) or compile(g, loss, grad_W, ...) with typed Vars.
template <VarType... V>
Program compile(const Graph& g, const V&... outputs) {
    return compile(g, CompileOptions{}, outputs...);
}
/// The same, with options. Every output must be a Var of `g`.
template <VarType... V>
Program compile(const Graph& g, const CompileOptions& opt, const V&... outputs) {
    static_assert(sizeof...(V) > 0, "graft::compile: name at least one output");
    for (bool same : {(&outputs.graph() == &g)...})
        if (!same) throw Error("compile", "outputs from the Graph being compiled", "a Var of another Graph");
    const NodeId ids[] = {outputs.id()...};
    return compile(g, std::span<const NodeId>(ids, sizeof...(V)), opt);
}

}  // namespace graft
