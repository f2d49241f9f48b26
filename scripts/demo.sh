#!/usr/bin/env bash
# The main job for now (issue [1/8]): build a zoo model, print its summary, benchmark it.
# Later issues replace this with the end-to-end Gram-stain demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
mkdir -p out
threads=$(nproc 2>/dev/null || echo 2)
set -x
build/gramlite zoo list
build/gramlite zoo build mobilenet_v2 --classes 2 --class-names gram_positive,gram_negative -o out/mobilenet_v2.gramlite
build/gramlite info out/mobilenet_v2.gramlite --no-layers
build/gramlite bench out/mobilenet_v2.gramlite --threads 1 --runs 20
build/gramlite bench out/mobilenet_v2.gramlite --threads "$threads" --runs 20
