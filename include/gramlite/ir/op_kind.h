// Operator kinds of the graph IR. The numeric values are stored in model files: append only, never
// renumber, never reuse. Everything else known about an op (name, arity, attributes, fusion,
// aliasing, parameters, channel rule) is its row in the op-traits table (op_traits.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace gramlite::ir {

enum class OpKind : uint16_t {
  kConv2d = 0,         // inputs: x, weight [O, I/groups, kH, kW], optional bias [O]
  kBatchNorm = 1,      // inputs: x, weight (gamma), bias (beta), running_mean, running_var
  kRelu = 2,
  kRelu6 = 3,
  kHardSwish = 4,      // x * relu6(x + 3) / 6
  kHardSigmoid = 5,    // relu6(x + 3) / 6  (PyTorch semantics: alpha 1/6, beta 0.5)
  kSigmoid = 6,
  kAdd = 7,            // numpy broadcasting
  kMul = 8,            // numpy broadcasting (squeeze-excitation scales)
  kConcat = 9,
  kMaxPool = 10,
  kAvgPool = 11,
  kGlobalAvgPool = 12, // [N, C, H, W] -> [N, C, 1, 1]
  kFlatten = 13,
  kReshape = 14,
  kLinear = 15,        // inputs: x [N, in], weight [out, in], optional bias [out]
  kDropout = 16,       // identity at inference
  kSoftmax = 17,
  kPad = 18,           // constant padding
  kQuantize = 19,      // float32 -> int8 with the output tensor's per-tensor scale / zero point
  kDequantize = 20,    // int8 -> float32 with the input tensor's scale / zero point
  kCount = 21,
};
// Adding an op kind is a deliberate act. The compiler then stops at every place that must know it:
// its row in ir/op_traits.cc (static_assert), the switches without `default:` in
// ir/shape_inference.cc, ir/stats.cc (node_costs) and train/torch_graph_ops.cc (-Wswitch), and the
// reference kernel table in runtime/reference/registry.cc (static_assert). By hand: this count, the
// kernel itself, the ONNX importer's mapping if ONNX has the op, docs/model-format.md's op table and
// the format round-trip test that uses every op.
static_assert(static_cast<int>(OpKind::kCount) == 21, "op kinds are append-only: see the comment above");

// The activations that can be fused into a producing op (those whose op-traits row says
// can_fuse_activation: Conv2d, Linear, Add, BatchNorm).
// Stored in model files: append only.
enum class Activation : uint8_t {
  kNone = 0,
  kRelu = 1,
  kRelu6 = 2,
  kHardSwish = 3,
  kHardSigmoid = 4,
  kSigmoid = 5,
  kCount = 6,
};

const char* op_kind_name(OpKind kind);
std::optional<OpKind> op_kind_from_name(std::string_view name);
bool is_valid_op_kind(uint32_t raw);

const char* activation_name(Activation activation);
bool is_valid_activation(uint32_t raw);
// The activation an elementwise op kind computes, if it is one of the fusable activations.
std::optional<Activation> activation_of(OpKind kind);
// Whether a node of this kind may carry a fused activation.
bool can_fuse_activation(OpKind kind);

}  // namespace gramlite::ir
