// SPDX-License-Identifier: MIT
// graft/core/shape.hpp: Shape<Dims...>, a tensor shape as a type.
// Rank, element count and row-major strides are compile-time constants; Shape<> is a rank-0 scalar.
// The result shapes of broadcasting, matmul, reshape and transpose live in shape_rules.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>

namespace graft {

namespace detail {
template <std::size_t N>
constexpr std::array<std::size_t, N> row_major_strides(const std::array<std::size_t, N>& dims) {
    std::array<std::size_t, N> s{};
    std::size_t acc = 1;
    for (std::size_t i = N; i-- > 0;) {
        s[i] = acc;
        acc *= dims[i];
    }
    return s;
}

template <std::size_t... Dims>
constexpr bool product_fits() {
    std::size_t acc = 1;
    for (std::size_t d : {std::size_t{1}, Dims...}) {
        if (d != 0 && acc > static_cast<std::size_t>(-1) / d) return false;
        acc *= d;
    }
    return true;
}
}  // namespace detail

/// Text form of a runtime dims list: "Shape<64,784>" (the same spelling as the type's name()).
inline std::string shape_string(std::span<const std::size_t> dims) {
    std::string s = "Shape<";
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (i) s += ',';
        s += std::to_string(dims[i]);
    }
    return s + '>';
}

/// A static shape: `Shape<64, 784>` is a 64x784 row-major matrix, `Shape<>` a scalar.
template <std::size_t... Dims>
struct Shape {
    static_assert(detail::product_fits<Dims...>(), "graft::Shape: the element count overflows std::size_t");

    /// Number of dimensions.
    static constexpr std::size_t rank = sizeof...(Dims);
    /// Number of elements (1 for a rank-0 scalar, 0 if any dim is 0).
    static constexpr std::size_t size = (std::size_t{1} * ... * Dims);
    /// The dims, outermost first.
    static constexpr std::array<std::size_t, rank> dims{Dims...};
    /// Row-major strides in elements (the last dim is contiguous).
    static constexpr std::array<std::size_t, rank> strides = detail::row_major_strides<rank>(dims);

    /// Dim `i`, checked at compile time.
    template <std::size_t I>
    static constexpr std::size_t dim() {
        static_assert(I < rank, "graft::Shape::dim: axis out of range");
        return dims[I];
    }

    /// "Shape<64,784>", as printed in errors and graphs.
    static std::string name() { return shape_string(std::span<const std::size_t>(dims.data(), rank)); }
};

/// True for any Shape<...> type.
template <class S>
struct is_shape : std::false_type {};
template <std::size_t... D>
struct is_shape<Shape<D...>> : std::true_type {};
template <class S>
concept ShapeType = is_shape<S>::value;

}  // namespace graft
