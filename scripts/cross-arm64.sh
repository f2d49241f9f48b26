#!/usr/bin/env bash
# Cross-compiles the core build (base, ir, format, runtime and its fast backend, zoo, report,
# compress: no BLAS, OpenCV, OpenSlide, libtorch, interop, CLI) for Linux arm64 and runs its `fast`
# tests under qemu-aarch64 (docs/arm64.md). Installs what it needs first (idempotent; apt-get as root):
#   crossbuild-essential-arm64, qemu-user, and through Debian multiarch (arm64 added to dpkg)
#   libgtest-dev:arm64, libgmock-dev:arm64, libcpuinfo-dev:arm64;
#   libxnnpack-dev/libxnnpack0/libpthreadpool-dev/libpthreadpool0 for arm64 are not Multi-Arch
#   (installing them would remove the amd64 ones, and libtorch with them): downloaded with
#   apt-get download and unpacked into build-arm64-root/ (cmake/toolchain-aarch64-linux-gnu.cmake).
# Environment: QEMU_CPU (the emulated CPU, read by qemu; default here max: Armv8 with fp16
# arithmetic; cortex-a72 has none),
# GRAMLITE_ARM64_TESTS (a ctest -R regex; default every `fast` test), CMAKE_ARGS (extra cmake arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -E "$@"; fi; }
stamp() { date +%s; }
t0=$(stamp)

echo "== arm64: toolchain, qemu and arm64 packages"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  as_root dpkg --add-architecture arm64
  as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
fi
packages=(crossbuild-essential-arm64 qemu-user file libgtest-dev:arm64 libgmock-dev:arm64 libcpuinfo-dev:arm64)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "cross-arm64.sh: installing ${missing[*]}"
  as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
  as_root apt-get install "${apt_opts[@]}" "${missing[@]}"
fi
arm64_root="$root_dir/build-arm64-root"
unpacked=(libxnnpack-dev libxnnpack0 libpthreadpool-dev libpthreadpool0)
if [ ! -e "$arm64_root/.unpacked" ]; then
  rm -rf "$arm64_root" && mkdir -p "$arm64_root/debs"
  (cd "$arm64_root/debs" && apt-get download "${unpacked[@]/%/:arm64}")
  for deb in "$arm64_root"/debs/*.deb; do dpkg-deb -x "$deb" "$arm64_root"; done
  touch "$arm64_root/.unpacked"
fi
t1=$(stamp)

echo "== arm64: core build (cross, aarch64-linux-gnu-g++)"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# shellcheck disable=SC2086
cmake -S . -B build-arm64 -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root_dir/cmake/toolchain-aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DGRAMLITE_WERROR=ON -DGRAMLITE_WITH_BLAS=OFF -DGRAMLITE_WITH_OPENCV=OFF \
  -DGRAMLITE_WITH_OPENSLIDE=OFF -DGRAMLITE_WITH_TORCH=OFF -DGRAMLITE_BUILD_INTEROP=OFF -DGRAMLITE_BUILD_CLI=OFF \
  -DGRAMLITE_WITH_XNNPACK=ON "${launcher[@]}" ${CMAKE_ARGS:-}
cmake --build build-arm64 -j "$jobs"
for exe in build-arm64/tests/*/gramlite_*_tests; do
  file -b "$exe" | grep -q "ARM aarch64" || { echo "cross-arm64.sh: $exe is not an aarch64 executable" >&2; exit 1; }
done
t2=$(stamp)

export QEMU_CPU=${QEMU_CPU:-max}
echo "== arm64: fast tests under $(qemu-aarch64 --version | head -1), QEMU_CPU=$QEMU_CPU"
select=()
if [ -n "${GRAMLITE_ARM64_TESTS:-}" ]; then select=(-R "$GRAMLITE_ARM64_TESTS"); fi
ctest --test-dir build-arm64 --output-on-failure -j "$jobs" -L fast --timeout 600 "${select[@]}"
t3=$(stamp)
echo "cross-arm64.sh: packages $((t1 - t0)) s, build $((t2 - t1)) s, tests $((t3 - t2)) s"
