#!/bin/bash
# The layer-fraction experiment without ImageNet weights (docs/training.md): pretrain MobileNetV2 on
# the four-class morphology task, then fine-tune it on the binary Gram task at five fractions, three
# runs each. Run from the repository root after scripts/build.sh; writes into the current folder.
# The CSV and SVG beside this script are the output of this run (2-core VM, 2026-11-26, ~9 min).
set -euo pipefail
G=${GRAMLITE:-$(cd "$(dirname "$0")/../../.." && pwd)/build/gramlite}
date
$G synth tiles --out morph4 --task morphology4 --per-class 400 --size 96 --seed 21 --threads 2
$G train --arch mobilenet_v2 --data morph4 --input-size 96 --epochs 10 --lr 0.002 --seed 1 -o source.gramlite
$G evaluate source.gramlite --data morph4
$G synth tiles --out gram2 --task gram2 --per-class 600 --size 96 --seed 22 --threads 2
date
$G sweep finetune --model source.gramlite --data gram2 --fractions 0,0.25,0.5,0.75,1 --runs 3 --epochs 5 -o sweep
date
