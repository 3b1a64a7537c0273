// SPDX-License-Identifier: MIT
// graft/exec/kernels/conv.hpp: conv2d and its two gradients as im2col/col2im + the BLAS seam, and the
// max/avg pooling loops. Per batch entry and group, conv2d is one GEMM y_g[Og, OH*OW] = w_g[Og, K] *
// cols[K, OH*OW] with K = C/groups*KH*KW; the columns live in a scratch slot of the arena (Instr::aux),
// so running allocates nothing. A 1x1 kernel with stride 1 and no padding reads x itself as the columns.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "../../graph/conv_params.hpp"
#include "../../tensor/blas.hpp"
#include "../program.hpp"

namespace graft::kernels {

namespace conv_detail {
/// The sizes of one conv instruction, read from Instr::window (x, w and y dims, then the attributes).
struct ConvGeometry {
    /// Batch size: x is [N, C, H, W], w is [O, Cg, KH, KW], y is [N, O, OH, OW].
    std::size_t N, C, H, W, O, Cg, KH, KW, OH, OW;  ///< output width
    /// \var C
    /// Input channels.
    /// \var H
    /// Input height.
    /// \var W
    /// Input width.
    /// \var O
    /// Output channels.
    /// \var Cg
    /// Input channels per group (C / groups).
    /// \var KH
    /// Kernel height.
    /// \var KW
    /// Kernel width.
    /// \var OH
    /// Output height.

