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
    tuned,      ///< whichever of the two measured faster for this shape (blas_tune.hpp); compile() resolves it
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
        case Backend::tuned: return "tuned";
    }
    return "?";
}

/// Threads the cblas may use for one call (OpenBLAS's pool size; 1 for a cblas whose count graft cannot read).
inline int threads() noexcept {
#if !defined(GRAFT_NO_BLAS) && defined(OPENBLAS_VERSION)
    return openblas_get_num_threads();
#else
    return 1;
#endif
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

#ifndef GRAFT_NO_BLAS
/// C = alpha op(A) op(B) + beta C when m == 1 or n == 1, as one cblas ?gemv (dims already range-checked).
/// m == 1: the row c = op(B)^T a, with a's k entries lda apart when ta (a column of a k x 1 matrix).
/// n == 1: the column c (entries ldc apart) = op(A) b, with b's entries ldb apart unless tb.
template <class T>
void gemv_as_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
                  const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    auto gemv = [](bool trans, std::size_t rows, std::size_t cols, T al, const T* mat, std::size_t ld, const T* x, std::size_t incx,
                   T be, T* y, std::size_t incy) {
        const auto TR = trans ? CblasTrans : CblasNoTrans;
        const int R = int(rows), C = int(cols), LD = int(std::max<std::size_t>(ld, 1)), IX = int(incx), IY = int(incy);
        if constexpr (std::is_same_v<T, float>) cblas_sgemv(CblasRowMajor, TR, R, C, al, mat, LD, x, IX, be, y, IY);
        else cblas_dgemv(CblasRowMajor, TR, R, C, al, mat, LD, x, IX, be, y, IY);
    };
    if (m == 1) {  // B stored k x n (tb: n x k); the vector a: 1 x k stored (ta: k x 1, stride lda)
        const std::size_t inca = ta ? std::max<std::size_t>(lda, 1) : 1;
        if (tb) gemv(false, n, k, alpha, b, ldb, a, inca, beta, c, 1);
        else gemv(true, k, n, alpha, b, ldb, a, inca, beta, c, 1);
    } else {  // n == 1: A stored m x k (ta: k x m); the vector b: k x 1 stored (stride ldb; tb: 1 x k)
        const std::size_t incb = tb ? 1 : std::max<std::size_t>(ldb, 1);
        const std::size_t incc = std::max<std::size_t>(ldc, 1);
        if (ta) gemv(true, k, m, alpha, a, lda, b, incb, beta, c, incc);
        else gemv(false, m, k, alpha, a, lda, b, incb, beta, c, incc);
    }
}
#endif

inline void check_int_range(const char* where, std::size_t v, const char* what) {
    if (v > static_cast<std::size_t>(INT_MAX))
        throw Error(where, std::string(what) + " <= INT_MAX (the BLAS uses 32-bit int)", std::to_string(v));
}
}  // namespace detail

/// Row-major GEMM: C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C. A is m x k (k x m if ta),
/// B is k x n (n x k if tb); lda/ldb/ldc are row strides in elements, at least the stored row length
/// (else graft::Error). When beta == 0, C is not read; when alpha == 0, A and B are not read.
/// Empty products are handled here (BLAS is never called with a zero dim or a leading dim below 1).
/// Backend::tuned here means automatic: the measured choice is made by compile() (blas_tune.hpp).
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
            if (m == 1 || n == 1) {  // a matrix-vector product: ?gemv (OpenBLAS's ?gemm is several times slower here)
                detail::gemv_as_gemm<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                return;
            }
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
