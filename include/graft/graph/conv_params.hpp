// SPDX-License-Identifier: MIT
// graft/graph/conv_params.hpp: the attributes of the convolution and pooling ops, packed in Attrs::ints.
// conv2d: {stride h, w, pad top, left, bottom, right, dilation h, w, groups}; its two gradient ops add
// the dims of the value they produce (the input's for conv2d_grad_input, the weight's for
// conv2d_grad_weight). Pools: {kernel h, w, stride h, w, pad top, left, bottom, right}; avg_pool2d_grad
// adds the input's dims. Plain data, so print, CSE and DOT treat them like any other attribute.
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "../core/shape_rules.hpp"
#include "node.hpp"

namespace graft {

/// conv2d's attributes: strides, padding (top, left, bottom, right), dilations, groups.
struct Conv2dParams {
    /// Vertical step of the window, in input rows (>= 1).
    std::size_t stride_h = 1, stride_w = 1;  ///< horizontal step of the window, in input columns (>= 1)
    /// Zero rows added above the input.
    std::size_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;  ///< zero columns added right of the input
    /// \var pad_left
    /// Zero columns added left of the input.
    /// \var pad_bottom
    /// Zero rows added below the input (may differ from pad_top: "same" padding puts the odd row here).

    /// Vertical spacing between kernel taps (1 = dense kernel; >= 1).
    std::size_t dilation_h = 1, dilation_w = 1;  ///< horizontal spacing between kernel taps (1 = dense kernel; >= 1)
    std::size_t groups = 1;  ///< channel groups: input and output channels split into this many independent convolutions
    static constexpr std::size_t count = 9;  ///< ints used

    /// Overwrites a.ints with the 9 values, in the order decode() reads them.
    void encode(Attrs& a) const {
        a.ints = {stride_h, stride_w, pad_top, pad_left, pad_bottom, pad_right, dilation_h, dilation_w, groups};
    }
    /// A fresh Attrs holding only these parameters (everything else default).
    [[nodiscard]] Attrs attrs() const {
        Attrs a;
        encode(a);
        return a;
    }
    /// Reads the first 9 ints; throws graft::Error when there are fewer or a stride, dilation or groups is 0.
    static Conv2dParams decode(const Attrs& a, std::string_view where = "conv2d") {
        if (a.ints.size() < count)
            throw Error(std::string(where), "attrs.ints = {stride h, w, pad top, left, bottom, right, dilation h, w, groups}",
                        shape_string(a.ints));
        const auto& v = a.ints;
        Conv2dParams p{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
        if (!p.stride_h || !p.stride_w || !p.dilation_h || !p.dilation_w || !p.groups)
            throw Error(std::string(where), "strides, dilations and groups >= 1", shape_string(a.ints));
        return p;
    }
    /// From the typed front's options and the kernel's size ("same" resolved to explicit padding).
    static Conv2dParams from(const Conv2dOptions& o, std::size_t kh, std::size_t kw) {
        const auto pad = detail::conv_padding(o, kh, kw);
        return {o.stride_h, o.stride_w, pad[0], pad[1], pad[2], pad[3], o.dilation_h, o.dilation_w, o.groups};
    }
    /// Output height for an input h rows high and a kernel kh rows high (0 when the kernel does not fit).
    [[nodiscard]] std::size_t out_h(std::size_t h, std::size_t kh) const {
        return window_out_extent(h, pad_top, pad_bottom, kh, stride_h, dilation_h);
    }
    /// Output width for an input w columns wide and a kernel kw columns wide (0 when the kernel does not fit).
    [[nodiscard]] std::size_t out_w(std::size_t w, std::size_t kw) const {
        return window_out_extent(w, pad_left, pad_right, kw, stride_w, dilation_w);
    }
    /// "stride=2x2, pad=1,1,1,1, dilation=1x1, groups=1" (print and DOT).
    [[nodiscard]] std::string text() const {
        std::string s = "stride=";
        s += std::to_string(stride_h);
        s += 'x';
        s += std::to_string(stride_w);
        s += ", pad=";
        for (std::size_t v : {pad_top, pad_left, pad_bottom, pad_right}) {
            s += std::to_string(v);
            s += ',';
        }
        s.pop_back();
        s += ", dilation=";
        s += std::to_string(dilation_h);
        s += 'x';
        s += std::to_string(dilation_w);
        s += ", groups=";
        s += std::to_string(groups);
        return s;
    }
};

/// A pooling window's attributes: kernel, stride, padding (top, left, bottom, right).
struct Pool2dParams {
    /// Window height, in input rows (>= 1).
    std::size_t kernel_h = 1, kernel_w = 1;  ///< window width, in input columns (>= 1)
    /// Vertical step of the window, in input rows (>= 1).
    std::size_t stride_h = 1, stride_w = 1;  ///< horizontal step of the window, in input columns (>= 1)
    /// Padding rows above the input (< kernel_h).
    std::size_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;  ///< padding columns right of the input (< kernel_w)
    /// \var pad_left
    /// Padding columns left of the input (< kernel_w).
    /// \var pad_bottom
    /// Padding rows below the input (< kernel_h).

