// SPDX-License-Identifier: MIT
// graft/core/shape_rules.hpp: result shapes of broadcasting, matmul, reshape, transpose and reductions,
// computed at compile time, and the named predicates the typed API static_asserts on.
// Each predicate is a struct with ::value so a failed static_assert prints both shapes, e.g.
// "note: 'graft::matmul_inner_dims_agree<graft::Shape<2, 3>, graft::Shape<4, 5> >::value' evaluates to false".
#pragma once

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "shape.hpp"

namespace graft {

namespace detail {
/// Shape<Arr[0], Arr[1], ...> from a constexpr std::array.
template <auto Arr, class Idx = std::make_index_sequence<Arr.size()>>
struct shape_from_array;
template <auto Arr, std::size_t... I>
struct shape_from_array<Arr, std::index_sequence<I...>> {
    using type = Shape<Arr[I]...>;
};
template <auto Arr>
using shape_from_array_t = typename shape_from_array<Arr>::type;

// NumPy broadcasting over runtime-like arrays (used at compile time here and at run time by the IR).
template <std::size_t NA, std::size_t NB>
constexpr bool broadcastable(const std::array<std::size_t, NA>& a, const std::array<std::size_t, NB>& b) {
    constexpr std::size_t n = NA > NB ? NA : NB;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t da = i < NA ? a[NA - 1 - i] : 1;
        const std::size_t db = i < NB ? b[NB - 1 - i] : 1;
        if (da != db && da != 1 && db != 1) return false;
    }
    return true;
}
template <std::size_t NA, std::size_t NB>
constexpr auto broadcast_dims(const std::array<std::size_t, NA>& a, const std::array<std::size_t, NB>& b) {
    constexpr std::size_t n = NA > NB ? NA : NB;
    std::array<std::size_t, n> out{};
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t da = i < NA ? a[NA - 1 - i] : 1;
        const std::size_t db = i < NB ? b[NB - 1 - i] : 1;
        out[n - 1 - i] = da == 1 ? db : da;
    }
    return out;
}
template <std::size_t N, std::size_t K>
constexpr std::array<std::size_t, K> take_front(const std::array<std::size_t, N>& a) {
    std::array<std::size_t, K> out{};
    for (std::size_t i = 0; i < K; ++i) out[i] = a[i];
    return out;
}
}  // namespace detail

// ---------------------------------------------------------------- broadcasting

/// True when A and B broadcast under NumPy rules (dims equal or 1, aligned from the right).
template <ShapeType A, ShapeType B>
struct broadcast_shapes_compatible {
    /// true when A and B broadcast.
    static constexpr bool value = detail::broadcastable(A::dims, B::dims);
};

/// Computes the broadcast shape of A and B; static_asserts broadcast_shapes_compatible. Use broadcast_t.
template <ShapeType A, ShapeType B>
struct broadcast_result {
    static_assert(broadcast_shapes_compatible<A, B>::value,
                  "graft: broadcast: shapes are not compatible (each dim must match or be 1)");
    using type = detail::shape_from_array_t<detail::broadcast_dims(A::dims, B::dims)>;  ///< the broadcast Shape
};
/// The broadcast result of two shapes: broadcast_t<Shape<3,1>, Shape<4>> is Shape<3,4>.
template <ShapeType A, ShapeType B>
using broadcast_t = typename broadcast_result<A, B>::type;

namespace detail {
// A source of higher rank never fits; checked first because the arrays compared below must have equal sizes.
template <ShapeType From, ShapeType To>
constexpr bool broadcasts_to_impl() {
    if constexpr (From::rank > To::rank) return false;
    else return broadcastable(From::dims, To::dims) && broadcast_dims(From::dims, To::dims) == To::dims;
}
}  // namespace detail

/// True when `From` broadcasts to exactly `To` (broadcast_to / expand).
template <ShapeType From, ShapeType To>
struct broadcasts_to
{
    /// true when broadcasting `From` against `To` yields exactly `To`.
    static constexpr bool value = detail::broadcasts_to_impl<From, To>();
};

// ---------------------------------------------------------------- matmul

