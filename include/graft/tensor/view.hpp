// SPDX-License-Identifier: MIT
// graft/tensor/view.hpp: TensorView<T, S>, a non-owning typed window on contiguous row-major data.
// What Machine::value() returns and what eager math accepts next to Tensor. TensorView<const float, S>
// is read-only. A view never outlives what it looks at: that is the caller's contract, as with std::span.
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>

#include "tensor.hpp"

namespace graft {

/// Non-owning view of S::size contiguous elements of type T (T may be const).
template <class T, ShapeType S>
class TensorView {
    static_assert(Element<std::remove_const_t<T>>, "graft::TensorView: element type must be float, double, int32 or uint8");

public:
    using value_type = std::remove_const_t<T>;     ///< element type without const
    using shape_type = S;                          ///< the compile-time Shape<...>
    static constexpr std::size_t rank = S::rank;  ///< number of dims (0 for a scalar)

    /// Views S::size contiguous row-major elements starting at `data`, which must outlive the view.
    explicit TensorView(T* data) noexcept : data_(data) {}
    /// A mutable view converts to a read-only one.
    operator TensorView<const value_type, S>() const noexcept  // NOLINT(google-explicit-constructor)
        requires(!std::is_const_v<T>)
    {
        return TensorView<const value_type, S>(data_);
    }

    /// Number of elements, S::size (1 for a scalar).
    [[nodiscard]] static constexpr std::size_t size() noexcept { return S::size; }
    /// The dims as a `std::array<std::size_t, rank>`, S::dims.
    [[nodiscard]] static constexpr const auto& dims() noexcept { return S::dims; }
    /// Pointer to the first viewed element.
    [[nodiscard]] T* data() const noexcept { return data_; }
    /// The viewed elements as a span of size() in row-major order.
    [[nodiscard]] std::span<T> flat() const noexcept { return {data_, S::size}; }
    /// First viewed element, for row-major iteration.
    T* begin() const noexcept { return data_; }
    /// One past the last viewed element.
    T* end() const noexcept { return data_ + S::size; }

    /// v(i, j, ...): one index per dim. Bounds are checked unless NDEBUG is defined (graft::Error when out of range).
    template <std::integral... I>
    T& operator()(I... idx) const {
        static_assert(sizeof...(I) == S::rank, "graft::TensorView::operator(): give one index per dimension");
        return data_[detail::flat_index<S>("TensorView::operator()", static_cast<std::size_t>(idx)...)];
    }
    /// Flat (row-major) element i; bounds-checked unless NDEBUG (graft::Error when `i >= size()`).
    T& operator[](std::size_t i) const { return data_[detail::checked_flat("TensorView::operator[]", i, S::size)]; }
    /// The value of a single-element view (rank 0, or every dim 1).
    [[nodiscard]] value_type item() const
        requires(S::size == 1)
    {
        return data_[0];
    }

    /// An owning copy.
    [[nodiscard]] Tensor<value_type, S> to_tensor() const {
        Tensor<value_type, S> t;
        for (std::size_t i = 0; i < S::size; ++i) t.data()[i] = data_[i];
        return t;
    }

private:
    T* data_;
};

/// Anything eager math accepts: an owning Tensor or a TensorView, read through data() in row-major order.
template <class X>
concept TensorLike = requires(const X& x) {
    typename std::remove_cvref_t<X>::value_type;
    typename std::remove_cvref_t<X>::shape_type;
    { x.data() };
} && Element<typename std::remove_cvref_t<X>::value_type> && ShapeType<typename std::remove_cvref_t<X>::shape_type>;

/// Element type of a TensorLike: value_t<Tensor<float, Shape<2>>> is float.
template <TensorLike X>
using value_t = typename std::remove_cvref_t<X>::value_type;
/// Shape of a TensorLike: shape_of_t<Tensor<float, Shape<2>>> is Shape<2>.
template <TensorLike X>
using shape_of_t = typename std::remove_cvref_t<X>::shape_type;

}  // namespace graft
