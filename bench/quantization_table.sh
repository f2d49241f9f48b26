#!/usr/bin/env bash
# The quantization benchmark table of README.md: MobileNet v1, MobileNet v2 and ResNet50 fine-tuned on
# the synthetic gram2 and morphology4 tasks (96 px), each in seven variants (fp32, fp16, dynamic range,
# int8 per channel, int8 per tensor, int8 per tensor with cross-layer equalization and bias correction,
# int8 quantization-aware training), with test accuracy, macro F1, top-1 agreement and mean logit
# cosine with the fp32 model image by image, file size raw and gzip'd, and the latency of the
# runtime's default backends at one thread.
#
#   bench/quantization_table.sh OUT_DIR [STAGE]   STAGE: data, train, variants, measure (accuracy),
#                                                 latency (run it on a quiet machine), ort, table, all
#
# The ort stage exports the fp32 and int8 (per channel) models to ONNX and runs them in ONNX Runtime
# next to gramlite on the test images (build/bench/ort_agreement; needs GRAMLITE_BUILD_BENCHMARKS,
# node and onnxruntime-node, see docs/onnx-export.md); the table then lists the agreement.
#
# Every step is skipped when its output exists, so an interrupted run continues where it stopped.
# Environment: GRAMLITE (binary, default build/gramlite), THREADS (training/evaluation threads,
# default nproc), EPOCHS (default 8), QAT_EPOCHS (default 1), QAT_LR (default 1e-5: 1e-4 cost
# MobileNet v1 3.5 points on gram2), RUNS (latency runs, default 20),
# ARCHS, TASKS (space-separated subsets).
set -euo pipefail
G=${GRAMLITE:-build/gramlite}
ORT_AGREEMENT=${ORT_AGREEMENT:-$(dirname "$G")/bench/ort_agreement}
out=${1:?usage: bench/quantization_table.sh OUT_DIR [data|train|variants|measure|latency|ort|table|all]}
stage=${2:-all}
threads=${THREADS:-$(nproc 2>/dev/null || echo 2)}
archs=${ARCHS:-mobilenet_v1 mobilenet_v2 resnet50}
tasks=${TASKS:-gram2 morphology4}
variants="fp32 fp16 dynamic int8 int8_per_tensor int8_per_tensor_cle_bc int8_qat"
mkdir -p "$out"

# shellcheck source=bench/table_steps.sh
source "$(dirname "$0")/table_steps.sh"
per_class() { case $1 in gram2) echo 1000 ;; morphology4) echo 500 ;; esac; }

for task in $tasks; do
  data=$out/$task.tiles
  if want data || want all; then
    make_once "$data" "$G" synth tiles --out "$data" --task "$task" --per-class "$(per_class "$task")" \
      --size 96 --seed 1 --threads "$threads"
  fi
  for arch in $archs; do
    m=$out/$task.$arch
    if want train; then
      make_once "$m.fp32.gramlite" "$G" train --arch "$arch" --pretrained none --data "$data" --input-size 96 \
        --epochs "${EPOCHS:-8}" --batch 32 --lr 0.002 --seed 1 --threads "$threads" --workers "$threads" \
        -o "$m.fp32.gramlite"
    fi
    if want variants; then
      calib=(--calib "$data" --calib-count 300 --threads "$threads")
      make_once "$m.fp16.gramlite" "$G" quantize "$m.fp32.gramlite" --mode fp16 -o "$m.fp16.gramlite"
      make_once "$m.dynamic.gramlite" "$G" quantize "$m.fp32.gramlite" --mode dynamic -o "$m.dynamic.gramlite"
      make_once "$m.int8.gramlite" "$G" quantize "$m.fp32.gramlite" --mode int8 "${calib[@]}" -o "$m.int8.gramlite"
      make_once "$m.int8_per_tensor.gramlite" "$G" quantize "$m.fp32.gramlite" --mode int8 --per-tensor \
        "${calib[@]}" -o "$m.int8_per_tensor.gramlite"
      make_once "$m.int8_per_tensor_cle_bc.gramlite" "$G" quantize "$m.fp32.gramlite" --mode int8 --per-tensor \
        --equalize --bias-correction "${calib[@]}" -o "$m.int8_per_tensor_cle_bc.gramlite"
      make_once "$m.int8_qat.gramlite" "$G" quantize "$m.fp32.gramlite" --mode int8 --qat "${QAT_EPOCHS:-1}" \
        --lr "${QAT_LR:-0.00001}" --data "$data" --threads "$threads" -o "$m.int8_qat.gramlite"
    fi
    if want measure; then
      for v in $variants; do
        f=$m.$v.gramlite
        [[ -e $f ]] || continue
        make_once "$m.$v.eval.json" sh -c "'$G' evaluate '$f' --data '$data' --split test --threads $threads --json \
          --predictions '$m.$v.predictions.csv' > '$m.$v.eval.json.tmp' && mv '$m.$v.eval.json.tmp' '$m.$v.eval.json'"
      done
    fi
    if want latency; then
      for v in $variants; do
        f=$m.$v.gramlite
        [[ -e $f ]] || continue
        make_once "$m.$v.bench.json" sh -c "'$G' bench '$f' --threads 1 --warmup 2 --runs ${RUNS:-20} --json \
          > '$m.$v.bench.json.tmp' && mv '$m.$v.bench.json.tmp' '$m.$v.bench.json'"
      done
    fi
    if want ort; then
      for v in fp32 int8; do
        [[ -e $m.$v.gramlite ]] || continue
        make_once "$m.$v.ort.json" sh -c "'$ORT_AGREEMENT' '$m.$v.gramlite' '$data' test 200 $threads all \
          > '$m.$v.ort.json.tmp' && mv '$m.$v.ort.json.tmp' '$m.$v.ort.json'"
      done
    fi
  done