    Conv2dParams p;  ///< strides, padding, dilation and groups
    /// Number of channel groups.
    [[nodiscard]] std::size_t groups() const { return p.groups; }
    /// Output channels per group.
    [[nodiscard]] std::size_t Og() const { return O / p.groups; }
    /// Rows of the column matrix per group: Cg * KH * KW.
    [[nodiscard]] std::size_t K() const { return Cg * KH * KW; }
    /// Elements of one input plane: H * W.
    [[nodiscard]] std::size_t HW() const { return H * W; }
    /// Elements of one output plane: OH * OW.
    [[nodiscard]] std::size_t OHW() const { return OH * OW; }
    /// x itself is the column matrix: a 1x1 kernel, stride 1, no padding.
    [[nodiscard]] bool direct() const {
        return KH == 1 && KW == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 && p.pad_left == 0 && p.pad_bottom == 0 &&
               p.pad_right == 0;
    }
    /// The geometry of conv instruction `ins` (conv2d or one of its gradients), read from Instr::window.
    static ConvGeometry of(const Instr& ins) {
        const auto& v = ins.window;
        ConvGeometry g{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[10], v[11], {}};
        const auto& a = v;
        g.p = {a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19], a[20]};
        return g;
    }
};

/// The valid output range [lo, hi) of positions o with 0 <= o*stride + off < in (off may be negative).
inline void valid_range(std::ptrdiff_t off, std::size_t stride, std::size_t in, std::size_t out, std::size_t& lo, std::size_t& hi) {
    const auto s = static_cast<std::ptrdiff_t>(stride);
    lo = off >= 0 ? 0 : static_cast<std::size_t>((-off + s - 1) / s);
    const auto last = static_cast<std::ptrdiff_t>(in) - 1 - off;  // o*stride <= last
    hi = last < 0 ? 0 : std::min(out, static_cast<std::size_t>(last / s) + 1);
    if (lo > hi) lo = hi;
}

/// Bytes of the zero-padded plane the unit-stride im2col keeps on the stack (up to a 45x45 float plane).
inline constexpr std::size_t im2col_plane_bytes = 8192;
/// Elements of T that fit in im2col_plane_bytes.
template <class T>
inline constexpr std::size_t im2col_plane_max = im2col_plane_bytes / sizeof(T);

/// True when im2col can take the unit-stride path: stride 1, dilation 1, a padded plane that fits.
template <class T>
bool im2col_unit_stride_ok(const ConvGeometry& g) {
    const auto& p = g.p;
    return p.stride_h == 1 && p.stride_w == 1 && p.dilation_h == 1 && p.dilation_w == 1 &&
           (g.H + p.pad_top + p.pad_bottom) * (g.W + p.pad_left + p.pad_right) <= im2col_plane_max<T> &&
           g.OH + g.KH - 1 <= g.H + p.pad_top + p.pad_bottom && g.OW + g.KW - 1 <= g.W + p.pad_left + p.pad_right;
}

/// im2col for stride 1 and dilation 1: each channel is copied once into a zero-padded plane, after which
/// every column row is OH plain copies of OW elements, with no bounds to test (the general loop below
/// spends more on its per-row bounds and zero fills than on copying when rows are short, e.g. 14 wide).
template <class T>
void im2col_unit_stride(const ConvGeometry& g, const T* x, T* cols) {
    const auto& p = g.p;
    const std::size_t Hp = g.H + p.pad_top + p.pad_bottom, Wp = g.W + p.pad_left + p.pad_right, OW = g.OW;
    T plane[im2col_plane_max<T>];
    std::fill(plane, plane + Hp * Wp, T(0));
    for (std::size_t c = 0; c < g.Cg; ++c) {
        const T* xc = x + c * g.HW();
        for (std::size_t h = 0; h < g.H; ++h) std::copy(xc + h * g.W, xc + (h + 1) * g.W, plane + (h + p.pad_top) * Wp + p.pad_left);
        for (std::size_t kh = 0; kh < g.KH; ++kh)
            for (std::size_t kw = 0; kw < g.KW; ++kw) {
                T* row = cols + ((c * g.KH + kh) * g.KW + kw) * g.OHW();
                const T* src = plane + kh * Wp + kw;
                for (std::size_t oh = 0; oh < g.OH; ++oh, src += Wp, row += OW) std::memcpy(row, src, OW * sizeof(T));
            }
    }
}

/// cols[(c*KH + kh)*KW + kw][oh*OW + ow] = x[c, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw], 0 in the padding.
template <class T>
void im2col(const ConvGeometry& g, const T* x, T* cols) {
    if (im2col_unit_stride_ok<T>(g)) {
        im2col_unit_stride(g, x, cols);
        return;
    }
    const auto& p = g.p;
    for (std::size_t c = 0; c < g.Cg; ++c)
        for (std::size_t kh = 0; kh < g.KH; ++kh)
            for (std::size_t kw = 0; kw < g.KW; ++kw) {
                T* row = cols + ((c * g.KH + kh) * g.KW + kw) * g.OHW();
                const auto offh = static_cast<std::ptrdiff_t>(kh * p.dilation_h) - static_cast<std::ptrdiff_t>(p.pad_top);
                const auto offw = static_cast<std::ptrdiff_t>(kw * p.dilation_w) - static_cast<std::ptrdiff_t>(p.pad_left);
                std::size_t h0, h1, w0, w1;
                valid_range(offh, p.stride_h, g.H, g.OH, h0, h1);
                valid_range(offw, p.stride_w, g.W, g.OW, w0, w1);
                const T* xc = x + c * g.HW();
                for (std::size_t oh = 0; oh < g.OH; ++oh) {
                    T* r = row + oh * g.OW;
                    if (oh < h0 || oh >= h1) {
                        for (std::size_t ow = 0; ow < g.OW; ++ow) r[ow] = T(0);
                        continue;
                    }
                    const T* xr = xc + static_cast<std::size_t>(static_cast<std::ptrdiff_t>(oh * p.stride_h) + offh) * g.W;
                    for (std::size_t ow = 0; ow < w0; ++ow) r[ow] = T(0);
                    if (p.stride_w == 1) {
                        const T* src = xr + static_cast<std::ptrdiff_t>(w0) + offw;
                        for (std::size_t ow = w0; ow < w1; ++ow) r[ow] = src[ow - w0];
                    } else {
                        for (std::size_t ow = w0; ow < w1; ++ow)
                            r[ow] = xr[static_cast<std::ptrdiff_t>(ow * p.stride_w) + offw];
                    }
                    for (std::size_t ow = w1; ow < g.OW; ++ow) r[ow] = T(0);
                }
            }
}

/// The transpose of im2col: x[c, ih, iw] += every column entry that im2col read from there.
template <class T>
void col2im(const ConvGeometry& g, const T* cols, T* x) {
    const auto& p = g.p;
    for (std::size_t c = 0; c < g.Cg; ++c)
        for (std::size_t kh = 0; kh < g.KH; ++kh)
            for (std::size_t kw = 0; kw < g.KW; ++kw) {
                const T* row = cols + ((c * g.KH + kh) * g.KW + kw) * g.OHW();
                const auto offh = static_cast<std::ptrdiff_t>(kh * p.dilation_h) - static_cast<std::ptrdiff_t>(p.pad_top);
                const auto offw = static_cast<std::ptrdiff_t>(kw * p.dilation_w) - static_cast<std::ptrdiff_t>(p.pad_left);
                std::size_t h0, h1, w0, w1;
                valid_range(offh, p.stride_h, g.H, g.OH, h0, h1);
                valid_range(offw, p.stride_w, g.W, g.OW, w0, w1);
                T* xc = x + c * g.HW();
                for (std::size_t oh = h0; oh < h1; ++oh) {
                    const T* r = row + oh * g.OW;
                    T* xr = xc + static_cast<std::size_t>(static_cast<std::ptrdiff_t>(oh * p.stride_h) + offh) * g.W;
                    for (std::size_t ow = w0; ow < w1; ++ow) xr[static_cast<std::ptrdiff_t>(ow * p.stride_w) + offw] += r[ow];
                }
            }
}
}  // namespace conv_detail

