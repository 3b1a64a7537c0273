// SPDX-License-Identifier: MIT
// graft/passes/dce.hpp: dead-node elimination — drop every node no root needs.
// The Rewriter's commit() already keeps only what the roots need, so this pass is commit() alone;
// the report's "removed" counts the nodes dropped.
#pragma once

#include "pass.hpp"

namespace graft::passes {

inline Pass dce() {
    return {"dce", [](PassContext& ctx, Rewriter& rw) {
                std::vector<char> needed(ctx.graph.size(), 0);
                std::vector<NodeId> stack(ctx.roots.begin(), ctx.roots.end());
                std::size_t live = 0;
                while (!stack.empty()) {
                    const NodeId id = stack.back();
                    stack.pop_back();
                    if (needed[id]) continue;
                    needed[id] = 1;
                    ++live;
                    for (NodeId i : ctx.graph.node(id).inputs) stack.push_back(i);
                }
                if (ctx.graph.size() > live) rw.count("removed", ctx.graph.size() - live);
            }};
}

}  // namespace graft::passes
