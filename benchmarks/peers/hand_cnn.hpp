// SPDX-License-Identifier: MIT
// benchmarks/peers/hand_cnn.hpp: the CNN flagship's training step (examples/fashion_mnist_model.hpp, peers.hpp's
// cnn_step_b64) written by hand on cblas_sgemm, nothing allocated per step:
//   conv   im2col over the whole batch, then ONE GEMM per convolution: activations are kept channel-major
//          [C, N, H, W], so y[O, N*H*W] = w[O, C*K*K] x cols[C*K*K, N*H*W]; bias + ReLU are fused into the
//          2x2 max pool, which keeps each window's argmax (and writes pool 2 straight into the [N, C*7*7] rows
//          of the flatten)
//   back   weight gradient = dy x cols^T (one GEMM, the forward's columns reused); input gradient of conv2 =
//          w^T x dy in chunks of images whose columns stay in cache, each followed by col2im (conv1's input
//          gradient is not needed); max pool + ReLU backward and the bias gradient in one pass
//   dense  sgemm + bias/ReLU loops; inverted dropout p = 0.4 with a counter-based hash as the mask (scale
//          1/(1-p)); mean softmax cross-entropy
//   Adam   one loop over all parameters, kept in one contiguous buffer (lr 1e-3, betas 0.9/0.999, eps 1e-8,
//          bias correction), in blocks of Eigen array statements (a plain loop's std::sqrt does not vectorize)
// Weight layouts as graft's: convolution [O, C, K, K], dense [in, out] with bias [out].
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hand_mlp.hpp"
#include "peers.hpp"

namespace peers {

class HandCnn {
public:
    static constexpr std::size_t N = cnn_batch, H1 = HW, H2 = HW / 2, H3 = HW / 4;  // 28, 14, 7
    static constexpr std::size_t S1 = H1 * H1, S2 = H2 * H2, S3 = H3 * H3, KK = K * K, flat = C2 * S3;
    /// Images per input-gradient GEMM of conv2 (its [C1*K*K, chunk*S2] columns stay in the cache for col2im).
    static constexpr std::size_t chunk = 4;
    static_assert(N % chunk == 0);

    // where each parameter lives in the one buffer (and its gradient in the other)
    static constexpr std::size_t o_w1 = 0, o_b1 = o_w1 + C1 * KK, o_w2 = o_b1 + C1, o_b2 = o_w2 + C2 * C1 * KK,
                                 o_w3 = o_b2 + C2, o_b3 = o_w3 + flat * FC, o_w4 = o_b3 + FC, o_b4 = o_w4 + FC * classes,
                                 n_params = o_b4 + classes;

    bool dropout = true;  ///< false: dropout is the identity (the honesty check)
    float loss = 0;

    /// x [N, 784] and labels [N] are not owned. Glorot-uniform weights from `seed`, zero biases.
    HandCnn(const float* x, const std::int32_t* y, std::uint64_t seed = 1) : x_(x), y_(y) {
        glorot(p_.data() + o_w1, C1 * KK, KK, C1 * KK, seed);
        glorot(p_.data() + o_w2, C2 * C1 * KK, C1 * KK, C2 * KK, seed + 1);
        glorot(p_.data() + o_w3, flat * FC, flat, FC, seed + 2);
        glorot(p_.data() + o_w4, FC * classes, FC, classes, seed + 3);
    }

    /// The parameters' names in graft's model, with their offsets and sizes here.
    struct Param {
        const char* name;
        std::size_t offset, size;
    };
    static constexpr Param params[] = {
        {"conv1.weight", o_w1, C1 * KK}, {"conv1.bias", o_b1, C1},    {"conv2.weight", o_w2, C2 * C1 * KK},
        {"conv2.bias", o_b2, C2},        {"fc1.weight", o_w3, flat * FC}, {"fc1.bias", o_b3, FC},
        {"fc2.weight", o_w4, FC * classes}, {"fc2.bias", o_b4, classes}};

    /// The parameters of a graft model (its Machine's ParamStore), for the honesty check.
    void copy_params(graft::Machine& m) {
        for (const Param& q : params) {
            const auto& e = m.params().at(q.name);
            std::copy_n(reinterpret_cast<const float*>(e.data.data()), q.size, p_.data() + q.offset);
        }
    }
    [[nodiscard]] std::span<const float> grad(const Param& q) const { return {g_.data() + q.offset, q.size}; }

    void step() {
        forward_backward();
        adam();
    }

