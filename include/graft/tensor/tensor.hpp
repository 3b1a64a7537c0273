// SPDX-License-Identifier: MIT
// graft/tensor/tensor.hpp: Tensor<T, S>, an owning, 64-byte aligned, row-major tensor whose shape is a type.
// Value semantics (copies copy, moves move), element access t(i, j, ...), nested-list construction.
// Eager math lives in elementwise.hpp, reduce.hpp and linalg.hpp; views in view.hpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>

#include "../core/aligned_buffer.hpp"
#include "../core/dtype.hpp"
#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "../core/shape_rules.hpp"
#include "detail/index.hpp"

namespace graft {

template <class T, ShapeType S>
class TensorView;

namespace detail {
template <class T, std::size_t N>
struct nested_init {
    using type = std::initializer_list<typename nested_init<T, N - 1>::type>;
};
template <class T>
struct nested_init<T, 0> {
    using type = T;
};
}  // namespace detail

/// Nested initializer list of depth N: `{{1, 2}, {3, 4}}` for a rank-2 tensor.
template <class T, std::size_t N>
using nested_init_t = typename detail::nested_init<T, N>::type;

/// An owning tensor: `Tensor<float, Shape<64, 784>>`. Elements are zero on default construction.
template <Element T, ShapeType S>
class Tensor {
public:
    using value_type = T;                          ///< element type (float, double, int32_t or uint8_t)
    using shape_type = S;                          ///< the compile-time Shape<...>
    static constexpr std::size_t rank = S::rank;  ///< number of dims (0 for a scalar)

    /// All elements zero.
    Tensor() : buf_(S::size) {}

    /// From a scalar (rank 0 only): `Tensor<float, Shape<>> s{3.f}`.
    Tensor(T scalar)  // NOLINT(google-explicit-constructor): a scalar tensor is its value
        requires(S::rank == 0)
        : buf_(1) {
        buf_[0] = scalar;
    }

    /// From nested lists whose lengths must equal the dims: `Tensor<int, Shape<2,2>> t{{1, 2}, {3, 4}}`.
    Tensor(nested_init_t<T, S::rank> init)
        requires(S::rank >= 1)
        : buf_(S::size) {
        std::size_t pos = 0;
        fill_nested<0>(init, pos);
    }

    /// From a flat range of exactly S::size elements (row-major order).
    template <std::ranges::input_range R>
        requires std::convertible_to<std::ranges::range_value_t<R>, T>
    static Tensor from_range(R&& r) {
        Tensor t;
        std::size_t n = 0;
        for (auto&& v : r) {
            if (n == S::size)
                throw Error("Tensor::from_range", std::to_string(S::size) + " elements for " + S::name(),
                            "more elements");
            t.buf_[n++] = static_cast<T>(v);
        }
        if (n != S::size)
            throw Error("Tensor::from_range", std::to_string(S::size) + " elements for " + S::name(), std::to_string(n));
        return t;
    }

    // -------------------------------------------------------------- size and storage
    /// Number of elements, S::size (1 for a scalar).
    [[nodiscard]] static constexpr std::size_t size() noexcept { return S::size; }
    /// The dims as a `std::array<std::size_t, rank>`, S::dims.
    [[nodiscard]] static constexpr const auto& dims() noexcept { return S::dims; }
    /// The run-time DType tag of T.
    [[nodiscard]] static constexpr DType dtype() noexcept { return dtype_of<T>; }
    /// Pointer to the first of size() contiguous row-major elements (64-byte aligned).
    [[nodiscard]] T* data() noexcept { return buf_.data(); }
    /// Read-only pointer to the first of size() contiguous row-major elements (64-byte aligned).
    [[nodiscard]] const T* data() const noexcept { return buf_.data(); }
    /// All elements as a span of size() in row-major order.
    [[nodiscard]] std::span<T> flat() noexcept { return {buf_.data(), S::size}; }
    /// All elements as a read-only span of size() in row-major order.
    [[nodiscard]] std::span<const T> flat() const noexcept { return {buf_.data(), S::size}; }
    /// First element, for row-major iteration: `for (float& v : t)`.
    T* begin() noexcept { return buf_.data(); }
    /// One past the last element.
    T* end() noexcept { return buf_.data() + S::size; }
    /// First element, read-only, for row-major iteration.
    const T* begin() const noexcept { return buf_.data(); }
    /// One past the last element, read-only.
    const T* end() const noexcept { return buf_.data() + S::size; }

