// SPDX-License-Identifier: MIT
// tests/support/naive_conv.hpp: conv2d, its two gradients and the two pools as direct loops in double.
// Written from the definitions, independently of graft's kernels, shape rules and reference evaluator:
// every output element gathers its own terms (the gradients too, as sums over the windows that touch an
// element), and the attributes are read from Attrs::ints by position (graph/conv_params.hpp's layout).
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include <graft/graph/node.hpp>

namespace graft_test::naive_conv {

using graft::Dims;

/// conv attributes: ints = {sh, sw, pt, pl, pb, pr, dh, dw, groups, [4 dims]}.
struct ConvA {
    long sh, sw, pt, pl, pb, pr, dh, dw, groups;
    explicit ConvA(const std::vector<std::size_t>& v)
        : sh(long(v[0])), sw(long(v[1])), pt(long(v[2])), pl(long(v[3])), pb(long(v[4])), pr(long(v[5])), dh(long(v[6])),
          dw(long(v[7])), groups(long(v[8])) {}
};
/// pool attributes: ints = {kh, kw, sh, sw, pt, pl, pb, pr, [4 dims]}.
struct PoolA {
    long kh, kw, sh, sw, pt, pl, pb, pr;
    explicit PoolA(const std::vector<std::size_t>& v)
        : kh(long(v[0])), kw(long(v[1])), sh(long(v[2])), sw(long(v[3])), pt(long(v[4])), pl(long(v[5])), pb(long(v[6])),
          pr(long(v[7])) {}
};

/// Number of window positions: the largest count o with (o-1)*stride + span <= padded.
inline long positions(long in, long pad_lo, long pad_hi, long span, long stride) {
    long o = 0;
    while (o * stride + span <= in + pad_lo + pad_hi) ++o;
    return o;
}
inline long at4(const Dims& d, long a, long b, long c, long e) {
    return ((a * long(d[1]) + b) * long(d[2]) + c) * long(d[3]) + e;
}

/// y[n,o,i,j] = sum_{c,p,q} x[n, grp(o)*Cg + c, i*sh - pt + p*dh, j*sw - pl + q*dw] * w[o,c,p,q]
inline std::vector<double> conv2d(const Dims& xd, const std::vector<double>& x, const Dims& wd, const std::vector<double>& w,
                                  const ConvA& a, Dims& yd) {
    const long N = long(xd[0]), H = long(xd[2]), W = long(xd[3]), O = long(wd[0]), Cg = long(wd[1]), KH = long(wd[2]), KW = long(wd[3]);
    const long OH = positions(H, a.pt, a.pb, a.dh * (KH - 1) + 1, a.sh), OW = positions(W, a.pl, a.pr, a.dw * (KW - 1) + 1, a.sw);
    const long Og = O / a.groups;
    yd = {std::size_t(N), std::size_t(O), std::size_t(OH), std::size_t(OW)};
    std::vector<double> y(std::size_t(N * O * OH * OW), 0.0);
    for (long n = 0; n < N; ++n)
        for (long o = 0; o < O; ++o)
            for (long i = 0; i < OH; ++i)
                for (long j = 0; j < OW; ++j) {
                    double s = 0;
                    for (long c = 0; c < Cg; ++c)
                        for (long p = 0; p < KH; ++p)
                            for (long q = 0; q < KW; ++q) {
                                const long ih = i * a.sh - a.pt + p * a.dh, iw = j * a.sw - a.pl + q * a.dw;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                s += x[std::size_t(at4(xd, n, (o / Og) * Cg + c, ih, iw))] * w[std::size_t(at4(wd, o, c, p, q))];
                            }
                    y[std::size_t(at4(yd, n, o, i, j))] = s;
                }
    return y;
}

/// dx[n,ci,h,v] = sum over o of ci's group, p, q with h = i*sh - pt + p*dh and v = j*sw - pl + q*dw for
/// some output position (i, j): dy[n,o,i,j] * w[o, ci - grp*Cg, p, q]
inline std::vector<double> conv2d_grad_input(const Dims& dyd, const std::vector<double>& dy, const Dims& wd,
                                             const std::vector<double>& w, const ConvA& a, const Dims& xd) {
    const long N = long(xd[0]), C = long(xd[1]), H = long(xd[2]), W = long(xd[3]);
    const long O = long(wd[0]), Cg = long(wd[1]), KH = long(wd[2]), KW = long(wd[3]), OH = long(dyd[2]), OW = long(dyd[3]);
    const long Og = O / a.groups;
    std::vector<double> dx(std::size_t(N * C * H * W), 0.0);
    for (long n = 0; n < N; ++n)
        for (long ci = 0; ci < C; ++ci)
            for (long h = 0; h < H; ++h)
                for (long v = 0; v < W; ++v) {
                    double s = 0;
                    const long grp = ci / Cg;
                    for (long o = grp * Og; o < (grp + 1) * Og; ++o)
                        for (long p = 0; p < KH; ++p)
                            for (long q = 0; q < KW; ++q) {
                                const long th = h + a.pt - p * a.dh, tw = v + a.pl - q * a.dw;  // = i*sh, j*sw
                                if (th < 0 || tw < 0 || th % a.sh || tw % a.sw) continue;
                                const long i = th / a.sh, j = tw / a.sw;
                                if (i >= OH || j >= OW) continue;
                                s += dy[std::size_t(at4(dyd, n, o, i, j))] * w[std::size_t(at4(wd, o, ci - grp * Cg, p, q))];
                            }
                    dx[std::size_t(at4(xd, n, ci, h, v))] = s;
                }
    return dx;
}

/// dw[o,c,p,q] = sum_{n,i,j} dy[n,o,i,j] * x[n, grp(o)*Cg + c, i*sh - pt + p*dh, j*sw - pl + q*dw]
inline std::vector<double> conv2d_grad_weight(const Dims& xd, const std::vector<double>& x, const Dims& dyd,
                                              const std::vector<double>& dy, const ConvA& a, const Dims& wd) {
    const long N = long(xd[0]), H = long(xd[2]), W = long(xd[3]);
    const long O = long(wd[0]), Cg = long(wd[1]), KH = long(wd[2]), KW = long(wd[3]), OH = long(dyd[2]), OW = long(dyd[3]);
    const long Og = O / a.groups;
    std::vector<double> dw(std::size_t(O * Cg * KH * KW), 0.0);
    for (long o = 0; o < O; ++o)
        for (long c = 0; c < Cg; ++c)
            for (long p = 0; p < KH; ++p)
                for (long q = 0; q < KW; ++q) {
                    double s = 0;
                    for (long n = 0; n < N; ++n)
                        for (long i = 0; i < OH; ++i)
                            for (long j = 0; j < OW; ++j) {
                                const long ih = i * a.sh - a.pt + p * a.dh, iw = j * a.sw - a.pl + q * a.dw;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                s += dy[std::size_t(at4(dyd, n, o, i, j))] * x[std::size_t(at4(xd, n, (o / Og) * Cg + c, ih, iw))];
                            }
                    dw[std::size_t(at4(wd, o, c, p, q))] = s;
                }
    return dw;
}

/// The output dims of a pool over input dims xd.
inline Dims pool_dims(const Dims& xd, const PoolA& a) {
    return {xd[0], xd[1], std::size_t(positions(long(xd[2]), a.pt, a.pb, a.kh, a.sh)), std::size_t(positions(long(xd[3]), a.pl, a.pr, a.kw, a.sw))};
}
/// The flat index in x of the first maximum of window (n, c, i, j): row-major within the window, padding
/// skipped, a NaN wins (the first one).
inline long window_max_at(const Dims& xd, const std::vector<double>& x, const PoolA& a, long n, long c, long i, long j) {
    long best = -1;
    for (long p = 0; p < a.kh; ++p)
        for (long q = 0; q < a.kw; ++q) {
            const long ih = i * a.sh - a.pt + p, iw = j * a.sw - a.pl + q;
            if (ih < 0 || ih >= long(xd[2]) || iw < 0 || iw >= long(xd[3])) continue;
            const long k = at4(xd, n, c, ih, iw);
            if (best < 0) best = k;
            else if (!std::isnan(x[std::size_t(best)]) && (std::isnan(x[std::size_t(k)]) || x[std::size_t(k)] > x[std::size_t(best)])) best = k;
        }
    return best;
}

/// max_pool2d (is_max) or avg_pool2d (sum of the window's input elements / (KH*KW)).
inline std::vector<double> pool2d(bool is_max, const Dims& xd, const std::vector<double>& x, const PoolA& a, Dims& yd) {
    yd = pool_dims(xd, a);
    std::vector<double> y;
    for (long n = 0; n < long(yd[0]); ++n)
        for (long c = 0; c < long(yd[1]); ++c)
            for (long i = 0; i < long(yd[2]); ++i)
                for (long j = 0; j < long(yd[3]); ++j) {
                    if (is_max) {
                        y.push_back(x[std::size_t(window_max_at(xd, x, a, n, c, i, j))]);
                        continue;
                    }
                    double s = 0;
                    for (long p = 0; p < a.kh; ++p)
                        for (long q = 0; q < a.kw; ++q) {
                            const long ih = i * a.sh - a.pt + p, iw = j * a.sw - a.pl + q;
                            if (ih >= 0 && ih < long(xd[2]) && iw >= 0 && iw < long(xd[3])) s += x[std::size_t(at4(xd, n, c, ih, iw))];
                        }
                    y.push_back(s / double(a.kh * a.kw));
                }
    return y;
}

/// max_pool2d_grad: dy of each window added at the window's first maximum.
inline std::vector<double> max_pool2d_grad(const Dims& xd, const std::vector<double>& x, const std::vector<double>& dy, const PoolA& a) {
    const Dims yd = pool_dims(xd, a);
    std::vector<double> dx(x.size(), 0.0);
    for (long n = 0; n < long(yd[0]); ++n)
        for (long c = 0; c < long(yd[1]); ++c)
            for (long i = 0; i < long(yd[2]); ++i)
                for (long j = 0; j < long(yd[3]); ++j)
                    dx[std::size_t(window_max_at(xd, x, a, n, c, i, j))] += dy[std::size_t(at4(yd, n, c, i, j))];
    return dx;
}

/// avg_pool2d_grad: dx[n,c,h,v] = sum over the windows (i, j) holding (h, v) of dy[n,c,i,j] / (KH*KW).
inline std::vector<double> avg_pool2d_grad(const std::vector<double>& dy, const PoolA& a, const Dims& xd) {
    const Dims yd = pool_dims(xd, a);
    std::vector<double> dx(std::size_t(xd[0] * xd[1] * xd[2] * xd[3]), 0.0);
    for (long n = 0; n < long(xd[0]); ++n)
        for (long c = 0; c < long(xd[1]); ++c)
            for (long h = 0; h < long(xd[2]); ++h)
                for (long v = 0; v < long(xd[3]); ++v) {
                    double s = 0;
                    for (long i = 0; i < long(yd[2]); ++i)
                        for (long j = 0; j < long(yd[3]); ++j) {
                            const long p = h + a.pt - i * a.sh, q = v + a.pl - j * a.sw;
                            if (p >= 0 && p < a.kh && q >= 0 && q < a.kw) s += dy[std::size_t(at4(yd, n, c, i, j))];
                        }
                    dx[std::size_t(at4(xd, n, c, h, v))] = s / double(a.kh * a.kw);
                }
    return dx;
}

/// The naive forward of a conv or pool op (naive_ops.hpp's rule for OpKind::conv2d ... avg_pool2d_grad).
inline bool forward(graft::OpKind op, const graft::Attrs& at, const std::vector<Dims>& dims, const std::vector<std::vector<double>>& in,
                    Dims& out_dims, std::vector<double>& out) {
    using graft::OpKind;
    auto tail = [&](std::size_t first) { return Dims(at.ints.begin() + long(first), at.ints.end()); };
    switch (op) {
        case OpKind::conv2d: out = conv2d(dims[0], in[0], dims[1], in[1], ConvA(at.ints), out_dims); return true;
        case OpKind::conv2d_grad_input:
            out_dims = tail(9);
            out = conv2d_grad_input(dims[0], in[0], dims[1], in[1], ConvA(at.ints), out_dims);
            return true;
        case OpKind::conv2d_grad_weight:
            out_dims = tail(9);
            out = conv2d_grad_weight(dims[0], in[0], dims[1], in[1], ConvA(at.ints), out_dims);
            return true;
        case OpKind::max_pool2d: out = pool2d(true, dims[0], in[0], PoolA(at.ints), out_dims); return true;
        case OpKind::avg_pool2d: out = pool2d(false, dims[0], in[0], PoolA(at.ints), out_dims); return true;
        case OpKind::max_pool2d_grad:
            out_dims = dims[0];
            out = max_pool2d_grad(dims[0], in[0], in[1], PoolA(at.ints));
            return true;
        case OpKind::avg_pool2d_grad:
            out_dims = tail(8);
            out = avg_pool2d_grad(in[0], PoolA(at.ints), out_dims);
            return true;
        default: return false;
    }
}

}  // namespace graft_test::naive_conv
