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
/// The "no node" sentinel: a default-constructed Var or Node, or "nothing" in an option.
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
    /// Field-by-field equality (CSE merges two nodes only when their attributes compare equal).
    bool operator==(const Attrs&) const = default;
};

/// A parameter initializer, as data (so graphs stay printable and comparable).
struct Init {
    /// The distribution (or fixed value) a parameter is filled from; the Glorot and He kinds scale by fan-in/fan-out (glorot: `a` = gain).
    enum class Kind : std::uint8_t {
        zeros, constant, uniform, normal, glorot_uniform, glorot_normal, he_uniform, he_normal
    };
    Kind kind = Kind::zeros;  ///< which initializer; a and b are read as its arguments
    double a = 0.0;           ///< constant value, uniform low, normal mean
    double b = 0.0;           ///< uniform high, normal stddev
    std::uint64_t seed = 0;   ///< seed of the random kinds (zeros and constant ignore it); same seed, same values on every platform
    /// Field-by-field equality, so graphs with the same initializers compare equal.
    bool operator==(const Init&) const = default;
};

/// One IR node.
struct Node {
    NodeId id = no_node;         ///< this node's index in its Graph
    OpKind op = OpKind::input;   ///< what it computes
    std::vector<NodeId> inputs;  ///< operand ids, in the op's argument order (always lower than id)
    DType dtype = DType::f32;    ///< element type of the value it produces
    Dims dims;                   ///< runtime dims of the value it produces; empty for a scalar
    std::string name;          ///< optional for ops, required for inputs and params
    Attrs attrs;               ///< per-op parameters (see the op's row in op_table)
    Init init;                 ///< params only
    std::size_t constant = 0;  ///< constants only: index into Graph's constant store

    /// Number of elements: the product of dims (1 for a scalar).
    [[nodiscard]] std::size_t size() const noexcept {
        std::size_t n = 1;
        for (auto d : dims) n *= d;
        return n;
    }
};

}  // namespace graft
