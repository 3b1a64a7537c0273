// SPDX-License-Identifier: MIT
// graft/exec.hpp: room exec/ — compile() a graph to a Program (schedule, memory plan, instructions)
// and run it on a Machine (let, run, value). Knows graph/ and tensor/; knows nothing of passes.
#pragma once

#include "exec/compile.hpp"
#include "exec/machine.hpp"
#include "exec/memory_plan.hpp"
#include "exec/optimize.hpp"
#include "exec/param_store.hpp"
#include "exec/program.hpp"
#include "exec/reference.hpp"
#include "exec/schedule.hpp"
#include "graph.hpp"
#include "tensor.hpp"
