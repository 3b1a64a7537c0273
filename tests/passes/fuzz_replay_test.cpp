// SPDX-License-Identifier: MIT
// tests/passes/fuzz_replay_test.cpp: every seed of the graph-builder fuzz target and every input a fuzzing
// run saved (tests/fuzz/corpus/graph/, tests/fuzz/regressions/graph/) run through graft_fuzz::graph_one:
// Graph::add builds or refuses each call with graft::Error; the graph verifies; compiled without and with
// passes::standard() it computes what reference::evaluate computes, and so does its gradient.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/targets.hpp"

namespace {

std::vector<std::filesystem::path> graph_fuzz_inputs() {
    namespace fs = std::filesystem;
    const fs::path root = fs::path(__FILE__).parent_path().parent_path() / "fuzz";
    std::vector<fs::path> files;
    for (const char* kind : {"corpus", "regressions"}) {
        const fs::path dir = root / kind / "graph";
        if (!fs::is_directory(dir)) continue;
        for (const auto& e : fs::directory_iterator(dir))
            if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

TEST_CASE("fuzz seeds and saved findings: random Graph::add programs build or refuse, and compile to the reference values", "[passes][fuzz]") {
    std::size_t n = 0;
    for (const auto& p : graph_fuzz_inputs()) {
        INFO("fuzz input " << p.string());
        std::ifstream in(p, std::ios::binary);
        const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        try {
            graft_fuzz::graph_one(bytes.data(), bytes.size());
        } catch (const graft_fuzz::Failure& f) {
            FAIL(f.what());
        }
        ++n;
    }
    CHECK(n >= 24);
}
