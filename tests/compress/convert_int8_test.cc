// The int8 graph's structure (docs/quantization.md): dtypes, parameters, Quantize / Dequantize
// positions, kept-float layers, per-tensor and 7-bit weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "gramlite/compress/quantize.h"
#include "gramlite/ir/quantization.h"
#include "gramlite/ir/validate.h"
#include "test_graphs.h"

namespace gramlite::compress {
namespace {

using testing::node_named;
using testing::small_classifier;
using testing::tensor_named;
using testing::values_of;

ir::Graph prepared_classifier() {
  auto prepared = prepare_for_quantization(small_classifier());
  EXPECT_TRUE(prepared.ok()) << prepared.status().message();
  return prepared.ok() ? std::move(prepared).value() : ir::Graph{};
}

// A distinct made-up range for every float activation of `graph`.
ir::ActivationRanges made_up_ranges(const ir::Graph& graph) {
  ir::ActivationRanges ranges;
  float k = 0.0f;
  for (const ir::Tensor& t : graph.tensors) {
    if (t.is_constant()) continue;
    ranges[t.name] = {-1.0f - 0.1f * k, 2.0f + 0.25f * k};
    k += 1.0f;
  }
  return ranges;
}

ir::QuantParams expected_params(const ir::ActivationRanges& ranges, const std::string& name) {
  const ir::AffineQuant q = ir::choose_activation_quant(ranges.at(name).min, ranges.at(name).max);
  ir::QuantParams p;
  p.scales = {q.scale};
  p.zero_points = {q.zero_point};
  p.axis = -1;
  return p;
}

size_t count_kind(const ir::Graph& graph, ir::OpKind kind) {
  return static_cast<size_t>(std::count_if(graph.nodes.begin(), graph.nodes.end(),
                                           [kind](const ir::Node& n) { return n.kind == kind; }));
}

TEST(PrepareForQuantization, FoldsFusesAndSplitsLookupActivations) {
  const ir::Graph prepared = prepared_classifier();
  EXPECT_EQ(count_kind(prepared, ir::OpKind::kBatchNorm), 0u);
  EXPECT_EQ(count_kind(prepared, ir::OpKind::kRelu), 0u);
  EXPECT_EQ(node_named(prepared, "conv1").fused_activation, ir::Activation::kRelu);
  EXPECT_EQ(node_named(prepared, "add").fused_activation, ir::Activation::kRelu6);
  // The HardSwish fused into "dw" by the passes is split off again, so calibration sees both sides.
  EXPECT_EQ(node_named(prepared, "dw").fused_activation, ir::Activation::kNone);
  EXPECT_EQ(prepared.tensor(node_named(prepared, "dw").outputs[0]).name, "dw.pre_activation");
  EXPECT_EQ(node_named(prepared, "dw.hardswish").kind, ir::OpKind::kHardSwish);
  EXPECT_EQ(prepared.tensor(node_named(prepared, "dw.hardswish").outputs[0]).name, "hs:out");
  // Names kept: the ReLU's output is the folded convolution's now.
  EXPECT_EQ(prepared.tensor(node_named(prepared, "conv1").outputs[0]).name, "relu1:out");
  EXPECT_TRUE(ir::validate(prepared).ok());
}

TEST(PrepareForQuantization, RefusesAQuantizedModel) {
  const ir::Graph prepared = prepared_classifier();
  auto int8 = convert_to_int8(prepared, made_up_ranges(prepared), {});
  ASSERT_TRUE(int8.ok()) << int8.status().message();
  auto again = prepare_for_quantization(*int8);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("already quantized"), std::string::npos) << again.status().message();
}

TEST(ConvertToInt8, ActivationsWeightsAndBias) {
  const ir::Graph prepared = prepared_classifier();
  const ir::ActivationRanges ranges = made_up_ranges(prepared);
  auto converted = convert_to_int8(prepared, ranges, {});
  ASSERT_TRUE(converted.ok()) << converted.status().message();
  const ir::Graph& g = *converted;
  ASSERT_TRUE(ir::validate(g).ok());

  // Images in, probabilities out, in float, under the model's names.
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.tensor(g.inputs[0]).name, "input");
  EXPECT_EQ(g.tensor(g.inputs[0]).dtype, ir::DType::kFloat32);
  EXPECT_EQ(g.tensor(g.outputs[0]).name, "softmax:out");
  EXPECT_EQ(g.tensor(g.outputs[0]).dtype, ir::DType::kFloat32);

