// SPDX-License-Identifier: MIT
// graft/passes/fold.hpp: constant folding.
// A pure op node whose inputs are all constants is evaluated once, while the pipeline runs, and replaced
// by a constant holding the result. Inputs and params are never folded (their values change between
// runs), nor are impure ops. The evaluation is done by the Evaluator the caller hands the pipeline —
// compile() and optimize() pass one that runs the machine's own kernels, so a folded value is
// bit-for-bit what the program would have computed. Results that would grow the program a lot
// (a broadcast of a scalar to a large shape) are left to run time: see PassOptions. So is an op the
// kernel refuses on these constants (one_hot of a label out of range): run() then throws the same
// graft::Error the program without the pass throws, instead of compile() throwing.
#pragma once

#include <algorithm>

#include "pass.hpp"

namespace graft::passes {

/// Constant folding: replaces each pure op node whose inputs are all constants by a constant holding
/// its value, computed by the pipeline's Evaluator; reports "folded". A node the Evaluator refuses with
/// graft::Error is left unfolded. Throws graft::Error if the pipeline has no Evaluator.
inline Pass fold_constants() {
    return {"fold_constants", [](PassContext& ctx, Rewriter& rw) {
                Graph& g = ctx.graph;
                const std::size_t n = g.size();
                for (NodeId id = 0; id < n; ++id) {
                    const Node& nd = g.node(id);
                    const OpInfo& info = op_info(nd.op);
                    if (info.cls == OpClass::leaf || !info.pure) continue;
                    bool all_const = true;
                    std::size_t largest = 1;
                    for (NodeId i : nd.inputs) {
                        const Node& in = g.node(rw.resolve(i));
                        all_const = all_const && in.op == OpKind::constant;
                        largest = std::max(largest, in.size());
                    }
                    if (!all_const) continue;
                    const std::size_t size = nd.size();
                    if (size > largest && size > ctx.options.fold_max_growth_elements) continue;
                    if (!ctx.evaluator || !*ctx.evaluator)
                        throw Error("passes::fold_constants", "an Evaluator (run it through graft::optimize or compile)", "none");
                    // evaluate on a small graph holding only the constant inputs and this op
                    Graph tmp;
                    std::vector<NodeId> ins;
                    for (NodeId i : nd.inputs) {
                        const Node& in = g.node(rw.resolve(i));
                        const auto b = g.constant_bytes(in);
                        ins.push_back(tmp.constant(in.dtype, in.dims, b.data()));
                    }
                    const NodeId op = tmp.add(nd.op, ins, nd.attrs);
                    AlignedBuffer<unsigned char> out(size * dtype_size(nd.dtype));
                    try {
                        (*ctx.evaluator)(tmp, op, out.data());
                    } catch (const Error&) {
                        continue;  // refused (a one_hot label out of range): left for run(), which reports it as without the pass
                    }
                    const std::string name = nd.name;
                    const DType dt = nd.dtype;
                    const Dims dims = nd.dims;  // copies: constant() appends and may move the nodes
                    const NodeId c = g.constant(dt, dims, out.data(), name);
                    rw.replace(id, c, "folded");
                }
            }};
}

}  // namespace graft::passes
