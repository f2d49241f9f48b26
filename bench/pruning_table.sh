#!/usr/bin/env bash
# The pruning benchmark table of README.md: MobileNet v1 fine-tuned on the synthetic gram2 and
# morphology4 tasks (96 px), then pruned during fine-tuning in several ways (gramlite prune), with
# test accuracy and macro F1, zeros in the pruned weights, file size raw and gzip'd, and latency at
# one thread on the runtime's default backends (sparse kernels where they pay), fp32 and int8.
#
#   bench/pruning_table.sh OUT_DIR [STAGE]   STAGE: data, dense, prune, int8, sdense, structured,
#                                            measure, latency (run it on a quiet machine), table, all
#
# The test split holds 40 % of the tiles (1,200 images per task: one image is 0.08 points), so the
# small accuracy differences the table is about are not one or two images.
# Variants (all from the same dense model, PRUNE_EPOCHS epochs at lr 5e-4, seed 1):
#   dense        the trained model                 dense_ft   + the same fine-tuning, not pruned
#   poly50       polynomial 0 -> 50 %               poly90     polynomial 0 -> 90 %
#   const90      constant 90 % from step 0 (the study's TF-MOT ConstantSparsity)
#   poly90_kd    poly90 with the dense model as teacher (--distill)
#   poly90_kdft  poly90 with dense_ft as teacher (--teacher)
#   poly90_1x4   poly90 in 1x4 blocks (the int8 block-sparse kernels' unit)
#   *.int8       full-integer int8 of dense, poly90 and poly90_1x4 (300 calibration images)
# Structured (stages sdense, structured): MobileNet v2 and ResNet50 (STRUCT_ARCHS) trained as the
# dense model is, then half of their MACs removed in 2 steps with PRUNE_EPOCHS of fine-tuning in
# all (l1 criterion, lr 2e-3, the dense model teaching): variants dense, dense_ft (the same
# fine-tuning, not pruned), half (half the MACs), fast (half the latency of a 1-thread profile,
# --target latency) and fast_pc (the same, --per-cost).
# Every step is skipped when it finished (a training run: its OUTPUT.done), and an interrupted
# training run resumes from its checkpoint, so the script continues where it stopped.
# The dense models train 8 epochs on gram2 and 24 on morphology4, which at 8 was far from converged
# (8 more epochs gained 13 points), so that pruning is measured against a trained model.
# Environment: GRAMLITE (default build/gramlite), THREADS (default nproc), EPOCHS (dense training,
# all tasks), PRUNE_EPOCHS (default 8), RUNS (latency runs per round, default 30), ROUNDS (default 5),
# TASKS, STRUCT_ARCHS, STRUCT_VARIANTS.
set -euo pipefail
G=${GRAMLITE:-build/gramlite}
out=${1:?usage: bench/pruning_table.sh OUT_DIR [data|dense|prune|int8|measure|latency|table|all]}
stage=${2:-all}
threads=${THREADS:-$(nproc 2>/dev/null || echo 2)}
tasks=${TASKS:-gram2 morphology4}
arch=mobilenet_v1
prune_epochs=${PRUNE_EPOCHS:-8}
float_variants="dense dense_ft poly50 poly90 const90 poly90_kd poly90_kdft poly90_1x4"
int8_variants="dense.int8 poly90.int8 poly90_1x4.int8"
mkdir -p "$out"

# shellcheck source=bench/table_steps.sh
source "$(dirname "$0")/table_steps.sh"
per_class() { case $1 in gram2) echo 1500 ;; morphology4) echo 750 ;; esac; }
# The structured variants to train (STRUCT_VARIANTS, default all three).
has_variant() { [[ " ${STRUCT_VARIANTS:-half fast fast_pc} " == *" $1 "* ]]; }
dense_epochs() { case $1 in gram2) echo "${EPOCHS:-8}" ;; morphology4) echo "${EPOCHS:-24}" ;; esac; }