    // -------------------------------------------------------------- element access
    /// t(i, j, ...): one index per dim. Bounds are checked unless NDEBUG is defined (graft::Error when out of range).
    template <std::integral... I>
    T& operator()(I... idx) {
        static_assert(sizeof...(I) == S::rank, "graft::Tensor::operator(): give one index per dimension");
        return buf_[detail::flat_index<S>("Tensor::operator()", static_cast<std::size_t>(idx)...)];
    }
    /// Read-only t(i, j, ...): one index per dim; bounds-checked unless NDEBUG (graft::Error when out of range).
    template <std::integral... I>
    const T& operator()(I... idx) const {
        static_assert(sizeof...(I) == S::rank, "graft::Tensor::operator(): give one index per dimension");
        return buf_[detail::flat_index<S>("Tensor::operator()", static_cast<std::size_t>(idx)...)];
    }
    /// Flat (row-major) element i; bounds-checked unless NDEBUG (graft::Error when `i >= size()`).
    T& operator[](std::size_t i) { return buf_[detail::checked_flat("Tensor::operator[]", i, S::size)]; }
    /// Read-only flat (row-major) element i; bounds-checked unless NDEBUG (graft::Error when `i >= size()`).
    const T& operator[](std::size_t i) const { return buf_[detail::checked_flat("Tensor::operator[]", i, S::size)]; }
    /// The value of a rank-0 tensor.
    [[nodiscard]] T item() const
        requires(S::size == 1)
    {
        return buf_[0];
    }

    /// Set every element to v.
    Tensor& fill(T v) noexcept {
        std::fill(begin(), end(), v);
        return *this;
    }

    // -------------------------------------------------------------- shape changes (copies)
    /// Same elements, new shape of equal size: `t.reshape<6>()` or `t.reshape<Shape<3,2>>()`.
    /// A size mismatch fails to compile (reshape_preserves_size).
    template <std::size_t... D>
    [[nodiscard]] Tensor<T, Shape<D...>> reshape() const {
        static_assert(reshape_preserves_size<S, Shape<D...>>::value, "graft::Tensor::reshape: sizes differ");
        Tensor<T, Shape<D...>> out;
        std::copy(begin(), end(), out.begin());
        return out;
    }
    /// Same elements, new shape S2 of equal size: `t.reshape<Shape<3,2>>()`; a size mismatch fails to compile.
    template <ShapeType S2>
    [[nodiscard]] Tensor<T, S2> reshape() const {
        static_assert(reshape_preserves_size<S, S2>::value, "graft::Tensor::reshape: sizes differ");
        Tensor<T, S2> out;
        std::copy(begin(), end(), out.begin());
        return out;
    }
    /// All dims reversed (NumPy `.T`); for a matrix, the transpose.
    [[nodiscard]] Tensor<T, transpose_t<S>> transpose() const {
        Tensor<T, transpose_t<S>> out;
        detail::transpose_copy<S>(data(), out.data());
        return out;
    }

    /// A non-owning, mutable view of this tensor; valid while the tensor lives.
    [[nodiscard]] TensorView<T, S> view() noexcept { return TensorView<T, S>(data()); }
    /// A non-owning, read-only view of this tensor; valid while the tensor lives.
    [[nodiscard]] TensorView<const T, S> view() const noexcept { return TensorView<const T, S>(data()); }

private:
    template <std::size_t Level>
    void fill_nested(const nested_init_t<T, S::rank - Level>& init, std::size_t& pos) {
        if (init.size() != S::dims[Level])
            throw Error("Tensor(initializer list)", std::to_string(S::dims[Level]) + " entries at depth " +
                                                        std::to_string(Level) + " of " + S::name(),
                        std::to_string(init.size()));
        if constexpr (Level + 1 == S::rank) {
            for (const T& v : init) buf_[pos++] = v;
        } else {
            for (const auto& sub : init) fill_nested<Level + 1>(sub, pos);
        }
    }

    AlignedBuffer<T> buf_;
};

/// True for Tensor<...> (owning) types.
template <class X>
struct is_tensor : std::false_type {};
template <class T, class S>
struct is_tensor<Tensor<T, S>> : std::true_type {};

}  // namespace graft

#include "view.hpp"