namespace detail {
// NumPy matmul: a rank-1 left operand is [1,K] (M dropped), a rank-1 right operand is [K,1] (N dropped).
template <ShapeType S>
constexpr std::size_t mm_rows(bool left) {
    if constexpr (S::rank == 0) return 0;
    else if constexpr (S::rank == 1) return left ? 1 : S::dims[0];
    else return S::dims[S::rank - 2];
}
template <ShapeType S>
constexpr std::size_t mm_cols(bool left) {
    if constexpr (S::rank == 0) return 0;
    else if constexpr (S::rank == 1) return left ? S::dims[0] : 1;
    else return S::dims[S::rank - 1];
}
template <ShapeType S>
constexpr auto mm_batch() {
    if constexpr (S::rank <= 2) return std::array<std::size_t, 0>{};
    else return take_front<S::rank, S::rank - 2>(S::dims);
}
}  // namespace detail

/// Neither operand of matmul may be a rank-0 scalar.
template <ShapeType A, ShapeType B>
struct matmul_operands_have_rank {
    /// true when both ranks are at least 1.
    static constexpr bool value = A::rank >= 1 && B::rank >= 1;
};

/// The inner dims of A (its last) and B (its second-to-last, or only) agree.
template <ShapeType A, ShapeType B>
struct matmul_inner_dims_agree
{
    /// true when A's K (last dim) equals B's K (second-to-last dim, or only dim for rank 1).
    static constexpr bool value =
        A::rank >= 1 && B::rank >= 1 && detail::mm_cols<A>(true) == detail::mm_rows<B>(false);
};

/// The batch dims (all but the last two) of A and B broadcast.
template <ShapeType A, ShapeType B>
struct matmul_batch_dims_broadcast {
    /// true when the leading batch dims broadcast (vacuously true at rank <= 2).
    static constexpr bool value = detail::broadcastable(detail::mm_batch<A>(), detail::mm_batch<B>());
};

namespace detail {
template <ShapeType A, ShapeType B>
constexpr auto matmul_dims() {
    constexpr auto batch = broadcast_dims(mm_batch<A>(), mm_batch<B>());
    constexpr std::size_t nb = batch.size();
    constexpr std::size_t extra = (A::rank >= 2 ? 1 : 0) + (B::rank >= 2 ? 1 : 0);
    std::array<std::size_t, nb + extra> out{};
    for (std::size_t i = 0; i < nb; ++i) out[i] = batch[i];
    std::size_t k = nb;
    if (A::rank >= 2) out[k++] = A::dims[A::rank - 2];
    if (B::rank >= 2) out[k++] = B::dims[B::rank - 1];
    return out;
}
}  // namespace detail

/// Computes the shape of matmul(A, B); static_asserts the three matmul predicates. Use matmul_t.
template <ShapeType A, ShapeType B>
struct matmul_result {
    static_assert(matmul_operands_have_rank<A, B>::value, "graft::matmul: operands must have rank >= 1");
    static_assert(matmul_inner_dims_agree<A, B>::value, "graft::matmul: inner dimensions differ");
    static_assert(matmul_batch_dims_broadcast<A, B>::value, "graft::matmul: batch dimensions do not broadcast");
    /// The result Shape, or Shape<> when a predicate fails (so only the static_assert message is reported).
    using type = std::conditional_t<
        matmul_operands_have_rank<A, B>::value && matmul_inner_dims_agree<A, B>::value &&
            matmul_batch_dims_broadcast<A, B>::value,
        detail::shape_from_array_t<detail::matmul_dims<A, B>()>, Shape<>>;
};
/// Shape of matmul(A, B) under NumPy rules: matmul_t<Shape<2,3>, Shape<3,5>> is Shape<2,5>;
/// batch dims broadcast; a rank-1 operand is treated as a row (left) or column (right) vector.
template <ShapeType A, ShapeType B>
using matmul_t = typename matmul_result<A, B>::type;

// ---------------------------------------------------------------- reshape and transpose

/// Reshape keeps the element count.
template <ShapeType From, ShapeType To>
struct reshape_preserves_size {
    /// true when From and To hold the same number of elements.
    static constexpr bool value = From::size == To::size;
};

namespace detail {
template <std::size_t N>
constexpr std::array<std::size_t, N> reversed(const std::array<std::size_t, N>& a) {
    std::array<std::size_t, N> out{};
    for (std::size_t i = 0; i < N; ++i) out[i] = a[N - 1 - i];
    return out;
}
template <std::size_t N, std::size_t M>
constexpr bool is_permutation(const std::array<std::size_t, M>& p) {
    if (M != N) return false;
    std::array<bool, (M > 0 ? M : 1)> seen{};
    for (std::size_t i = 0; i < M; ++i) {
        if (p[i] >= M || seen[p[i]]) return false;
        seen[p[i]] = true;
    }
    return true;
}
template <std::size_t N, std::size_t M>
constexpr std::array<std::size_t, M> permuted(const std::array<std::size_t, N>& dims, const std::array<std::size_t, M>& p) {
    std::array<std::size_t, M> out{};
    for (std::size_t i = 0; i < M; ++i) out[i] = p[i] < N ? dims[p[i]] : 0;
    return out;
}
}  // namespace detail