for task in $tasks; do
  data=$out/$task.tiles
  m=$out/$task.$arch
  if want data; then
    make_once "$data" "$G" synth tiles --out "$data" --task "$task" --per-class "$(per_class "$task")" \
      --split 0.5 0.1 0.4 --size 96 --seed 1 --threads "$threads"
  fi
  if want dense; then
    train_once "$m.dense.gramlite" "$G" train --arch "$arch" --pretrained none --data "$data" --input-size 96 \
      --epochs "$(dense_epochs "$task")" --batch 32 --lr 0.002 --seed 1 --threads "$threads" --workers "$threads" \
      -o "$m.dense.gramlite"
  fi
  if want prune; then
    common=(--data "$data" --epochs "$prune_epochs" --batch 32 --lr 0.0005 --seed 1 --threads "$threads" --workers "$threads")
    train_once "$m.poly90.gramlite" "$G" prune "$m.dense.gramlite" "${common[@]}" --sparsity 0.9 -o "$m.poly90.gramlite"
    train_once "$m.const90.gramlite" "$G" prune "$m.dense.gramlite" "${common[@]}" --sparsity 0.9 --schedule constant \
      -o "$m.const90.gramlite"
    train_once "$m.poly50.gramlite" "$G" prune "$m.dense.gramlite" "${common[@]}" --sparsity 0.5 -o "$m.poly50.gramlite"
    train_once "$m.poly90_1x4.gramlite" "$G" prune "$m.dense.gramlite" "${common[@]}" --sparsity 0.9 --block 1x4 \
      -o "$m.poly90_1x4.gramlite"
    train_once "$m.dense_ft.gramlite" "$G" train --model "$m.dense.gramlite" "${common[@]}" -o "$m.dense_ft.gramlite"
    train_once "$m.poly90_kd.gramlite" "$G" prune "$m.dense.gramlite" "${common[@]}" --sparsity 0.9 --distill \
      -o "$m.poly90_kd.gramlite"
    train_once "$m.poly90_kdft.gramlite" "$G" prune "$m.dense.gramlite" "${common[@]}" --sparsity 0.9 \
      --teacher "$m.dense_ft.gramlite" -o "$m.poly90_kdft.gramlite"
  fi
  for sarch in ${STRUCT_ARCHS:-mobilenet_v2 resnet50}; do
    sm=$out/$task.$sarch
    if want sdense; then
      train_once "$sm.dense.gramlite" "$G" train --arch "$sarch" --pretrained none --data "$data" --input-size 96 \
        --epochs "$(dense_epochs "$task")" --batch 32 --lr 0.002 --seed 1 --threads "$threads" --workers "$threads" \
        -o "$sm.dense.gramlite"
    fi
    if want structured && [[ -e $sm.dense.gramlite.done ]]; then
      train_once "$sm.dense_ft.gramlite" "$G" train --model "$sm.dense.gramlite" --data "$data" \
        --epochs "$prune_epochs" --batch 32 --lr 0.0005 --seed 1 --threads "$threads" --workers "$threads" \
        -o "$sm.dense_ft.gramlite"
      # The training learning rate, not the fine-tuning one: with whole channels gone the network has
      # to re-learn (lr 5e-4 lost 4.4 points on gram2 MobileNet v2, 2e-3 lost 0.25).
      has_variant half && train_once "$sm.half.gramlite" "$G" prune "$sm.dense.gramlite" --data "$data" --structured 0.5 --steps 2 \
        --distill --epochs "$prune_epochs" --batch 32 --lr 0.002 --seed 1 --threads "$threads" --workers "$threads" \
        -o "$sm.half.gramlite"
      # Half of the measured latency (1-thread profiles taken at the start: keep the machine quiet
      # then); fast_pc chooses the channels per unit of latency saved (--per-cost).
      has_variant fast && train_once "$sm.fast.gramlite" "$G" prune "$sm.dense.gramlite" --data "$data" --structured 0.5 --target latency \
        --steps 2 --distill --epochs "$prune_epochs" --batch 32 --lr 0.002 --seed 1 --threads "$threads" \
        --workers "$threads" -o "$sm.fast.gramlite"
      has_variant fast_pc && train_once "$sm.fast_pc.gramlite" "$G" prune "$sm.dense.gramlite" --data "$data" --structured 0.5 --target latency \
        --per-cost --steps 2 --distill --epochs "$prune_epochs" --batch 32 --lr 0.002 --seed 1 --threads "$threads" \
        --workers "$threads" -o "$sm.fast_pc.gramlite"
    fi
    for v in dense dense_ft half fast fast_pc; do
      f=$sm.$v.gramlite
      [[ -e $f.done ]] || continue
      if want measure; then
        make_once "$sm.$v.eval.json" sh -c "'$G' evaluate '$f' --data '$data' --split test --threads $threads --json \
          > '$sm.$v.eval.json.tmp' && mv '$sm.$v.eval.json.tmp' '$sm.$v.eval.json'"
        make_once "$sm.$v.info.json" sh -c "'$G' info '$f' --json > '$sm.$v.info.json.tmp' && mv '$sm.$v.info.json.tmp' '$sm.$v.info.json'"
      fi
    done
  done
  if want int8; then
    for v in dense poly90 poly90_1x4; do
      [[ -e $m.$v.gramlite.done ]] || continue
      make_once "$m.$v.int8.gramlite" "$G" quantize "$m.$v.gramlite" --mode int8 --calib "$data" --calib-count 300 \
        --threads "$threads" -o "$m.$v.int8.gramlite"
    done
  fi
  if want measure; then
    for v in $float_variants $int8_variants; do
      f=$m.$v.gramlite
      [[ -e $f && ( -e $f.done || $v == *.int8 ) ]] || continue
      make_once "$m.$v.eval.json" sh -c "'$G' evaluate '$f' --data '$data' --split test --threads $threads --json \
        > '$m.$v.eval.json.tmp' && mv '$m.$v.eval.json.tmp' '$m.$v.eval.json'"
      make_once "$m.$v.info.json" sh -c "'$G' info '$f' --json > '$m.$v.info.json.tmp' && mv '$m.$v.info.json.tmp' '$m.$v.info.json'"
    done
  fi
  if want latency; then
    # Rounds over every model in turn, so that a change of machine load hits all of them alike; the
    # table takes the median of a model's round medians.
    for round in $(seq "${ROUNDS:-5}"); do
      for f in $m.*.gramlite $out/$task.*.dense.gramlite $out/$task.*.half.gramlite $out/$task.*.fast*.gramlite; do
        [[ -e $f && ( -e $f.done || $f == *.int8.gramlite ) ]] || continue
        make_once "${f%.gramlite}.bench.$round.json" sh -c "'$G' bench '$f' --threads 1 --warmup 3 --runs ${RUNS:-30} \
          --json > '${f%.gramlite}.bench.$round.json.tmp' && mv '${f%.gramlite}.bench.$round.json.tmp' '${f%.gramlite}.bench.$round.json'"
      done
    done
  fi
