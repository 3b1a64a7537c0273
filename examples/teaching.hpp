// SPDX-License-Identifier: MIT
// examples/teaching.hpp: what the numbered teaching examples share — their command line and their pictures.
//
// Every teaching example takes `--dot DIR`. Without it the example only prints (its output is stored in
// examples/expected/ and checked by the docs tests). With it, the example also writes its graphs into DIR as
// Graphviz DOT files, and as SVG when the `dot` program is installed:
//   <example>.forward.dot    the graph the program built
//   <example>.backward.dot   the same graph after grad(): the reverse sweep filled blue
//   <example>.passes.dot     the graph after passes::standard(), as compile() would run it
// The "wrote ..." lines go to stderr, so stdout is the same with and without --dot.
#pragma once

#include <graft/graft.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <span>
#include <string>
#include <vector>

namespace teaching {

/// The command line of a teaching example and the pictures it writes.
class Pictures {
public:
    /// Parses `--dot DIR` (and `--help`); anything else is an error that prints the usage and exits with 2.
    Pictures(std::string example, int argc, char** argv) : example_(std::move(example)) {
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            if (a == "--dot" && i + 1 < argc) {
                dir_ = argv[++i];
            } else {
                std::cerr << (a == "--help" ? "" : "unknown argument '" + a + "'\n") << "usage: " << example_
                          << " [--dot DIR]\n  --dot DIR  also write the graphs as DOT (and SVG when Graphviz is installed) into DIR\n";
                std::exit(a == "--help" ? 0 : 2);
            }
        }
        if (!dir_.empty()) std::filesystem::create_directories(dir_);
    }

    /// For programs with their own command line: `dir` is the value of their --dot option (empty: off).
    Pictures(std::string example, std::string dir) : example_(std::move(example)), dir_(std::move(dir)) {
        if (!dir_.empty()) std::filesystem::create_directories(dir_);
    }

    /// True when --dot was given.
    [[nodiscard]] bool enabled() const noexcept { return !dir_.empty(); }

    /// Writes `g` as <example>.<what>.dot; `outputs` get a double border, nodes from `backward_from` on
    /// are filled blue.
    void write(const std::string& what, const std::string& title, const graft::Graph& g, std::vector<graft::NodeId> outputs,
               graft::NodeId backward_from = graft::no_node) const {
        if (!enabled()) return;
        graft::DotOptions o;
        o.title = title;
        o.outputs = std::move(outputs);
        o.backward_from = backward_from;
        const std::string text = graft::to_dot(g, o);
        const std::string path = (std::filesystem::path(dir_) / (example_ + "." + what + ".dot")).string();
        graft::io::atomic_write(path, std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
        std::clog << "wrote " << path << '\n';
        if (std::system("command -v dot > /dev/null 2>&1") != 0) return;
        const std::string svg = path.substr(0, path.size() - 4) + ".svg";
        if (std::system(("dot -Tsvg '" + path + "' -o '" + svg + "'").c_str()) == 0) std::clog << "wrote " << svg << '\n';
        else std::clog << "dot could not render " << path << '\n';
    }

    /// The forward graph (call before grad()).
    void forward(const graft::Graph& g, std::vector<graft::NodeId> outputs, const std::string& title = "forward") const {
        write("forward", title, g, std::move(outputs));
    }

    /// The graph after grad(): `first_backward` is g.size() taken just before grad() was called.
    void backward(const graft::Graph& g, std::vector<graft::NodeId> outputs, graft::NodeId first_backward,
                  const std::string& title = "forward + backward (reverse sweep in blue)") const {
        write("backward", title, g, std::move(outputs), first_backward);
    }

    /// A copy of `g` optimized by passes::standard(), as compile() runs it; `outputs` are the values kept.
    void after_passes(const graft::Graph& g, std::vector<graft::NodeId> outputs, const std::string& title = "after passes::standard()") const {
        if (!enabled()) return;
        graft::Graph copy = g;
        graft::optimize(copy, outputs, graft::passes::standard());
        write("passes", title, copy, std::move(outputs));
    }

private:
    std::string example_;
    std::string dir_;
};

}  // namespace teaching
