#!/usr/bin/env bash
# Training throughput of gramlite's libtorch path (build-bench/bench/train_throughput_bench) against
# PyTorch (bench/torch_train_peer.py) on the same machine, in the same run: images/s of a full
# training step (forward, cross-entropy, backward, Adam) of MobileNetV2 (alpha 1.0, 2 classes),
# batch 32, at 96x96 and 224x224, 1 and 2 threads. The two peers run alternately, ROUNDS times each
# (who goes first alternates too), and each cell is the median of the per-process medians, to damp
# the noise of a shared machine. The last column is gramlite / PyTorch: above 1, gramlite is faster.
#   bench/compare_training_with_pytorch.sh [ROUNDS] [STEPS] [REPEATS]
# Environment: BUILD_DIR (default build-bench), SIZES ("96 224"), THREADS ("1 2"), BATCH (32),
# SKIP_BUILD=1 to use the binary as it is, MALLOC=retain to run both peers with glibc's malloc told to
# keep freed memory (no mmap for big blocks, no trimming): by default every step's activations
# (tens of MB each) are mmap'd, page-faulted in and unmapped again, which costs both peers about
# half their time; "retain" shows the compute alone.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
steps=${2:-3}
repeats=${3:-3}
build_dir=${BUILD_DIR:-build-bench}
sizes=${SIZES:-"96 224"}
thread_counts=${THREADS:-"1 2"}
batch=${BATCH:-32}
python=/usr/bin/python3
if [ "${MALLOC:-default}" = retain ]; then
  export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  [ -f "$build_dir/CMakeCache.txt" ] ||
    cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGRAMLITE_BUILD_BENCHMARKS=ON >/dev/null
  cmake --build "$build_dir" -j2 --target train_throughput_bench >/dev/null
fi
bench=$build_dir/bench/train_throughput_bench
[ -x "$bench" ] || { echo "no $bench (is libtorch found? GRAMLITE_BUILD_BENCHMARKS=ON?)" >&2; exit 1; }

median_of() { "$python" -c 'import statistics, sys; print("%.2f" % statistics.median(float(v) for v in sys.argv[1:]))' "$@"; }
rate_of() { "$python" -c 'import json, sys; print("%.2f" % json.loads(sys.stdin.readline())["median_images_per_s"])'; }

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores;" \
  "torch $("$python" -c 'import torch; print(torch.__version__)')"
echo "mobilenet_v2 alpha 1.0, 2 classes, batch $batch, Adam lr 1e-3; $rounds rounds x $repeats repeats x $steps steps;" \
  "malloc: ${MALLOC:-default}"
printf '%-6s %-8s %16s %16s %18s\n' size threads "gramlite img/s" "pytorch img/s" "gramlite/pytorch"
for size in $sizes; do
  for threads in $thread_counts; do
    args=(--input-size "$size" --threads "$threads" --batch "$batch" --steps "$steps" --repeats "$repeats" --warmup 2)
    g_rates=() p_rates=()
    for ((round = 0; round < rounds; ++round)); do
      if ((round % 2 == 0)); then
        g_rates+=("$("$bench" "${args[@]}" | rate_of)")
        p_rates+=("$("$python" bench/torch_train_peer.py "${args[@]}" | rate_of)")
      else
        p_rates+=("$("$python" bench/torch_train_peer.py "${args[@]}" | rate_of)")
        g_rates+=("$("$bench" "${args[@]}" | rate_of)")
      fi
    done
    g=$(median_of "${g_rates[@]}")
    p=$(median_of "${p_rates[@]}")
    printf '%-6s %-8s %16s %16s %18s\n' "$size" "$threads" "$g" "$p" \
      "$("$python" -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$g" "$p")"
    echo "  runs: gramlite ${g_rates[*]} | pytorch ${p_rates[*]} | load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  done
done