done

if want table; then
  printf '| task | model | variant | test accuracy | vs dense (points) | vs dense_ft (points) | macro F1 | MACs | dense / MACs | parameters | latency ms (1 thread) | dense / latency |\n'
  printf '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
  for task in $tasks; do
    for sarch in ${STRUCT_ARCHS:-mobilenet_v2 resnet50}; do
      sm=$out/$task.$sarch
      for v in dense dense_ft half fast fast_pc; do
        [[ -e $sm.$v.eval.json && -e $sm.$v.info.json ]] || continue
        /usr/bin/python3 - "$task" "$sarch" "$v" "$sm" <<'PY'
import json, sys
task, arch, variant, m = sys.argv[1:]
def load(v, kind):
    if kind == "bench":  # the median of the rounds' medians
        import glob, statistics
        rounds = [json.load(open(f))["median_ms"] for f in glob.glob(f"{m}.{v}.bench.*.json")]
        return {"median_ms": statistics.median(rounds)} if rounds else None
    try:
        return json.load(open(f"{m}.{v}.{kind}.json"))
    except FileNotFoundError:
        return None
e, dense, info, dense_info = load(variant, "eval"), load("dense", "eval"), load(variant, "info"), load("dense", "info")
dense_ft = load("dense_ft", "eval")
vs_ft = f"{100 * (e['accuracy'] - dense_ft['accuracy']):+.2f}" if dense_ft else "-"
bench, dense_bench = load(variant, "bench"), load("dense", "bench")
latency = f"{bench['median_ms']:.2f}" if bench else "-"
speedup = f"{dense_bench['median_ms'] / bench['median_ms']:.2f}x" if bench and dense_bench else "-"
print(f"| {task} | {arch} | {variant} | {e['accuracy']:.4f} | {100 * (e['accuracy'] - dense['accuracy']):+.2f} | {vs_ft} | "
      f"{e['macro_f1']:.4f} | {info['macs']:,} | {dense_info['macs'] / info['macs']:.2f}x | "
      f"{info['parameters']['trainable']:,} | {latency} | {speedup} |")
