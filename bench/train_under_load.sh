#!/usr/bin/env bash
# Epoch times of a tiny `gramlite train` while another process keeps one core busy (`yes > /dev/null`),
# to show whether libtorch's OpenMP workers collapse under load (spinning workers that wait for a
# descheduled peer burn their time slices; passive waiting gives the core back).
#   bench/train_under_load.sh [GRAMLITE] [EPOCHS] [BUSY]
# GRAMLITE: the binary (default build/gramlite); EPOCHS (default 3); BUSY: competing busy loops
# (default 1). Environment: THREADS (default 2; "default" leaves --threads out), SIZE (64),
# PER_CLASS (60), ROUNDS (2: runs of the same command, each printing its epoch times).
# Not a test: the numbers depend on the machine and on whatever else runs on it.
set -euo pipefail
cd "$(dirname "$0")/.."
gramlite=$(realpath "${1:-build/gramlite}")
epochs=${2:-3}
busy=${3:-1}
threads=${THREADS:-2}
size=${SIZE:-64}
per_class=${PER_CLASS:-60}
rounds=${ROUNDS:-2}

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$gramlite" synth tiles --out "$work/data" --task gram2 --per-class "$per_class" --size "$size" --seed 3 \
  --threads 2 >/dev/null
for _ in $(seq "$busy"); do
  yes >/dev/null &
  pids+=($!)
done
thread_flag=()
[ "$threads" = default ] || thread_flag=(--threads "$threads")
echo "binary $gramlite, threads ${threads}, ${busy} busy loop(s), $(nproc) cores, OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset}"
for round in $(seq "$rounds"); do
  start=$(date +%s.%N)
  "$gramlite" train --arch mobilenet_v2 --alpha 0.35 --input-size "$size" --batch 16 "${thread_flag[@]}" \
    --data "$work/data" --epochs "$epochs" --seed 1 -o "$work/m.gramlite" 2>/dev/null |
    grep -E '^(train|epoch)' | sed -E 's/.*(epoch [0-9]+\/[0-9]+).*  ([0-9.]+ s).*/\1  \2/; s/^train .*(batch [0-9]+, [0-9]+ threads?).*/\1/'
  end=$(date +%s.%N)
  echo "round $round: $(echo "$end - $start" | bc) s wall"
done
