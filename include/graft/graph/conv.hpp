// SPDX-License-Identifier: MIT
// graft/graph/conv.hpp: the typed CNN front: conv2d, max_pool2d, avg_pool2d and flatten on Vars.
// Output shapes are computed at compile time (core/shape_rules.hpp: conv_out_t, pool_out_t, flatten_t);
// a channel mismatch or a kernel larger than the padded input is a static_assert naming both shapes.
// Included by build.hpp.
#pragma once

#include <cstddef>

#include "../core/shape_rules.hpp"
#include "build.hpp"
#include "conv_params.hpp"

namespace graft {

/// 2-D cross-correlation of an NCHW batch x [N,C,H,W] with w [O,C/groups,KH,KW] -> [N,O,OH,OW]:
///   auto y = conv2d<Conv2dOptions{.same = true}>(x, w);                        // stride 1, "same" padding
///   auto z = conv2d<Conv2dOptions{.stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1}>(x, w);
/// No bias: add one shaped [1,O,1,1] (or [O,1,1]), it broadcasts.
template <Conv2dOptions O = Conv2dOptions{}, VarType X, VarType Wt>
auto conv2d(const X& x, const Wt& w) {
    using T = typename X::value_type;
    static_assert(var_element_types_match<T, typename Wt::value_type>::value, "graft::conv2d: element types differ");
    static_assert(FloatElement<T>, "graft::conv2d: needs float or double operands");
    using XS = typename X::shape_type;
    using WS = typename Wt::shape_type;
    using S = conv_out_t<XS, WS, O>;
    Graph& g = detail::same_graph("conv2d", x, w);
    if constexpr (WS::rank == 4) {
        const Conv2dParams p = Conv2dParams::from(O, WS::dims[2], WS::dims[3]);
        return detail::make<T, S>(g, OpKind::conv2d, {x.id(), w.id()}, p.attrs());
    } else {
        return detail::make<T, S>(g, OpKind::conv2d, {x.id(), w.id()}, Attrs{});
    }
}

namespace detail {
template <OpKind Op, std::size_t K, std::size_t Stride, std::size_t Pad, class X>
auto pool2d(const X& x) {
    using T = typename X::value_type;
    static_assert(FloatElement<T>, "graft: pooling needs a float or double operand");
    using S = pool_out_t<typename X::shape_type, K, Stride, Pad>;
    const Pool2dParams p{K, K, Stride, Stride, Pad, Pad, Pad, Pad};
    return make<T, S>(x.graph(), Op, {x.id()}, p.attrs());
}
}  // namespace detail

/// Max over K x K windows moved by Stride (default K), Pad rows/columns of -inf on each side (Pad < K):
/// max_pool2d<2>(Var<float, Shape<64,32,28,28>>) is Var<float, Shape<64,32,14,14>>. The gradient goes
/// to the first maximum of each window (row-major order within the window).
template <std::size_t K, std::size_t Stride = K, std::size_t Pad = 0, VarType X>
auto max_pool2d(const X& x) { return detail::pool2d<OpKind::max_pool2d, K, Stride, Pad>(x); }

/// Mean over K x K windows; padding counts as zeros in the mean (PyTorch's count_include_pad = true).
template <std::size_t K, std::size_t Stride = K, std::size_t Pad = 0, VarType X>
auto avg_pool2d(const X& x) { return detail::pool2d<OpKind::avg_pool2d, K, Stride, Pad>(x); }

/// [N, d1, d2, ...] -> [N, d1*d2*...], the reshape between convolutions and a Linear layer.
template <VarType X>
auto flatten(const X& x) {
    using S = flatten_t<typename X::shape_type>;
    Attrs at;
    at.ints = detail::dims_of<S>();
    return detail::make<typename X::value_type, S>(x.graph(), OpKind::reshape, {x.id()}, at);
}

}  // namespace graft
