#include "gramlite/ir/stats.h"

#include <cstring>

#include "base/checked_math.h"
#include "gramlite/ir/op_traits.h"
#include "gramlite/ir/shape_inference.h"
#include "gramlite/ir/weight_layer.h"

namespace gramlite::ir {

bool is_non_trainable_input(OpKind kind, size_t input_index) { return is_buffer_input(kind, input_index); }

ParameterCount count_parameters(const Graph& graph) {
  // A constant counts once even when several nodes read it; it is non-trainable only if every
  // reader treats it as a buffer.
  std::vector<int> role(graph.tensors.size(), 0);  // 0 unseen, 1 trainable, 2 non-trainable
  for (const Node& node : graph.nodes) {
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const TensorId id = node.inputs[i];
      if (!graph.is_valid_tensor_id(id) || !graph.tensor(id).is_constant()) continue;
      int& r = role[static_cast<size_t>(id)];
      if (is_non_trainable_input(node.kind, i)) {
        if (r == 0) r = 2;
      } else {
        r = 1;
      }
    }
  }
  ParameterCount count;
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    const int64_t n = std::max<int64_t>(graph.tensors[t].element_count(), 0);
    if (role[t] == 1) count.trainable += n;
    if (role[t] == 2) count.non_trainable += n;
  }
  return count;
}

namespace {

int64_t activation_macs(Activation activation, int64_t elements) {
  return activation == Activation::kNone ? 0 : elements;
}

}  // namespace

int64_t count_zero_weights(const Tensor& t) {
  if (!t.is_constant() || t.sparsity.encoding != SparsityEncoding::kDense) return 0;
  int64_t zeros = 0;
  if (t.dtype == DType::kFloat32) {
    const float* values = t.data.as<float>();
    const size_t n = t.data.size() / sizeof(float);
    for (size_t i = 0; i < n; ++i) zeros += values[i] == 0.0f ? 1 : 0;
  } else if (t.dtype == DType::kFloat16) {
    const size_t n = t.data.size() / sizeof(uint16_t);
    for (size_t i = 0; i < n; ++i) {
      uint16_t bits;
      std::memcpy(&bits, t.data.data() + i * sizeof(uint16_t), sizeof(uint16_t));
      zeros += (bits & 0x7FFFu) == 0 ? 1 : 0;
    }
  } else if (t.dtype == DType::kInt8) {
    const uint8_t* values = t.data.data();
    for (size_t i = 0; i < t.data.size(); ++i) zeros += values[i] == 0 ? 1 : 0;
  }
  return zeros;
}

Result<std::vector<NodeCost>> node_costs(const Graph& graph) {
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<Shape> shapes, infer_shapes_for_batch(graph, 1));
  std::vector<NodeCost> costs(graph.nodes.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    NodeCost& cost = costs[n];
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const Tensor& t = graph.tensor(node.inputs[i]);
      if (!t.is_constant()) continue;
      cost.parameters += std::max<int64_t>(t.element_count(), 0);
      if (i == 1 && is_weight_layer_kind(node.kind)) cost.zero_weights += count_zero_weights(t);
    }
    const int64_t out_elements = element_count(shapes[static_cast<size_t>(node.outputs[0])]);
    const Shape& in0 = shapes[static_cast<size_t>(node.inputs[0])];
    switch (node.kind) {
      case OpKind::kConv2d: {
        const Shape& w = graph.tensor(node.inputs[1]).shape;
        cost.macs = saturating_mul(saturating_mul(out_elements, w[1]), saturating_mul(w[2], w[3]));
        break;
      }
      case OpKind::kLinear:
        cost.macs = saturating_mul(out_elements, graph.tensor(node.inputs[1]).shape[1]);
        break;
      case OpKind::kMaxPool:
      case OpKind::kAvgPool: {
        const auto& a = node.attr<Pool2dAttrs>();
        cost.macs = saturating_mul(out_elements, int64_t{a.kernel_h} * a.kernel_w);
        break;
      }
      case OpKind::kGlobalAvgPool:
        cost.macs = element_count(in0);
        break;
      case OpKind::kBatchNorm:
      case OpKind::kAdd:
      case OpKind::kMul:
      case OpKind::kSoftmax:
        cost.macs = out_elements;
        break;
      // No multiply-accumulates counted: activations (only fused ones count, below), copies and views.
      case OpKind::kRelu:
      case OpKind::kRelu6:
      case OpKind::kHardSwish:
      case OpKind::kHardSigmoid:
      case OpKind::kSigmoid:
      case OpKind::kConcat:
      case OpKind::kFlatten:
      case OpKind::kReshape:
      case OpKind::kDropout:
      case OpKind::kPad:
      case OpKind::kQuantize:
      case OpKind::kDequantize:
        break;
      case OpKind::kCount:
        return invalid_argument("node '", node.name, "': invalid op kind");
    }
    cost.macs += activation_macs(node.fused_activation, out_elements);
  }
  return costs;
}

}  // namespace gramlite::ir
