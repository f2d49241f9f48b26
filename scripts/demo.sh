#!/usr/bin/env bash
# The main job: generate a synthetic Gram-stain tile dataset (gram-positive vs gram-negative), fine-tune
# a MobileNetV2 on it at 96x96 with libtorch, evaluate the result on the held-out test split with the
# runtime that ships, and benchmark it. ImageNet weights are used when torchvision's file is in the
# torch.hub cache (see docs/training.md); otherwise training starts from the zoo's seeded weights.
# About 4 minutes on a 2-core machine after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
mkdir -p out
threads=$(nproc 2>/dev/null || echo 2)
pretrained=none
torch_home=${TORCH_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/torch}
if [[ -f "$torch_home/hub/checkpoints/mobilenet_v2-b0353104.pth" ]]; then pretrained=imagenet; fi
rm -rf out/demo_tiles out/gram2_mobilenet_v2.*
set -x
build/gramlite synth tiles --out out/demo_tiles --task gram2 --per-class 1000 --size 96 --seed 1 --threads "$threads"
build/gramlite train --arch mobilenet_v2 --pretrained "$pretrained" --data out/demo_tiles --input-size 96 \
  --epochs 8 --batch 32 --lr 0.002 --seed 1 --threads 1 --workers "$threads" -o out/gram2_mobilenet_v2.gramlite
build/gramlite evaluate out/gram2_mobilenet_v2.gramlite --data out/demo_tiles --split test --threads "$threads"
build/gramlite info out/gram2_mobilenet_v2.gramlite --no-layers
build/gramlite bench out/gram2_mobilenet_v2.gramlite --threads "$threads" --runs 20