/// conv2d(x, w): per batch entry and group, y_g = w_g * im2col(x_g).
template <class T>
void conv2d(const Instr& ins, void* const* s) {
    const auto g = conv_detail::ConvGeometry::of(ins);
    const T* x = static_cast<const T*>(s[ins.in[0]]);
    const T* w = static_cast<const T*>(s[ins.in[1]]);
    T* y = static_cast<T*>(s[ins.out]);
    T* cols = ins.aux == UINT32_MAX ? nullptr : static_cast<T*>(s[ins.aux]);
    const std::size_t Og = g.Og(), K = g.K(), OHW = g.OHW();
    for (std::size_t n = 0; n < g.N; ++n)
        for (std::size_t grp = 0; grp < g.groups(); ++grp) {
            const T* xg = x + (n * g.C + grp * g.Cg) * g.HW();
            const T* b = xg;
            if (!g.direct()) {
                conv_detail::im2col(g, xg, cols);
                b = cols;
            }
            blas::gemm<T>(false, false, Og, OHW, K, T(1), w + grp * Og * K, K, b, OHW, T(0), y + (n * g.O + grp * Og) * OHW, OHW,
                          ins.gemm.backend);
        }
}

/// conv2d_grad_input(dy, w): per batch entry and group, dx_g = col2im(w_g^T * dy_g).
template <class T>
void conv2d_grad_input(const Instr& ins, void* const* s) {
    const auto g = conv_detail::ConvGeometry::of(ins);
    const T* dy = static_cast<const T*>(s[ins.in[0]]);
    const T* w = static_cast<const T*>(s[ins.in[1]]);
    T* dx = static_cast<T*>(s[ins.out]);
    T* cols = ins.aux == UINT32_MAX ? nullptr : static_cast<T*>(s[ins.aux]);
    const std::size_t Og = g.Og(), K = g.K(), OHW = g.OHW();
    if (!g.direct() && ins.n) std::memset(static_cast<void*>(dx), 0, ins.n * sizeof(T));
    for (std::size_t n = 0; n < g.N; ++n)
        for (std::size_t grp = 0; grp < g.groups(); ++grp) {
            const T* dyg = dy + (n * g.O + grp * Og) * OHW;
            T* dxg = dx + (n * g.C + grp * g.Cg) * g.HW();
            if (g.direct()) {
                blas::gemm<T>(true, false, K, OHW, Og, T(1), w + grp * Og * K, K, dyg, OHW, T(0), dxg, OHW, ins.gemm.backend);
            } else {
                blas::gemm<T>(true, false, K, OHW, Og, T(1), w + grp * Og * K, K, dyg, OHW, T(0), cols, OHW, ins.gemm.backend);
                conv_detail::col2im(g, cols, dxg);
            }
        }
}

/// conv2d_grad_weight(x, dy): per group, dw_g = sum over the batch of dy_g * im2col(x_g)^T.
template <class T>
void conv2d_grad_weight(const Instr& ins, void* const* s) {
    const auto g = conv_detail::ConvGeometry::of(ins);
    const T* x = static_cast<const T*>(s[ins.in[0]]);
    const T* dy = static_cast<const T*>(s[ins.in[1]]);
    T* dw = static_cast<T*>(s[ins.out]);
    T* cols = ins.aux == UINT32_MAX ? nullptr : static_cast<T*>(s[ins.aux]);
    const std::size_t Og = g.Og(), K = g.K(), OHW = g.OHW();
    if (ins.n) std::memset(static_cast<void*>(dw), 0, ins.n * sizeof(T));  // also the answer for an empty batch
    for (std::size_t n = 0; n < g.N; ++n)
        for (std::size_t grp = 0; grp < g.groups(); ++grp) {
            const T* xg = x + (n * g.C + grp * g.Cg) * g.HW();
            const T* b = xg;
            if (!g.direct()) {
                conv_detail::im2col(g, xg, cols);
                b = cols;
            }
            blas::gemm<T>(false, true, Og, K, OHW, T(1), dy + (n * g.O + grp * Og) * OHW, OHW, b, OHW, T(1), dw + grp * Og * K, K,
                          ins.gemm.backend);
        }
}

