// Hand-built quantized graphs, written the way docs/quantization.md specifies them (the same files
// the quantizer produces, small enough to read): the format, IR and CLI tests and the fuzzer's
// seed corpus share them. IR only: no file, no runtime.
#pragma once

#include "gramlite/ir/graph.h"

namespace gramlite::format::testing {

// Full integer, per-channel weights:
//   image f32 [N,3,6,6] -> Quantize -> Conv2d 3x3 int8 (+int32 bias, ReLU) -> GlobalAvgPool int8
//   -> Flatten int8 -> Linear int8 (+int32 bias) -> Dequantize -> Softmax f32 (kept in float)
// Tensor names: "image", "image.q", "conv.weight", "conv.bias", "conv_out", "gap_out", "flat",
// "fc.weight", "fc.bias", "fc_out", "logits", "probs"; nodes "quantize", "conv", "gap", "flatten",
// "fc", "dequantize", "softmax".
ir::Graph make_int8_graph();

// Dynamic range: the same layers in float32 with int8 per-channel weights and float32 biases.
//   image f32 -> Conv2d (int8 weight, ReLU) -> GlobalAvgPool -> Flatten -> Linear (int8 weight)
ir::Graph make_dynamic_graph();

// float16 weights, float32 biases and activations; the same layers as make_dynamic_graph.
ir::Graph make_fp16_graph();

// The float32 original the three above quantize (the weights they were derived from).
ir::Graph make_float_graph();

}  // namespace gramlite::format::testing
