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

// Input [1, 8, 2, 2] -> Conv2d 1x1 (8 -> 16, a quarter non-zero: stored bitmap-encoded) -> Conv2d
// 1x1 (16 -> 32, two non-zeros 510 elements apart: index-encoded with a padding entry) ->
// Flatten, plus two unread int8 constants, one bitmap-encoded (35 elements: unused bitmap bits),
// one index-encoded. The fuzzer's seed for compact storage, and the corrupt-file tests' victim.
ir::Graph make_sparse_graph();

}  // namespace gramlite::format::testing