    static constexpr std::size_t count = 8;  ///< ints used

    /// Overwrites a.ints with the 8 values, in the order decode() reads them.
    void encode(Attrs& a) const { a.ints = {kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, pad_bottom, pad_right}; }
    /// A fresh Attrs holding only these parameters (everything else default).
    [[nodiscard]] Attrs attrs() const {
        Attrs a;
        encode(a);
        return a;
    }
    /// Reads the first 8 ints; throws graft::Error when there are fewer, a kernel or stride is 0, or a
    /// padding is not below the kernel (every window must hold at least one element of the input).
    static Pool2dParams decode(const Attrs& a, std::string_view where = "pool2d") {
        if (a.ints.size() < count)
            throw Error(std::string(where), "attrs.ints = {kernel h, w, stride h, w, pad top, left, bottom, right}", shape_string(a.ints));
        const auto& v = a.ints;
        Pool2dParams p{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
        if (!p.kernel_h || !p.kernel_w || !p.stride_h || !p.stride_w || p.pad_top >= p.kernel_h || p.pad_bottom >= p.kernel_h ||
            p.pad_left >= p.kernel_w || p.pad_right >= p.kernel_w)
            throw Error(std::string(where), "kernels and strides >= 1 and each padding below the kernel", shape_string(a.ints));
        return p;
    }
    /// Output height for an input h rows high (0 when the window does not fit).
    [[nodiscard]] std::size_t out_h(std::size_t h) const { return window_out_extent(h, pad_top, pad_bottom, kernel_h, stride_h); }
    /// Output width for an input w columns wide (0 when the window does not fit).
    [[nodiscard]] std::size_t out_w(std::size_t w) const { return window_out_extent(w, pad_left, pad_right, kernel_w, stride_w); }
    /// "kernel=2x2, stride=2x2, pad=0,0,0,0"
    [[nodiscard]] std::string text() const {
        std::string s = "kernel=";
        s += std::to_string(kernel_h);
        s += 'x';
        s += std::to_string(kernel_w);
        s += ", stride=";
        s += std::to_string(stride_h);
        s += 'x';
        s += std::to_string(stride_w);
        s += ", pad=";
        for (std::size_t v : {pad_top, pad_left, pad_bottom, pad_right}) {
            s += std::to_string(v);
            s += ',';
        }
        s.pop_back();
        return s;
    }
};

/// The dims a gradient op stores after its window attributes (`first` = where they start).
inline Dims trailing_dims(const Attrs& a, std::size_t first, std::string_view where) {
    if (a.ints.size() != first + 4)
        throw Error(std::string(where), std::to_string(first) + " window attributes then 4 dims", shape_string(a.ints));
    return Dims(a.ints.begin() + static_cast<std::ptrdiff_t>(first), a.ints.end());
}

}  // namespace graft
