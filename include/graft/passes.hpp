// SPDX-License-Identifier: MIT
// graft/passes.hpp: the graph passes room — every pass, the Pipeline and the ready-made pipelines.
#pragma once

#include "passes/cse.hpp"
#include "passes/dce.hpp"
#include "passes/fold.hpp"
#include "passes/fuse_elementwise.hpp"
#include "passes/fuse_matmul.hpp"
#include "passes/pass.hpp"
#include "passes/pipeline.hpp"
#include "passes/recompute.hpp"
#include "passes/simplify.hpp"
#include "passes/stability.hpp"
#include "passes/standard.hpp"