/// transpose_t reverses all dims (NumPy's `.T`): Shape<2,3> -> Shape<3,2>.
template <ShapeType S>
using transpose_t = detail::shape_from_array_t<detail::reversed<S::rank>(S::dims)>;

/// `Perm...` is a permutation of 0..rank-1 of S.
template <ShapeType S, std::size_t... Perm>
struct is_axis_permutation {
    /// true when each axis 0..rank-1 appears exactly once in `Perm...`.
    static constexpr bool value = detail::is_permutation<S::rank>(std::array<std::size_t, sizeof...(Perm)>{Perm...});
};

/// Computes S with its dims reordered by `Perm...`; static_asserts is_axis_permutation. Use permute_t.
template <ShapeType S, std::size_t... Perm>
struct permute_result {
    static_assert(is_axis_permutation<S, Perm...>::value, "graft::permute: axes are not a permutation of the shape's axes");
    /// The permuted Shape: dim i of the result is dim `Perm[i]` of S.
    using type = detail::shape_from_array_t<detail::permuted<S::rank>(S::dims, std::array<std::size_t, sizeof...(Perm)>{Perm...})>;
};
/// permute_t<Shape<2,3,4>, 2,0,1> is Shape<4,2,3>.
template <ShapeType S, std::size_t... Perm>
using permute_t = typename permute_result<S, Perm...>::type;

// ---------------------------------------------------------------- reductions over one axis

/// `Axis` names a dim of S.
template <ShapeType S, std::size_t Axis>
struct axis_in_range {
    /// true when `Axis < rank`.
    static constexpr bool value = Axis < S::rank;
};

/// S has rank R (nn::nll's log-probabilities are [batch, classes]: has_rank<S, 2>).
template <ShapeType S, std::size_t R>
struct has_rank {
    /// true when `S::rank == R`.
    static constexpr bool value = S::rank == R;
};

/// S holds exactly one element (a loss for grad() and nn::param_grads: Shape<> or Shape<1>).
template <ShapeType S>
struct has_one_element {
    /// true when `S::size == 1`.
    static constexpr bool value = S::size == 1;
};

namespace detail {
template <std::size_t N>
constexpr auto without_axis(const std::array<std::size_t, N>& a, std::size_t axis) {
    std::array<std::size_t, (N > 0 ? N - 1 : 0)> out{};
    for (std::size_t i = 0, k = 0; i < N; ++i)
        if (i != axis && k < out.size()) out[k++] = a[i];
    return out;
}
template <std::size_t N>
constexpr auto axis_set_to_one(std::array<std::size_t, N> a, std::size_t axis) {
    if (axis < N) a[axis] = 1;
    return a;
}
}  // namespace detail

/// Computes S with `Axis` reduced away (or kept as 1 with KeepDims); static_asserts axis_in_range. Use reduce_t.
template <ShapeType S, std::size_t Axis, bool KeepDims>
struct reduce_result {
    static_assert(axis_in_range<S, Axis>::value, "graft: reduction axis is out of range for the shape");
    /// The reduced Shape: rank - 1, or the same rank with dim `Axis` set to 1 when KeepDims.
    using type = std::conditional_t<KeepDims, detail::shape_from_array_t<detail::axis_set_to_one<S::rank>(S::dims, Axis)>,
                                    detail::shape_from_array_t<detail::without_axis<S::rank>(S::dims, Axis)>>;
};
/// Shape after reducing `Axis`: reduce_t<Shape<2,3>, 1> is Shape<2>; with KeepDims, Shape<2,1>.
template <ShapeType S, std::size_t Axis, bool KeepDims = false>
using reduce_t = typename reduce_result<S, Axis, KeepDims>::type;

}  // namespace graft