namespace conv_detail {
/// Calls f(yi, i0, i1, j0, j1, base) for each pooling window: its rows [i0, i1) and columns [j0, j1)
/// inside the input plane starting at `base` (the padding is outside those ranges).
template <class F>
void pool_windows(const Instr& ins, F f) {
    const auto& v = ins.window;
    const std::size_t NC = v[0] * v[1], H = v[2], W = v[3], OH = v[10], OW = v[11];
    const Pool2dParams p{v[12], v[13], v[14], v[15], v[16], v[17], v[18], v[19]};
    std::size_t yi = 0;
    for (std::size_t nc = 0; nc < NC; ++nc)
        for (std::size_t oh = 0; oh < OH; ++oh) {
            const auto top = static_cast<std::ptrdiff_t>(oh * p.stride_h) - static_cast<std::ptrdiff_t>(p.pad_top);
            const std::size_t i0 = top < 0 ? 0 : std::size_t(top);
            const std::size_t i1 = std::min<std::size_t>(H, std::size_t(top + static_cast<std::ptrdiff_t>(p.kernel_h)));
            for (std::size_t ow = 0; ow < OW; ++ow, ++yi) {
                const auto left = static_cast<std::ptrdiff_t>(ow * p.stride_w) - static_cast<std::ptrdiff_t>(p.pad_left);
                const std::size_t j0 = left < 0 ? 0 : std::size_t(left);
                const std::size_t j1 = std::min<std::size_t>(W, std::size_t(left + static_cast<std::ptrdiff_t>(p.kernel_w)));
                f(yi, i0, i1, j0, j1, nc * H * W);
            }
        }
}
/// The flat position of the first maximum of a window (the first NaN, if any).
template <class T>
std::size_t window_argmax(const T* x, std::size_t W, std::size_t i0, std::size_t i1, std::size_t j0, std::size_t j1, std::size_t base) {
    std::size_t best = base + i0 * W + j0;
    T bv = x[best];
    for (std::size_t i = i0; i < i1; ++i)
        for (std::size_t j = j0; j < j1; ++j) {
            const std::size_t k = base + i * W + j;
            if (!std::isnan(bv) && !(x[k] <= bv)) {  // greater, or the first NaN
                best = k;
                bv = x[k];
            }
        }
    return best;
}
/// The common pool: 2x2 windows, stride 2, no padding (windows never overlap and lie inside the image).
inline bool pool_2x2(const Instr& ins) {
    const auto& v = ins.window;
    return v[12] == 2 && v[13] == 2 && v[14] == 2 && v[15] == 2 && v[16] == 0 && v[17] == 0 && v[18] == 0 && v[19] == 0;
}
/// Which of a, b, c, d (row-major 2x2 window) is window_argmax's pick: the first maximum, or the first NaN.
template <class T>
inline unsigned argmax4(T a, T b, T c, T d) {
    unsigned k = 0;
    T best = a;
    const auto take = [&](T v, unsigned i) {
        if (!std::isnan(best) && !(v <= best)) {
            best = v;
            k = i;
        }
    };
    take(b, 1), take(c, 2), take(d, 3);
    return k;
}
/// Calls f(yi, i) for each 2x2 window: i is the flat index of its top-left cell (the others: i + 1, i + W,
/// i + W + 1).
template <class F>
void pool_2x2_windows(const Instr& ins, F f) {
    const auto& v = ins.window;
    const std::size_t NC = v[0] * v[1], H = v[2], W = v[3], OH = v[10], OW = v[11];
    std::size_t yi = 0;
    for (std::size_t nc = 0; nc < NC; ++nc)
        for (std::size_t oh = 0; oh < OH; ++oh) {
            const std::size_t row = nc * H * W + 2 * oh * W;
            for (std::size_t ow = 0; ow < OW; ++ow, ++yi) f(yi, row + 2 * ow);
        }
}
}  // namespace conv_detail

