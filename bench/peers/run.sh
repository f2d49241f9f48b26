#!/usr/bin/env bash
# gramlite against ONNX Runtime and PyTorch on the SAME model, side by side in one run, each peer at
# its strongest CPU setting; prints each peer's median over gramlite's (above 1: gramlite is faster).
#
#   bench/peers/run.sh [--quick] [--models ARCH:SIZE,...] [--dtypes fp32,int8] [--threads 1,2]
#                      [--rounds N] [--runs N] [--batch-runs N] [--budget S] [--max-run S]
#                      [--spin on|off] [--no-batch] [--out DIR]
#                      [--require-peers] [ARCH:SIZE ...]
#
#   default models  mobilenet_v1:224 mobilenet_v2:224 resnet50:224 inception_v3:299 mobilenet_v2:96
#   --quick         smoke run: mobilenet_v2:96, 1 thread, 1 round, 5 runs (batch 16: 1 run)
#   --rounds N      repeat every measurement N times (default 3); each cell reports the median of
#                   the per-round medians. Within a round the peers alternate cell by cell
#                   (gramlite, ONNX Runtime, PyTorch, gramlite, ...).
#   --runs N        timed batch-1 runs per measurement (default 20, after 5 warm-up runs)
#   --batch-runs N  timed batch-16 runs per measurement (default 3, after 1 warm-up run)
#   --budget S      fewer runs where a measurement would take over S seconds (default 10; the
#                   estimate is the previous measurement of that peer and cell, or one probe run
#                   of gramlite): at least 3 (batch 1) / 1 (batch 16) runs, no warm-up, and only in
#                   round 1 where even that exceeds S (today's int8 reference kernels)
#   --max-run S     do not measure a cell whose single run is estimated over S seconds (default
#                   20); the table says "not run" with the estimate
#   --spin on|off   whether the peers' idle pool threads spin (on, the default: each peer's own
#                   default) or sleep (off: ONNX Runtime session.intra_op.allow_spinning 0, PyTorch
#                   OMP_WAIT_POLICY=PASSIVE). On the project's 2-core VM at 2 threads, quiet, spinning
#                   was the faster (MobileNetV2 224 fp32: PyTorch 5.0 vs 14.0 ms, ORT 3.6 vs 5.4);
#                   with other jobs loading it, sleeping was (PyTorch 8.3 vs 360-800 ms, ORT 6.2 vs
#                   15 ms). gramlite's own pool is left as it is.
#   --no-batch      skip the batch-16 throughput measurements
#   --out DIR       output folder (default out/peers): models/ARCH_SIZE/ holds the models, exports,
#                   agreement checks and PyTorch's traced modules, reused by later runs (delete it
#                   to rebuild); each run writes run-DATE/{raw.jsonl,results.csv,table.md,meta.json}
#   --require-peers exit 77 (skip) unless both ONNX Runtime and PyTorch are available (the ctest)
#
# Exit status: 0; 1 when a measurement or the PyTorch agreement check failed (the tables are still
# written, without those cells); 2 bad arguments; 3 no gramlite binary; 77 --require-peers unmet.
#
# Per model: `gramlite zoo build ARCH --classes 2 --input-size SIZE` (random weights), then
# batch-norm statistics measured on 32 synthetic images (`gramlite synth tiles`) with randomised
# batch-norm gamma/beta (bench/peers/torch_peer.py bnstats, the parity tests' recipe; the zoo has no
# option for it; without PyTorch the zoo's mean 0 / var 1 are kept) re-imported with
# `gramlite import onnx`; int8: `gramlite quantize --mode int8` (per channel, the same 32 images);
# `gramlite export` writes the fp32 ONNX and the QDQ int8 ONNX that ONNX Runtime runs. PyTorch
# loads the exported fp32 weights into the torchvision architecture and must agree with
# `gramlite run` on 8 images before it is timed (see torch_peer.py). Every cell is batch 1 latency
# (median, p90 ms) and batch 16 throughput (images/s).
#
# Environment: GRAMLITE (binary, default build/gramlite), GRAMLITE_BACKENDS (passed to
# `gramlite bench --backend`; unset: gramlite's default backends), NODE_MODULES (folder holding
# onnxruntime-node, default third_party_peers/node_modules), PYTHON (the PyTorch peer's, default
# /usr/bin/python3), JSON_PYTHON (any python3 for the bookkeeping and the report, default python3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
invocation="bench/peers/run.sh${*:+ $*}"

