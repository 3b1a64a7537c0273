// SPDX-License-Identifier: MIT
// graft/graph/graph.hpp: Graph, the owner of the untyped IR: nodes, names, constants.
// Nodes are appended (ids are indices, inputs always have smaller ids, so the graph is acyclic by
// construction); every add() checks its op's shape rule and throws graft::Error on a mismatch.
// The typed front (Var, build.hpp) is a thin layer that calls these same functions.
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../core/aligned_buffer.hpp"
#include "../core/dtype.hpp"
#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "node.hpp"
#include "op_table.hpp"

namespace graft {

template <Element T, ShapeType S>
class Var;

/// A computation graph. Not movable (typed Vars point at it); copying makes an independent graph with
/// the same node ids (Vars keep pointing at the original).
class Graph {
public:
    Graph() = default;
    /// An independent copy: same nodes, ids, names and constants (existing Vars keep pointing at the original).
    Graph(const Graph&) = default;
    /// Replaces this graph's nodes, names and constants with copies of the other graph's.
    Graph& operator=(const Graph&) = default;
    Graph(Graph&&) = delete;
    Graph& operator=(Graph&&) = delete;

    // ------------------------------------------------------------ untyped building
    /// An input leaf, bound per run by Machine::let(name, ...). Names are unique among inputs and params.
    NodeId input(std::string name, DType dtype, Dims dims) {
        check_leaf_name("Graph::input", name);
        Node n;
        n.op = OpKind::input;
        n.dtype = dtype;
        n.dims = std::move(dims);
        n.name = std::move(name);
        return push(std::move(n));
    }
    /// A trainable parameter leaf with its initializer; its value lives in a ParamStore.
    NodeId param(std::string name, DType dtype, Dims dims, Init init) {
        check_leaf_name("Graph::param", name);
        if (dtype != DType::f32 && dtype != DType::f64)
            throw Error("Graph::param(\"" + name + "\")", "a float or double parameter", std::string(dtype_name(dtype)));
        Node n;
        n.op = OpKind::param;
        n.dtype = dtype;
        n.dims = std::move(dims);
        n.name = std::move(name);
        n.init = init;
        return push(std::move(n));
    }
    /// A constant leaf; `data` holds size(dims) elements of `dtype`, copied into the graph.
    NodeId constant(DType dtype, Dims dims, const void* data, std::string name = {}) {
        Node n;
        n.op = OpKind::constant;
        n.dtype = dtype;
        n.dims = std::move(dims);
        n.name = std::move(name);
        const std::size_t bytes = n.size() * dtype_size(dtype);
        if (bytes && !data)
            throw Error("Graph::constant" + (n.name.empty() ? std::string() : "(\"" + n.name + "\")"),
                        "data for " + std::to_string(n.size()) + " elements", "a null pointer");
        AlignedBuffer<unsigned char> buf(bytes);
        if (bytes) std::memcpy(buf.data(), data, bytes);
        n.constant = constants_.size();
        constants_.push_back(std::move(buf));
        return push(std::move(n));
    }
    /// A scalar constant of `dtype` holding `value` (converted).
    NodeId scalar_constant(DType dtype, double value) {
        switch (dtype) {
            case DType::f32: { const float v = static_cast<float>(value); return constant(dtype, {}, &v); }
            case DType::f64: return constant(dtype, {}, &value);
            case DType::i32: { const auto v = static_cast<std::int32_t>(value); return constant(dtype, {}, &v); }
            case DType::u8: { const auto v = static_cast<std::uint8_t>(value); return constant(dtype, {}, &v); }
        }
        return no_node;
    }

    /// An op node. Checks arity, input ids and the op's shape rule; throws graft::Error on any mismatch.
    NodeId add(OpKind op, std::vector<NodeId> inputs, Attrs attrs = {}, std::string name = {}) {
        const OpInfo& info = op_info(op);
        const std::string where = "Graph::add(" + std::string(info.name) + ")";
        if (info.cls == OpClass::leaf)
            throw Error(where, "a non-leaf op (use Graph::input, param or constant)", std::string(info.name));
        if ((info.arity >= 0 && inputs.size() != static_cast<std::size_t>(info.arity)) || (info.arity < 0 && inputs.empty()))
            throw Error(where, info.arity < 0 ? std::string("one or more inputs") : std::to_string(info.arity) + " inputs",
                        std::to_string(inputs.size()));
        std::vector<ValueType> ins;
        ins.reserve(inputs.size());
        for (NodeId i : inputs) {
            if (i >= nodes_.size())
                throw Error(where, "input ids below " + std::to_string(nodes_.size()), std::to_string(i));
            ins.push_back({nodes_[i].dtype, nodes_[i].dims});
        }
        const ValueType out = info.shape(info.name, ins, attrs);
        Node n;
        n.op = op;
        n.inputs = std::move(inputs);
        n.dtype = out.dtype;
        n.dims = out.dims;
        n.attrs = std::move(attrs);
        n.name = std::move(name);
        return push(std::move(n));
    }

