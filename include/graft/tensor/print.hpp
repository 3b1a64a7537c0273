// SPDX-License-Identifier: MIT
// graft/tensor/print.hpp: NumPy-style text for tensors: [[6, 8], [10, 12]].
// Numbers use the shortest text that reads back exactly (std::to_chars), independent of the C locale.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <ostream>
#include <string>

#include "view.hpp"

namespace graft {

namespace detail {
template <class T>
std::string format_number(T v) {
    if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(v)) return "nan";
        if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
        char buf[64];
        auto res = std::to_chars(buf, buf + sizeof buf, v);
        return std::string(buf, res.ptr);
    } else {
        return std::to_string(static_cast<long long>(v));
    }
}
template <class T>
void format_level(std::string& out, const T* data, const std::size_t* dims, std::size_t rank, std::size_t stride) {
    if (rank == 0) {
        out += format_number(*data);
        return;
    }
    out += '[';
    const std::size_t inner = dims[0] ? stride / dims[0] : 0;
    for (std::size_t i = 0; i < dims[0]; ++i) {
        if (i) out += ", ";
        format_level(out, data + i * inner, dims + 1, rank - 1, inner);
    }
    out += ']';
}
}  // namespace detail

/// "[[6, 8], [10, 12]]" for a 2x2 tensor, "3" for a rank-0 one.
template <TensorLike A>
std::string to_string(const A& a) {
    using S = shape_of_t<A>;
    std::string out;
    std::size_t prod = 1;
    for (auto d : S::dims) prod *= d;
    if constexpr (S::rank == 0) detail::format_level(out, a.data(), nullptr, 0, 1);
    else detail::format_level(out, a.data(), S::dims.data(), S::rank, prod);
    return out;
}

/// Writes to_string(t) to `os`, e.g. "[[6, 8], [10, 12]]".
template <Element T, ShapeType S>
std::ostream& operator<<(std::ostream& os, const Tensor<T, S>& t) { return os << to_string(t); }
/// Writes to_string(t) to `os`: the viewed elements, formatted like a Tensor.
template <class T, ShapeType S>
std::ostream& operator<<(std::ostream& os, const TensorView<T, S>& t) { return os << to_string(t); }

}  // namespace graft