  // One Quantize, right after the input; one Dequantize, before the softmax.
  EXPECT_EQ(count_kind(g, ir::OpKind::kQuantize), 1u);
  EXPECT_EQ(count_kind(g, ir::OpKind::kDequantize), 1u);
  EXPECT_EQ(g.nodes.front().kind, ir::OpKind::kQuantize);
  EXPECT_EQ(g.nodes.front().inputs[0], g.inputs[0]);
  const ir::Tensor& xq = tensor_named(g, "input.quantized");
  EXPECT_EQ(xq.dtype, ir::DType::kInt8);
  EXPECT_EQ(xq.quant, expected_params(ranges, "input"));
  const ir::Node& dq = node_named(g, "fc:out.dequantize");
  EXPECT_EQ(dq.kind, ir::OpKind::kDequantize);
  EXPECT_EQ(g.tensor(dq.inputs[0]).name, "fc:out");
  EXPECT_EQ(node_named(g, "softmax").inputs[0], dq.outputs[0]);
  EXPECT_EQ(float_nodes_in_int8_graph(g), std::vector<std::string>{"softmax"});

  // Every other activation is int8 with its own range's parameters, except the ops that keep
  // their input's: max pooling and the flatten view.
  for (const char* name : {"relu1:out", "dw.pre_activation", "hs:out", "pw:out", "relu6:out", "gap:out", "fc:out"}) {
    const ir::Tensor& t = tensor_named(g, name);
    EXPECT_EQ(t.dtype, ir::DType::kInt8) << name;
    EXPECT_EQ(t.quant, expected_params(ranges, name)) << name;
  }
  EXPECT_EQ(tensor_named(g, "pool:out").dtype, ir::DType::kInt8);
  EXPECT_EQ(tensor_named(g, "pool:out").quant, tensor_named(g, "hs:out").quant);
  EXPECT_EQ(tensor_named(g, "flatten:out").quant, tensor_named(g, "gap:out").quant);
  // The lookup-table activation is its own int8 node; the clamps stay fused.
  EXPECT_EQ(node_named(g, "dw.hardswish").kind, ir::OpKind::kHardSwish);
  EXPECT_EQ(node_named(g, "conv1").fused_activation, ir::Activation::kRelu);
  EXPECT_EQ(node_named(g, "add").fused_activation, ir::Activation::kRelu6);

  // Weights: int8, per output channel, scale max|w[c]| / 127, zero point 0, values round(w / s).
  for (const char* layer : {"conv1", "dw", "pw", "fc"}) {
    SCOPED_TRACE(layer);
    const ir::Node& fp = node_named(prepared, layer);
    const ir::Node& q = node_named(g, layer);
    const ir::Tensor& wf = prepared.tensor(fp.inputs[1]);
    const ir::Tensor& wq = g.tensor(q.inputs[1]);
    EXPECT_EQ(wq.name, wf.name);
    ASSERT_EQ(wq.dtype, ir::DType::kInt8);
    const auto channels = static_cast<size_t>(wf.shape[0]);
    ASSERT_EQ(wq.quant.scales.size(), channels);
    EXPECT_TRUE(wq.quant.zero_points.empty());  // symmetric: all 0, not stored
    EXPECT_EQ(wq.quant.axis, 0);
    const std::vector<float> w = values_of<float>(wf);
    const std::vector<int8_t> wi = values_of<int8_t>(wq);
    const size_t per = w.size() / channels;
    for (size_t c = 0; c < channels; ++c) {
      float max_abs = 0.0f;
      for (size_t k = 0; k < per; ++k) max_abs = std::max(max_abs, std::fabs(w[c * per + k]));
      EXPECT_FLOAT_EQ(wq.quant.scales[c], max_abs / 127.0f);
      int max_q = 0;
      for (size_t k = 0; k < per; ++k) {
        EXPECT_EQ(wi[c * per + k], static_cast<int8_t>(std::nearbyint(w[c * per + k] / wq.quant.scales[c])));
        max_q = std::max(max_q, std::abs(static_cast<int>(wi[c * per + k])));
      }
      EXPECT_EQ(max_q, 127);  // the largest weight of each channel uses the whole range
    }
    // Bias: int32, scale input scale x weight scale[c], values round(b / scale).
    ASSERT_EQ(q.inputs.size(), 3u);
    const ir::Tensor& bq = g.tensor(q.inputs[2]);
    ASSERT_EQ(bq.dtype, ir::DType::kInt32);
    const float sx = g.tensor(q.inputs[0]).quant.scales[0];
    const std::vector<float> b = values_of<float>(prepared.tensor(fp.inputs[2]));
    const std::vector<int32_t> bi = values_of<int32_t>(bq);
    for (size_t c = 0; c < channels; ++c) {
      EXPECT_FLOAT_EQ(bq.quant.scales[c], sx * wq.quant.scales[c]);
      EXPECT_TRUE(bq.quant.zero_points.empty());
      EXPECT_EQ(bi[c], static_cast<int32_t>(std::nearbyint(static_cast<double>(b[c]) / bq.quant.scales[c])));
    }
  }
}

