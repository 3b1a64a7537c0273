#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/test.sh: builds and runs graft's whole test suite, the command the README and CI use.
#   1. Release build of tests, examples and benchmarks; every test in CTest (with the docs tests: the
#      pasted outputs of docs/ checked against the examples, and the Doxygen API reference without warnings).
#   2. The same tests built with ASan+UBSan (-O1, asserts on), unless GRAFT_SKIP_SANITIZE=1.
#   3. The concurrency room built with ThreadSanitizer (-O1, asserts on), unless GRAFT_SKIP_TSAN=1.
# OPENBLAS_* variables in the environment are passed through untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh dataset-fashion-mnist doxygen graphviz
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"
if [ "${GRAFT_SKIP_SANITIZE:-0}" != 1 ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
        -DGRAFT_SANITIZE=address,undefined -DGRAFT_BUILD_EXAMPLES=OFF -DGRAFT_BUILD_BENCHMARKS=OFF
  cmake --build build-asan -j "$jobs"
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE "package|compile_fail"
fi
if [ "${GRAFT_SKIP_TSAN:-0}" != 1 ]; then
  # Machines on many threads over one Program/ParamStore, concurrent compiles; a race report fails the test
  # (TSan's exit code 66). No suppressions: the distribution's OpenBLAS is not instrumented, so TSan sees
  # only graft's own accesses (and the pthread calls OpenBLAS makes), and it reports nothing there.
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
        -DGRAFT_SANITIZE=thread -DGRAFT_BUILD_EXAMPLES=OFF -DGRAFT_BUILD_BENCHMARKS=OFF
  cmake --build build-tsan -j "$jobs" --target graft_tests_concurrency
  ctest --test-dir build-tsan --output-on-failure -L concurrency
fi