// ---------------------------------------------------------------- concat, slice, one-hot, axes
namespace graft {

/// A possibly negative axis counted into [0, rank); rank itself means "out of range".
template <ShapeType S, int Axis>
inline constexpr std::size_t normalize_axis = Axis < 0 ? (static_cast<int>(S::rank) + Axis >= 0 ? std::size_t(int(S::rank) + Axis) : S::rank)
                                                       : std::size_t(Axis);

/// Shapes agree on every axis but `Axis` (and have equal rank), so they concatenate along it.
template <std::size_t Axis, ShapeType A, ShapeType B>
struct concat_shapes_agree {
    /// true when ranks match, `Axis < rank`, and every other dim is equal.
    static constexpr bool value = [] {
        if (A::rank != B::rank || Axis >= A::rank) return false;
        for (std::size_t i = 0; i < A::rank; ++i)
            if (i != Axis && A::dims[i] != B::dims[i]) return false;
        return true;
    }();
};

namespace detail {
template <std::size_t N>
constexpr std::array<std::size_t, N> with_axis(std::array<std::size_t, N> a, std::size_t axis, std::size_t v) {
    if (axis < N) a[axis] = v;
    return a;
}
template <std::size_t N>
constexpr std::array<std::size_t, N + 1> appended(const std::array<std::size_t, N>& a, std::size_t v) {
    std::array<std::size_t, N + 1> out{};
    for (std::size_t i = 0; i < N; ++i) out[i] = a[i];
    out[N] = v;
    return out;
}
}  // namespace detail

/// Computes the shape of concatenating First, Rest... along `Axis`; static_asserts concat_shapes_agree
/// for each of Rest against First. Use concat_t.
template <std::size_t Axis, ShapeType First, ShapeType... Rest>
struct concat_result {
    static_assert((concat_shapes_agree<Axis, First, Rest>::value && ...),
                  "graft::concat: shapes differ outside the concatenation axis");
    /// First's Shape with dim `Axis` replaced by the sum of that dim over all operands.
    using type = detail::shape_from_array_t<detail::with_axis<First::rank>(First::dims, Axis, (First::dims[Axis < First::rank ? Axis : 0] + ... + Rest::dims[Axis < Rest::rank ? Axis : 0]))>;
};
/// concat_t<1, Shape<2,3>, Shape<2,4>> is Shape<2,7>.
template <std::size_t Axis, ShapeType... S>
using concat_t = typename concat_result<Axis, S...>::type;

/// [Start, Stop) lies within dim `Axis` of S.
template <ShapeType S, std::size_t Axis, std::size_t Start, std::size_t Stop>
struct slice_in_range {
    /// true when `Axis < rank` and `Start <= Stop <= S::dims[Axis]`.
    static constexpr bool value = Axis < S::rank && Start <= Stop && Stop <= S::dims[Axis < S::rank ? Axis : 0];
};
/// Computes S with dim `Axis` cut to [Start, Stop); static_asserts slice_in_range. Use slice_t.
template <ShapeType S, std::size_t Axis, std::size_t Start, std::size_t Stop>
struct slice_result {
    static_assert(slice_in_range<S, Axis, Start, Stop>::value, "graft::slice: [start, stop) is outside the axis");
    using type = detail::shape_from_array_t<detail::with_axis<S::rank>(S::dims, Axis, Stop - Start)>;  ///< S with dim `Axis` = Stop - Start
};
/// slice_t<Shape<4,6>, 1, 2, 5> is Shape<4,3>.
template <ShapeType S, std::size_t Axis, std::size_t Start, std::size_t Stop>
using slice_t = typename slice_result<S, Axis, Start, Stop>::type;

/// S with one more trailing dim: append_dim_t<Shape<64>, 10> is Shape<64,10> (one_hot's result).
template <ShapeType S, std::size_t D>
using append_dim_t = detail::shape_from_array_t<detail::appended<S::rank>(S::dims, D)>;

}  // namespace graft