    void forward_backward() {
        float *p = p_.data(), *g = g_.data();
        // ---- forward
        // conv1 [C1, 25] x [25, N*784], bias + ReLU + pool into p1 [C1, N, 14, 14]
        im2col<1, H1>(x_, N * S1, N, cols1_.data(), N * S1);
        sgemm(false, false, C1, N * S1, KK, p + o_w1, cols1_.data(), y1_.data());
        bias_relu_pool<C1, H1>(y1_.data(), p + o_b1, p1_.data(), arg1_.data(), N * S2, S2);
        // conv2 [C2, 800] x [800, N*196], bias + ReLU + pool into the flattened rows f [N, C2*7*7]
        im2col<C1, H2>(p1_.data(), N * S2, N, cols2_.data(), N * S2);
        sgemm(false, false, C2, N * S2, C1 * KK, p + o_w2, cols2_.data(), y2_.data());
        bias_relu_pool<C2, H2>(y2_.data(), p + o_b2, f_.data(), arg2_.data(), S3, flat);
        // fc1 + bias + ReLU + dropout (h keeps the dropped activations), fc2 to the logits
        sgemm(false, false, N, FC, flat, f_.data(), p + o_w3, h_.data());
        bias_relu_dropout(p + o_b3);
        sgemm(false, false, N, classes, FC, h_.data(), p + o_w4, z_.data());
        add_bias(z_.data(), p + o_b4, N, classes, false);
        // ---- loss; z becomes dLoss/dlogits
        loss = softmax_xent(z_.data(), y_, g + o_b4, N, classes);
        // ---- backward
        sgemm(true, false, FC, classes, N, h_.data(), z_.data(), g + o_w4);
        sgemm(false, true, N, FC, classes, z_.data(), p + o_w4, dh_.data());
        dropout_relu_back(g + o_b3);
        sgemm(true, false, flat, FC, N, f_.data(), dh_.data(), g + o_w3);
        sgemm(false, true, N, flat, FC, dh_.data(), p + o_w3, df_.data());
        pool_relu_back<C2, H2>(df_.data(), f_.data(), arg2_.data(), S3, flat, dy2_.data(), g + o_b2);
        sgemm(false, true, C2, C1 * KK, N * S2, dy2_.data(), cols2_.data(), g + o_w2);
        std::fill(dp1_.begin(), dp1_.end(), 0.0f);
        for (std::size_t n0 = 0; n0 < N; n0 += chunk) {
            sgemm(true, false, C1 * KK, chunk * S2, C2, p + o_w2, C1 * KK, dy2_.data() + n0 * S2, N * S2, dcols_.data(),
                  chunk * S2);
            col2im<C1, H2>(dcols_.data(), chunk * S2, chunk, dp1_.data() + n0 * S2, N * S2);
        }
        pool_relu_back<C1, H1>(dp1_.data(), p1_.data(), arg1_.data(), N * S2, S2, dy1_.data(), g + o_b1);
        sgemm(false, true, C1, KK, N * S1, dy1_.data(), cols1_.data(), g + o_w1);
    }