TEST(ConvertToInt8, PerTensorAndSevenBitWeights) {
  const ir::Graph prepared = prepared_classifier();
  Int8Options options;
  options.per_tensor_weights = true;
  options.weight_bits = 7;
  auto converted = convert_to_int8(prepared, made_up_ranges(prepared), options);
  ASSERT_TRUE(converted.ok()) << converted.status().message();
  for (const char* layer : {"conv1", "dw", "pw", "fc"}) {
    SCOPED_TRACE(layer);
    const ir::Tensor& w_float = prepared.tensor(node_named(prepared, layer).inputs[1]);
    const ir::Tensor& wq = converted->tensor(node_named(*converted, layer).inputs[1]);
    const std::vector<float> w = values_of<float>(w_float);
    float max_abs = 0.0f;
    for (float v : w) max_abs = std::max(max_abs, std::fabs(v));
    ASSERT_EQ(wq.quant.scales.size(), 1u);
    EXPECT_FLOAT_EQ(wq.quant.scales[0], max_abs / 63.0f);
    const std::vector<int8_t> wi = values_of<int8_t>(wq);
    int max_q = 0;
    for (int8_t v : wi) max_q = std::max(max_q, std::abs(static_cast<int>(v)));
    EXPECT_EQ(max_q, 63);
    const ir::Tensor& bq = converted->tensor(node_named(*converted, layer).inputs[2]);
    ASSERT_EQ(bq.quant.scales.size(), 1u);
  }
  Int8Options bad;
  bad.weight_bits = 4;
  EXPECT_FALSE(convert_to_int8(prepared, made_up_ranges(prepared), bad).ok());
}

TEST(ConvertToInt8, KeepFloatLayersGetDequantizeAndQuantizeAround) {
  const ir::Graph prepared = prepared_classifier();
  const ir::ActivationRanges ranges = made_up_ranges(prepared);
  Int8Options options;
  options.keep_float = {"pw", "dw"};
  auto converted = convert_to_int8(prepared, ranges, options);
  ASSERT_TRUE(converted.ok()) << converted.status().message();
  const ir::Graph& g = *converted;
  // dw's HardSwish stays with it in float; the max pool after it reads a quantized copy.
  EXPECT_EQ(float_nodes_in_int8_graph(g), (std::vector<std::string>{"dw", "dw.hardswish", "pw", "softmax"}));
  const ir::Node& dw = node_named(g, "dw");
  EXPECT_EQ(g.tensor(dw.inputs[0]).name, "relu1:out.dequantized");
  EXPECT_EQ(g.tensor(dw.inputs[1]).dtype, ir::DType::kFloat32);
  EXPECT_EQ(tensor_named(g, "hs:out").dtype, ir::DType::kFloat32);
  const ir::Node& pool = node_named(g, "pool");
  EXPECT_EQ(g.tensor(pool.inputs[0]).name, "hs:out.quantized");
  EXPECT_EQ(g.tensor(pool.inputs[0]).quant, expected_params(ranges, "hs:out"));
  // pw reads the pooled map dequantized; its float output is quantized for the int8 add.
  const ir::Node& pw = node_named(g, "pw");
  EXPECT_EQ(g.tensor(pw.inputs[0]).name, "pool:out.dequantized");
  EXPECT_EQ(g.tensor(pw.outputs[0]).dtype, ir::DType::kFloat32);
  const ir::Node& add = node_named(g, "add");
  EXPECT_EQ(g.tensor(add.inputs[0]).name, "pool:out");
  EXPECT_EQ(g.tensor(add.inputs[1]).name, "pw:out.quantized");
  EXPECT_EQ(g.tensor(add.inputs[1]).quant, expected_params(ranges, "pw:out"));
  EXPECT_EQ(count_kind(g, ir::OpKind::kQuantize), 3u);    // input, hs:out, pw:out
  EXPECT_EQ(count_kind(g, ir::OpKind::kDequantize), 3u);  // relu1:out, pool:out, fc:out
  EXPECT_TRUE(ir::validate(g).ok());

  options.keep_float = {"no_such_layer"};
  auto missing = convert_to_int8(prepared, ranges, options);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'no_such_layer'"), std::string::npos);
}

