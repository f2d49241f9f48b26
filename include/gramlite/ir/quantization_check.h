// The rules a graph's quantization parameters must keep (docs/quantization.md, "Validation"):
// what every int8 kernel, the ONNX exporter and `gramlite info` may then take for granted. Model
// files are untrusted, so these are checked on every load; ir::validate runs them, which covers
// the model loader, Session::create and save_model (a file that would not load is never written).
#pragma once

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::ir {

// How far an int32 bias's scale may be from input scale x weight scale, relative to the latter:
// the product's float rounding (2^-24 per multiplication) with a wide margin, nothing more. A
// bias scale further off would make the kernel's accumulator mean something else than the bias.
inline constexpr double kBiasScaleRelativeTolerance = 1e-5;

// Refuses, with an error naming the tensor (and the node, where one is involved):
//  - scales and zero points of different counts, zero points without scales, a per-channel axis
//    that does not match the shape;
//  - a scale that is zero, negative or not finite;
//  - an int8 zero point outside [-128, 127];
//  - an int8 activation (graph input or node output) without exactly one scale; an int8 constant
//    a node reads without any;
//  - an int8 Conv2d / Linear weight (input 1) with a non-zero zero point, scales that are neither
//    one nor one per output channel (axis 0), or a value of -128 (weights use [-127, 127]);
//  - an int32 Conv2d / Linear bias (input 2) without scales, with a non-zero zero point, next to a
//    weight or an input that is not int8 with scales, or whose scales differ from input scale x
//    weight scale by more than kBiasScaleRelativeTolerance; an int8 Conv2d / Linear (int8 input
//    and weight) whose bias is not int32;
//  - a Quantize whose input is not float32 or whose output is not int8 with one scale; a
//    Dequantize whose input is not int8 with one scale or whose output is not float32.
// Float graphs (no quantization parameters, no int8 tensors) always pass. Tensor and node indices
// out of range are skipped here (ir::validate reports them).
Status validate_quantization(const Graph& graph);

}  // namespace gramlite::ir
