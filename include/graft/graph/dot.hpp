// SPDX-License-Identifier: MIT
// graft/graph/dot.hpp: to_dot(g), the graph as Graphviz DOT: op, name and shape on each node;
// inputs, params and constants drawn distinctly. Render with `dot -Tsvg graph.dot -o graph.svg`.
#pragma once

#include <string>
#include <vector>

#include "graph.hpp"
#include "print.hpp"

namespace graft {

namespace detail {
inline std::string dot_escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
    }
    return o;
}
}  // namespace detail

/// Options for to_dot: a title, and the ids to highlight as outputs (drawn with a double border).
struct DotOptions {
    std::string title;             ///< drawn above the graph
    std::vector<NodeId> outputs;   ///< drawn with a double border
    /// Nodes with this id or above are drawn filled blue: pass the graph's size() before grad() to
    /// tell the reverse sweep from the forward graph. no_node (the default) colours nothing.
    NodeId backward_from = no_node;
};

/// Graphviz DOT text for the graph. Inputs are green ellipses, params orange boxes, constants grey
/// notes, ops white boxes; edges run from operand to user.
inline std::string to_dot(const Graph& g, const DotOptions& opt = {}) {
    std::string s = "digraph graft {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
    if (!opt.title.empty()) s += "  label=\"" + detail::dot_escape(opt.title) + "\";\n  labelloc=t;\n";
    for (const auto& n : g.nodes()) {
        std::string label = "%";  // built by appending: `"%" + to_string()` trips GCC 12's -Wrestrict at -O2
        label += std::to_string(n.id) + " " + std::string(op_name(n.op));
        if (!n.name.empty()) label += "\\n" + detail::dot_escape(n.name);
        std::string at = detail::dot_escape(detail::attrs_text(n));
        if (n.op == OpKind::fused)  // one program step per line
            for (std::size_t p = at.find("; "); p != std::string::npos; p = at.find("; ", p)) at.replace(p, 2, "\\n");
        if (!at.empty()) label += "\\n" + at;
        label += "\\n" + std::string(dtype_name(n.dtype)) + detail::dims_text(n.dims);
        std::string style;
        switch (n.op) {
            case OpKind::input: style = "shape=ellipse, style=filled, fillcolor=\"#c8e6c9\""; break;
            case OpKind::param: style = "shape=box, style=\"filled,rounded\", fillcolor=\"#ffe0b2\""; break;
            case OpKind::constant: style = "shape=note, style=filled, fillcolor=\"#eeeeee\""; break;
            default: style = "shape=box"; break;
        }
        if (opt.backward_from != no_node && n.id >= opt.backward_from && n.op != OpKind::input && n.op != OpKind::param)
            style = (n.op == OpKind::constant ? "shape=note" : "shape=box") + std::string(", style=filled, fillcolor=\"#bbdefb\"");
        for (NodeId o : opt.outputs)
            if (o == n.id) style += ", peripheries=2";
        s += "  n" + std::to_string(n.id) + " [label=\"" + label + "\", " + style + "];\n";
    }
    for (const auto& n : g.nodes())
        for (NodeId i : n.inputs) s += "  n" + std::to_string(i) + " -> n" + std::to_string(n.id) + ";\n";
    return s + "}\n";
}

}  // namespace graft
