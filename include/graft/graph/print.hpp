// SPDX-License-Identifier: MIT
// graft/graph/print.hpp: print(g), the one-node-per-line text form of a graph that tests compare.
//   %0 = input "x" f32[2,2]
//   %1 = param "W" f32[2,2] glorot_uniform(seed=1)
//   %2 = matmul %0 %1 f32[2,2]
//   %3 = sum %2 {axis=1} f32[2]
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>

#include "fused_program.hpp"
#include "graph.hpp"
#include "init.hpp"

namespace graft {

namespace detail {
inline std::string format_double(double v) {
    if (v != v) return "nan";
    if (v == 1.0 / 0.0) return "inf";
    if (v == -1.0 / 0.0) return "-inf";
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}
inline std::string dims_text(const Dims& d) {
    std::string s = "[";
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (i) s += ',';  // appended separately: `"," + to_string()` trips GCC 12's -Wrestrict at -O2 (PR 105329)
        s += std::to_string(d[i]);
    }
    return s + "]";
}
/// The attributes an op uses, as "{axis=1, keepdims}" (empty when it uses none).
inline std::string attrs_text(const Node& n) {
    std::string s;
    auto add = [&](const std::string& part) { s += (s.empty() ? "" : ", ") + part; };
    const Attrs& a = n.attrs;
    switch (op_info(n.op).cls) {
        case OpClass::scalar:
            if (n.op == OpKind::clamp) add("lo=" + format_double(a.scalar) + ", hi=" + format_double(a.scalar2));
            else add("c=" + format_double(a.scalar));
            break;
        case OpClass::reduce:
            if (a.all_axes) add("all");
            else add("axis=" + std::to_string(a.axis));
            if (a.keepdims) add("keepdims");
            break;
        case OpClass::softmax: add("axis=" + std::to_string(a.axis)); break;
        case OpClass::conv:  // "{stride=1x1, pad=0,0,0,0, dilation=1x1, groups=1}" or "{kernel=2x2, stride=2x2, pad=0,0,0,0}"
            try {  // print() also shows graphs that verify() is about to reject
                const bool is_conv = n.op == OpKind::conv2d || n.op == OpKind::conv2d_grad_input || n.op == OpKind::conv2d_grad_weight;
                add(is_conv ? Conv2dParams::decode(a).text() : Pool2dParams::decode(a).text());
            } catch (const Error&) {
                add("malformed window attributes");
            }
            break;
        case OpClass::shape:
            if (n.op == OpKind::transpose) add("perm=" + dims_text(a.ints));
            if (n.op == OpKind::concat) add("axis=" + std::to_string(a.axis));
            if (n.op == OpKind::slice)
                add("axis=" + std::to_string(a.axis) + ", [" + std::to_string(a.start) + ":" + std::to_string(a.stop) + "]");
            break;
        case OpClass::index:
            if (n.op == OpKind::one_hot) add("depth=" + std::to_string(a.start));
            else {
                add("axis=" + std::to_string(a.axis));
                if (a.keepdims) add("keepdims");
            }
            break;
        case OpClass::fused:  // the program, "{r2=mul(r0,r1); r3=exp(r2)}", or the epilogue, "{act=relu}"
            if (n.op == OpKind::fused) {
                try {  // print() also shows graphs that verify() is about to reject
                    add(FusedProgram::decode(a, n.inputs.size()).text());
                } catch (const Error&) {
                    add("malformed program");
                }
            } else add("act=" + std::string(epilogue_name(static_cast<Epilogue>(a.ints.empty() ? 0 : a.ints[0]))));
            break;
        default: break;
    }
    return s.empty() ? s : "{" + s + "}";
}
inline std::string constant_text(const Graph& g, const Node& n) {
    const auto bytes = g.constant_bytes(n);
    const std::size_t count = n.size();
    if (count > 8) return "";
    std::string s = count == 1 && n.dims.empty() ? "" : "[";
    for (std::size_t i = 0; i < count; ++i) {
        double v = 0;
        switch (n.dtype) {
            case DType::f32: { float f; std::memcpy(&f, bytes.data() + 4 * i, 4); v = f; break; }
            case DType::f64: std::memcpy(&v, bytes.data() + 8 * i, 8); break;
            case DType::i32: { std::int32_t x; std::memcpy(&x, bytes.data() + 4 * i, 4); v = x; break; }
            case DType::u8: v = bytes[i]; break;
        }
        s += (i ? ", " : "") + format_double(v);
    }
    if (!(count == 1 && n.dims.empty())) s += "]";
    return s;
}
}  // namespace detail

/// One line for one node: `%4 = add %2 %3 f32[64,256]`, with "name" and attributes when present.
inline std::string print_node(const Graph& g, const Node& n) {
    // Appended piece by piece: `"literal" + std::string&&` trips GCC 12's -Wrestrict at -O3 (PR 105329).
    std::string s = "%";
    s += std::to_string(n.id);
    s += " = ";
    s += op_name(n.op);
    if (!n.name.empty()) {
        s += " \"";
        s += n.name;
        s += '"';
    }
    for (NodeId i : n.inputs) {
        s += " %";
        s += std::to_string(i);
    }
    const std::string at = detail::attrs_text(n);
    if (!at.empty()) {
        s += ' ';
        s += at;
    }
    s += ' ';
    s += dtype_name(n.dtype);
    s += detail::dims_text(n.dims);
    if (n.op == OpKind::param) {
        s += ' ';
        s += init::describe(n.init);
    }
    if (n.op == OpKind::constant) {
        const std::string v = detail::constant_text(g, n);
        if (!v.empty()) {
            s += ' ';
            s += v;
        }
    }
    return s;
}

/// The whole graph, one node per line, in id order.
inline std::string print(const Graph& g) {
    std::string s;
    for (const auto& n : g.nodes()) s += print_node(g, n) + "\n";
    return s;
}

}  // namespace graft
