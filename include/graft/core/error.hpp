// SPDX-License-Identifier: MIT
// graft/core/error.hpp: graft::Error, the one exception type of the library.
// Every run-time failure says where it happened, what was expected and what was found,
// in one searchable line: "graft::Error: Machine::let("x"): expected f32 Shape<64,784>, found f32 Shape<32,784>".
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace graft {

/// The exception graft throws for anything only known at run time (files, untyped graphs, bindings).
class Error : public std::runtime_error {
public:
    /// A message without the expected/found pair, e.g. for I/O failures.
    Error(std::string where, std::string message)
        : std::runtime_error("graft::Error: " + where + ": " + message), where_(std::move(where)) {}

    /// The usual form: where, what was expected, what was found.
    Error(std::string where, std::string expected, std::string found)
        : std::runtime_error("graft::Error: " + where + ": expected " + expected + ", found " + found),
          where_(std::move(where)), expected_(std::move(expected)), found_(std::move(found)) {}

    /// Where the failure happened, e.g. `Machine::let("x")`.
    [[nodiscard]] const std::string& where() const noexcept { return where_; }
    /// What was expected; empty for the two-argument (message-only) form.
    [[nodiscard]] const std::string& expected() const noexcept { return expected_; }
    /// What was found instead; empty for the two-argument (message-only) form.
    [[nodiscard]] const std::string& found() const noexcept { return found_; }

private:
    std::string where_;
    std::string expected_;
    std::string found_;
};

}  // namespace graft
