#!/usr/bin/env bash
# The main job for now: generate synthetic Gram-stain data (a tile dataset and a small whole slide
# cut into tiles), build a zoo model, print its summary, benchmark it and classify a few tiles.
# The model has fresh random weights (training arrives with issue [3/8]), so its classes are not
# meaningful yet; later issues replace this with the end-to-end Gram-stain demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
mkdir -p out
threads=$(nproc 2>/dev/null || echo 2)
rm -rf out/demo_tiles out/demo_slide_tiles
set -x
build/gramlite synth tiles --out out/demo_tiles --task gram2 --per-class 20 --size 224 --seed 1 --threads "$threads"
build/gramlite synth slide --out out/demo_slide.tiff --width 8192 --height 6144 --seed 1 --threads "$threads"
build/gramlite tiles out/demo_slide.tiff --out out/demo_slide_tiles --mpp 0.2 --size 224 --threads "$threads"
build/gramlite zoo list
build/gramlite zoo build mobilenet_v2 --classes 2 --class-names gram_positive,gram_negative -o out/mobilenet_v2.gramlite
build/gramlite info out/mobilenet_v2.gramlite --no-layers
build/gramlite bench out/mobilenet_v2.gramlite --threads 1 --runs 20
build/gramlite bench out/mobilenet_v2.gramlite --threads "$threads" --runs 20
build/gramlite run out/mobilenet_v2.gramlite out/demo_tiles/test/gram_positive/*.png out/demo_tiles/test/gram_negative/*.png --top-k 2
