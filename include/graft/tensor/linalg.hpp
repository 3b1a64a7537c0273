// SPDX-License-Identifier: MIT
// graft/tensor/linalg.hpp: dot, add_to, axpy and matmul (2-D, batched with broadcast batch dims, and
// NumPy's rank-1 rules). Every product goes through blas::gemm; transposed(a) feeds a transpose flag,
// never a copy.
#pragma once

#include <array>
#include <cstddef>
#include <type_traits>

#include "../core/shape_rules.hpp"
#include "blas.hpp"
#include "detail/broadcast.hpp"
#include "elementwise.hpp"
#include "tensor.hpp"

namespace graft {

/// A matrix read as its transpose, for matmul only: matmul(transposed(a), b) sets the GEMM flag.
template <class T, ShapeType S>
class Transposed {
    static_assert(S::rank == 2, "graft::transposed: only a matrix (rank 2) can be passed transposed");

public:
    using value_type = std::remove_const_t<T>;  ///< element type without const
    using shape_type = transpose_t<S>;  ///< the logical shape the product sees (S with its two dims swapped)
    /// Wraps the row-major data of the untransposed matrix (shape S) at `base`, which must outlive this.
    explicit Transposed(const value_type* base) noexcept : base_(base) {}
    /// The untransposed matrix's data, as passed to the GEMM with the transpose flag set.
    [[nodiscard]] const value_type* base() const noexcept { return base_; }

private:
    const value_type* base_;
};

/// `a` seen as its transpose by matmul (no copy is made).
template <TensorLike A>
Transposed<value_t<A>, shape_of_t<A>> transposed(const A& a) {
    return Transposed<value_t<A>, shape_of_t<A>>(a.data());
}

namespace detail {
template <class X>
struct matmul_operand {
    using T = value_t<X>;
    using S = shape_of_t<X>;
    static constexpr bool trans = false;
    static const T* ptr(const X& x) { return x.data(); }
};
template <class T0, class S0>
struct matmul_operand<Transposed<T0, S0>> {
    using T = std::remove_const_t<T0>;
    using S = transpose_t<S0>;
    static constexpr bool trans = true;
    static const T* ptr(const Transposed<T0, S0>& x) { return x.base(); }
};
template <class X>
struct is_transposed : std::false_type {};
template <class T0, class S0>
struct is_transposed<Transposed<T0, S0>> : std::true_type {};
template <class X>
concept MatmulOperand = TensorLike<X> || is_transposed<std::remove_cvref_t<X>>::value;

template <std::size_t N>
constexpr std::size_t product(const std::array<std::size_t, N>& a) {
    std::size_t r = 1;
    for (std::size_t i = 0; i < N; ++i) r *= a[i];
    return r;
}
/// Strides (in whole matrices) of an operand's batch dims over the output's nb batch dims; 0 where broadcast.
template <std::size_t NB, std::size_t N>
constexpr std::array<std::size_t, NB> batch_strides(const std::array<std::size_t, N>& dims) {
    std::array<std::size_t, NB> s{};
    std::size_t acc = 1;
    for (std::size_t i = 0; i < NB; ++i) {
        const std::size_t k = NB - 1 - i;
        const std::size_t d = i < N ? dims[N - 1 - i] : 1;
        s[k] = d == 1 ? 0 : acc;
        acc *= d;
    }
    return s;
}
}  // namespace detail

/// Matrix product with NumPy semantics: Shape<M,K> x Shape<K,N> -> Shape<M,N>; batch dims broadcast;
/// a rank-1 left operand is a row vector, a rank-1 right operand a column vector.
template <detail::MatmulOperand A, detail::MatmulOperand B>
auto matmul(const A& a, const B& b) {
    using OA = detail::matmul_operand<A>;
    using OB = detail::matmul_operand<B>;
    using T = typename OA::T;
    using SA = typename OA::S;
    using SB = typename OB::S;
    static_assert(element_types_match<T, typename OB::T>::value, "graft::matmul: element types differ");
    using SO = matmul_t<SA, SB>;
    Tensor<T, SO> out;
    if constexpr (matmul_operands_have_rank<SA, SB>::value && matmul_inner_dims_agree<SA, SB>::value &&
                  matmul_batch_dims_broadcast<SA, SB>::value) {
        constexpr std::size_t M = detail::mm_rows<SA>(true), K = detail::mm_cols<SA>(true), N = detail::mm_cols<SB>(false);
        constexpr bool ta = OA::trans, tb = OB::trans;
        constexpr std::size_t lda = ta ? M : K, ldb = tb ? K : N;
        const T* pa = OA::ptr(a);
        const T* pb = OB::ptr(b);
        constexpr auto batch_a = detail::mm_batch<SA>();
        constexpr auto batch_b = detail::mm_batch<SB>();
        constexpr auto batch_o = detail::broadcast_dims(batch_a, batch_b);
        constexpr std::size_t nbatch_a = detail::product(batch_a);
        constexpr std::size_t nbatch_o = detail::product(batch_o);
        if constexpr (batch_o.size() == 0) {
            blas::gemm<T>(ta, tb, M, N, K, T(1), pa, lda, pb, ldb, T(0), out.data(), N);
        } else if constexpr (batch_b.size() == 0 && !ta) {
            // B is one matrix shared by every batch of A: a single GEMM over M * batch rows.
            blas::gemm<T>(false, tb, nbatch_a * M, N, K, T(1), pa, lda, pb, ldb, T(0), out.data(), N);
        } else {
            constexpr std::size_t nb = batch_o.size();
            // strides (in matrices) of A and B over the output batch index; 0 where broadcast
            constexpr auto sa = detail::batch_strides<nb>(batch_a);
            constexpr auto sb = detail::batch_strides<nb>(batch_b);
            std::array<std::size_t, nb> idx{};
            for (std::size_t o = 0; o < nbatch_o; ++o) {
                std::size_t ia = 0, ib = 0;
                for (std::size_t k = 0; k < nb; ++k) {
                    ia += idx[k] * sa[k];
                    ib += idx[k] * sb[k];
                }
                blas::gemm<T>(ta, tb, M, N, K, T(1), pa + ia * M * K, lda, pb + ib * K * N, ldb, T(0),
                              out.data() + o * M * N, N);
                for (std::size_t k = nb; k-- > 0;) {
                    if (++idx[k] < batch_o[k]) break;
                    idx[k] = 0;
                }
            }
        }
    }
    return out;
}

/// Sum of elementwise products of two same-shaped tensors (vectors in the Gonum sense).
template <TensorLike A, TensorLike B>
value_t<A> dot(const A& a, const B& b) {
    static_assert(element_types_match<value_t<A>, value_t<B>>::value, "graft::dot: element types differ");
    static_assert(std::is_same_v<shape_of_t<A>, shape_of_t<B>>, "graft::dot: shapes differ");
    using T = value_t<A>;
    if constexpr (FloatElement<T>) {
        const auto n = static_cast<Eigen::Index>(a.size());
        return detail::ConstArrayMap<T>(a.data(), n).matrix().dot(detail::ConstArrayMap<T>(b.data(), n).matrix());
    } else {
        T acc = 0;
        for (std::size_t i = 0; i < a.size(); ++i) acc = static_cast<T>(acc + a.data()[i] * b.data()[i]);
        return acc;
    }
}

/// y += x in place (x broadcasts to y's shape); Gonum's floats.Add. Allocates nothing.
template <Element T, ShapeType S, TensorLike X>
Tensor<T, S>& add_to(Tensor<T, S>& y, const X& x) {
    static_assert(element_types_match<T, value_t<X>>::value, "graft::add_to: element types differ");
    static_assert(broadcasts_to<shape_of_t<X>, S>::value, "graft::add_to: x does not broadcast to y");
    if constexpr (std::is_same_v<shape_of_t<X>, S>) {
        for (std::size_t i = 0; i < S::size; ++i) y.data()[i] = static_cast<T>(y.data()[i] + x.data()[i]);
    } else {
        const auto plan = detail::make_broadcast_plan(S::dims, shape_of_t<X>::dims, S::dims);
        detail::broadcast_binary(plan, y.data(), x.data(), y.data(), detail::Plus{});
    }
    return y;
}

/// y += alpha * x in place, same shapes (BLAS axpy). Allocates nothing.
template <Element T, ShapeType S, TensorLike X>
Tensor<T, S>& axpy(T alpha, const X& x, Tensor<T, S>& y) {
    static_assert(element_types_match<T, value_t<X>>::value, "graft::axpy: element types differ");
    static_assert(std::is_same_v<shape_of_t<X>, S>, "graft::axpy: shapes differ");
    for (std::size_t i = 0; i < S::size; ++i) y.data()[i] = static_cast<T>(y.data()[i] + alpha * x.data()[i]);
    return y;
}

}  // namespace graft
