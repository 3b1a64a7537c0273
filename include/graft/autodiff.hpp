// SPDX-License-Identifier: MIT
// graft/autodiff.hpp: room autodiff/ — grad() appends the reverse sweep to the graph, one VJP rule per
// op (vjp.hpp), unbroadcast for broadcast operands, gradcheck against central differences.
#pragma once

#include "autodiff/grad.hpp"
#include "autodiff/gradcheck.hpp"
#include "autodiff/unbroadcast.hpp"
#include "autodiff/vjp.hpp"
#include "graph.hpp"