/// max_pool2d: each output is the first maximum of its window (padding never wins: it is -inf).
template <class T>
void max_pool2d(const Instr& ins, void* const* s) {
    const T* x = static_cast<const T*>(s[ins.in[0]]);
    T* y = static_cast<T*>(s[ins.out]);
    const std::size_t W = ins.window[3];
    if (conv_detail::pool_2x2(ins)) {
        conv_detail::pool_2x2_windows(ins, [&](std::size_t yi, std::size_t i) {
            const T w[4] = {x[i], x[i + 1], x[i + W], x[i + W + 1]};
            y[yi] = w[conv_detail::argmax4(w[0], w[1], w[2], w[3])];
        });
        return;
    }
    conv_detail::pool_windows(ins, [&](std::size_t yi, std::size_t i0, std::size_t i1, std::size_t j0, std::size_t j1, std::size_t base) {
        y[yi] = x[conv_detail::window_argmax(x, W, i0, i1, j0, j1, base)];
    });
}

/// max_pool2d_grad(x, dy): dy of each window added at the window's first maximum in x.
template <class T>
void max_pool2d_grad(const Instr& ins, void* const* s) {
    const T* x = static_cast<const T*>(s[ins.in[0]]);
    const T* dy = static_cast<const T*>(s[ins.in[1]]);
    T* dx = static_cast<T*>(s[ins.out]);
    const std::size_t W = ins.window[3];
    if (conv_detail::pool_2x2(ins)) {  // every window writes its 4 cells; only an odd last row/column is left to zero
        if (ins.n && (ins.window[2] % 2 || W % 2)) std::memset(static_cast<void*>(dx), 0, ins.n * sizeof(T));
        conv_detail::pool_2x2_windows(ins, [&](std::size_t yi, std::size_t i) {
            const unsigned k = conv_detail::argmax4(x[i], x[i + 1], x[i + W], x[i + W + 1]);
            dx[i] = k == 0 ? dy[yi] : T(0);
            dx[i + 1] = k == 1 ? dy[yi] : T(0);
            dx[i + W] = k == 2 ? dy[yi] : T(0);
            dx[i + W + 1] = k == 3 ? dy[yi] : T(0);
        });
        return;
    }
    if (ins.n) std::memset(static_cast<void*>(dx), 0, ins.n * sizeof(T));
    conv_detail::pool_windows(ins, [&](std::size_t yi, std::size_t i0, std::size_t i1, std::size_t j0, std::size_t j1, std::size_t base) {
        dx[conv_detail::window_argmax(x, W, i0, i1, j0, j1, base)] += dy[yi];
    });
}

/// avg_pool2d: the window's sum over KH*KW (padding counts as zeros: count_include_pad).
template <class T>
void avg_pool2d(const Instr& ins, void* const* s) {
    const T* x = static_cast<const T*>(s[ins.in[0]]);
    T* y = static_cast<T*>(s[ins.out]);
    const std::size_t W = ins.window[3];
    const T inv = T(1) / static_cast<T>(ins.window[12] * ins.window[13]);
    conv_detail::pool_windows(ins, [&](std::size_t yi, std::size_t i0, std::size_t i1, std::size_t j0, std::size_t j1, std::size_t base) {
        T acc = 0;
        for (std::size_t i = i0; i < i1; ++i)
            for (std::size_t j = j0; j < j1; ++j) acc += x[base + i * W + j];
        y[yi] = acc * inv;
    });
}

/// avg_pool2d_grad(dy): dy / (KH*KW) added to every input element of the window.
template <class T>
void avg_pool2d_grad(const Instr& ins, void* const* s) {
    const T* dy = static_cast<const T*>(s[ins.in[0]]);
    T* dx = static_cast<T*>(s[ins.out]);
    const std::size_t W = ins.window[3];
    const T inv = T(1) / static_cast<T>(ins.window[12] * ins.window[13]);
    if (ins.n) std::memset(static_cast<void*>(dx), 0, ins.n * sizeof(T));
    conv_detail::pool_windows(ins, [&](std::size_t yi, std::size_t i0, std::size_t i1, std::size_t j0, std::size_t j1, std::size_t base) {
        const T v = dy[yi] * inv;
        for (std::size_t i = i0; i < i1; ++i)
            for (std::size_t j = j0; j < j1; ++j) dx[base + i * W + j] += v;
    });
}

}  // namespace graft::kernels