G=${GRAMLITE:-build/gramlite}
PY=${PYTHON:-/usr/bin/python3}
JPY=${JSON_PYTHON:-python3}  # any python3 (standard library only): JSON and the report
NODE_MODULES=${NODE_MODULES:-$root/third_party_peers/node_modules}
models="mobilenet_v1:224,mobilenet_v2:224,resnet50:224,inception_v3:299,mobilenet_v2:96"
dtypes=fp32,int8
threads_list=1,2
rounds=3
runs=20
warmup=5
batch_runs=3
batch_warmup=1
budget=10
max_run=20
spin=on
do_batch=1
out=out/peers
require_peers=0
positional=()
usage() { sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case $1 in
    --quick) models=mobilenet_v2:96; threads_list=1; rounds=1; runs=5; warmup=2; batch_runs=1; batch_warmup=1 ;;
    --models) models=${2:?}; shift ;;
    --dtypes) dtypes=${2:?}; shift ;;
    --threads) threads_list=${2:?}; shift ;;
    --rounds) rounds=${2:?}; shift ;;
    --runs) runs=${2:?}; shift ;;
    --batch-runs) batch_runs=${2:?}; shift ;;
    --budget) budget=${2:?}; shift ;;
    --max-run) max_run=${2:?}; shift ;;
    --spin) spin=${2:?}; shift; [[ $spin == on || $spin == off ]] || { echo "run.sh: --spin on|off" >&2; exit 2; } ;;
    --no-batch) do_batch=0 ;;
    --out) out=${2:?}; shift ;;
    --require-peers) require_peers=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) positional+=("$1") ;;
  esac
  shift
