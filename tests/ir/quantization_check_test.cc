// ir::validate_quantization: each rule of docs/quantization.md's "Validation" refuses a graph that
// breaks it, naming the tensor; graphs written by the spec (and float graphs) pass.
#include "gramlite/ir/quantization_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "gramlite/ir/validate.h"
#include "quant_test_models.h"
#include "test_graphs.h"

namespace gramlite::ir {
namespace {

using format::testing::make_dynamic_graph;
using format::testing::make_float_graph;
using format::testing::make_fp16_graph;
using format::testing::make_int8_graph;
using ::testing::AllOf;
using ::testing::HasSubstr;

Tensor& tensor(Graph& g, const char* name) {
  const auto id = g.find_tensor(name);
  EXPECT_TRUE(id.has_value()) << name;
  return g.tensor(*id);
}

// The error of validate_quantization, and the same from ir::validate (which runs it).
std::string error_of(const Graph& g) {
  const Status direct = validate_quantization(g);
  const Status full = validate(g);
  EXPECT_FALSE(direct.ok());
  EXPECT_FALSE(full.ok());
  EXPECT_EQ(direct.message(), full.message());
  EXPECT_EQ(full.code(), StatusCode::kInvalidArgument);
  return direct.message();
}

TEST(QuantizationCheck, GraphsWrittenByTheSpecPass) {
  for (const Graph& g : {make_int8_graph(), make_dynamic_graph(), make_fp16_graph(), make_float_graph(),
                         testing::conv_bn_relu_graph()}) {
    const Status q = validate_quantization(g);
    EXPECT_TRUE(q.ok()) << q.message();
    const Status v = validate(g);
    EXPECT_TRUE(v.ok()) << v.message();
  }
}

TEST(QuantizationCheck, FloatGraphsAreUnaffectedByTheirWeightValues) {
  // Float weights may hold anything, -128.0 and NaN included: the rules are about int8 data.
  Graph g = make_float_graph();
  std::vector<float> w(108, -128.0f);
  w[5] = std::numeric_limits<float>::quiet_NaN();
  tensor(g, "conv.weight").data = Buffer::copy_of(reinterpret_cast<const uint8_t*>(w.data()), w.size() * 4);
  EXPECT_TRUE(validate_quantization(g).ok());
}

TEST(QuantizationCheck, RefusesBadScalesNamingTheTensor) {
  const float bad[] = {0.0f, -0.5f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                       -0.0f};
  for (const char* name : {"image.q", "conv.weight", "conv.bias", "conv_out", "fc.weight"}) {
    for (float scale : bad) {
      Graph g = make_int8_graph();
      tensor(g, name).quant.scales.back() = scale;
      EXPECT_THAT(error_of(g), AllOf(HasSubstr(std::string("tensor '") + name + "'"),
                                     HasSubstr("a scale must be positive and finite")))
          << name << " " << scale;
    }
  }
}

TEST(QuantizationCheck, RefusesInt8ZeroPointsOutOfRange) {
  for (int32_t zp : {128, -129, 1 << 20}) {
    Graph g = make_int8_graph();
    tensor(g, "conv_out").quant.zero_points = {zp};
    EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'conv_out'"), HasSubstr("outside [-128, 127]")));
  }
  Graph g = make_int8_graph();
  tensor(g, "image.q").quant.zero_points = {127};  // the edge is fine
  EXPECT_TRUE(validate_quantization(g).ok());
  tensor(g, "image.q").quant.zero_points = {-128};
  EXPECT_TRUE(validate_quantization(g).ok());
}

TEST(QuantizationCheck, RefusesNonZeroWeightAndBiasZeroPoints) {
  Graph g = make_int8_graph();
  tensor(g, "conv.weight").quant.zero_points[2] = 1;
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'conv.weight' (input 1 of Conv2d 'conv')"),
                                 HasSubstr("zero point #2 is 1, not 0")));
  g = make_int8_graph();
  tensor(g, "fc.bias").quant.zero_points[0] = -3;
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'fc.bias' (input 2 of Linear 'fc')"), HasSubstr("not 0")));
  g = make_dynamic_graph();  // dynamic weights are symmetric too
  tensor(g, "fc.weight").quant.zero_points[0] = 5;
  EXPECT_THAT(error_of(g), HasSubstr("tensor 'fc.weight'"));
}

TEST(QuantizationCheck, Int8ActivationsNeedExactlyOneScale) {
  Graph g = make_int8_graph();
  tensor(g, "gap_out").quant = {};
  EXPECT_THAT(error_of(g),
              AllOf(HasSubstr("tensor 'gap_out'"), HasSubstr("int8 activation without quantization parameters")));
  g = make_int8_graph();
  tensor(g, "conv_out").quant = {{0.1f, 0.2f, 0.3f, 0.4f}, {0, 0, 0, 0}, 1};  // per channel: not for activations
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'conv_out'"), HasSubstr("4 scales"), HasSubstr("one scale")));
}

TEST(QuantizationCheck, WeightScalesMustBeOnePerOutputChannel) {
  Graph g = make_int8_graph();
  tensor(g, "conv.weight").quant = {{0.1f, 0.2f, 0.3f}, {0, 0, 0}, 1};  // along the input channels
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'conv.weight'"), HasSubstr("along axis 0")));
  g = make_int8_graph();
  tensor(g, "fc.weight").quant = {{0.1f, 0.2f}, {0, 0}, 0};  // 2 scales, 3 output channels
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'fc.weight'"), HasSubstr("axis does not match the shape")));
  g = make_int8_graph();
  tensor(g, "fc.weight").quant = {};
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'fc.weight'"), HasSubstr("an int8 weight needs scales")));
}

