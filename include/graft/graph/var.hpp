// SPDX-License-Identifier: MIT
// graft/graph/var.hpp: Var<T, S>, a typed handle on a graph node: a Graph pointer plus a NodeId.
// The static shape lives only in the type; the IR node holds the same dims at run time.
// Graph::input/param/constant (typed) are defined here.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>

#include "../core/dtype.hpp"
#include "../core/shape.hpp"
#include "graph.hpp"

namespace graft {

/// A typed symbolic value: `Var<float, Shape<64, 784>>`. Cheap to copy; valid while its Graph lives.
template <Element T, ShapeType S>
class Var {
public:
    using value_type = T;                         ///< element type of the value (float, double, int32_t, ...)
    using shape_type = S;                         ///< static Shape<...> of the value
    static constexpr std::size_t rank = S::rank;  ///< number of axes (0 for a scalar)

    /// An invalid handle (valid() is false); graph() throws until it is assigned a real Var.
    Var() = default;
    /// Wraps node `id` of `g`; does not check that the node's dtype and dims match T and S.
    Var(Graph& g, NodeId id) : g_(&g), id_(id) {}

    /// The graph the node lives in; throws graft::Error for a default-constructed Var.
    [[nodiscard]] Graph& graph() const {
        if (!g_) throw Error("Var", "a Var made by a Graph", "a default-constructed Var");
        return *g_;
    }
    /// The node's index in its graph (no_node for a default-constructed Var).
    [[nodiscard]] NodeId id() const noexcept { return id_; }
    /// The IR node this Var names; throws graft::Error for a default-constructed Var.
    [[nodiscard]] const Node& node() const { return graph().node(id_); }
    /// False for a default-constructed Var (no graph attached).
    [[nodiscard]] bool valid() const noexcept { return g_ != nullptr; }
    /// Give the node a name (shown in print, DOT and errors); returns *this for chaining.
    Var& named(std::string name) {
        graph().set_name(id_, std::move(name));
        return *this;
    }

private:
    Graph* g_ = nullptr;
    NodeId id_ = no_node;
};

/// True for Var<...>.
template <class X>
struct is_var : std::false_type {};
/// The Var<T, S> case of is_var.
template <class T, class S>
struct is_var<Var<T, S>> : std::true_type {};
/// A Var of any element type and shape (cv- and reference-qualified too).
template <class X>
concept VarType = is_var<std::remove_cvref_t<X>>::value;

namespace detail {
template <ShapeType S>
Dims dims_of() {
    return Dims(S::dims.begin(), S::dims.end());
}
}  // namespace detail

template <Element T, std::size_t... D>
Var<T, Shape<D...>> Graph::input(std::string name) {
    return {*this, input(std::move(name), dtype_of<T>, detail::dims_of<Shape<D...>>())};
}
template <Element T, std::size_t... D>
Var<T, Shape<D...>> Graph::param(std::string name, Init init) {
    static_assert(FloatElement<T>, "graft::Graph::param: parameters are float or double");
    return {*this, param(std::move(name), dtype_of<T>, detail::dims_of<Shape<D...>>(), init)};
}
template <class X>
    requires requires(const X& x) {
        typename X::value_type;
        typename X::shape_type;
        x.data();
    }
auto Graph::constant(const X& value, std::string name) {
    using T = std::remove_const_t<typename X::value_type>;
    using S = typename X::shape_type;
    return Var<T, S>(*this, constant(dtype_of<T>, detail::dims_of<S>(), value.data(), std::move(name)));
}

}  // namespace graft
