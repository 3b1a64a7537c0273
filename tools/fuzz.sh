#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/fuzz.sh [seconds] [target...]: builds graft's libFuzzer targets with clang
# (-fsanitize=fuzzer,address,undefined) and runs each for `seconds` (default 60) from its seed corpus
# tests/fuzz/corpus/<target>/. Targets: idx idx_gz safetensors csv graph (default: all). Not part of
# tools/test.sh (the test suites replay every seed and saved crash instead); run it before a release,
# or `tools/fuzz.sh 600` for the ten-minute runs.
#   JOBS=n       parallel fuzzing processes per target (libFuzzer -fork; default 1)
#   BUILD=dir    build directory (default build-fuzz)
#   CXX, CC      the clang to use (default clang++, clang)
# A crash is copied to tests/fuzz/regressions/<target>/ (add it to git: the replay tests then run it
# forever) and the script exits 1. Each target's last libFuzzer status line is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(idx idx_gz safetensors csv graph)
build=${BUILD:-build-fuzz}
jobs=${JOBS:-1}
clang_pkgs=(clang)
command -v "${CXX:-clang++}" >/dev/null || tools/deps.sh "${clang_pkgs[@]}"
tools/deps.sh
# libFuzzer ships in clang's runtime package on Debian 12 / Ubuntu (libclang-rt-<ver>-dev)
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' |
     "${CXX:-clang++}" -x c++ -fsanitize=fuzzer - -o /tmp/graft-fuzz-probe.$$ 2>/dev/null; then
  ver=$("${CXX:-clang++}" --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
  tools/deps.sh "libclang-rt-${ver}-dev"
fi
rm -f /tmp/graft-fuzz-probe.$$
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="${CXX:-clang++}" -DCMAKE_C_COMPILER="${CC:-clang}" -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DGRAFT_BUILD_FUZZERS=ON -DGRAFT_BUILD_TESTS=OFF \
      -DGRAFT_BUILD_EXAMPLES=OFF -DGRAFT_BUILD_BENCHMARKS=OFF -DGRAFT_INSTALL=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"
status=0
summary=()
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  art="$build/artifacts/$t/"
  mkdir -p "$work" "$art"
  log="$build/fuzz_$t.log"
  echo "== fuzz_$t for ${seconds}s (log: $log)"
  fork=()
  if ((jobs > 1)); then fork=(-fork="$jobs" -ignore_crashes=0); fi
  set +e
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len=8192 \
      -print_final_stats=1 -artifact_prefix="$art" "${fork[@]}" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  line=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  summary+=("$t: rc=$rc execs=${execs:-?} exec/s=${rate:-?} | $line")
  if ((rc != 0)); then
    status=1
    mkdir -p "tests/fuzz/regressions/$t"
    for f in "$art"*; do
      [ -e "$f" ] || continue
      cp "$f" "tests/fuzz/regressions/$t/"
      echo "fuzz_$t: finding saved as tests/fuzz/regressions/$t/$(basename "$f")"
    done
    tail -40 "$log"
  fi
done
printf '%s\n' "== summary (${seconds}s per target)" "${summary[@]}"
exit $status