    // ------------------------------------------------------------ reading
    /// Number of nodes; ids run from 0 to size()-1.
    [[nodiscard]] std::size_t size() const noexcept { return nodes_.size(); }
    /// The node with this id; throws graft::Error when id >= size().
    [[nodiscard]] const Node& node(NodeId id) const {
        if (id >= nodes_.size()) throw Error("Graph::node", "an id below " + std::to_string(nodes_.size()), std::to_string(id));
        return nodes_[id];
    }
    /// Every node, indexed by id (inputs before their users).
    [[nodiscard]] const std::vector<Node>& nodes() const noexcept { return nodes_; }
    /// The bytes of a constant node.
    [[nodiscard]] std::span<const unsigned char> constant_bytes(const Node& n) const {
        if (n.op != OpKind::constant) throw Error("Graph::constant_bytes", "a constant node", std::string(op_name(n.op)));
        return {constants_[n.constant].data(), constants_[n.constant].size()};
    }
    /// The input or param with this name, or no_node.
    [[nodiscard]] NodeId find(std::string_view name) const {
        auto it = leaf_names_.find(std::string(name));
        return it == leaf_names_.end() ? no_node : it->second;
    }
    /// Name a node (shown in print, DOT and errors). Renaming an input or param keeps find() and the
    /// uniqueness of leaf names: the new name must be non-empty and unused.
    void set_name(NodeId id, std::string name) {
        (void)node(id);  // range check
        Node& n = nodes_[id];
        if ((n.op == OpKind::input || n.op == OpKind::param) && name != n.name) {
            check_leaf_name("Graph::set_name", name);
            leaf_names_.erase(n.name);
            leaf_names_[name] = id;
        }
        n.name = std::move(name);
    }

    // ------------------------------------------------------------ typed front (defined in var.hpp)
    /// A typed input leaf, `g.input<float, 64, 784>("x")`: input(name, dtype, dims) wrapped in a Var.
    template <Element T, std::size_t... D>
    Var<T, Shape<D...>> input(std::string name);
    /// A typed parameter leaf, `g.param<float, 784, 10>("W", init::glorot_uniform(1))`; T must be float
    /// or double (checked at compile time).
    template <Element T, std::size_t... D>
    Var<T, Shape<D...>> param(std::string name, Init init);
    /// A constant from anything tensor-like (value_type, shape_type, data()), e.g. a graft::Tensor.
    template <class X>
        requires requires(const X& x) {
            typename X::value_type;
            typename X::shape_type;
            x.data();
        }
    auto constant(const X& value, std::string name = {});

    // ------------------------------------------------------------ for passes (mutating the IR)
    /// Mutable access for passes; callers keep the graph valid (verify.hpp checks it).
    [[nodiscard]] std::vector<Node>& mutable_nodes() noexcept { return nodes_; }
    /// Mutable access to the constant store that Node::constant indexes (the Rewriter compacts it on commit).
    [[nodiscard]] std::vector<AlignedBuffer<unsigned char>>& mutable_constants() noexcept { return constants_; }
    /// Re-index the input and param names after a pass renumbered or removed nodes through mutable_nodes().
    void rebuild_names() {
        leaf_names_.clear();
        for (const auto& n : nodes_)
            if (n.op == OpKind::input || n.op == OpKind::param) leaf_names_[n.name] = n.id;
    }

private:
    void check_leaf_name(const char* where, const std::string& name) const {
        if (name.empty()) throw Error(where, "a non-empty name", "\"\"");
        if (leaf_names_.count(name)) throw Error(where, "a name not used by another input or param", "\"" + name + "\"");
    }
    NodeId push(Node n) {
        if (nodes_.size() >= no_node) throw Error("Graph", "fewer than 2^32-1 nodes", "more");
        std::size_t count = 1;
        for (std::size_t d : n.dims) {
            if (d != 0 && count > static_cast<std::size_t>(-1) / 64 / d)
                throw Error("Graph: node \"" + n.name + "\"", "dims whose element count fits in memory", shape_string(n.dims));
            count *= d;
        }
        n.id = static_cast<NodeId>(nodes_.size());
        if (n.op == OpKind::input || n.op == OpKind::param) leaf_names_[n.name] = n.id;
        nodes_.push_back(std::move(n));
        return nodes_.back().id;
    }

    std::vector<Node> nodes_;
    std::vector<AlignedBuffer<unsigned char>> constants_;
    std::unordered_map<std::string, NodeId> leaf_names_;
};

/// The inputs and params that `outputs` read, directly or through other nodes, each once, in the order
/// a depth-first walk from the last output meets them. compile() keeps them in a program even when a
/// pass makes one unnecessary: let() and the ParamStore must still know them.
inline std::vector<NodeId> leaves_read(const Graph& g, std::span<const NodeId> outputs) {
    std::vector<NodeId> leaves;
    std::vector<char> seen(g.size(), 0);
    std::vector<NodeId> stack(outputs.begin(), outputs.end());
    while (!stack.empty()) {
        const NodeId id = stack.back();
        stack.pop_back();
        if (seen[id]) continue;
        seen[id] = 1;
        const Node& n = g.node(id);
        if (n.op == OpKind::input || n.op == OpKind::param) leaves.push_back(id);
        for (NodeId i : n.inputs) stack.push_back(i);
    }
    return leaves;
}

}  // namespace graft