// ---------------------------------------------------------------- convolution and pooling (NCHW)
namespace graft {

/// Output extent of a window sliding over `in` elements padded by `pad_lo` and `pad_hi`, with a window
/// of `kernel` taps spaced `dilation` apart, moved `stride` at a time:
/// (in + pad_lo + pad_hi - dilation * (kernel - 1) - 1) / stride + 1, or 0 when the window does not fit.
constexpr std::size_t window_out_extent(std::size_t in, std::size_t pad_lo, std::size_t pad_hi, std::size_t kernel,
                                        std::size_t stride, std::size_t dilation = 1) {
    if (kernel == 0 || stride == 0 || dilation == 0) return 0;
    const std::size_t span = dilation * (kernel - 1) + 1;
    const std::size_t padded = in + pad_lo + pad_hi;
    return padded < span ? 0 : (padded - span) / stride + 1;
}

/// Options of the typed conv2d: conv2d<Conv2dOptions{.stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1}>(x, w).
/// Padding is symmetric (pad_h rows above and below, pad_w columns left and right); `same` asks for
/// "same" padding instead (stride 1 only): dilation*(k-1) zeros in total per axis, the odd one at the
/// bottom/right as PyTorch does, so the output keeps the input's height and width.
struct Conv2dOptions {
    /// Vertical step of the window, in input rows (>= 1).
    std::size_t stride_h = 1, stride_w = 1;  ///< horizontal step of the window, in input columns (>= 1)
    /// Zero rows added above and below the input; ignored when `same`.
    std::size_t pad_h = 0, pad_w = 0;  ///< zero columns added left and right of the input; ignored when `same`
    /// Vertical spacing between kernel taps (1 = dense kernel; >= 1).
    std::size_t dilation_h = 1, dilation_w = 1;  ///< horizontal spacing between kernel taps (1 = dense kernel; >= 1)
    std::size_t groups = 1;  ///< channel groups: input and output channels are split into this many independent convolutions
    bool same = false;       ///< use "same" padding (output keeps H and W; stride 1 only) instead of pad_h/pad_w
};

namespace detail {
/// {top, left, bottom, right} padding of conv options for a kernel kh x kw.
constexpr std::array<std::size_t, 4> conv_padding(const Conv2dOptions& o, std::size_t kh, std::size_t kw) {
    if (!o.same) return {o.pad_h, o.pad_w, o.pad_h, o.pad_w};
    const std::size_t th = kh ? o.dilation_h * (kh - 1) : 0, tw = kw ? o.dilation_w * (kw - 1) : 0;
    return {th / 2, tw / 2, th - th / 2, tw - tw / 2};
}
template <ShapeType X, ShapeType W, Conv2dOptions O>
constexpr std::array<std::size_t, 4> conv2d_dims() {
    if constexpr (X::rank != 4 || W::rank != 4) {
        return {0, 0, 0, 0};
    } else {
        constexpr auto p = conv_padding(O, W::dims[2], W::dims[3]);
        return {X::dims[0], W::dims[0], window_out_extent(X::dims[2], p[0], p[2], W::dims[2], O.stride_h, O.dilation_h),
                window_out_extent(X::dims[3], p[1], p[3], W::dims[3], O.stride_w, O.dilation_w)};
    }
}
}  // namespace detail

/// conv2d takes an NCHW image batch X [N,C,H,W] and a weight W [O,C/groups,KH,KW] (both rank 4).
template <ShapeType X, ShapeType W>
struct conv2d_operands_have_rank_4 {
    /// true when both X and W have rank 4.
    static constexpr bool value = X::rank == 4 && W::rank == 4;
};
/// The input channels C of X equal groups * W's second dim, and groups divides W's output channels.
template <ShapeType X, ShapeType W, std::size_t Groups>
struct conv2d_channels_agree {
    /// true when `C == Groups * W[1]`, `Groups >= 1` and `W[0] % Groups == 0`.
    static constexpr bool value = X::rank == 4 && W::rank == 4 && Groups >= 1 && X::dims[X::rank == 4 ? 1 : 0] == Groups * W::dims[W::rank == 4 ? 1 : 0] &&
                                  W::dims[0] % (Groups ? Groups : 1) == 0;
};
/// The (dilated) kernel of W fits in X's padded height and width, and strides and dilations are >= 1.
template <ShapeType X, ShapeType W, Conv2dOptions O>
struct conv2d_kernel_fits {
    /// true when both output extents are >= 1, strides/dilations are >= 1, and `same` is used only with stride 1.
    static constexpr bool value = [] {
        if constexpr (X::rank != 4 || W::rank != 4) {
            return false;
        } else {
            constexpr auto d = detail::conv2d_dims<X, W, O>();
            return O.stride_h && O.stride_w && O.dilation_h && O.dilation_w && W::dims[2] && W::dims[3] && d[2] && d[3] &&
                   (!O.same || (O.stride_h == 1 && O.stride_w == 1));
        }
    }();
};

/// Computes the NCHW output shape [N, O, OH, OW] of conv2d; static_asserts the three conv2d predicates.
/// Use conv_out_t.
template <ShapeType X, ShapeType W, Conv2dOptions O>
struct conv2d_result {
    static_assert(conv2d_operands_have_rank_4<X, W>::value, "graft::conv2d: input and weight must have rank 4 (NCHW and OIHW)");
    static_assert(conv2d_channels_agree<X, W, O.groups>::value,
                  "graft::conv2d: the input's channels differ from groups * the weight's input channels");
    static_assert(conv2d_kernel_fits<X, W, O>::value,
                  "graft::conv2d: the kernel is larger than the padded input (or a stride/dilation is 0, or 'same' with stride != 1)");
    /// true when all three conv2d predicates hold.
    static constexpr bool ok = conv2d_operands_have_rank_4<X, W>::value && conv2d_channels_agree<X, W, O.groups>::value &&
                               conv2d_kernel_fits<X, W, O>::value;
    using type = std::conditional_t<ok, detail::shape_from_array_t<detail::conv2d_dims<X, W, O>()>, Shape<>>;  ///< [N,O,OH,OW], or Shape<> when !ok
};
/// Shape of conv2d<O>(x, w): conv_out_t<Shape<64,1,28,28>, Shape<32,1,5,5>, Conv2dOptions{.same = true}>
/// is Shape<64,32,28,28>.
template <ShapeType X, ShapeType W, Conv2dOptions O = Conv2dOptions{}>
using conv_out_t = typename conv2d_result<X, W, O>::type;

/// Pooling takes a rank-4 NCHW input.
template <ShapeType X>
struct pool2d_input_has_rank_4 {
    /// true when X has rank 4.
    static constexpr bool value = X::rank == 4;
};
/// A K x K pooling window moved by Stride over X padded by Pad fits (K >= 1, Stride >= 1, Pad < K, and
/// K <= H + 2 Pad, K <= W + 2 Pad).
template <ShapeType X, std::size_t K, std::size_t Stride, std::size_t Pad>
struct pool2d_kernel_fits {
    /// true when the window conditions above hold and both output extents are >= 1.
    static constexpr bool value = [] {
        if constexpr (X::rank != 4) return false;
        else
            return K >= 1 && Stride >= 1 && Pad < K && window_out_extent(X::dims[2], Pad, Pad, K, Stride) > 0 &&
                   window_out_extent(X::dims[3], Pad, Pad, K, Stride) > 0;
    }();
};
namespace detail {
template <ShapeType X, std::size_t K, std::size_t Stride, std::size_t Pad>
constexpr std::array<std::size_t, 4> pool2d_dims() {
    if constexpr (X::rank != 4) return {0, 0, 0, 0};
    else return {X::dims[0], X::dims[1], window_out_extent(X::dims[2], Pad, Pad, K, Stride), window_out_extent(X::dims[3], Pad, Pad, K, Stride)};
}
template <ShapeType X>
constexpr std::array<std::size_t, 2> flatten_dims() {
    if constexpr (X::rank == 0) return {0, 0};
    else return {X::dims[0], X::dims[0] ? X::size / X::dims[0] : 0};
}
}  // namespace detail

/// Computes the NCHW output shape [N, C, OH, OW] of a K x K pooling; static_asserts the pool2d predicates.
/// Use pool_out_t.
template <ShapeType X, std::size_t K, std::size_t Stride, std::size_t Pad>
struct pool2d_result {
    static_assert(pool2d_input_has_rank_4<X>::value, "graft: pooling needs a rank-4 NCHW input");
    static_assert(pool2d_kernel_fits<X, K, Stride, Pad>::value,
                  "graft: the pooling window is larger than the padded input (or stride 0, or padding >= kernel)");
    /// [N, C, OH, OW], or Shape<> when the window does not fit.
    using type = std::conditional_t<pool2d_kernel_fits<X, K, Stride, Pad>::value,
                                    detail::shape_from_array_t<detail::pool2d_dims<X, K, Stride, Pad>()>, Shape<>>;
};
/// Shape of max_pool2d<K, Stride, Pad>(x) and avg_pool2d: pool_out_t<Shape<64,32,28,28>, 2, 2> is Shape<64,32,14,14>.
template <ShapeType X, std::size_t K, std::size_t Stride = K, std::size_t Pad = 0>
using pool_out_t = typename pool2d_result<X, K, Stride, Pad>::type;

/// [N, rest...] -> [N, product of rest] (flatten before a Linear layer).
template <ShapeType X>
struct flatten_result {
    static_assert(X::rank >= 1, "graft::flatten: needs rank >= 1");
    /// Shape<N, product of the other dims>, or Shape<> for a rank-0 X.
    using type = std::conditional_t<(X::rank >= 1), detail::shape_from_array_t<detail::flatten_dims<X>()>, Shape<>>;
};
/// flatten_t<Shape<64,32,7,7>> is Shape<64,1568>.
template <ShapeType X>
using flatten_t = typename flatten_result<X>::type;

}  // namespace graft