done

if want table; then
  printf '| task | model | variant | test accuracy | macro F1 | top-1 agreement with fp32 | logit cosine | file bytes | smaller than fp32 | gzip -9 bytes | latency ms (1 thread) |\n'
  printf '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
  for task in $tasks; do
    for arch in $archs; do
      m=$out/$task.$arch
      [[ -e $m.fp32.gramlite ]] || continue
      fp32_bytes=$(stat -c %s "$m.fp32.gramlite")
      for v in $variants; do
        f=$m.$v.gramlite
        [[ -e $f && -e $m.$v.eval.json ]] || continue
        bytes=$(stat -c %s "$f")
        gz=$(gzip -9 -n -c "$f" | wc -c)
        /usr/bin/python3 - "$task" "$arch" "$v" "$m.$v" "$m.fp32" "$bytes" "$fp32_bytes" "$gz" <<'EOF'
import csv, json, math, sys
task, arch, variant, stem, fp32_stem, size, fp32, gz = sys.argv[1:]
e = json.load(open(stem + ".eval.json"))
try:
    latency = f"{json.load(open(stem + '.bench.json'))['median_ms']:.1f}"
except FileNotFoundError:
    latency = "-"
def rows(path):
    with open(path, newline="") as f:
        return {r["image"]: r for r in csv.DictReader(f)}
ours, reference = rows(stem + ".predictions.csv"), rows(fp32_stem + ".predictions.csv")
agree, cosines = 0, []
for image, r in ours.items():
    ref = reference[image]
    agree += r["predicted"] == ref["predicted"]
    x = [float(v) for k, v in r.items() if k.startswith("output:")]
    y = [float(v) for k, v in ref.items() if k.startswith("output:")]
    norm = math.sqrt(sum(a * a for a in x) * sum(b * b for b in y))
    cosines.append(sum(a * b for a, b in zip(x, y)) / norm if norm > 0 else 1.0)
print(f"| {task} | {arch} | {variant} | {e['accuracy']:.3f} | {e['macro_f1']:.3f} | {agree / len(ours):.3f} | "
      f"{sum(cosines) / len(cosines):.4f} | {int(size):,} | {int(fp32) / int(size):.2f}x | {int(gz):,} | "
      f"{latency} |")
EOF
      done
    done
  done
  printf '\n| task | model | variant | images | top-1 agreement gramlite vs ONNX Runtime | mean output cosine | disagreements | widest disagreement (output LSB) |\n'
  printf '|---|---|---|---:|---:|---:|---:|---:|\n'
  for task in $tasks; do
    for arch in $archs; do
      for v in fp32 int8; do
        j=$out/$task.$arch.$v.ort.json
        [[ -e $j ]] || continue
        /usr/bin/python3 -c "
import json, sys
o = json.load(open(sys.argv[1]))
print(f\"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {o['images']} | {o['top1_agreement']:.3f} | {o['mean_cosine']:.6f} | {o['disagreements']} | {o['widest_disagreement_lsb']:g} |\")
" "$j" "$task" "$arch" "$v"
      done
    done
  done
fi
