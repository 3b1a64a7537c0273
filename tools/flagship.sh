#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/flagship.sh: builds and runs graft's flagship example (README Quick start, command a).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh dataset-fashion-mnist
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)" --target fashion_mnist_mlp
./build/examples/fashion_mnist_mlp --out build/fashion_mnist "$@"
