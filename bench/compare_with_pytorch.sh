#!/usr/bin/env bash
# gramlite's reference runtime against PyTorch (eager and torch.jit.freeze) on the same machine, in
# the same run: batch-1 latency of one architecture at 1 and 2 threads. The last column is the
# peer's median over gramlite's: above 1, gramlite is faster.
#   bench/compare_with_pytorch.sh [ARCH] [INPUT_SIZE] [RUNS]
# Kept for the README's eager / jit.freeze table. Against each peer at its strongest setting
# (PyTorch freeze + optimize_for_inference and onednn int8, ONNX Runtime, batch 16, rounds), on the
# same exported weights, use bench/peers/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-mobilenet_v2}
size=${2:-224}
runs=${3:-30}
gramlite=build/gramlite
[ -x "$gramlite" ] || { echo "build gramlite first (scripts/build.sh)" >&2; exit 1; }
mkdir -p out
model=out/bench_${arch}_${size}.gramlite
"$gramlite" zoo build "$arch" --classes 2 --input-size "$size" -o "$model" >/dev/null

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
printf '%-8s %-22s %12s %12s %18s\n' threads runtime median_ms p90_ms "this / gramlite"
for threads in 1 2; do
  g=$("$gramlite" bench "$model" --threads "$threads" --runs "$runs" --json)
  g_median=$(echo "$g" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["median_ms"])')
  g_p90=$(echo "$g" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["p90_ms"])')
  printf '%-8s %-22s %12.2f %12.2f %18s\n' "$threads" "gramlite reference" "$g_median" "$g_p90" "1.00"
  /usr/bin/python3 bench/torch_peer.py --arch "$arch" --input-size "$size" --threads "$threads" --runs "$runs" |
  while read -r line; do
    echo "$line" | /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.stdin.read()); g = float(sys.argv[1])
print("%-8s %-22s %12.2f %12.2f %18.2f" % (r["threads"], "pytorch " + r["mode"], r["median_ms"], r["p90_ms"], r["median_ms"] / g))
' "$g_median"
  done
done