TEST(QuantizationCheck, PerTensorWeightsWithMatchingBiasPass) {
  // --per-tensor: one weight scale; the bias scale is then input scale x that one scale.
  Graph g = make_int8_graph();
  Tensor& w = tensor(g, "fc.weight");
  const float s = w.quant.scales[0];
  w.quant = {{s}, {0}, -1};
  const float input_scale = tensor(g, "flat").quant.scales[0];
  tensor(g, "fc.bias").quant = {{input_scale * s}, {0}, -1};
  const Status ok = validate(g);
  EXPECT_TRUE(ok.ok()) << ok.message();
}

TEST(QuantizationCheck, RefusesMinus128InInt8Weights) {
  for (Graph g : {make_int8_graph(), make_dynamic_graph()}) {
    Tensor& w = tensor(g, "conv.weight");
    std::vector<uint8_t> bytes(w.data.data(), w.data.data() + w.data.size());
    bytes[17] = 0x80;
    w.data = Buffer::copy_of(bytes.data(), bytes.size());
    EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'conv.weight'"), HasSubstr("element 17 is -128")));
  }
}

TEST(QuantizationCheck, Int32BiasNeedsScalesThatMatchInputTimesWeight) {
  Graph g = make_int8_graph();
  tensor(g, "conv.bias").quant = {};
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'conv.bias' (input 2 of Conv2d 'conv')"),
                                 HasSubstr("an int32 bias needs scales")));

  // Off by 1e-4 relative: refused. Off by one float ulp (float rounding of the product): fine.
  g = make_int8_graph();
  float& scale = tensor(g, "conv.bias").quant.scales[3];
  const float exact = scale;
  scale = exact * (1.0f + 1e-4f);
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'conv.bias'"), HasSubstr("channel 3"),
                                 HasSubstr("input scale x weight scale")));
  scale = std::nextafter(exact, 1.0f);
  Status near = validate_quantization(g);
  EXPECT_TRUE(near.ok()) << near.message();

  // One bias scale for four different weight scales cannot match them all.
  g = make_int8_graph();
  tensor(g, "conv.bias").quant = {{tensor(g, "conv.bias").quant.scales[0]}, {0}, -1};
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'conv.bias'"), HasSubstr("channel 1")));

  // A change in the input's scale breaks its consumer's bias.
  g = make_int8_graph();
  tensor(g, "image.q").quant.scales[0] *= 2.0f;
  EXPECT_THAT(error_of(g), HasSubstr("tensor 'conv.bias'"));
}

TEST(QuantizationCheck, Int8LayersNeedAnInt32BiasAndInt32BiasesNeedInt8Layers) {
  Graph g = make_int8_graph();
  Tensor& b = tensor(g, "fc.bias");
  std::vector<float> values(3, 0.5f);
  b.dtype = DType::kFloat32;
  b.quant = {};
  b.data = Buffer::copy_of(reinterpret_cast<const uint8_t*>(values.data()), 12);
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'fc.bias'"), HasSubstr("must be int32, not fp32")));

  g = make_dynamic_graph();  // float input: an int32 bias has no scale to be in
  Tensor& db = tensor(g, "fc.bias");
  std::vector<int32_t> ints(3, 7);
  db.dtype = DType::kInt32;
  db.quant = {{0.01f, 0.01f, 0.01f}, {0, 0, 0}, 0};
  db.data = Buffer::copy_of(reinterpret_cast<const uint8_t*>(ints.data()), 12);
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'fc.bias'"), HasSubstr("needs an int8 input")));
}

TEST(QuantizationCheck, QuantizeAndDequantizeDtypes) {
  Graph g = make_int8_graph();
  tensor(g, "image.q").quant = {};
  tensor(g, "image.q").dtype = DType::kFloat32;
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'image.q' (output of Quantize 'quantize')"),
                                 HasSubstr("writes int8 with one scale")));

  g = make_int8_graph();
  tensor(g, "logits").dtype = DType::kInt8;
  tensor(g, "logits").quant = {{0.1f}, {0}, -1};
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'logits' (output of Dequantize 'dequantize')"),
                                 HasSubstr("writes float32, not int8")));

  // A Quantize reading int8 (a double quantization) and a Dequantize reading float.
  g = make_int8_graph();
  Node quantize_again{"requantize", OpKind::kQuantize, {*g.find_tensor("fc_out")}, {}, {}, Activation::kNone};
  quantize_again.outputs = {g.add_value("twice", {kDynamicDim, 3}, DType::kInt8)};
  g.tensor(quantize_again.outputs[0]).quant = {{0.1f}, {0}, -1};
  g.add_node(quantize_again);
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'fc_out' (input 0 of Quantize 'requantize')"),
                                 HasSubstr("reads float32, not int8")));
  g = make_int8_graph();
  Node dequantize_float{"dequantize_float", OpKind::kDequantize, {*g.find_tensor("logits")}, {}, {}, Activation::kNone};
  dequantize_float.outputs = {g.add_value("again", {kDynamicDim, 3})};
  g.add_node(dequantize_float);
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'logits' (input 0 of Dequantize 'dequantize_float')"),
                                 HasSubstr("reads int8 with one scale; this is fp32")));
}

TEST(QuantizationCheck, StructuralQuantizationErrorsStillNameTheTensor) {
  Graph g = make_int8_graph();
  tensor(g, "conv_out").quant.zero_points = {1, 2};
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'conv_out'"), HasSubstr("different numbers of scales and zero points")));
  g = make_int8_graph();
  tensor(g, "flat").quant = {{}, {4}, -1};
  EXPECT_THAT(error_of(g), AllOf(HasSubstr("tensor 'flat'"), HasSubstr("zero points but no scales")));
}

}  // namespace
}  // namespace gramlite::ir
