// Weights stored narrower than the float kernels read them, widened once when a Session is
// created (docs/runtime.md, "fp16 and dynamic-range models"):
//
//  - fp16: a float16 constant read by float32 ops (the `--mode fp16` files);
//  - dynamic: an int8 constant with quantization parameters read as the weight or bias of a
//    float32 Conv2d / Linear (the `--mode dynamic` files: int8 weights, float activations).
//
// Both become float32 constants of the session's private graph copy before kernels are chosen,
// so every backend's float kernels run them (the computation is fp32 today; a backend with fp16
// or int8-weight kernels may one day take them as stored). A constant that any int8 op reads is
// left alone: it belongs to the full-integer graph.
#pragma once

#include <cstdint>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::runtime {

// Whether `graph` has a constant decode_narrow_weights would widen (so the session copies it).
bool has_narrow_weights(const ir::Graph& graph);

// Widens those constants of `graph` in place (dtype float32, quantization parameters cleared,
// name, shape and sparsity kept). Returns how many it widened; an error names a tensor whose
// data or parameters do not fit its shape.
Result<int> decode_narrow_weights(ir::Graph& graph);

}  // namespace gramlite::runtime