TEST(ConvertToInt8, MissingRangeNamesTheTensor) {
  const ir::Graph prepared = prepared_classifier();
  ir::ActivationRanges ranges = made_up_ranges(prepared);
  ranges.erase("gap:out");
  auto converted = convert_to_int8(prepared, ranges, {});
  ASSERT_FALSE(converted.ok());
  EXPECT_NE(converted.status().message().find("'gap:out'"), std::string::npos) << converted.status().message();
  ranges = made_up_ranges(prepared);
  ranges["gap:out"].max = std::nanf("");
  EXPECT_FALSE(convert_to_int8(prepared, ranges, {}).ok());
}

// A logits graph output computed in int8 keeps its name on the float side; a layer without bias
// gets a zero int32 bias; a batch norm with no convolution before it stays float.
TEST(ConvertToInt8, LogitsOutputBiaslessLayerAndUnfoldableBatchNorm) {
  testing::GraphBuilder b;
  const ir::TensorId x = b.input("input", {ir::kDynamicDim, 2, 4, 4});
  const ir::TensorId bn = b.node("bn", ir::OpKind::kBatchNorm,
                                 {x, b.constant("bn.weight", {2}, 0.5f, 1.5f), b.constant("bn.bias", {2}, -0.2f, 0.2f),
                                  b.constant("bn.mean", {2}, -0.1f, 0.1f), b.constant("bn.var", {2}, 0.5f, 1.5f)},
                                 ir::BatchNormAttrs{});
  const ir::TensorId conv = b.node("conv", ir::OpKind::kConv2d, {bn, b.constant("conv.weight", {3, 2, 3, 3}, -1.0f, 1.0f)},
                                   testing::conv3x3());
  const ir::TensorId gap = b.node("gap", ir::OpKind::kGlobalAvgPool, {conv});
  const ir::TensorId flat = b.node("flatten", ir::OpKind::kFlatten, {gap}, ir::FlattenAttrs{});
  const ir::TensorId fc = b.node("logits", ir::OpKind::kLinear, {flat, b.constant("fc.weight", {2, 3}, -1.0f, 1.0f)});
  auto prepared = prepare_for_quantization(b.finish({fc}));
  ASSERT_TRUE(prepared.ok()) << prepared.status().message();
  const ir::ActivationRanges ranges = made_up_ranges(*prepared);
  auto converted = convert_to_int8(*prepared, ranges, {});
  ASSERT_TRUE(converted.ok()) << converted.status().message();
  const ir::Graph& g = *converted;
  EXPECT_EQ(float_nodes_in_int8_graph(g), std::vector<std::string>{"bn"});
  EXPECT_EQ(g.tensor(node_named(g, "bn").inputs[0]).name, "input");  // no Quantize before a float node
  EXPECT_EQ(g.tensor(node_named(g, "conv").inputs[0]).name, "bn:out.quantized");
  EXPECT_EQ(g.tensor(g.outputs[0]).name, "logits:out");
  EXPECT_EQ(g.tensor(g.outputs[0]).dtype, ir::DType::kFloat32);
  const ir::Tensor& int8_logits = tensor_named(g, "logits:out.quantized");
  EXPECT_EQ(int8_logits.dtype, ir::DType::kInt8);
  EXPECT_EQ(int8_logits.quant, expected_params(ranges, "logits:out"));
  EXPECT_EQ(g.nodes.back().kind, ir::OpKind::kDequantize);
  for (const char* layer : {"conv", "logits"}) {
    const ir::Node& n = node_named(g, layer);
    ASSERT_EQ(n.inputs.size(), 3u) << layer;
    const ir::Tensor& bias = g.tensor(n.inputs[2]);
    EXPECT_EQ(bias.dtype, ir::DType::kInt32);
    const std::vector<int32_t> zeros = values_of<int32_t>(bias);
    EXPECT_EQ(zeros, std::vector<int32_t>(zeros.size(), 0));
    EXPECT_EQ(bias.quant.scales.size(), zeros.size());
  }
  EXPECT_TRUE(ir::validate(g).ok());
}

}  // namespace
}  // namespace gramlite::compress
