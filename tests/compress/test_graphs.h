// Small graphs and helpers the compress tests share.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gramlite/ir/graph.h"
#include "gramlite/ir/shape_inference.h"

namespace gramlite::compress::testing {

inline std::vector<float> uniform(size_t count, float low, float high, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> values(count);
  for (float& v : values) v = dist(rng);
  return values;
}

template <typename T>
std::vector<T> values_of(const ir::Tensor& t) {
  std::vector<T> values(static_cast<size_t>(t.element_count()));
  std::memcpy(values.data(), t.data.data(), values.size() * sizeof(T));
  return values;
}

inline const ir::Tensor& tensor_named(const ir::Graph& graph, const std::string& name) {
  const auto id = graph.find_tensor(name);
  EXPECT_TRUE(id.has_value()) << "no tensor " << name;
  static const ir::Tensor missing;
  return id ? graph.tensor(*id) : missing;
}

inline const ir::Node& node_named(const ir::Graph& graph, const std::string& name) {
  const auto n = graph.find_node(name);
  EXPECT_TRUE(n.has_value()) << "no node " << name;
  static const ir::Node missing;
  return n ? graph.nodes[static_cast<size_t>(*n)] : missing;
}

class GraphBuilder {
 public:
  ir::Graph graph;

  ir::TensorId input(const std::string& name, ir::Shape shape) {
    const ir::TensorId id = graph.add_value(name, std::move(shape));
    graph.inputs.push_back(id);
    return id;
  }
  ir::TensorId constant(const std::string& name, ir::Shape shape, float low, float high) {
    const auto count = static_cast<size_t>(ir::element_count(shape));
    return graph.add_float_constant(name, shape, uniform(count, low, high, seed_++));
  }
  ir::TensorId node(const std::string& name, ir::OpKind kind, std::vector<ir::TensorId> inputs,
                    ir::Attributes attrs = {}, ir::Activation activation = ir::Activation::kNone) {
    const ir::TensorId out = graph.add_value(name + ":out");
    ir::Node n;
    n.name = name;
    n.kind = kind;
    n.inputs = std::move(inputs);
    n.outputs = {out};
    n.attrs = std::holds_alternative<std::monostate>(attrs) ? ir::default_attributes(kind) : std::move(attrs);
    n.fused_activation = activation;
    graph.add_node(std::move(n));
    return out;
  }
  ir::Graph finish(std::vector<ir::TensorId> outputs) {
    graph.outputs = std::move(outputs);
    const Status status = ir::update_shapes(graph);
    EXPECT_TRUE(status.ok()) << status.message();
    return graph;
  }

 private:
  uint32_t seed_ = 1000;
};

inline ir::Conv2dAttrs conv3x3(int groups = 1) {
  ir::Conv2dAttrs a;
  a.kernel_h = a.kernel_w = 3;
  a.padding = {1, 1, 1, 1};
  a.groups = groups;
  return a;
}

// input [N, 3, 8, 8] -> conv (no bias) + BN + ReLU -> depthwise conv + HardSwish -> max pool ->
// add with a 1x1 conv of the pooled map (ReLU6) -> global average pool -> flatten -> linear "fc"
// -> softmax. Every kind of int8 rule appears once.
inline ir::Graph small_classifier() {
  GraphBuilder b;
  const ir::TensorId x = b.input("input", {ir::kDynamicDim, 3, 8, 8});
  const ir::TensorId w1 = b.constant("conv1.weight", {4, 3, 3, 3}, -0.5f, 0.5f);
  const ir::TensorId c1 = b.node("conv1", ir::OpKind::kConv2d, {x, w1}, conv3x3());
  const ir::TensorId bn = b.node("bn1", ir::OpKind::kBatchNorm,
                                 {c1, b.constant("bn1.weight", {4}, 0.5f, 1.5f), b.constant("bn1.bias", {4}, -0.2f, 0.2f),
                                  b.constant("bn1.running_mean", {4}, -0.1f, 0.1f),
                                  b.constant("bn1.running_var", {4}, 0.5f, 1.5f)},
                                 ir::BatchNormAttrs{});
  const ir::TensorId r1 = b.node("relu1", ir::OpKind::kRelu, {bn});
  const ir::TensorId dw = b.node("dw", ir::OpKind::kConv2d,
                                 {r1, b.constant("dw.weight", {4, 1, 3, 3}, -1.0f, 1.0f), b.constant("dw.bias", {4}, -0.1f, 0.1f)},
                                 conv3x3(4));
  const ir::TensorId hs = b.node("hs", ir::OpKind::kHardSwish, {dw});
  ir::Pool2dAttrs pool;
  pool.kernel_h = pool.kernel_w = 2;
  pool.stride_h = pool.stride_w = 2;
  const ir::TensorId mp = b.node("pool", ir::OpKind::kMaxPool, {hs}, pool);
  ir::Conv2dAttrs one;
  const ir::TensorId pw = b.node("pw", ir::OpKind::kConv2d,
                                 {mp, b.constant("pw.weight", {4, 4, 1, 1}, -0.8f, 0.8f), b.constant("pw.bias", {4}, -0.1f, 0.1f)}, one);
  const ir::TensorId add = b.node("add", ir::OpKind::kAdd, {mp, pw});
  const ir::TensorId r6 = b.node("relu6", ir::OpKind::kRelu6, {add});
  const ir::TensorId gap = b.node("gap", ir::OpKind::kGlobalAvgPool, {r6});
  const ir::TensorId flat = b.node("flatten", ir::OpKind::kFlatten, {gap}, ir::FlattenAttrs{});
  const ir::TensorId fc = b.node("fc", ir::OpKind::kLinear,
                                 {flat, b.constant("fc.weight", {3, 4}, -1.0f, 1.0f), b.constant("fc.bias", {3}, -0.5f, 0.5f)});
  const ir::TensorId sm = b.node("softmax", ir::OpKind::kSoftmax, {fc}, ir::SoftmaxAttrs{});
  return b.finish({sm});
}

// The largest |a - b| relative to the largest |a| (a: the reference); huge when the sizes differ.
inline double max_relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double scale = 0.0, worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) scale = std::max(scale, std::fabs(static_cast<double>(a[i])));
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - b[i]));
  return a.size() == b.size() && scale > 0.0 ? worst / scale : 1e30;
}

}  // namespace gramlite::compress::testing
