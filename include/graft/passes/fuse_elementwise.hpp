// SPDX-License-Identifier: MIT
// graft/passes/fuse_elementwise.hpp: elementwise fusion — trees of elementwise nodes become one `fused`
// node holding a register program (graph/fused_program.hpp), which the kernel runs block by block so each
// input is read once. Runs after the fixed point of the other passes and after fuse_matmul_epilogue.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "../graph/fused_program.hpp"
#include "pass.hpp"

namespace graft::passes {

/// The most elementwise nodes one fused node takes (its program then needs at most 64 temporaries and
/// 129 inputs, well inside FusedProgram::max_registers).
inline constexpr std::size_t max_fused_ops = 64;

/// Walks the graph from its last node back. Each elementwise node (binary, comparison, scalar, unary,
/// where) not yet fused roots a group, which takes in an operand when the operand is elementwise too,
/// has the root's dtype and dims, is read exactly once (by the group; dead readers do not count) and is
/// not a root of the graph.
/// So the group is a tree whose inner values nobody else reads; a group of two or more nodes becomes one
/// `fused` node whose inputs are the tree's operands from outside (any dims that broadcast to the
/// root's, each listed once). Registers are reused once their value is dead.
/// Fused nodes are never fused again, so a second run changes nothing.
inline Pass fuse_elementwise() {
    return {"fuse_elementwise", [](PassContext& ctx, Rewriter& rw) {
                const std::size_t n = ctx.graph.size();
                const std::vector<std::size_t> users = detail::live_users(ctx.graph, ctx.roots);
                std::vector<char> taken(n, 0), in_group(n, 0);  // in_group: marks one group's members at a time
                for (NodeId root = static_cast<NodeId>(n); root-- > 0;) {
                    const Node r = ctx.graph.node(root);  // a copy: rw.add() below may move the node storage
                    // dead nodes (nothing live reads them; roots count as read) root no group: they would take
                    // operands that a live group wants
                    if (taken[root] || users[root] == 0 || fused_form(r.op) == FusedForm::none) continue;
                    // 1. the group: absorb operands breadth first (the tree's shape, not the order, matters)
                    std::vector<NodeId> members{root};
                    taken[root] = 1;
                    for (std::size_t m = 0; m < members.size(); ++m)
                        for (NodeId in : ctx.graph.node(members[m]).inputs) {
                            const Node& p = ctx.graph.node(in);
                            if (members.size() < max_fused_ops && !taken[in] && fused_form(p.op) != FusedForm::none &&
                                users[in] == 1 && !rw.is_root(in) && p.dtype == r.dtype && p.dims == r.dims) {
                                taken[in] = 1;
                                members.push_back(in);
                            }
                        }
                    if (members.size() < 2) continue;
                    for (NodeId m : members) in_group[m] = 1;
                    // 2. external operands, in the order the program first reads them: registers 0..k-1
                    std::vector<NodeId> inputs;
                    std::map<NodeId, std::uint32_t> input_reg;
                    std::function<void(NodeId)> collect = [&](NodeId id) {
                        for (NodeId in : ctx.graph.node(id).inputs) {
                            if (in_group[in]) collect(in);
                            else if (input_reg.emplace(in, static_cast<std::uint32_t>(inputs.size())).second) inputs.push_back(in);
                        }
                    };
                    collect(root);
                    // 3. the program, operands before users; a temporary is freed when its one reader runs
                    FusedProgram prog;
                    prog.dtype = r.dtype;
                    prog.dims = r.dims;
                    prog.inputs = inputs.size();
                    prog.registers = inputs.size();
                    std::vector<std::uint32_t> free_regs;  // dead temporaries, lowest last
                    auto constant = [&](double v) {
                        for (std::size_t i = 0; i < prog.constants.size(); ++i)
                            if (prog.constants[i] == v && std::signbit(prog.constants[i]) == std::signbit(v))
                                return static_cast<std::uint32_t>(i);
                        prog.constants.push_back(v);
                        return static_cast<std::uint32_t>(prog.constants.size() - 1);
                    };
                    std::function<std::uint32_t(NodeId)> emit = [&](NodeId id) -> std::uint32_t {
                        const Node nd = ctx.graph.node(id);
                        std::vector<std::uint32_t> ops;
                        for (NodeId in : nd.inputs) ops.push_back(in_group[in] ? emit(in) : input_reg.at(in));
                        for (std::uint32_t o : ops)
                            if (o >= prog.inputs) free_regs.push_back(o);
                        std::sort(free_regs.begin(), free_regs.end(), std::greater<>());
                        free_regs.erase(std::unique(free_regs.begin(), free_regs.end()), free_regs.end());
                        FusedStep st;
                        st.op = nd.op;
                        if (free_regs.empty()) {
                            st.dst = static_cast<std::uint32_t>(prog.registers++);
                        } else {
                            st.dst = free_regs.back();
                            free_regs.pop_back();
                        }
                        st.a = ops[0];
                        switch (fused_form(nd.op)) {
                            case FusedForm::regs3: st.c = ops[2]; [[fallthrough]];
                            case FusedForm::regs2: st.b = ops[1]; break;
                            case FusedForm::scalar2: st.c = constant(nd.attrs.scalar2); [[fallthrough]];
                            case FusedForm::scalar1: st.b = constant(nd.attrs.scalar); break;
                            default: break;
                        }
                        prog.steps.push_back(st);
                        return st.dst;
                    };
                    emit(root);
                    for (NodeId m : members) in_group[m] = 0;
                    const NodeId f = rw.add(OpKind::fused, inputs, prog.encode());
                    rw.replace(root, f, "fused");
                    rw.count("ops_fused", members.size());
                }
            }};
}

}  // namespace graft::passes
