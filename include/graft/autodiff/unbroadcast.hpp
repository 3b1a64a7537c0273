// SPDX-License-Identifier: MIT
// graft/autodiff/unbroadcast.hpp: sum a gradient back to an operand's shape (ggml's repeat_back).
// If x was broadcast from Shape<3,1> to Shape<2,3,4>, the gradient of x is the upstream gradient
// summed over the added leading axis and over axis 2 (kept as 1).
#pragma once

#include <cstdint>

#include "../graph/ir.hpp"

namespace graft {

/// The gradient `grad` (of the broadcast result) reduced to `target` dims.
inline NodeId unbroadcast(Graph& g, NodeId grad, const Dims target) {  // target by value: it may live in g
    Dims d = g.node(grad).dims;
    if (d == target) return grad;
    NodeId x = grad;
    while (d.size() > target.size()) {  // leading axes that broadcasting added
        x = ir::sum_axis(g, x, 0, false);
        d = g.node(x).dims;
    }
    for (std::size_t i = 0; i < target.size(); ++i)
        if (target[i] == 1 && d[i] != 1) x = ir::sum_axis(g, x, static_cast<std::int64_t>(i), true);
    if (g.node(x).dims != target)
        throw Error("unbroadcast", "a gradient that reduces to " + shape_string(target), shape_string(g.node(grad).dims));
    return x;
}

}  // namespace graft