    /// Adam with bias correction over the one parameter buffer, in cache-sized blocks of Eigen array statements:
    /// std::sqrt in a plain loop does not vectorize (it may set errno), Eigen's sqrt does.
    void adam() {
        ++t_;
        const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        const float step = float(double(adam_lr) / (1.0 - std::pow(0.9, t_))), c2 = float(1.0 / (1.0 - std::pow(0.999, t_)));
        constexpr std::size_t block = 4096;
        for (std::size_t i = 0; i < n_params; i += block) {
            const auto len = Eigen::Index(std::min(block, n_params - i));
            Eigen::Map<Eigen::ArrayXf> p(p_.data() + i, len), m(m_.data() + i, len), v(v_.data() + i, len);
            const Eigen::Map<const Eigen::ArrayXf> g(g_.data() + i, len);
            m = b1 * m + (1.0f - b1) * g;
            v = b2 * v + (1.0f - b2) * g.square();
            p -= step * m / ((v * c2).sqrt() + eps);
        }
    }

private:
    /// "same" padding (stride 1, odd K): cols[(c*K + ki)*K + kj, n*H*H + h*H + w] = in[c, n, h+ki-pad, w+kj-pad],
    /// 0 outside; `in` is channel-major with channel stride cs, images [0, count), cols rows ld apart.
    template <std::size_t C, std::size_t H>
    static void im2col(const float* in, std::size_t cs, std::size_t count, float* cols, std::size_t ld) {
        constexpr std::ptrdiff_t pad = K / 2, h = std::ptrdiff_t(H);
        for (std::size_t c = 0; c < C; ++c)
            for (std::ptrdiff_t ki = 0; ki < std::ptrdiff_t(K); ++ki)
                for (std::ptrdiff_t kj = 0; kj < std::ptrdiff_t(K); ++kj) {
                    float* __restrict row = cols + ((c * K + std::size_t(ki)) * K + std::size_t(kj)) * ld;
                    const std::ptrdiff_t dh = ki - pad, dw = kj - pad, lo = std::max<std::ptrdiff_t>(0, -dw),
                                         hi = std::min<std::ptrdiff_t>(h, h - dw);
                    for (std::size_t n = 0; n < count; ++n)
                        for (std::ptrdiff_t r = 0; r < h; ++r) {
                            float* __restrict d = row + (std::ptrdiff_t(n) * h + r) * h;
                            const std::ptrdiff_t ir = r + dh;
                            if (ir < 0 || ir >= h) {
                                std::fill(d, d + h, 0.0f);
                                continue;
                            }
                            const float* __restrict s = in + std::ptrdiff_t(c * cs) + (std::ptrdiff_t(n) * h + ir) * h;
                            for (std::ptrdiff_t w = 0; w < lo; ++w) d[w] = 0.0f;
                            for (std::ptrdiff_t w = lo; w < hi; ++w) d[w] = s[w + dw];
                            for (std::ptrdiff_t w = hi; w < h; ++w) d[w] = 0.0f;
                        }
                }
    }
    /// The adjoint of im2col: in[c, n, h+ki-pad, w+kj-pad] += cols[(c*K + ki)*K + kj, n*H*H + h*H + w].
    template <std::size_t C, std::size_t H>
    static void col2im(const float* cols, std::size_t ld, std::size_t count, float* in, std::size_t cs) {
        constexpr std::ptrdiff_t pad = K / 2, h = std::ptrdiff_t(H);
        for (std::size_t c = 0; c < C; ++c)
            for (std::ptrdiff_t ki = 0; ki < std::ptrdiff_t(K); ++ki)
                for (std::ptrdiff_t kj = 0; kj < std::ptrdiff_t(K); ++kj) {
                    const float* __restrict row = cols + ((c * K + std::size_t(ki)) * K + std::size_t(kj)) * ld;
                    const std::ptrdiff_t dh = ki - pad, dw = kj - pad, lo = std::max<std::ptrdiff_t>(0, -dw),
                                         hi = std::min<std::ptrdiff_t>(h, h - dw);
                    for (std::size_t n = 0; n < count; ++n)
                        for (std::ptrdiff_t r = std::max<std::ptrdiff_t>(0, -dh); r < std::min(h, h - dh); ++r) {
                            const float* __restrict s = row + (std::ptrdiff_t(n) * h + r) * h;
                            float* __restrict d = in + std::ptrdiff_t(c * cs) + (std::ptrdiff_t(n) * h + r + dh) * h;
                            for (std::ptrdiff_t w = lo; w < hi; ++w) d[w + dw] += s[w];
                        }
                }
    }
    /// out = max(0, max over each 2x2 window of y + bias[c]), arg = the window's first maximum (0..3, row-major),
    /// graft's order (ReLU, then the pool). y [C, N, H, H]; output (c, n, i, j) at out[c*ocs + n*ons + i*H/2 + j].
    template <std::size_t C, std::size_t H>
    static void bias_relu_pool(const float* y, const float* bias, float* out, std::uint32_t* arg, std::size_t ocs,
                               std::size_t ons) {
        constexpr std::size_t h = H / 2;
        for (std::size_t c = 0; c < C; ++c) {
            const float b = bias[c];
            for (std::size_t n = 0; n < N; ++n) {
                const float* yi = y + (c * N + n) * H * H;
                float* __restrict o = out + c * ocs + n * ons;
                std::uint32_t* __restrict a = arg + c * ocs + n * ons;
                for (std::size_t i = 0; i < h; ++i) {
                    const float *r0 = yi + 2 * i * H, *r1 = r0 + H;
                    for (std::size_t j = 0; j < h; ++j) {
                        const float v0 = r0[2 * j] + b, v1 = r0[2 * j + 1] + b, v2 = r1[2 * j] + b, v3 = r1[2 * j + 1] + b;
                        float m = v0;
                        std::uint32_t k = 0;
                        if (v1 > m) m = v1, k = 1;
                        if (v2 > m) m = v2, k = 2;
                        if (v3 > m) m = v3, k = 3;
                        o[i * h + j] = std::max(m, 0.0f);
                        a[i * h + j] = k;
                    }
                }
            }
        }
    }
    /// The backward of bias_relu_pool: dy [C, N, H, H] = dout at each window's maximum where out > 0, else 0;
    /// db[c] = the sum of channel c's dy.
    template <std::size_t C, std::size_t H>
    static void pool_relu_back(const float* dout, const float* out, const std::uint32_t* arg, std::size_t ocs,
                               std::size_t ons, float* dy, float* db) {
        constexpr std::size_t h = H / 2;
        for (std::size_t c = 0; c < C; ++c) {
            float sum = 0;
            for (std::size_t n = 0; n < N; ++n) {
                const float* __restrict go = dout + c * ocs + n * ons;
                const float* __restrict o = out + c * ocs + n * ons;
                const std::uint32_t* __restrict a = arg + c * ocs + n * ons;
                float* __restrict d = dy + (c * N + n) * H * H;
                for (std::size_t i = 0; i < h; ++i) {
                    float *d0 = d + 2 * i * H, *d1 = d0 + H;
                    for (std::size_t j = 0; j < h; ++j) {
                        const float gv = o[i * h + j] > 0.0f ? go[i * h + j] : 0.0f;
                        const std::uint32_t k = a[i * h + j];
                        d0[2 * j] = k == 0 ? gv : 0.0f;
                        d0[2 * j + 1] = k == 1 ? gv : 0.0f;
                        d1[2 * j] = k == 2 ? gv : 0.0f;
                        d1[2 * j + 1] = k == 3 ? gv : 0.0f;
                        sum += gv;
                    }
                }
            }
            db[c] = sum;
        }
    }
    /// The dropout mask's bits: a counter-based hash of (draw, element) (lowbias32), uniform over 32 bits.
    static std::uint32_t hash(std::uint32_t u) {
        u ^= u >> 16;
        u *= 0x7feb352du;
        u ^= u >> 15;
        u *= 0x846ca68bu;
        u ^= u >> 16;
        return u;
    }
    /// h = dropout(max(h + bias, 0)): kept with probability 1 - p and scaled by 1 / (1 - p), a new mask per step.
    void bias_relu_dropout(const float* bias) {
        const float scale = dropout ? 1.0f / (1.0f - dropout_p) : 1.0f;
        const std::uint32_t threshold = dropout ? std::uint32_t(double(dropout_p) * 4294967296.0) : 0u;
        const std::uint32_t key = hash(++draws_ * 0x9E3779B9u);
        for (std::size_t i = 0; i < N; ++i) {
            float* __restrict r = h_.data() + i * FC;
            const std::uint32_t base = std::uint32_t(i * FC) ^ key;
            for (std::size_t j = 0; j < FC; ++j) {
                const bool keep = hash((base + std::uint32_t(j)) * 0x9E3779B9u) >= threshold;
                r[j] = keep ? std::max(r[j] + bias[j], 0.0f) * scale : 0.0f;
            }
        }
    }
    /// dh = dD * scale where the dropped activation D > 0 (kept and ReLU active), else 0; db = its column sums.
    void dropout_relu_back(float* __restrict db) {
        const float scale = dropout ? 1.0f / (1.0f - dropout_p) : 1.0f;
        std::fill(db, db + FC, 0.0f);
        for (std::size_t i = 0; i < N; ++i) {
            float* __restrict d = dh_.data() + i * FC;
            const float* __restrict a = h_.data() + i * FC;
            for (std::size_t j = 0; j < FC; ++j) {
                d[j] = a[j] > 0.0f ? d[j] * scale : 0.0f;
                db[j] += d[j];
            }
        }
    }

    const float* x_;
    const std::int32_t* y_;
    std::uint32_t draws_ = 0;
    int t_ = 0;
    using Buf = std::vector<float>;
    Buf p_ = Buf(n_params), g_ = Buf(n_params), m_ = Buf(n_params), v_ = Buf(n_params);
    // forward: columns, conv outputs (pre-bias), pooled activations (+ argmax), dense activations, logits
    Buf cols1_ = Buf(KK * N * S1), y1_ = Buf(C1 * N * S1), p1_ = Buf(C1 * N * S2);
    Buf cols2_ = Buf(C1 * KK * N * S2), y2_ = Buf(C2 * N * S2), f_ = Buf(N * flat), h_ = Buf(N * FC), z_ = Buf(N * classes);
    std::vector<std::uint32_t> arg1_ = std::vector<std::uint32_t>(C1 * N * S2), arg2_ = std::vector<std::uint32_t>(N * flat);
    // backward
    Buf dh_ = Buf(N * FC), df_ = Buf(N * flat), dy2_ = Buf(C2 * N * S2), dcols_ = Buf(C1 * KK * chunk * S2),
        dp1_ = Buf(C1 * N * S2), dy1_ = Buf(C1 * N * S1);
};

}  // namespace peers
