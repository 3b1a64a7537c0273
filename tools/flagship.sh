#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/flagship.sh: builds and runs graft's flagship example (README Quick start, command a).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)" --target matrix_add
./build/examples/matrix_add "$@"
