// What `gramlite info` learns about a quantized model: precision, node counts, float nodes of an
// int8 graph, every tensor's dtype and its quantization parameters condensed.
#include <gtest/gtest.h>

#include <algorithm>

#include "gramlite/ir/model_summary.h"
#include "quant_test_models.h"
#include "test_graphs.h"

namespace gramlite::ir {
namespace {

const TensorSummary& tensor_named(const ModelSummary& s, const std::string& name) {
  const auto it = std::find_if(s.tensors.begin(), s.tensors.end(), [&](const TensorSummary& t) { return t.name == name; });
  EXPECT_NE(it, s.tensors.end()) << name;
  return *it;
}

TEST(ModelSummaryQuant, PrecisionOfEachVariant) {
  EXPECT_EQ(model_precision(format::testing::make_float_graph()), ModelPrecision::kFloat32);
  EXPECT_EQ(model_precision(testing::conv_bn_relu_graph()), ModelPrecision::kFloat32);
  EXPECT_EQ(model_precision(format::testing::make_fp16_graph()), ModelPrecision::kFloat16Weights);
  EXPECT_EQ(model_precision(format::testing::make_dynamic_graph()), ModelPrecision::kInt8Dynamic);
  EXPECT_EQ(model_precision(format::testing::make_int8_graph()), ModelPrecision::kInt8FullInteger);
  EXPECT_STREQ(model_precision_name(ModelPrecision::kFloat32), "float32");
  EXPECT_STREQ(model_precision_name(ModelPrecision::kFloat16Weights), "float16 weights");
  EXPECT_STREQ(model_precision_name(ModelPrecision::kInt8Dynamic), "int8 weights, float activations (dynamic)");
  EXPECT_STREQ(model_precision_name(ModelPrecision::kInt8FullInteger), "int8 (full integer)");
}

TEST(ModelSummaryQuant, Int8GraphCountsNodesAndListsItsFloatNodes) {
  const Graph g = format::testing::make_int8_graph();
  auto s = summarize_model(g);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->precision, ModelPrecision::kInt8FullInteger);
  EXPECT_EQ(s->int8_nodes, 4);        // conv, gap, flatten, fc
  EXPECT_EQ(s->float_nodes, 1);       // softmax
  EXPECT_EQ(s->conversion_nodes, 2);  // quantize, dequantize
  EXPECT_EQ(s->float_node_names, std::vector<std::string>{"softmax"});
  EXPECT_EQ(float_compute_nodes(g), std::vector<int>{6});
  EXPECT_EQ(s->tensors.size(), g.tensors.size());
  EXPECT_EQ(s->tensors_by_dtype.at("int8"), 7);   // image.q, 2 weights, conv_out, gap_out, flat, fc_out
  EXPECT_EQ(s->tensors_by_dtype.at("int32"), 2);  // the biases
  EXPECT_EQ(s->tensors_by_dtype.at("fp32"), 3);   // image, logits, probs
  EXPECT_EQ(s->constant_bytes_by_dtype.at("int8"), 108 + 12);

  const TensorSummary& w = tensor_named(*s, "conv.weight");
  EXPECT_TRUE(w.constant);
  EXPECT_EQ(w.dtype, DType::kInt8);
  EXPECT_EQ(w.shape, (Shape{4, 3, 3, 3}));
  ASSERT_TRUE(w.quant.per_channel());
  EXPECT_EQ(w.quant.scale_count, 4u);
  EXPECT_EQ(w.quant.axis, 0);
  const std::vector<float>& scales = g.tensor(*g.find_tensor("conv.weight")).quant.scales;
  EXPECT_EQ(w.quant.scale_min, *std::min_element(scales.begin(), scales.end()));
  EXPECT_EQ(w.quant.scale_max, *std::max_element(scales.begin(), scales.end()));
  EXPECT_LT(w.quant.scale_min, w.quant.scale_max);  // the test graph's channels differ in magnitude
  EXPECT_EQ(w.quant.zero_point_min, 0);
  EXPECT_EQ(w.quant.zero_point_max, 0);

  const TensorSummary& x = tensor_named(*s, "image.q");
  const QuantParams& xq = g.tensor(*g.find_tensor("image.q")).quant;
  EXPECT_FALSE(x.constant);
  EXPECT_EQ(x.quant.scale_count, 1u);
  EXPECT_EQ(x.quant.scale_min, xq.scales[0]);
  EXPECT_EQ(x.quant.zero_point_min, xq.zero_points[0]);
  EXPECT_NE(x.quant.zero_point_min, 0);  // asymmetric range [-2, 2.5]
  EXPECT_EQ(x.quant.axis, -1);
  EXPECT_EQ(tensor_named(*s, "probs").quant.scale_count, 0u);

  // The layer table's dtype column says int8 per channel for the weight layers.
  EXPECT_EQ(s->layers[1].weight_dtype, "int8/pc");
}

TEST(ModelSummaryQuant, DynamicAndFloatGraphsListNoFloatNodes) {
  for (const Graph& g : {format::testing::make_dynamic_graph(), format::testing::make_fp16_graph()}) {
    auto s = summarize_model(g);
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_EQ(s->int8_nodes, 0);
    EXPECT_EQ(s->float_nodes, 4);
    EXPECT_EQ(s->conversion_nodes, 0);
    EXPECT_TRUE(s->float_node_names.empty());  // only an int8 graph's float nodes are news
  }
}

TEST(ModelSummaryQuant, SummarizeQuantCountsAbsentZeroPointsAsZero) {
  const QuantSummary q = summarize_quant({{0.5f, 0.25f, 2.0f}, {}, 0});
  EXPECT_EQ(q.scale_count, 3u);
  EXPECT_EQ(q.scale_min, 0.25f);
  EXPECT_EQ(q.scale_max, 2.0f);
  EXPECT_EQ(q.zero_point_min, 0);
  EXPECT_EQ(q.zero_point_max, 0);
  EXPECT_EQ(q.axis, 0);
  EXPECT_EQ(summarize_quant({}).scale_count, 0u);
}

}  // namespace
}  // namespace gramlite::ir
