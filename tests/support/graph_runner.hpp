// SPDX-License-Identifier: MIT
// tests/support/graph_runner.hpp: run an untyped graph end to end from test data held in double.
// make_feed draws reproducible values for every input leaf (rounded to the leaf's dtype, so the double
// copy is exactly what the kernels see; labels a one_hot reads in [0, depth)); run_graph compiles,
// binds, runs once and returns each output as a NaiveValue. Together with naive_ops.hpp this compares compile()+Machine with a naive loop.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <graft/core/random.hpp>
#include <graft/exec/compile.hpp>
#include <graft/exec/machine.hpp>
#include <graft/graph/graph.hpp>

#include "naive_ops.hpp"

namespace graft_test {

/// Values to bind, by input name, as doubles already representable in the input's dtype.
using Feed = std::map<std::string, NaiveValue>;

/// x rounded to what a `dtype` element holds.
inline double round_to(graft::DType dtype, double x) {
    switch (dtype) {
        case graft::DType::f32: return static_cast<double>(static_cast<float>(x));
        case graft::DType::f64: return x;
        case graft::DType::i32: return static_cast<double>(static_cast<std::int32_t>(x));
        case graft::DType::u8: return static_cast<double>(static_cast<std::uint8_t>(x));
    }
    return x;
}

/// Bytes of `v` converted to `dtype`.
inline std::vector<unsigned char> to_bytes(graft::DType dtype, const std::vector<double>& v) {
    std::vector<unsigned char> b(v.size() * graft::dtype_size(dtype) + 1);  // +1: never a zero-size buffer
    for (std::size_t i = 0; i < v.size(); ++i) {
        unsigned char* p = b.data() + i * graft::dtype_size(dtype);
        switch (dtype) {
            case graft::DType::f32: { const auto x = static_cast<float>(v[i]); std::memcpy(p, &x, 4); break; }
            case graft::DType::f64: std::memcpy(p, &v[i], 8); break;
            case graft::DType::i32: { const auto x = static_cast<std::int32_t>(v[i]); std::memcpy(p, &x, 4); break; }
            case graft::DType::u8: *p = static_cast<std::uint8_t>(v[i]); break;
        }
    }
    return b;
}

/// Elements of an untyped value as doubles.
inline NaiveValue to_naive(const graft::ValueRef& r) {
    NaiveValue out{*r.dims, {}};
    const std::size_t n = count_of(out.dims);
    out.v.resize(n);
    const auto* p = static_cast<const unsigned char*>(r.data);
    for (std::size_t i = 0; i < n; ++i) {
        switch (r.dtype) {
            case graft::DType::f32: { float x; std::memcpy(&x, p + 4 * i, 4); out.v[i] = x; break; }
            case graft::DType::f64: std::memcpy(&out.v[i], p + 8 * i, 8); break;
            case graft::DType::i32: { std::int32_t x; std::memcpy(&x, p + 4 * i, 4); out.v[i] = x; break; }
            case graft::DType::u8: out.v[i] = p[i]; break;
        }
    }
    return out;
}

/// Uniform draws in [lo, hi) for float inputs and integers in [lo, hi] for integer ones, per input leaf
/// of `g`, seeded by `seed` and the leaf's position.
inline Feed make_feed(const graft::Graph& g, std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
    Feed f;
    // labels one_hot reads are drawn from [0, depth) of the smallest such one_hot (it refuses others)
    std::map<graft::NodeId, std::size_t> depth;
    for (const auto& n : g.nodes())
        if (n.op == graft::OpKind::one_hot) {
            auto [it, fresh] = depth.emplace(n.inputs[0], n.attrs.start);
            if (!fresh) it->second = std::min(it->second, n.attrs.start);
        }
    std::uint64_t k = 0;
    for (const auto& n : g.nodes()) {
        if (n.op != graft::OpKind::input) continue;
        graft::Rng rng(seed * 1000003u + k++);
        NaiveValue v{n.dims, std::vector<double>(count_of(n.dims))};
        const auto label_depth = depth.find(n.id);
        for (auto& x : v.v) {
            if (n.dtype == graft::DType::f32 || n.dtype == graft::DType::f64) x = round_to(n.dtype, rng.uniform(lo, hi));
            else if (label_depth != depth.end()) x = static_cast<double>(rng.below(label_depth->second));
            else x = lo + static_cast<double>(rng.below(static_cast<std::uint64_t>(hi - lo + 1)));
        }
        f[n.name] = std::move(v);
    }
    return f;
}

/// Binds every entry of `feed` by name (dtype taken from the program's input).
inline void bind_feed(graft::Machine& m, const graft::Graph& g, const Feed& feed) {
    for (const auto& [name, v] : feed) {
        const graft::NodeId id = g.find(name);
        if (id == graft::no_node || m.program().slot_of(id) == UINT32_MAX) continue;  // not read by this program
        const auto bytes = to_bytes(g.node(id).dtype, v.v);
        m.let(name, g.node(id).dtype, v.dims, bytes.data());
    }
}

/// Compiles `outputs` of `g`, binds `feed`, runs once and returns the outputs in order.
inline std::vector<NaiveValue> run_graph(const graft::Graph& g, std::span<const graft::NodeId> outputs, const Feed& feed,
                                         const graft::CompileOptions& opt = {}) {
    graft::Machine m(graft::compile(g, outputs, opt));
    bind_feed(m, g, feed);
    m.run();
    std::vector<NaiveValue> out;
    for (graft::NodeId o : outputs) out.push_back(to_naive(m.value(o)));
    return out;
}

/// Evaluates `outputs` of `g` with naive_forward, node by node (no planning, no kernels).
inline std::vector<NaiveValue> naive_eval(const graft::Graph& g, std::span<const graft::NodeId> outputs, const Feed& feed) {
    std::vector<NaiveValue> val(g.size());
    for (const auto& n : g.nodes()) {
        switch (n.op) {
            case graft::OpKind::input: val[n.id] = feed.at(n.name); break;
            case graft::OpKind::constant: {
                const auto bytes = g.constant_bytes(n);
                graft::ValueRef r{n.dtype, &n.dims, bytes.data()};
                val[n.id] = to_naive(r);
                break;
            }
            case graft::OpKind::param: throw std::logic_error("naive_eval: params need a ParamStore; feed them as inputs");
            default: {
                std::vector<NaiveValue> in;
                for (auto i : n.inputs) in.push_back(val[i]);
                val[n.id] = naive_forward(n.op, n.attrs, in);
            }
        }
    }
    std::vector<NaiveValue> out;
    for (auto o : outputs) out.push_back(val[o]);
    return out;
}

/// Bitwise equality of two runs' outputs (NaN payloads included).
inline bool bitwise_equal(const NaiveValue& a, const NaiveValue& b) {
    return a.dims == b.dims && a.v.size() == b.v.size() &&
           (a.v.empty() || std::memcmp(a.v.data(), b.v.data(), a.v.size() * sizeof(double)) == 0);
}

}  // namespace graft_test
