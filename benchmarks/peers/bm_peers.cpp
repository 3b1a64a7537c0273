// SPDX-License-Identifier: MIT
// benchmarks/peers/bm_peers.cpp: main() of the peer benchmark (workloads and sides: peers.hpp).
//   bm_peers [--tuned-malloc] [Google Benchmark flags]
// --tuned-malloc registers only the LibTorch side, named "torch_tuned", after setting glibc malloc so that
// freed blocks stay in the heap (no mmap per large tensor, no trimming): LibTorch's eager allocations then
// stop page-faulting. graft and the hand-written side allocate nothing per step, so they run in the default
// process only. benchmarks/run_all.sh runs both processes and writes docs/benchmarks.md.
#include <cblas.h>
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "peers.hpp"

namespace peers {
void set_threads(int n) { openblas_set_num_threads(n); }
}  // namespace peers

int main(int argc, char** argv) {
    std::vector<char*> args;
    bool tuned = false;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--tuned-malloc") == 0) tuned = true;
        else args.push_back(argv[i]);
    }
    if (tuned) {
        // the largest mmap threshold glibc accepts on 64-bit (32 MiB): every CNN tensor stays in the heap
        if (mallopt(M_MMAP_THRESHOLD, 32 << 20) != 1 || mallopt(M_TRIM_THRESHOLD, 1 << 30) != 1 ||
            mallopt(M_TOP_PAD, 256 << 20) != 1) {
            std::fprintf(stderr, "bm_peers: mallopt refused the tuned settings\n");
            return 1;
        }
    }
#ifdef GRAFT_PEERS_TORCH
    peers::register_torch(tuned ? "torch_tuned" : "torch");
#else
    if (tuned) {
        std::fprintf(stderr, "bm_peers: built without LibTorch, --tuned-malloc has nothing to run\n");
        return 1;
    }
#endif
    if (!tuned) {
        peers::register_graft();
        peers::register_hand();
    }
    int n = int(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
