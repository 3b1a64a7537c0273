// SPDX-License-Identifier: MIT
// graft/passes/standard.hpp: the ready-made pipelines.
//   none()      no pass: the graph is lowered as built (what the tape then shows is exactly your graph)
//   standard()  dce, stability, simplify, fold_constants, cse — to a fixed point — then fusion
#pragma once

#include "cse.hpp"
#include "dce.hpp"
#include "fold.hpp"
#include "pipeline.hpp"

namespace graft::passes {

/// No passes.
inline Pipeline none() { return {}; }

/// The default optimizing pipeline.
inline Pipeline standard() {
    Pipeline p;
    p.passes = {dce(), fold_constants(), cse()};
    p.fixed_point = true;
    return p;
}

}  // namespace graft::passes
