// SPDX-License-Identifier: MIT
// tests/core/error_test.cpp: graft::Error says where, what was expected and what was found, in one line.
#include <catch2/catch.hpp>
#include <graft/core.hpp>

#include <stdexcept>
#include <string>
#include <type_traits>

using namespace graft;

TEST_CASE("Error(where, expected, found) formats one searchable line", "[core][error]") {
    const Error e("Machine::let(\"x\")", "f32 Shape<64,784>", "f32 Shape<32,784>");
    CHECK(std::string(e.what()) ==
          "graft::Error: Machine::let(\"x\"): expected f32 Shape<64,784>, found f32 Shape<32,784>");
    CHECK(e.where() == "Machine::let(\"x\")");
    CHECK(e.expected() == "f32 Shape<64,784>");
    CHECK(e.found() == "f32 Shape<32,784>");
}

TEST_CASE("Error(where, message) has no expected/found pair", "[core][error]") {
    const Error e("read_idx: /tmp/x.idx", "cannot open file");
    CHECK(std::string(e.what()) == "graft::Error: read_idx: /tmp/x.idx: cannot open file");
    CHECK(e.where() == "read_idx: /tmp/x.idx");
    CHECK(e.expected().empty());
    CHECK(e.found().empty());
}

TEST_CASE("Error is a std::runtime_error and can be caught as std::exception", "[core][error]") {
    STATIC_REQUIRE(std::is_base_of_v<std::runtime_error, Error>);
    bool caught = false;
    try {
        throw Error("here", "1", "2");
    } catch (const std::exception& e) {
        caught = std::string(e.what()).find("expected 1, found 2") != std::string::npos;
    }
    CHECK(caught);
}

TEST_CASE("a copied Error keeps its message and fields", "[core][error]") {
    const Error a("where", "this", "that");
    const Error b = a;  // NOLINT(performance-unnecessary-copy-initialization): the copy is what is tested
    CHECK(std::string(b.what()) == a.what());
    CHECK(b.where() == "where");
    CHECK(b.expected() == "this");
    CHECK(b.found() == "that");
}

TEST_CASE("CHECK_THROWS_MATCHES sees graft::Error with its text", "[core][error]") {
    CHECK_THROWS_MATCHES(throw Error("f", "x", "y"), Error, Catch::Matchers::Message("graft::Error: f: expected x, found y"));
}
