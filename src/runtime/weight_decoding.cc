#include "runtime/weight_decoding.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "base/float16.h"

namespace gramlite::runtime {
namespace {

enum class Decoding { kNone, kHalf, kDequantize };

// What to do with tensor `id`: decode only constants every consumer reads in float32 (the
// consumer's input 0 is float32) as something other than its input 0; dequantize int8 only as the
// weight or bias of a Conv2d / Linear.
Decoding decoding_of(const ir::Graph& graph, const std::vector<std::vector<int>>& consumers, ir::TensorId id) {
  const ir::Tensor& t = graph.tensor(id);
  if (!t.is_constant() || t.sparsity.encoding != ir::SparsityEncoding::kDense) return Decoding::kNone;
  const Decoding wanted = t.dtype == ir::DType::kFloat16                         ? Decoding::kHalf
                          : t.dtype == ir::DType::kInt8 && !t.quant.empty() ? Decoding::kDequantize
                                                                              : Decoding::kNone;
  if (wanted == Decoding::kNone) return Decoding::kNone;
  const std::vector<int>& readers = consumers[static_cast<size_t>(id)];
  if (readers.empty()) return Decoding::kNone;
  for (int n : readers) {
    const ir::Node& node = graph.nodes[static_cast<size_t>(n)];
    if (node.inputs.empty() || node.inputs[0] == id || node.inputs[0] == ir::kNoTensor) return Decoding::kNone;
    if (graph.tensor(node.inputs[0]).dtype != ir::DType::kFloat32) return Decoding::kNone;
    if (wanted == Decoding::kDequantize) {
      const bool weight_layer = node.kind == ir::OpKind::kConv2d || node.kind == ir::OpKind::kLinear;
      const bool weight_or_bias = (node.inputs.size() > 1 && node.inputs[1] == id) ||
                                  (node.inputs.size() > 2 && node.inputs[2] == id);
      if (!weight_layer || !weight_or_bias) return Decoding::kNone;
    }
  }
  return wanted;
}

Result<Buffer> widen_half(const ir::Tensor& t, size_t count) {
  if (t.data.size() != count * sizeof(uint16_t)) {
    return invalid_argument("float16 constant '", t.name, "' has ", t.data.size(), " bytes; shape ",
                            ir::shape_to_string(t.shape), " needs ", count * sizeof(uint16_t));
  }
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i) {
    uint16_t bits = 0;
    std::memcpy(&bits, t.data.data() + i * sizeof(uint16_t), sizeof(bits));
    values[i] = half_to_float(bits);
  }
  return Buffer::copy_of(values.data(), values.size() * sizeof(float));
}

// real = scale[c] * (q - zero_point[c]), c the index along quant.axis (one scale: per tensor).
Result<Buffer> dequantize_int8(const ir::Tensor& t, size_t count) {
  const ir::QuantParams& q = t.quant;
  if (t.data.size() != count) {
    return invalid_argument("int8 constant '", t.name, "' has ", t.data.size(), " bytes; shape ",
                            ir::shape_to_string(t.shape), " needs ", count);
  }
  if (!q.zero_points.empty() && q.zero_points.size() != q.scales.size()) {
    return invalid_argument("int8 constant '", t.name, "' has ", q.scales.size(), " scales but ", q.zero_points.size(),
                            " zero points");
  }
  size_t inner = 1, channels = 1;
  if (q.per_channel()) {
    if (q.axis < 0 || static_cast<size_t>(q.axis) >= t.shape.size() ||
        t.shape[static_cast<size_t>(q.axis)] != static_cast<int64_t>(q.scales.size())) {
      return invalid_argument("int8 constant '", t.name, "' has ", q.scales.size(), " scales along axis ", q.axis,
                              " of shape ", ir::shape_to_string(t.shape));
    }
    channels = q.scales.size();
    for (size_t d = static_cast<size_t>(q.axis) + 1; d < t.shape.size(); ++d) inner *= static_cast<size_t>(t.shape[d]);
  }
  for (float s : q.scales) {
    if (!(s > 0.0f) || !std::isfinite(s)) return invalid_argument("int8 constant '", t.name, "' has scale ", s);
  }
  const auto* data = t.data.as<int8_t>();
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t c = channels == 1 ? 0 : (i / inner) % channels;
    const int32_t zero_point = q.zero_points.empty() ? 0 : q.zero_points[c];
    values[i] = q.scales[c] * static_cast<float>(data[i] - zero_point);  // ir::dequantize_value's formula
  }
  return Buffer::copy_of(values.data(), values.size() * sizeof(float));
}

}  // namespace

bool has_narrow_weights(const ir::Graph& graph) {
  const auto consumers = graph.consumers();
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    if (decoding_of(graph, consumers, static_cast<ir::TensorId>(t)) != Decoding::kNone) return true;
  }
  return false;
}

Result<int> decode_narrow_weights(ir::Graph& graph) {
  const auto consumers = graph.consumers();
  int decoded = 0;
  for (size_t index = 0; index < graph.tensors.size(); ++index) {
    const Decoding decoding = decoding_of(graph, consumers, static_cast<ir::TensorId>(index));
    if (decoding == Decoding::kNone) continue;
    ir::Tensor& t = graph.tensors[index];
    const int64_t count = t.element_count();
    if (count < 0 || count > ir::kMaxElementCount) {
      return invalid_argument("constant '", t.name, "' has shape ", ir::shape_to_string(t.shape));
    }
    GRAMLITE_ASSIGN_OR_RETURN(Buffer widened, decoding == Decoding::kHalf
                                                  ? widen_half(t, static_cast<size_t>(count))
                                                  : dequantize_int8(t, static_cast<size_t>(count)));
    t.data = std::move(widened);
    t.dtype = ir::DType::kFloat32;
    t.quant = {};
    ++decoded;
  }
  return decoded;
}

}  // namespace gramlite::runtime