PY
      done
    done
  done
  printf '\n'
  printf '| task | variant | test accuracy | vs dense (points) | vs dense_ft (points) | macro F1 | zeros in conv/linear weights | file bytes | dense fp32 / file | gzip -9 bytes | latency ms (1 thread) | dense / latency |\n'
  printf '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
  for task in $tasks; do
    m=$out/$task.$arch
    [[ -e $m.dense.gramlite ]] || continue
    for v in $float_variants $int8_variants; do
      f=$m.$v.gramlite
      [[ -e $f && -e $m.$v.eval.json ]] || continue
      gz=$(gzip -9 -n -c "$f" | wc -c)
      /usr/bin/python3 - "$task" "$v" "$m" "$(stat -c %s "$f")" "$(stat -c %s "$m.dense.gramlite")" "$gz" <<'PY'
import json, sys
task, variant, m, size, dense_size, gz = sys.argv[1:]
def load(v, kind):
    if kind == "bench":  # the median of the rounds' medians
        import glob, statistics
        rounds = [json.load(open(f))["median_ms"] for f in glob.glob(f"{m}.{v}.bench.*.json")]
        return {"median_ms": statistics.median(rounds)} if rounds else None
    try:
        return json.load(open(f"{m}.{v}.{kind}.json"))
    except FileNotFoundError:
        return None
e, dense, dense_ft = load(variant, "eval"), load("dense", "eval"), load("dense_ft", "eval")
vs_ft = f"{100 * (e['accuracy'] - dense_ft['accuracy']):+.2f}" if dense_ft else "-"
info = load(variant, "info")
bench = load(variant, "bench")
dense_twin = "dense.int8" if variant.endswith(".int8") else "dense"
dense_bench = load(dense_twin, "bench")
latency = f"{bench['median_ms']:.2f}" if bench else "-"
speedup = f"{dense_bench['median_ms'] / bench['median_ms']:.2f}x" if bench and dense_bench else "-"
zeros = f"{100 * info['weight_sparsity']:.1f} %" if info else "-"
print(f"| {task} | {variant} | {e['accuracy']:.4f} | {100 * (e['accuracy'] - dense['accuracy']):+.2f} | {vs_ft} | "
      f"{e['macro_f1']:.4f} | {zeros} | {int(size):,} | {int(dense_size) / int(size):.2f}x | {int(gz):,} | "
      f"{latency} | {speedup} |")
PY
    done
  done
fi
