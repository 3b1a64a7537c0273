// SPDX-License-Identifier: MIT
// benchmarks/peers/hand_mlp.hpp: the MLP 784-256-128-10 written by hand (peers.hpp's mlp_step_* and
// mlp_infer_* workloads, and bm_mlp_step's baseline): cblas_sgemm (sgemv at batch 1) into preallocated
// buffers, bias/ReLU, softmax cross-entropy and the SGD update as plain loops the compiler vectorizes.
// Nothing is allocated per step. Parameters [in, out] and biases [out], as graft's nn::Linear lays them out.
// (A benchmark baseline is the one place outside graft/tensor/blas.hpp that includes <cblas.h>.)
#pragma once

#include <cblas.h>

#include <graft/exec/machine.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "peers.hpp"

namespace peers {

/// C[m, n] = op(A) op(B) (+ beta C), row-major, with explicit leading dimensions. A one-row product x B (batch 1)
/// goes to cblas_sgemv, as a careful hand would write it: OpenBLAS's sgemm packs all of B first (4x slower there).
inline void sgemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a, std::size_t lda,
                  const float* b, std::size_t ldb, float* c, std::size_t ldc, float beta = 0.0f) {
    if (m == 1 && !ta) {
        // c = op(B)^T a: B [k, n] is read transposed, B^T [n, k] (tb) as it is
        cblas_sgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? int(n) : int(k), tb ? int(k) : int(n), 1.0f,
                    b, int(ldb), a, 1, beta, c, 1);
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), 1.0f,
                a, int(lda), b, int(ldb), beta, c, int(ldc));
}
/// The same on dense operands (leading dimensions from the shapes).
inline void sgemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a, const float* b, float* c) {
    sgemm(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, c, n);
}

/// A small seeded generator for the hand-written sides' data and initial weights (splitmix64).
struct HandRng {
    std::uint64_t s;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    float uniform(float lo, float hi) { return lo + (hi - lo) * float(double(next() >> 11) * 0x1.0p-53); }
};

/// Glorot-uniform weights (limit sqrt(6 / (fan_in + fan_out))), as graft's default Linear/Conv2d init.
inline void glorot(float* w, std::size_t n, std::size_t fan_in, std::size_t fan_out, std::uint64_t seed) {
    HandRng rng{seed};
    const float a = std::sqrt(6.0f / float(fan_in + fan_out));
    for (std::size_t i = 0; i < n; ++i) w[i] = rng.uniform(-a, a);
}

/// Mean softmax cross-entropy over integer labels; z [rows, cols] (logits) becomes dLoss/dlogits =
/// (softmax - onehot) / rows, and db (cols) its column sums. Returns the loss.
inline float softmax_xent(float* z, const std::int32_t* y, float* db, std::size_t rows, std::size_t cols) {
    double total = 0;
    std::fill(db, db + cols, 0.0f);
    const float inv = 1.0f / float(rows);
    for (std::size_t i = 0; i < rows; ++i) {
        float* zi = z + i * cols;
        const float mx = *std::max_element(zi, zi + cols);
        float s = 0;
        for (std::size_t j = 0; j < cols; ++j) s += std::exp(zi[j] - mx);
        const float lse = mx + std::log(s);
        total += double(lse - zi[y[i]]);
        for (std::size_t j = 0; j < cols; ++j) {
            zi[j] = (std::exp(zi[j] - lse) - (std::int32_t(j) == y[i] ? 1.0f : 0.0f)) * inv;
            db[j] += zi[j];
        }
    }
    return float(total / double(rows));
}

/// a[rows, cols] = max(a + bias, 0) (relu = true) or a + bias.
inline void add_bias(float* __restrict a, const float* __restrict bias, std::size_t rows, std::size_t cols, bool relu) {
    for (std::size_t i = 0; i < rows; ++i) {
        float* __restrict r = a + i * cols;
        if (relu)
            for (std::size_t j = 0; j < cols; ++j) r[j] = std::max(r[j] + bias[j], 0.0f);
        else
            for (std::size_t j = 0; j < cols; ++j) r[j] += bias[j];
    }
}

/// dA *= [A > 0] (ReLU's derivative from its output), and db = column sums of dA.
inline void relu_back(float* __restrict da, const float* __restrict a, float* __restrict db, std::size_t rows,
                      std::size_t cols) {
    std::fill(db, db + cols, 0.0f);
    for (std::size_t i = 0; i < rows; ++i) {
        float* __restrict d = da + i * cols;
        const float* __restrict ai = a + i * cols;
        for (std::size_t j = 0; j < cols; ++j) {
            d[j] = ai[j] > 0.0f ? d[j] : 0.0f;
            db[j] += d[j];
        }
    }
}

