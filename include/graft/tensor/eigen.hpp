// SPDX-License-Identifier: MIT
// graft/tensor/eigen.hpp: as_eigen(t), an Eigen::Map over a 1-D or 2-D tensor (no copy).
// A rank-1 tensor maps to a column vector, a rank-2 tensor to a row-major matrix.
#pragma once

#include <Eigen/Core>

#include "view.hpp"

namespace graft {

/// Eigen view of a rank-1 (column vector) or rank-2 (row-major matrix) tensor or view. Writes go through.
template <class X>
    requires TensorLike<X>
auto as_eigen(X& t) {
    using S = shape_of_t<X>;
    static_assert(S::rank == 1 || S::rank == 2, "graft::as_eigen: only rank-1 and rank-2 tensors map to Eigen");
    using P = std::remove_pointer_t<decltype(t.data())>;  // const-qualified for const tensors
    using T = std::remove_const_t<P>;
    if constexpr (S::rank == 1) {
        using V = Eigen::Matrix<T, Eigen::Dynamic, 1>;
        using M = std::conditional_t<std::is_const_v<P>, const V, V>;
        return Eigen::Map<M>(t.data(), Eigen::Index(S::dims[0]));
    } else {
        using V = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        using M = std::conditional_t<std::is_const_v<P>, const V, V>;
        return Eigen::Map<M>(t.data(), Eigen::Index(S::dims[0]), Eigen::Index(S::dims[1]));
    }
}

}  // namespace graft
