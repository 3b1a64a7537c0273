// SPDX-License-Identifier: MIT
// graft/passes/dce.hpp: dead-node elimination — drop every node no root needs.
// The Rewriter's commit() already keeps only what the roots need, so this pass is commit() alone;
// the report's "removed" counts the nodes dropped.
#pragma once

#include "pass.hpp"

namespace graft::passes {

/// Dead-node elimination: drops every node no root needs; the report's "removed" counts them.
inline Pass dce() {
    return {"dce", [](PassContext& ctx, Rewriter& rw) {
                // one sweep from the last node down: a node's inputs have smaller ids
                const auto& nodes = ctx.graph.nodes();
                std::vector<char> needed(nodes.size(), 0);
                for (NodeId r : ctx.roots) needed[r] = 1;
                std::size_t live = 0;
                for (std::size_t id = nodes.size(); id-- > 0;) {
                    if (!needed[id]) continue;
                    ++live;
                    for (NodeId i : nodes[id].inputs) needed[i] = 1;
                }
                if (ctx.graph.size() > live) rw.count("removed", ctx.graph.size() - live);
            }};
}

}  // namespace graft::passes
