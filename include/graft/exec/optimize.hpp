// SPDX-License-Identifier: MIT
// graft/exec/optimize.hpp: optimize(g, outputs, pipeline) — run a pass pipeline over a graph in place,
// with the machine's kernels as the constant-folding evaluator. compile() does the same on a copy;
// call this to look at (print, to_dot) the optimized graph yourself.
#pragma once

#include <vector>

#include "compile.hpp"

namespace graft {

/// Runs `p` over `g`, keeping `outputs` (updated to their new ids). Returns every pass's report and the
/// old -> new id map.
inline passes::PipelineResult optimize(Graph& g, std::vector<NodeId>& outputs, const passes::Pipeline& p) {
    const passes::Evaluator eval = detail::kernel_evaluator();
    return passes::run_pipeline(g, outputs, p, &eval);
}

}  // namespace graft
