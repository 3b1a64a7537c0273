#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# benchmarks/run_all.sh: builds every benchmark (Release, -march=native), runs each with repetitions and writes
# docs/benchmarks.md (tables, ratios, machine, compile times) from the results of this one run.
#   benchmarks/run_all.sh              everything: bm_peers (graft, hand-written, LibTorch) + every bm_* program
#   REPS=5 benchmarks/run_all.sh       repetitions per benchmark (default 5)
#   QUICK=1 benchmarks/run_all.sh      bm_peers and compile times only (the other programs are skipped)
#   NO_TORCH=1 benchmarks/run_all.sh   do not install or build the LibTorch side
#   BUILD=dir benchmarks/run_all.sh    build directory (default build-bench; reconfigured without tests/examples)
# Installs what it needs (tools/deps.sh; libtorch-dev unless NO_TORCH=1, python3 for the report).
# OPENBLAS_* variables in the environment are passed through untouched. Run it on a quiet machine: the
# ratios are measured side by side, but a busy machine still moves them.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${REPS:-5}
extra=(python3)
if [ "${NO_TORCH:-0}" != 1 ]; then extra+=(libtorch-dev); fi
tools/deps.sh "${extra[@]}"

build=${BUILD:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGRAFT_BUILD_TESTS=OFF -DGRAFT_BUILD_EXAMPLES=OFF \
      -DGRAFT_PEERS_TORCH="$([ "${NO_TORCH:-0}" = 1 ] && echo OFF || echo ON)"
cmake --build "$build" -j "$(nproc)"

res="$build/results"
rm -rf "$res"
mkdir -p "$res"

# ------------------------------------------------------------------ the machine
{
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f)$' | tr '\n' ' ')"
  echo "Memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo); OS: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "Compiler: $(g++ --version | head -1)"
  for p in libopenblas0-pthread libopenblas0-openmp libeigen3-dev libbenchmark-dev libtorch-dev; do
    v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
    [ -n "$v" ] && echo "$p $v"
  done
  echo "Environment: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}, OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-unset}"
  echo "Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "Date: $(date -u +%Y-%m-%dT%H:%MZ); graft $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
  echo "Repetitions: $reps per benchmark, in random order$([ "${QUICK:-0}" = 1 ] && echo '; QUICK=1: bm_peers and compile times only')"
} > "$res/machine.txt"
cat "$res/machine.txt"

# ------------------------------------------------------------------ peers
# random interleaving: the repetitions of every benchmark are spread over the run in random order, so a drift of
# the machine (another VM's load, clock changes) falls on all sides alike instead of on whichever ran then
gb=(--benchmark_repetitions="$reps" --benchmark_enable_random_interleaving=true --benchmark_display_aggregates_only=true
    --benchmark_out_format=json)
"$build/benchmarks/peers/bm_peers" "${gb[@]}" --benchmark_out="$res/peers.json"
if "$build/benchmarks/peers/bm_peers" --benchmark_list_tests=true 2>/dev/null | grep -q '/torch/'; then
  # LibTorch as tuned as it gets from outside: malloc keeps freed memory (bm_peers --tuned-malloc) and
  # OpenMP threads sleep instead of spinning against OpenBLAS's own pool when both are active.
  OMP_WAIT_POLICY=passive "$build/benchmarks/peers/bm_peers" --tuned-malloc "${gb[@]}" --benchmark_out="$res/peers_torch_tuned.json"
fi

# ------------------------------------------------------------------ compile time
inc=(-Iinclude -isystem /usr/include/eigen3)
ct="$res/compile_times.tsv"
tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT
printf '#include <graft/graft.hpp>\nint main() { return 0; }\n' > "$tmpdir/graft_only.cpp"
measure() {  # name, then the compile command; three runs
  local name=$1; shift
  local line="$name"
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" -o "$tmpdir/x.o"
    t1=$(date +%s.%N)
    line+=$'\t'$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  done
  echo "$line" >> "$ct"
}
measure "a file including graft/graft.hpp only" g++ -O2 -std=c++20 -march=native "${inc[@]}" -c "$tmpdir/graft_only.cpp"
measure "examples/fashion_mnist_mlp.cpp (the MLP flagship)" g++ -O2 -std=c++20 -march=native "${inc[@]}" -DGRAFT_HAS_ZLIB -c examples/fashion_mnist_mlp.cpp
if [ -d /usr/include/torch/csrc/api/include ]; then
  measure "benchmarks/peers/compile_time/torch_mlp_train.cpp (LibTorch's equivalent)" \
    g++ -O2 -std=c++20 -isystem /usr/include/torch/csrc/api/include -c benchmarks/peers/compile_time/torch_mlp_train.cpp
fi

# ------------------------------------------------------------------ the other programs
if [ "${QUICK:-0}" != 1 ]; then
  for bm in "$build"/benchmarks/bm_*; do
    [ -x "$bm" ] || continue
    name=$(basename "$bm")
    echo "== $name"
    "$bm" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true | tee "$res/$name.txt"
  done
fi

python3 benchmarks/report.py "$res" > docs/benchmarks.md.tmp
mv docs/benchmarks.md.tmp docs/benchmarks.md
echo "run_all.sh: wrote docs/benchmarks.md"
