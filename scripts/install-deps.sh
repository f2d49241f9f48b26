#!/usr/bin/env bash
# Installs the Debian 12 packages gramlite needs to build, test and benchmark. Idempotent; run as
# root (or through sudo). Set GRAMLITE_DEPS=core for the compiler-only core build.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo -E "$0" "$@"; fi
  echo "install-deps.sh: run as root (apt-get needs it)" >&2
  exit 1
fi

core=(build-essential cmake ninja-build pkg-config libflatbuffers-dev flatbuffers-compiler libgtest-dev libgmock-dev)
# ocl-icd-opencl-dev: Debian's oneDNN CMake package finds OpenCL (only a Recommends of libdnnl-dev,
# which --no-install-recommends leaves out; without it configuring fails on a bare machine).
full=(libxnnpack-dev libpthreadpool-dev libdnnl-dev ocl-icd-opencl-dev libopenblas-dev libtorch-dev libopencv-dev libpng-dev libjpeg-dev libopenslide-dev openslide-tools libtiff-dev libcli11-dev nlohmann-json3-dev libbenchmark-dev clang libclang-rt-14-dev
      libonnx-dev python3 python3-torch python3-torchvision python3-numpy python3-onnx)

packages=("${core[@]}")
if [ "${GRAMLITE_DEPS:-full}" != core ]; then packages+=("${full[@]}"); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all ${#packages[@]} packages already installed"
else
  echo "install-deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime, the peer the ONNX export tests and benchmarks compare with (its native library ships
# inside the npm package), into third_party_peers/ (git ignores it). Best effort: without it those
# tests skip with the reason. GRAMLITE_PEERS=none leaves it out. Node.js and npm are not installed
# here (the machines this runs on bring their own; Debian's npm conflicts with them).
if [ "${GRAMLITE_DEPS:-full}" != core ] && [ "${GRAMLITE_PEERS:-ort}" != none ] && command -v npm >/dev/null 2>&1; then
  peers="$(cd "$(dirname "$0")/.." && pwd)/third_party_peers"
  if [ ! -d "$peers/node_modules/onnxruntime-node" ]; then
    mkdir -p "$peers"
    (cd "$peers" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error onnxruntime-node) ||
      echo "install-deps.sh: onnxruntime-node could not be installed; the ONNX Runtime tests will skip" >&2
  fi
fi