done
((${#positional[@]})) && models=$(IFS=,; echo "${positional[*]}")
models=${models//,/ }
normalized=""
for spec in $models; do  # ARCH means ARCH:224
  [[ $spec == *:* ]] || spec=$spec:224
  normalized+=" $spec"
done
models=${normalized# }
dtypes=${dtypes//,/ }
threads_list=${threads_list//,/ }
batches=1
((do_batch)) && batches="1 16"

say() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
[[ -x $G ]] || { echo "run.sh: $G is not an executable (build gramlite, or set GRAMLITE)" >&2; exit 3; }

# Which peers can run here.
torch_skip=""
if ! "$PY" -c 'import torch, torchvision, onnx, PIL' 2>/dev/null; then
  torch_skip="$PY cannot import torch, torchvision, onnx and PIL"
fi
ort_skip=""
if ! command -v node >/dev/null; then
  ort_skip="node is not installed"
elif ! node -e "require(require('path').resolve(process.argv[1], 'onnxruntime-node'))" "$NODE_MODULES" 2>/dev/null; then
  ort_skip="onnxruntime-node cannot be loaded from $NODE_MODULES (scripts/install-deps.sh installs it)"
fi
[[ -n $torch_skip ]] && say "PyTorch peer skipped: $torch_skip"
[[ -n $ort_skip ]] && say "ONNX Runtime peer skipped: $ort_skip"
if ((require_peers)) && [[ -n $torch_skip || -n $ort_skip ]]; then
  reasons=()
  [[ -n $torch_skip ]] && reasons+=("$torch_skip")
  [[ -n $ort_skip ]] && reasons+=("$ort_skip")
  echo "run.sh: skipped: $(IFS=';'; echo "${reasons[*]}")" >&2
  exit 77
fi

ort_spin=1
torch_env=()
if [[ $spin == off ]]; then ort_spin=0; torch_env=(OMP_WAIT_POLICY=PASSIVE); fi
backend_args=()
[[ -n ${GRAMLITE_BACKENDS:-} ]] && backend_args=(--backend "$GRAMLITE_BACKENDS")
calib_count=32
mkdir -p "$out/models"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=$out/run-$stamp
mkdir -p "$results"
raw=$results/raw.jsonl
: >"$raw"

# Writes $1 with the rest of the command line (stdout) only when it is missing; atomic.
make_once() {
  local target=$1
  shift
  [[ -s $target ]] && return 0
  "$@" >"$target.tmp" && mv "$target.tmp" "$target"
}

# ---- models, exports, agreement checks ------------------------------------------------------------
declare -A torch_ok=()
failures=0  # failed measurements or agreement checks: the exit status is 1 when there were any
for spec in $models; do
  arch=${spec%%:*}
  size=${spec#*:}
  d=$out/models/${arch}_$size
  mkdir -p "$d"
  calib=$out/calib_$size
  if [[ ! -s $calib/dataset.json ]]; then
    say "calibration images: $calib"
    rm -rf "$calib"
    "$G" synth tiles --out "$calib" --task gram2 --per-class $((calib_count / 2)) --size "$size" --seed 1 \
      --split 1,0,0 --threads 2 >/dev/null
  fi
  if [[ ! -s $d/fp32.gramlite ]]; then
    say "$arch $size: zoo build, batch-norm statistics, import"
    rm -f "$d"/fp32.onnx* "$d"/info.json "$d"/int8.* "$d"/run_*.json "$d"/check_*.json "$d"/torch_*.pt  # derived
    "$G" zoo build "$arch" --classes 2 --input-size "$size" -o "$d/zoo.gramlite" >/dev/null
    "$G" export "$d/zoo.gramlite" --format onnx -o "$d/zoo.onnx" >/dev/null
    norm=$("$JPY" -c 'import json,sys; p=json.load(sys.stdin)["preprocessing"]; print(*p["mean"], *p["std"])' \
      < <("$G" info "$d/zoo.gramlite" --json --no-layers))
    read -r m0 m1 m2 s0 s1 s2 <<<"$norm"
    if [[ -z $torch_skip ]]; then
      "$PY" "$here/torch_peer.py" bnstats --onnx "$d/zoo.onnx" --arch "$arch" --size "$size" \
        --mean "$m0" "$m1" "$m2" --std "$s0" "$s1" "$s2" --images "$calib" --count $calib_count \
        --out "$d/bn.onnx" >/dev/null
      "$G" import onnx "$d/bn.onnx" -o "$d/fp32.gramlite.tmp" >/dev/null
      echo "measured on $calib_count synthetic images, gamma/beta randomised" >"$d/bnstats.txt"
    else
      cp "$d/zoo.gramlite" "$d/fp32.gramlite.tmp"
      echo "the zoo's (mean 0, var 1): PyTorch missing" >"$d/bnstats.txt"
    fi
    mv "$d/fp32.gramlite.tmp" "$d/fp32.gramlite"
  fi
  make_once "$d/fp32.onnx.log" "$G" export "$d/fp32.gramlite" --format onnx -o "$d/fp32.onnx"
  make_once "$d/info.json" "$G" info "$d/fp32.gramlite" --json
  if [[ $dtypes == *int8* && ! -s $d/int8.gramlite ]]; then
    say "$arch $size: quantize int8"
    rm -f "$d"/int8.onnx* "$d"/run_int8.json "$d"/check_int8.json "$d"/torch_int8.pt  # derived
    "$G" quantize "$d/fp32.gramlite" --mode int8 --calib "$calib" --calib-count $calib_count --threads 2 \
      -o "$d/int8.gramlite" >"$d/quantize.log"
  fi
  [[ $dtypes == *int8* ]] && make_once "$d/int8.onnx.log" "$G" export "$d/int8.gramlite" --format onnx -o "$d/int8.onnx"
  if [[ -z $torch_skip ]]; then
    read -r m0 m1 m2 s0 s1 s2 < <("$JPY" -c 'import json,sys; p=json.load(open(sys.argv[1]))["preprocessing"]; print(*p["mean"], *p["std"])' "$d/info.json")
    probs=()
    [[ $("$JPY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["output_kind"])' "$d/info.json") == probabilities ]] && probs=(--probabilities)
    mapfile -t images < <(find "$calib" -name '*.png' | sort | head -8)
    for dtype in $dtypes; do
      make_once "$d/run_$dtype.json" "$G" run "$d/$dtype.gramlite" "${images[@]}" --json --top-k 2
      tolerance=1e-3
      [[ $dtype == int8 ]] && tolerance=0  # different int8 schemes: reported, not required
      if make_once "$d/check_$dtype.json" "$PY" "$here/torch_peer.py" check --onnx "$d/fp32.onnx" --arch "$arch" \
        --size "$size" --mean "$m0" "$m1" "$m2" --std "$s0" "$s1" "$s2" --images "$calib" \
        --calib-count $calib_count --dtype "$dtype" --cache "$d/torch_$dtype.pt" --gramlite-json "$d/run_$dtype.json" \
        --tolerance $tolerance "${probs[@]}" 2>>"$d/torch.log"; then
        torch_ok[$spec.$dtype]=1
      else
        say "$arch $size $dtype: PyTorch does not agree with gramlite (or failed): see $d/check_$dtype.json.tmp, $d/torch.log; its cells are skipped"
        failures=$((failures + 1))
      fi
    done
  fi
done

# ---- measurements ---------------------------------------------------------------------------------
# Estimated ms of one run per peer and cell (from the last measurement), to keep slow cells (today's
# int8 reference kernels) within --budget seconds: runs = min(--runs, max(3, budget / estimate)).
declare -A estimate_ms=()
measure() {  # peer spec dtype threads batch round
  local peer=$1 spec=$2 dtype=$3 threads=$4 batch=$5 round=$6
  local arch=${spec%%:*} size=${spec#*:}
  local d=$out/models/${arch}_$size r=$runs w=$warmup json key=$1.$2.$3.$4 est
  if ((batch > 1)); then r=$batch_runs; w=$batch_warmup; fi
  est=${estimate_ms[$key.$batch]:-}
  [[ -z $est && -n ${estimate_ms[$key.1]:-} ]] && est=$((${estimate_ms[$key.1]} * batch))
  if [[ -z $est && $peer == gramlite ]]; then  # one untimed probe run (today's int8 can take seconds)
    est=$("$G" bench "$d/$dtype.gramlite" --threads "$threads" --batch "$batch" --warmup 0 --runs 1 --json \
      "${backend_args[@]}" | "$JPY" -c 'import json,sys; print(int(json.load(sys.stdin)["median_ms"]) + 1)') || est=""
  fi
  if [[ -n $est ]] && ((est > 0)); then
    local fit=$((budget * 1000 / est)) floor=3
    ((batch > 1)) && floor=1
    if ((fit < floor)); then  # a slow cell: measured in round 1 only, and not at all above --max-run
      ((round > 1)) && return 0
      if ((est > max_run * 1000)); then
        say "$peer: ~$((est / 1000)) s per run, over --max-run $max_run: not measured"
        printf '{"peer": "%s", "arch": "%s", "size": %d, "dtype": "%s", "threads": %d, "batch": %d, "round": %d, "skipped_estimate_ms": %d}\n' \
          "$peer" "$arch" "$size" "$dtype" "$threads" "$batch" "$round" "$est" >>"$raw"
        return 0
      fi
      r=$floor
      w=0
    elif ((fit < r)); then
      r=$fit
      ((w > 1)) && w=1
    fi
  fi
  case $peer in
    gramlite) json=$("$G" bench "$d/$dtype.gramlite" --threads "$threads" --batch "$batch" --warmup "$w" \
                --runs "$r" --json "${backend_args[@]}") || { say "gramlite bench failed"; failures=$((failures + 1)); return 0; } ;;
    onnxruntime) json=$(node "$here/ort_peer.js" "$NODE_MODULES" "$d/$dtype.onnx" --size "$size" --batch "$batch" \
                   --threads "$threads" --warmup "$w" --runs "$r" --spin "$ort_spin") || { say "ONNX Runtime failed"; failures=$((failures + 1)); return 0; } ;;
    pytorch) json=$(env "${torch_env[@]}" "$PY" "$here/torch_peer.py" time --onnx "$d/fp32.onnx" --arch "$arch" --size "$size" \
               --dtype "$dtype" --cache "$d/torch_$dtype.pt" --images "$out/calib_$size" --threads "$threads" \
               --batch "$batch" --warmup "$w" --runs "$r" 2>>"$d/torch.log") || { say "PyTorch failed: $d/torch.log"; failures=$((failures + 1)); return 0; } ;;
  esac
  est=$("$JPY" -c 'import json,sys; print(int(json.loads(sys.argv[1])["median_ms"]) + 1)' "$json") &&
    estimate_ms[$key.$batch]=$est
  "$JPY" -c '
import json, sys
r = json.loads(sys.argv[1])
keep = {k: r[k] for k in ("median_ms", "p90_ms", "min_ms", "images_per_second", "backend") if k in r}
print(json.dumps(dict(peer=sys.argv[2], arch=sys.argv[3], size=int(sys.argv[4]), dtype=sys.argv[5],
                      threads=int(sys.argv[6]), batch=int(sys.argv[7]), round=int(sys.argv[8]),
                      runs=r.get("runs"), **keep)))' "$json" "$peer" "$arch" "$size" "$dtype" "$threads" "$batch" \
    "$round" >>"$raw"
}

peers=(gramlite)
[[ -z $ort_skip ]] && peers+=(onnxruntime)
[[ -z $torch_skip ]] && peers+=(pytorch)
for ((round = 1; round <= rounds; ++round)); do
  for spec in $models; do
    for dtype in $dtypes; do
      for threads in $threads_list; do
        for batch in $batches; do
          say "round $round/$rounds: ${spec/:/ } $dtype, $threads thread(s), batch $batch"
          for peer in "${peers[@]}"; do
            [[ $peer == pytorch && -z ${torch_ok[$spec.$dtype]:-} ]] && continue
            measure "$peer" "$spec" "$dtype" "$threads" "$batch" "$round"
          done
        done
      done
    done
  done
done

# ---- report ---------------------------------------------------------------------------------------
# The fp32 peak needs the clock the cores run at: measured (a VM's /proc/cpuinfo often gives the base).
clock_ghz=0
clock_bin="$(dirname "$G")/bench/cpu_clock"
if [ -x "$clock_bin" ]; then clock_ghz=$("$clock_bin" 2>/dev/null || echo 0); fi
"$JPY" "$here/report.py" --raw "$raw" --out "$results" --models-dir "$out/models" \
  --command "${GRAMLITE_BACKENDS:+GRAMLITE_BACKENDS=$GRAMLITE_BACKENDS }$invocation" \
  --rounds "$rounds" --runs "$runs" --batch-runs "$batch_runs" --torch-skip "$torch_skip" --ort-skip "$ort_skip" \
  --gramlite "$G" --spin "$spin" --clock-ghz "$clock_ghz"
say "results: $results/table.md, $results/raw.jsonl, $results/results.csv"
if ((failures)); then
  say "$failures measurement(s) or check(s) failed (see above)"
  exit 1
fi
