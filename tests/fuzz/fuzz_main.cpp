// SPDX-License-Identifier: MIT
// tests/fuzz/fuzz_main.cpp: the libFuzzer driver of every target, compiled once per target with
// GRAFT_FUZZ_TARGET naming it (idx, idx_gz, safetensors, csv, graph; tests/fuzz/CMakeLists.txt): it calls
// graft_fuzz::<target>_one (tests/fuzz/targets.hpp says what each checks) and aborts on a broken property.
// Build and run: tools/fuzz.sh [seconds] [target...]
#include <cstdio>
#include <cstdlib>

#include "targets.hpp"

#ifndef GRAFT_FUZZ_TARGET
#error "compile with -DGRAFT_FUZZ_TARGET=<target> (tests/fuzz/CMakeLists.txt does)"
#endif
#define GRAFT_FUZZ_CAT2(a, b) a##b
#define GRAFT_FUZZ_CAT(a, b) GRAFT_FUZZ_CAT2(a, b)
#define GRAFT_FUZZ_STR2(a) #a
#define GRAFT_FUZZ_STR(a) GRAFT_FUZZ_STR2(a)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        graft_fuzz::GRAFT_FUZZ_CAT(GRAFT_FUZZ_TARGET, _one)(data, size);
    } catch (const graft_fuzz::Failure& f) {
        std::fprintf(stderr, "graft fuzz target %s: %s\n", GRAFT_FUZZ_STR(GRAFT_FUZZ_TARGET), f.what());
        std::abort();
    }
    return 0;  // any other exception escapes: libFuzzer reports it as a crash
}
