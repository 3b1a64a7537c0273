// SPDX-License-Identifier: MIT
// graft/graph/node.hpp: NodeId, Attrs and Node, the untyped IR's building blocks.
// A node holds its op, input ids, element type, runtime dims, an optional name and its attributes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "../core/dtype.hpp"
#include "op_kind.hpp"

namespace graft {

/// Index of a node in its Graph.
using NodeId = std::uint32_t;
inline constexpr NodeId no_node = std::numeric_limits<NodeId>::max();

/// Runtime dims of a node (outermost first); empty for a scalar.
using Dims = std::vector<std::size_t>;

/// Per-op parameters. Only the fields an op's row documents are meaningful for it.
struct Attrs {
    std::int64_t axis = 0;          ///< reductions, softmax, concat, slice, argmax (negative counts from the end)
    bool all_axes = false;          ///< reductions: over every axis
    bool keepdims = false;          ///< reductions, argmax: keep the reduced axis as 1
    double scalar = 0.0;            ///< *_scalar ops, pow exponent, clamp lower bound
    double scalar2 = 0.0;           ///< clamp upper bound
    std::size_t start = 0;          ///< slice start; one_hot depth
    std::size_t stop = 0;           ///< slice stop (exclusive)
    std::vector<std::size_t> ints;  ///< transpose permutation; reshape / broadcast_to target dims; fused programs
    std::vector<double> reals;      ///< fused programs: their scalar constants
    DType dtype = DType::f32;       ///< one_hot output type
    bool operator==(const Attrs&) const = default;
};

/// A parameter initializer, as data (so graphs stay printable and comparable).
struct Init {
    enum class Kind : std::uint8_t {
        zeros, constant, uniform, normal, glorot_uniform, glorot_normal, he_uniform, he_normal
    };
    Kind kind = Kind::zeros;
    double a = 0.0;           ///< constant value, uniform low, normal mean
    double b = 0.0;           ///< uniform high, normal stddev
    std::uint64_t seed = 0;
    bool operator==(const Init&) const = default;
};

/// One IR node.
struct Node {
    NodeId id = no_node;
    OpKind op = OpKind::input;
    std::vector<NodeId> inputs;
    DType dtype = DType::f32;
    Dims dims;
    std::string name;          ///< optional for ops, required for inputs and params
    Attrs attrs;
    Init init;                 ///< params only
    std::size_t constant = 0;  ///< constants only: index into Graph's constant store

    [[nodiscard]] std::size_t size() const noexcept {
        std::size_t n = 1;
        for (auto d : dims) n *= d;
        return n;
    }
};

}  // namespace graft
