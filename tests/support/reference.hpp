// SPDX-License-Identifier: MIT
// tests/support/reference.hpp: the yardsticks graft's kernels are compared with.
// Deliberately naive loops in double (matmul, broadcasting, reductions) plus reproducible test data.
// Nothing here calls the code under test except graft::Rng, used only to draw inputs.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include <graft/core/random.hpp>

namespace graft_test {

/// Fills n values at p with reproducible numbers: uniform in [lo, hi) for floating types,
/// integers in [lo, hi] for integral ones.
template <class T>
void fill_random(T* p, std::size_t n, std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
    graft::Rng rng(seed);
    for (std::size_t i = 0; i < n; ++i) {
        if constexpr (std::is_floating_point_v<T>) {
            p[i] = static_cast<T>(rng.uniform(lo, hi));
        } else {
            const auto span = static_cast<std::uint64_t>(hi - lo + 1);
            p[i] = static_cast<T>(static_cast<std::int64_t>(lo) + static_cast<std::int64_t>(rng.below(span)));
        }
    }
}

/// A tensor (or anything with data() and size()) filled by fill_random.
template <class X>
X& randomize(X& x, std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
    fill_random(x.data(), x.size(), seed, lo, hi);
    return x;
}

/// Row-major dims -> row-major strides.
inline std::vector<std::size_t> strides_of(const std::vector<std::size_t>& dims) {
    std::vector<std::size_t> s(dims.size(), 1);
    for (std::size_t i = dims.size(); i-- > 1;) s[i - 1] = s[i] * dims[i];
    return s;
}

inline std::size_t count_of(const std::vector<std::size_t>& dims) {
    std::size_t n = 1;
    for (auto d : dims) n *= d;
    return n;
}

/// Multi-index of flat element i in row-major dims.
inline std::vector<std::size_t> unravel(std::size_t i, const std::vector<std::size_t>& dims) {
    std::vector<std::size_t> idx(dims.size(), 0);
    for (std::size_t k = dims.size(); k-- > 0;) {
        idx[k] = i % dims[k];
        i /= dims[k];
    }
    return idx;
}

/// Flat offset, in an operand of dims `op` right-aligned under the output, of output multi-index `out_idx`
/// (NumPy broadcasting: a size-1 operand dim always reads index 0).
inline std::size_t broadcast_offset(const std::vector<std::size_t>& out_idx, const std::vector<std::size_t>& op) {
    const auto st = strides_of(op);
    const std::size_t shift = out_idx.size() - op.size();
    std::size_t off = 0;
    for (std::size_t k = 0; k < op.size(); ++k) off += (op[k] == 1 ? 0 : out_idx[shift + k]) * st[k];
    return off;
}

/// NumPy's broadcast result dims, or an empty optional-like flag when incompatible.
inline bool broadcast_dims(const std::vector<std::size_t>& a, const std::vector<std::size_t>& b,
                           std::vector<std::size_t>& out) {
    const std::size_t n = std::max(a.size(), b.size());
    out.assign(n, 1);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
        const std::size_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
        if (da != db && da != 1 && db != 1) return false;
        out[n - 1 - i] = da == 1 ? db : da;
    }
    return true;
}

/// The textbook triple loop in double: C = alpha * op(A) * op(B) + beta * C, row-major, with the BLAS
/// convention that C is not read when beta == 0. Also returns, per element, the scale
/// |alpha| * sum_k |a||b| + |beta||c| that a rounding-error bound is relative to.
template <class T>
void naive_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, double alpha, const T* a,
                std::size_t lda, const T* b, std::size_t ldb, double beta, const T* c, std::size_t ldc,
                std::vector<double>& out, std::vector<double>& scale) {
    out.assign(m * n, 0.0);
    scale.assign(m * n, 0.0);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            double acc = 0, mag = 0;
            for (std::size_t p = 0; p < k; ++p) {
                const double x = static_cast<double>(ta ? a[p * lda + i] : a[i * lda + p]);
                const double y = static_cast<double>(tb ? b[j * ldb + p] : b[p * ldb + j]);
                acc += x * y;
                mag += std::fabs(x * y);
            }
            const double cij = beta == 0.0 ? 0.0 : static_cast<double>(c[i * ldc + j]);
            out[i * n + j] = alpha * acc + beta * cij;
            scale[i * n + j] = std::fabs(alpha) * mag + std::fabs(beta) * std::fabs(cij);
        }
}

/// Largest BLAS-style error ratio |got - ref| / (eps * scale) over an m x n result with row stride ldc.
/// Reference BLAS test drivers accept ratios below 16.
template <class T>
double gemm_error_ratio(const T* got, std::size_t m, std::size_t n, std::size_t ldc, const std::vector<double>& ref,
                        const std::vector<double>& scale) {
    const double eps = std::numeric_limits<T>::epsilon();
    double worst = 0;
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            const double g = static_cast<double>(got[i * ldc + j]);
            const double err = std::fabs(g - ref[i * n + j]);
            if (std::isnan(err)) return std::numeric_limits<double>::infinity();
            const double s = scale[i * n + j];
            const double r = s == 0.0 ? (err == 0.0 ? 0.0 : std::numeric_limits<double>::infinity()) : err / (eps * s);
            if (r > worst) worst = r;
        }
    return worst;
}

/// Naive product of two row-major tensors' data in double: [m,k] x [k,n] -> [m,n].
template <class T>
std::vector<double> naive_matmul(const T* a, const T* b, std::size_t m, std::size_t k, std::size_t n) {
    std::vector<double> c(m * n, 0.0);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            double acc = 0;
            for (std::size_t p = 0; p < k; ++p) acc += static_cast<double>(a[i * k + p]) * static_cast<double>(b[p * n + j]);
            c[i * n + j] = acc;
        }
    return c;
}

/// True when every got[i] is within a relative/absolute tolerance of ref[i] (NaN never matches).
template <class T>
bool close_to(const T* got, const std::vector<double>& ref, double rtol, double atol) {
    for (std::size_t i = 0; i < ref.size(); ++i) {
        const double g = static_cast<double>(got[i]);
        if (!(std::fabs(g - ref[i]) <= atol + rtol * std::fabs(ref[i]))) return false;
    }
    return true;
}

/// Tolerances for comparing a T result with a double reference after a k-term sum.
template <class T>
constexpr double rtol_for() {
    if constexpr (std::is_same_v<T, float>) return 2e-5;
    else if constexpr (std::is_same_v<T, double>) return 1e-12;
    else return 0.0;
}

}  // namespace graft_test
