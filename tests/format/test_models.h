// Hand-built graphs for the model-file tests and the fuzzer's seed corpus.
#pragma once

#include <cstdint>
#include <vector>

#include "gramlite/ir/graph.h"

namespace gramlite::format::testing {

// A valid graph (ir::validate passes) that uses every op kind, every fused activation, every
// attribute field with a non-default value, every dtype, quantization (per tensor and per
// channel), every sparsity field and every metadata field.
ir::Graph make_every_op_graph();

// Input [1, 2, 4, 4] -> Conv2d 1x1 (+bias, fused relu) -> GlobalAvgPool -> Flatten: a few hundred
// bytes on disk, the fuzzer's seed.
ir::Graph make_tiny_graph();

}  // namespace gramlite::format::testing
