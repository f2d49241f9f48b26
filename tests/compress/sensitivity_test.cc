// The sensitivity report (compress/sensitivity.h): the metrics on known vectors, and the report of
// a hand-built int8 graph (float convolutions with Quantize -> Dequantize between them, as
// docs/quantization.md allows for layers kept in float) against values computed here.
#include "gramlite/compress/sensitivity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "cle_test_support.h"
#include "gramlite/ir/quantization.h"
#include "gramlite/ir/validate.h"

namespace gramlite::compress {
namespace {

using testing::synthetic_images;

TEST(SensitivityMetrics, KnownVectors) {
  const std::vector<float> x = {1, 2, 3, 4};
  // Signal 30, noise 4 * 0.01 = 0.04: 10 log10(750).
  EXPECT_NEAR(sqnr_db(x, {1.1f, 1.9f, 3.1f, 3.9f}), 10.0 * std::log10(750.0), 1e-4);
  EXPECT_NEAR(sqnr_db(x, {2, 4, 6, 8}), 0.0, 1e-9);  // the noise equals the signal
  EXPECT_EQ(sqnr_db(x, x), std::numeric_limits<double>::infinity());
  EXPECT_EQ(sqnr_db({0, 0}, {0, 1}), -std::numeric_limits<double>::infinity());
  EXPECT_NEAR(cosine_similarity(x, {2, 4, 6, 8}), 1.0, 1e-12);
  EXPECT_NEAR(cosine_similarity(x, {-1, -2, -3, -4}), -1.0, 1e-12);
  EXPECT_NEAR(cosine_similarity({1, 0}, {0, 1}), 0.0, 1e-12);
  EXPECT_NEAR(cosine_similarity({1, 1}, {1, 0}), 1.0 / std::sqrt(2.0), 1e-12);
  EXPECT_EQ(cosine_similarity({0, 0}, {0, 0}), 1.0);
  EXPECT_EQ(cosine_similarity({0, 0}, {1, 0}), 0.0);
}

// Float: input [N, 2, 5, 5] -> c1 (3x3, ReLU) -> c2 (1x1) -> gap -> flat ("logits").
// Int8:  input -> c1 (float) -> Quantize "c1_out" -> Dequantize -> c2 (float) -> Quantize
//        "c2_out" -> Dequantize -> gap (float) -> flat ("logits").
struct Graphs {
  ir::Graph float_graph;
  ir::Graph int8_graph;
  ir::AffineQuant q1{0.05f, -128};
  ir::AffineQuant q2{0.04f, 3};
};

ir::TensorId add_conv(ir::Graph& g, const std::string& name, ir::TensorId x, const std::string& out, int64_t in,
                      int64_t channels, int k, ir::Activation act) {
  std::mt19937 rng(static_cast<uint32_t>(name.size() * 31 + k));
  std::normal_distribution<float> normal(0.0f, 0.5f);
  std::vector<float> w(static_cast<size_t>(channels * in * k * k)), b(static_cast<size_t>(channels));
  for (float& v : w) v = normal(rng);
  for (float& v : b) v = normal(rng);
  // Constants shared by name: both graphs get the same weights (same seed).
  const ir::TensorId weight = g.add_float_constant(name + ".weight", {channels, in, k, k}, w);
  const ir::TensorId bias = g.add_float_constant(name + ".bias", {channels}, b);
  ir::Conv2dAttrs attrs;
  attrs.kernel_h = attrs.kernel_w = k;
  attrs.padding = {k / 2, k / 2, k / 2, k / 2};
  const ir::TensorId y = g.add_value(out);
  g.add_node({name, ir::OpKind::kConv2d, {x, weight, bias}, {y}, attrs, act});
  return y;
}

ir::TensorId quantize_dequantize(ir::Graph& g, ir::TensorId x, const std::string& name, ir::AffineQuant q) {
  const ir::TensorId quantized = g.add_value(name, {}, ir::DType::kInt8);
  g.tensor(quantized).quant.scales = {q.scale};
  g.tensor(quantized).quant.zero_points = {q.zero_point};
  g.add_node({name + ".quantize", ir::OpKind::kQuantize, {x}, {quantized}, {}, ir::Activation::kNone});
  const ir::TensorId real = g.add_value(name + "_dequantized");
  g.add_node({name + ".dequantize", ir::OpKind::kDequantize, {quantized}, {real}, {}, ir::Activation::kNone});
  return real;
}

void add_head(ir::Graph& g, ir::TensorId x) {
  const ir::TensorId pooled = g.add_value("gap_out");
  g.add_node({"gap", ir::OpKind::kGlobalAvgPool, {x}, {pooled}, {}, ir::Activation::kNone});
  const ir::TensorId logits = g.add_value("logits");
  g.add_node({"flat", ir::OpKind::kFlatten, {pooled}, {logits}, ir::FlattenAttrs{1}, ir::Activation::kNone});
  g.outputs.push_back(logits);
  EXPECT_TRUE(ir::update_shapes(g).ok());
  EXPECT_TRUE(ir::validate(g).ok()) << ir::validate(g).message();
}

Graphs make_graphs() {
  Graphs graphs;
  ir::Graph& f = graphs.float_graph;
  f.inputs.push_back(f.add_value("input", {ir::kDynamicDim, 2, 5, 5}));
  ir::TensorId t = add_conv(f, "c1", f.inputs[0], "c1_out", 2, 3, 3, ir::Activation::kRelu);
  t = add_conv(f, "c2", t, "c2_out", 3, 4, 1, ir::Activation::kNone);
  add_head(f, t);

  ir::Graph& q = graphs.int8_graph;
  q.inputs.push_back(q.add_value("input", {ir::kDynamicDim, 2, 5, 5}));
  t = add_conv(q, "c1", q.inputs[0], "c1_float", 2, 3, 3, ir::Activation::kRelu);
  t = quantize_dequantize(q, t, "c1_out", graphs.q1);
  t = add_conv(q, "c2", t, "c2_float", 3, 4, 1, ir::Activation::kNone);
  t = quantize_dequantize(q, t, "c2_out", graphs.q2);
  add_head(q, t);
  return graphs;
}

// Every node output of `graph` over `set`, by tensor name, int8 ones dequantized: computed here
// with a plain observer, independently of the report's own bookkeeping.
std::map<std::string, std::vector<float>> activations(const ir::Graph& graph, const CalibrationSet& set) {
  std::map<std::string, std::vector<float>> out;
  runtime::SessionOptions options;
  options.optimize = false;
  options.node_observer = [&](const runtime::NodeOutput& o) {
    const ir::Tensor& t = graph.tensor(o.tensor);
    std::vector<float>& v = out[t.name];
    const int64_t n = ir::element_count(*o.shape);
    for (int64_t i = 0; i < n; ++i) {
      v.push_back(o.dtype == ir::DType::kInt8
                      ? ir::dequantize_value(static_cast<const int8_t*>(o.data)[i], t.quant.scales[0], t.quant.zero_points[0])
                      : static_cast<const float*>(o.data)[i]);
    }
  };
  auto session = runtime::Session::create(std::make_shared<ir::Graph>(graph), options);
  EXPECT_TRUE(session.ok()) << session.status().message();
  for (const auto& batch : set.batches) {
    EXPECT_TRUE(session.value()->reshape(static_cast<int64_t>(batch.size()) / 50).ok());
    EXPECT_TRUE(session.value()->run({batch}).ok());
  }
  return out;
}

TEST(Sensitivity, HandBuiltInt8GraphMatchesTheErrorsComputedHere) {
  const Graphs graphs = make_graphs();
  // Batches of 7 and 3: more than the report runs at once, and a remainder.
  CalibrationSet set = synthetic_images(2, 5, 10, 7, 41);
  auto report = measure_sensitivity(graphs.float_graph, graphs.int8_graph, set, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().message();

  const auto reference = activations(graphs.float_graph, set);
  const auto quantized = activations(graphs.int8_graph, set);
  // c1's quantized output is the float one rounded to the grid of q1: check the test's own view.
  const std::vector<float>& c1 = reference.at("c1_out");
  for (size_t i = 0; i < c1.size(); ++i) {
    const float expected = ir::dequantize_value(ir::quantize_value(c1[i], graphs.q1.scale, graphs.q1.zero_point),
                                                graphs.q1.scale, graphs.q1.zero_point);
    ASSERT_EQ(quantized.at("c1_out")[i], expected) << i;
  }

  const std::vector<std::pair<std::string, std::string>> expected = {
      {"c1", "c1_out"}, {"c2", "c2_out"}, {"gap", "gap_out"}, {"flat", "logits"}};
  ASSERT_EQ(report.value().layers.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const LayerError& e = report.value().layers[i];
    EXPECT_EQ(e.node, expected[i].first);
    EXPECT_EQ(e.tensor, expected[i].second);
    const std::vector<float>& x = reference.at(e.tensor);
    const std::vector<float>& xq = quantized.at(e.tensor);
    EXPECT_EQ(e.values, static_cast<int64_t>(x.size()));
    EXPECT_NEAR(e.sqnr_db, sqnr_db(x, xq), 1e-6) << e.node;
    EXPECT_NEAR(e.cosine, cosine_similarity(x, xq), 1e-9) << e.node;
    EXPECT_GT(e.sqnr_db, 5.0) << e.node;   // quantized, so finite,
    EXPECT_LT(e.sqnr_db, 60.0) << e.node;  // and coarse on purpose
  }
  EXPECT_EQ(report.value().layers[0].op, "Conv2d");
  EXPECT_EQ(report.value().layers[2].op, "GlobalAvgPool");
  EXPECT_EQ(report.value().output.tensor, "logits");
  EXPECT_NEAR(report.value().output.sqnr_db, report.value().layers[3].sqnr_db, 1e-9);
  // Errors add up along the graph: c2 sees c1's error and adds its own.
  EXPECT_LT(report.value().layers[1].sqnr_db, report.value().layers[0].sqnr_db + 3.0);

  const std::string json = sensitivity_json(report.value());
  for (const std::string fragment : {"\"layers\": [", "\"output\": {", "\"node\": \"c1\"", "\"tensor\": \"c2_out\"",
                                     "\"op\": \"Flatten\"", "\"sqnr_db\": ", "\"cosine\": "}) {
    EXPECT_NE(json.find(fragment), std::string::npos) << fragment << " in\n" << json;
  }
  const std::string table = sensitivity_table(report.value());
  std::vector<std::string> lines;
  for (size_t begin = 0, end; (end = table.find('\n', begin)) != std::string::npos; begin = end + 1) {
    lines.push_back(table.substr(begin, end - begin));
  }
  ASSERT_EQ(lines.size(), 6u) << table;  // header, 4 layers, output
  for (const std::string& line : lines) EXPECT_EQ(line.size(), lines[0].size()) << table;  // aligned
  EXPECT_EQ(lines[0].rfind("layer", 0), 0u);
  EXPECT_EQ(lines[5].rfind("output", 0), 0u);
}

TEST(Sensitivity, IdenticalGraphsHaveInfiniteSqnrWrittenAsAString) {
  const Graphs graphs = make_graphs();
  const CalibrationSet set = synthetic_images(2, 5, 3, 3, 43);
  auto report = measure_sensitivity(graphs.float_graph, graphs.float_graph, set, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_EQ(report.value().layers.size(), 4u);
  for (const LayerError& e : report.value().layers) {
    EXPECT_TRUE(std::isinf(e.sqnr_db) && e.sqnr_db > 0) << e.node;
    EXPECT_NEAR(e.cosine, 1.0, 1e-12);
  }
  EXPECT_NE(sensitivity_json(report.value()).find("\"sqnr_db\": \"inf\""), std::string::npos);
  EXPECT_NE(sensitivity_table(report.value()).find("inf"), std::string::npos);
}

TEST(Sensitivity, BadInputsAreRefusedNamingTheTensor) {
  Graphs graphs = make_graphs();
  EXPECT_EQ(measure_sensitivity(graphs.float_graph, graphs.int8_graph, CalibrationSet{}, nullptr).status().code(),
            StatusCode::kInvalidArgument);
  const ir::TensorId c1 = *graphs.int8_graph.find_tensor("c1_out");
  graphs.int8_graph.tensor(c1).quant = {};
  auto report = measure_sensitivity(graphs.float_graph, graphs.int8_graph, synthetic_images(2, 5, 2, 2, 47), nullptr);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("c1_out"), std::string::npos) << report.status().message();
}

}  // namespace
}  // namespace gramlite::compress
