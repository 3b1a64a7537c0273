// SPDX-License-Identifier: MIT
// tests/fuzz/fuzz_graph.cpp: libFuzzer driver of graft_fuzz::graph_one (tests/fuzz/targets.hpp says what it checks).
// Build and run: tools/fuzz.sh [seconds] [target...]
#include <cstdio>
#include <cstdlib>

#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        graft_fuzz::graph_one(data, size);
    } catch (const graft_fuzz::Failure& f) {
        std::fprintf(stderr, "graft fuzz target graph: %s\n", f.what());
        std::abort();
    }
    return 0;  // any other exception escapes: libFuzzer reports it as a crash
}
