#!/usr/bin/env bash
# Builds gramlite and runs every test: the compiler-only core build that proves
# ir/format/runtime/zoo need no BLAS, OpenCV or libtorch; the same core cross-compiled for arm64 and
# tested under qemu (scripts/cross-arm64.sh); a short libFuzzer run of the model loader
# (plus its regression inputs); last, the full build with every label, slow ones included.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
# Each stage's header says how long the script has run, so a slow CI log shows where the time went.
stage() { printf '== [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$1"; }

stage "core build: only a C++ compiler and the FlatBuffers headers (no BLAS, XNNPACK, OpenCV, OpenSlide, libtorch)"
cmake -S . -B build-core -G Ninja -DCMAKE_BUILD_TYPE=Release -DGRAMLITE_WERROR=ON -DGRAMLITE_WITH_BLAS=OFF \
  -DGRAMLITE_WITH_OPENCV=OFF -DGRAMLITE_WITH_OPENSLIDE=OFF -DGRAMLITE_WITH_TORCH=OFF -DGRAMLITE_BUILD_INTEROP=OFF -DGRAMLITE_BUILD_CLI=OFF \
  -DGRAMLITE_WITH_XNNPACK=OFF
cmake --build build-core -j "$jobs"
ctest --test-dir build-core --output-on-failure -j "$jobs" -L fast

if [ "${GRAMLITE_SKIP_ARM64:-0}" != 1 ]; then
  stage "arm64: the core build cross-compiled, its fast tests under qemu-aarch64 (docs/arm64.md; GRAMLITE_SKIP_ARM64=1 skips)"
  scripts/cross-arm64.sh
fi

if command -v clang++ >/dev/null 2>&1; then
  stage "fuzzers: model loader and torch.save reader (clang, libFuzzer + ASan + UBSan)"
  CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRAMLITE_BUILD_FUZZERS=ON \
    -DGRAMLITE_BUILD_TESTS=OFF -DGRAMLITE_WITH_BLAS=OFF -DGRAMLITE_WITH_OPENCV=OFF -DGRAMLITE_WITH_TORCH=OFF -DGRAMLITE_BUILD_INTEROP=ON \
    -DGRAMLITE_BUILD_CLI=OFF
  cmake --build build-fuzz -j "$jobs"
  ctest --test-dir build-fuzz --output-on-failure -L fuzz
fi

stage "full build (warnings are errors)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGRAMLITE_WERROR=ON -DGRAMLITE_BUILD_BENCHMARKS=ON
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"
stage "done"
