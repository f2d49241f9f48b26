#include "quant_test_models.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gramlite/ir/quantization.h"

namespace gramlite::format::testing {
namespace {

using ir::DType;
using ir::OpKind;
using ir::TensorId;

constexpr int64_t N = ir::kDynamicDim;
enum class Precision { kFloat32, kInt8, kDynamic, kFloat16 };

// Weights with a different magnitude per output channel, so that per-channel scales differ.
std::vector<float> weight_values(int64_t out_channels, int64_t per_channel) {
  std::vector<float> v(static_cast<size_t>(out_channels * per_channel));
  for (size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<float>(i / static_cast<size_t>(per_channel));
    v[i] = 0.03125f * static_cast<float>(static_cast<int>((i * 7) % 23) - 11) * (c + 1.0f) / 2.0f;
  }
  return v;
}

Buffer bytes_of(const void* data, size_t size) { return Buffer::copy_of(static_cast<const uint8_t*>(data), size); }

// IEEE binary16 bits of `x`, which must be zero or a normal half whose mantissa fits in 10 bits
// (weight_values() gives multiples of 1/64 well inside the range): exact, no rounding needed.
uint16_t half_bits(float x) {
  if (x == 0.0f) return 0;
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const int32_t exponent = static_cast<int32_t>((bits >> 23) & 0xFFu) - 127 + 15;
  const uint32_t mantissa = (bits >> 13) & 0x3FFu;
  return static_cast<uint16_t>(sign | (static_cast<uint32_t>(exponent) << 10) | mantissa);
}

struct Layer {
  TensorId weight;
  TensorId bias;
};

// The constants of one Conv2d / Linear at `precision`. `input_scale` is the int8 input's scale
// (int8 only): the bias scale is input scale x weight scale, per channel.
Layer add_layer_constants(ir::Graph& g, const std::string& name, ir::Shape weight_shape, const std::vector<float>& bias,
                          Precision precision, float input_scale) {
  const int64_t out = weight_shape[0];
  const int64_t per_channel = ir::element_count(weight_shape) / out;
  const std::vector<float> w = weight_values(out, per_channel);
  Layer layer{};
  const ir::Shape bias_shape{out};
  switch (precision) {
    case Precision::kFloat32:
      layer.weight = g.add_float_constant(name + ".weight", weight_shape, w);
      layer.bias = g.add_float_constant(name + ".bias", bias_shape, bias);
      return layer;
    case Precision::kFloat16: {
      std::vector<uint16_t> h(w.size());
      for (size_t i = 0; i < w.size(); ++i) h[i] = half_bits(w[i]);
      layer.weight = g.add_constant(name + ".weight", weight_shape, DType::kFloat16, bytes_of(h.data(), h.size() * 2));
      layer.bias = g.add_float_constant(name + ".bias", bias_shape, bias);
      return layer;
    }
    case Precision::kInt8:
    case Precision::kDynamic: {
      // docs/quantization.md: symmetric, per output channel, [-127, 127], zero point 0.
      std::vector<float> scales(static_cast<size_t>(out));
      std::vector<int8_t> q(w.size());
      for (int64_t c = 0; c < out; ++c) {
        float max_abs = 0.0f;
        for (int64_t i = 0; i < per_channel; ++i) max_abs = std::fmax(max_abs, std::fabs(w[static_cast<size_t>(c * per_channel + i)]));
        const float s = ir::choose_weight_scale(max_abs);
        scales[static_cast<size_t>(c)] = s;
        for (int64_t i = 0; i < per_channel; ++i) {
          const auto at = static_cast<size_t>(c * per_channel + i);
          q[at] = static_cast<int8_t>(ir::quantize_value(w[at], s, 0, -ir::kInt8WeightMax, ir::kInt8WeightMax));
        }
      }
      layer.weight = g.add_constant(name + ".weight", weight_shape, DType::kInt8, bytes_of(q.data(), q.size()));
      g.tensor(layer.weight).quant = {scales, std::vector<int32_t>(scales.size(), 0), 0};
      if (precision == Precision::kDynamic) {
        layer.bias = g.add_float_constant(name + ".bias", bias_shape, bias);
        return layer;
      }
      // int32, zero point 0, scale[c] = input scale * weight scale[c].
      std::vector<float> bias_scales(static_cast<size_t>(out));
      std::vector<int32_t> qb(static_cast<size_t>(out));
      for (size_t c = 0; c < bias_scales.size(); ++c) {
        bias_scales[c] = input_scale * scales[c];
        qb[c] = static_cast<int32_t>(std::nearbyint(bias[c] / bias_scales[c]));
      }
      layer.bias = g.add_constant(name + ".bias", bias_shape, DType::kInt32, bytes_of(qb.data(), qb.size() * 4));
      g.tensor(layer.bias).quant = {bias_scales, std::vector<int32_t>(bias_scales.size(), 0), 0};
      return layer;
    }
  }
  return layer;
}

TensorId add_node(ir::Graph& g, const std::string& name, OpKind kind, std::vector<TensorId> inputs,
                  const std::string& output, ir::Shape shape, DType dtype, ir::Attributes attrs = {},
                  ir::Activation activation = ir::Activation::kNone) {
  const TensorId out = g.add_value(output, std::move(shape), dtype);
  g.add_node({name, kind, std::move(inputs), {out}, std::move(attrs), activation});
  return out;
}

void set_quant(ir::Graph& g, TensorId id, ir::AffineQuant q) { g.tensor(id).quant = {{q.scale}, {q.zero_point}, -1}; }

ir::Graph build(Precision precision) {
  const bool int8 = precision == Precision::kInt8;
  const DType act = int8 ? DType::kInt8 : DType::kFloat32;
  ir::Graph g;
  const TensorId image = g.add_value("image", {N, 3, 6, 6});
  g.inputs = {image};
  TensorId x = image;
  float x_scale = 0.0f;
  if (int8) {
    x = add_node(g, "quantize", OpKind::kQuantize, {image}, "image.q", {N, 3, 6, 6}, DType::kInt8);
    const ir::AffineQuant q = ir::choose_activation_quant(-2.0f, 2.5f);
    set_quant(g, x, q);
    x_scale = q.scale;
  }
  ir::Conv2dAttrs conv;
  conv.kernel_h = conv.kernel_w = 3;
  conv.padding = {1, 1, 1, 1};
  const Layer c = add_layer_constants(g, "conv", {4, 3, 3, 3}, {0.125f, -0.25f, 0.0625f, 0.375f}, precision, x_scale);
  const TensorId conv_out = add_node(g, "conv", OpKind::kConv2d, {x, c.weight, c.bias}, "conv_out", {N, 4, 6, 6}, act,
                                     conv, ir::Activation::kRelu);
  const TensorId gap = add_node(g, "gap", OpKind::kGlobalAvgPool, {conv_out}, "gap_out", {N, 4, 1, 1}, act);
  const TensorId flat = add_node(g, "flatten", OpKind::kFlatten, {gap}, "flat", {N, 4}, act, ir::FlattenAttrs{1});
  float flat_scale = 0.0f;
  if (int8) {
    set_quant(g, conv_out, ir::choose_activation_quant(0.0f, 3.0f));  // after ReLU
    const ir::AffineQuant pooled = ir::choose_activation_quant(0.0f, 2.0f);
    set_quant(g, gap, pooled);
    set_quant(g, flat, pooled);  // a view: the same parameters
    flat_scale = pooled.scale;
  }
  const Layer f = add_layer_constants(g, "fc", {3, 4}, {0.5f, -0.5f, 0.25f}, precision, flat_scale);
  const TensorId fc = add_node(g, "fc", OpKind::kLinear, {flat, f.weight, f.bias}, int8 ? "fc_out" : "logits", {N, 3}, act);
  if (!int8) {
    g.outputs = {fc};
  } else {
    set_quant(g, fc, ir::choose_activation_quant(-4.0f, 4.0f));
    const TensorId logits = add_node(g, "dequantize", OpKind::kDequantize, {fc}, "logits", {N, 3}, DType::kFloat32);
    // Softmax has no int8 kernel: it stays float, after the Dequantize (docs/quantization.md).
    g.outputs = {add_node(g, "softmax", OpKind::kSoftmax, {logits}, "probs", {N, 3}, DType::kFloat32,
                          ir::SoftmaxAttrs{1})};
    g.metadata.output_kind = ir::OutputKind::kProbabilities;
  }
  g.metadata.name = "quant test";
  g.metadata.architecture = "test_quant";
  g.metadata.class_names = {"a", "b", "c"};
  return g;
}

}  // namespace

ir::Graph make_int8_graph() { return build(Precision::kInt8); }
ir::Graph make_dynamic_graph() { return build(Precision::kDynamic); }
ir::Graph make_fp16_graph() { return build(Precision::kFloat16); }
ir::Graph make_float_graph() { return build(Precision::kFloat32); }

}  // namespace gramlite::format::testing
