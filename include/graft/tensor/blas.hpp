// SPDX-License-Identifier: MIT
// graft/tensor/blas.hpp: THE one BLAS seam. Every matrix product in graft ends here.
// Row-major C = alpha * op(A) * op(B) + beta * C, with op = transpose as a flag (never a copy).
// float/double go to cblas_sgemm/cblas_dgemm unless GRAFT_NO_BLAS is defined or the caller asks for
// Eigen's product; integer types always use Eigen. Nothing else in graft includes <cblas.h>.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <climits>
#include <cstddef>
#include <string>
#include <type_traits>

#include "../core/error.hpp"

#ifndef GRAFT_NO_BLAS
#include <cblas.h>
#endif

namespace graft::blas {

/// Which implementation runs a GEMM.
enum class Backend : unsigned char {
    automatic,  ///< cblas for float/double when BLAS is compiled in, else Eigen
    cblas,      ///< cblas_?gemm (throws if graft was built with GRAFT_NO_BLAS)
    eigen,      ///< Eigen's own product
};

/// True when graft was compiled with a cblas.
inline constexpr bool has_cblas =
#ifdef GRAFT_NO_BLAS
    false;
#else
    true;
#endif

/// Name of a backend as shown in listings: "cblas" or "eigen".
inline const char* backend_name(Backend b) noexcept {
    switch (b) {
        case Backend::automatic: return has_cblas ? "cblas" : "eigen";
        case Backend::cblas: return "cblas";
        case Backend::eigen: return "eigen";
    }
    return "?";
}

namespace detail {
template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using ConstMatMap = Eigen::Map<const RowMat<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using MatMap = Eigen::Map<RowMat<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

template <class T>
void gemm_eigen(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
                const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    using I = Eigen::Index;
    MatMap<T> C(c, I(m), I(n), Eigen::OuterStride<>(I(ldc)));
    const bool overwrite = beta == T(0);  // BLAS semantics: C is not read when beta == 0
    if (k == 0 || alpha == T(0)) {
        if (overwrite) C.setZero();
        else if (beta != T(1)) C *= beta;
        return;
    }
    if (!overwrite && beta != T(1)) C *= beta;
    ConstMatMap<T> A(a, I(ta ? k : m), I(ta ? m : k), Eigen::OuterStride<>(I(std::max<std::size_t>(lda, 1))));
    ConstMatMap<T> B(b, I(tb ? n : k), I(tb ? k : n), Eigen::OuterStride<>(I(std::max<std::size_t>(ldb, 1))));
    auto run = [&](const auto& product) {
        if (overwrite) C.noalias() = alpha * product;
        else C.noalias() += alpha * product;
    };
    if (!ta && !tb) run(A * B);
    else if (ta && !tb) run(A.transpose() * B);
    else if (!ta && tb) run(A * B.transpose());
    else run(A.transpose() * B.transpose());
}

inline void check_int_range(const char* where, std::size_t v, const char* what) {
    if (v > static_cast<std::size_t>(INT_MAX))
        throw Error(where, std::string(what) + " <= INT_MAX (the BLAS uses 32-bit int)", std::to_string(v));
}
}  // namespace detail

/// Row-major GEMM: C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C. A is m x k (k x m if ta),
/// B is k x n (n x k if tb); lda/ldb/ldc are row strides in elements, at least the stored row length
/// (else graft::Error). When beta == 0, C is not read; when alpha == 0, A and B are not read.
/// Empty products are handled here (BLAS is never called with a zero dim or a leading dim below 1).
template <class T>
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
          const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc, Backend backend = Backend::automatic) {
    if (m == 0 || n == 0) return;
    // A row stride shorter than the stored row would make a cblas print an error and return with C
    // untouched, and Eigen read overlapping rows: refuse it.
    const std::size_t a_row = ta ? m : k, b_row = tb ? k : n;
    if (lda < a_row || ldb < b_row || ldc < n)
        throw Error("blas::gemm", "lda >= " + std::to_string(a_row) + ", ldb >= " + std::to_string(b_row) +
                                      ", ldc >= " + std::to_string(n),
                    "lda " + std::to_string(lda) + ", ldb " + std::to_string(ldb) + ", ldc " + std::to_string(ldc));
    if (backend == Backend::cblas && !has_cblas)
        throw Error("blas::gemm", "Backend::eigen or Backend::automatic (graft was built with GRAFT_NO_BLAS)",
                    "Backend::cblas");
#ifndef GRAFT_NO_BLAS
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        if (backend != Backend::eigen && k > 0) {
            detail::check_int_range("blas::gemm", m, "m");
            detail::check_int_range("blas::gemm", n, "n");
            detail::check_int_range("blas::gemm", k, "k");
            detail::check_int_range("blas::gemm", lda, "lda");
            detail::check_int_range("blas::gemm", ldb, "ldb");
            detail::check_int_range("blas::gemm", ldc, "ldc");
            const auto TA = ta ? CblasTrans : CblasNoTrans;
            const auto TB = tb ? CblasTrans : CblasNoTrans;
            const int M = int(m), N = int(n), K = int(k);
            const int LDA = int(lda < 1 ? 1 : lda), LDB = int(ldb < 1 ? 1 : ldb), LDC = int(ldc < 1 ? 1 : ldc);
            if constexpr (std::is_same_v<T, float>)
                cblas_sgemm(CblasRowMajor, TA, TB, M, N, K, alpha, a, LDA, b, LDB, beta, c, LDC);
            else
                cblas_dgemm(CblasRowMajor, TA, TB, M, N, K, alpha, a, LDA, b, LDB, beta, c, LDC);
            return;
        }
    }
#endif
    detail::gemm_eigen(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace graft::blas
