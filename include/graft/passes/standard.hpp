// SPDX-License-Identifier: MIT
// graft/passes/standard.hpp: the ready-made pipelines.
//   none()      no pass: the graph is lowered as built (what the tape then shows is exactly your graph)
//   standard()  dce, stability, simplify, fold_constants, cse — to a fixed point — then fusion
//   with_recompute(p)  (recompute.hpp) p with gradient checkpointing first in its `then` stage; not part of
//               standard(): a graph with checkpoint() marks compiles with standard() as if they were not there
#pragma once

#include "cse.hpp"
#include "dce.hpp"
#include "fold.hpp"
#include "fuse_elementwise.hpp"
#include "fuse_matmul.hpp"
#include "pipeline.hpp"
#include "recompute.hpp"
#include "simplify.hpp"
#include "stability.hpp"

namespace graft::passes {

/// No passes.
inline Pipeline none() { return {}; }

/// Every graph pass graft has, each on its own (tests run each one alone over random graphs). recompute
/// marks every layer itself here (every = 1, last_layer), so that it has segments to work on in graphs without checkpoints.
inline std::vector<Pass> catalog() {
    return {dce(), stability(), simplify(), fold_constants(), cse(), fuse_matmul_epilogue(), fuse_elementwise(), recompute({.every = 1, .last_layer = true})};
}

/// The default optimizing pipeline.
inline Pipeline standard() {
    Pipeline p;
    p.passes = {dce(), stability(), simplify(), fold_constants(), cse()};
    p.fixed_point = true;
    p.then = {fuse_matmul_epilogue(), fuse_elementwise()};  // once, after the fixed point: fused nodes stay fused
    return p;
}

}  // namespace graft::passes