/// One MLP 784-256-128-10 at batch B: forward (to the logits, or on to the loss), backward, plain SGD.
template <std::size_t B>
struct HandMlp {
    const float* x;         ///< [B, D0], not owned
    const std::int32_t* y;  ///< [B], not owned (the training step only)
    float lr = mlp_lr;
    // parameters [in, out] and biases, and their gradients
    std::vector<float> W1 = std::vector<float>(D0 * D1), b1 = std::vector<float>(D1), W2 = std::vector<float>(D1 * D2),
                       b2 = std::vector<float>(D2), W3 = std::vector<float>(D2 * D3), b3 = std::vector<float>(D3);
    std::vector<float> dW1 = std::vector<float>(D0 * D1), db1 = std::vector<float>(D1), dW2 = std::vector<float>(D1 * D2),
                       db2 = std::vector<float>(D2), dW3 = std::vector<float>(D2 * D3), db3 = std::vector<float>(D3);
    // activations (post-ReLU), logits/probabilities, and backward temporaries
    std::vector<float> A1 = std::vector<float>(B * D1), A2 = std::vector<float>(B * D2), Z = std::vector<float>(B * D3);
    std::vector<float> dA1 = std::vector<float>(B * D1), dA2 = std::vector<float>(B * D2);
    float loss = 0;

    /// Glorot-uniform weights from `seed`, zero biases.
    HandMlp(const float* x_, const std::int32_t* y_, std::uint64_t seed = 1) : x(x_), y(y_) {
        glorot(W1.data(), W1.size(), D0, D1, seed);
        glorot(W2.data(), W2.size(), D1, D2, seed + 1);
        glorot(W3.data(), W3.size(), D2, D3, seed + 2);
    }
    /// The parameters of a graft MLP ("fc1.weight", ... in its Machine's ParamStore), for the honesty checks.
    void copy_params(graft::Machine& m) {
        auto copy = [&](const char* name, std::vector<float>& dst) {
            const auto& e = m.params().at(name);
            std::copy_n(reinterpret_cast<const float*>(e.data.data()), dst.size(), dst.data());
        };
        copy("fc1.weight", W1), copy("fc1.bias", b1), copy("fc2.weight", W2), copy("fc2.bias", b2);
        copy("fc3.weight", W3), copy("fc3.bias", b3);
    }

    /// Z = the logits [B, D3] (biases added).
    void forward() {
        sgemm(false, false, B, D1, D0, x, W1.data(), A1.data());
        add_bias(A1.data(), b1.data(), B, D1, true);
        sgemm(false, false, B, D2, D1, A1.data(), W2.data(), A2.data());
        add_bias(A2.data(), b2.data(), B, D2, true);
        sgemm(false, false, B, D3, D2, A2.data(), W3.data(), Z.data());
        add_bias(Z.data(), b3.data(), B, D3, false);
    }
    void forward_backward() {
        forward();
        loss = softmax_xent(Z.data(), y, db3.data(), B, D3);  // Z becomes dLoss/dlogits
        sgemm(true, false, D2, D3, B, A2.data(), Z.data(), dW3.data());
        sgemm(false, true, B, D2, D3, Z.data(), W3.data(), dA2.data());
        relu_back(dA2.data(), A2.data(), db2.data(), B, D2);
        sgemm(true, false, D1, D2, B, A1.data(), dA2.data(), dW2.data());
        sgemm(false, true, B, D1, D2, dA2.data(), W2.data(), dA1.data());
        relu_back(dA1.data(), A1.data(), db1.data(), B, D1);
        sgemm(true, false, D0, D1, B, x, dA1.data(), dW1.data());
    }
    void update() {
        auto sgd = [lr = lr](std::vector<float>& w, const std::vector<float>& dw) {
            float* __restrict p = w.data();
            const float* __restrict g = dw.data();
            for (std::size_t i = 0; i < w.size(); ++i) p[i] -= lr * g[i];
        };
        sgd(W1, dW1), sgd(b1, db1), sgd(W2, dW2), sgd(b2, db2), sgd(W3, dW3), sgd(b3, db3);
    }
    void step() {
        forward_backward();
        update();
    }
};

}  // namespace peers
