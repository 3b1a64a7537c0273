// SPDX-License-Identifier: MIT
// graft/core/dtype.hpp: element-type tags shared by the typed front and the untyped IR.
// DType names the four element types graft stores; dtype_of<T> maps a C++ type to its tag.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace graft {

/// Element types a tensor or graph value can hold.
enum class DType : std::uint8_t { f32, f64, i32, u8 };

/// The element types graft supports: float, double, std::int32_t (labels, indices), std::uint8_t (raw pixels).
template <class T>
concept Element = std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int32_t> ||
                  std::is_same_v<T, std::uint8_t>;

/// Floating-point element types (the ones that carry gradients and transcendental math).
template <class T>
concept FloatElement = std::is_same_v<T, float> || std::is_same_v<T, double>;

/// A plain number usable as a scalar operand (x + 2, 0.5f * t).
template <class X>
concept Scalar = std::is_arithmetic_v<X>;

namespace detail {
template <class T>
struct dtype_of_impl;
template <>
struct dtype_of_impl<float> { static constexpr DType value = DType::f32; };
template <>
struct dtype_of_impl<double> { static constexpr DType value = DType::f64; };
template <>
struct dtype_of_impl<std::int32_t> { static constexpr DType value = DType::i32; };
template <>
struct dtype_of_impl<std::uint8_t> { static constexpr DType value = DType::u8; };
}  // namespace detail

/// The tag of a C++ element type: dtype_of<float> == DType::f32.
template <Element T>
inline constexpr DType dtype_of = detail::dtype_of_impl<T>::value;

/// Short name as printed in graphs and errors: "f32", "f64", "i32", "u8".
constexpr std::string_view dtype_name(DType d) noexcept {
    switch (d) {
        case DType::f32: return "f32";
        case DType::f64: return "f64";
        case DType::i32: return "i32";
        case DType::u8: return "u8";
    }
    return "?";
}

/// Bytes per element.
constexpr std::size_t dtype_size(DType d) noexcept {
    switch (d) {
        case DType::f32: return 4;
        case DType::f64: return 8;
        case DType::i32: return 4;
        case DType::u8: return 1;
    }
    return 0;
}

}  // namespace graft
