#!/usr/bin/env bash
# Configures and builds gramlite into ./build (Release, every part this machine has packages for).
# Extra arguments go to CMake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGRAMLITE_BUILD_BENCHMARKS=ON "$@"
cmake --build build -j "$jobs"
