// SPDX-License-Identifier: MIT
// graft/graph.hpp: room graph/ — the untyped IR (Node, Graph, the op table), the typed front
// (Var<T, S> and the functions that build nodes), initializers as data, print, DOT and the verifier.
// Knows core/ only: no tensor math, no kernels.
#pragma once

#include "core.hpp"
#include "graph/build.hpp"
#include "graph/conv.hpp"
#include "graph/conv_params.hpp"
#include "graph/dot.hpp"
#include "graph/graph.hpp"
#include "graph/init.hpp"
#include "graph/node.hpp"
#include "graph/op_kind.hpp"
#include "graph/op_table.hpp"
#include "graph/print.hpp"
#include "graph/var.hpp"
#include "graph/verify.hpp"
