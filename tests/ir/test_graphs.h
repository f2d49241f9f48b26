// Small hand-built graphs shared by the IR tests.
#pragma once

#include <vector>

#include "ir/graph.h"

namespace gramlite::ir::testing {

inline std::vector<float> iota_values(size_t n, float start = 0.1f, float step = 0.01f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + step * static_cast<float>(i % 97) - 0.3f * static_cast<float>(i % 5);
  return v;
}

// x[N,3,8,8] -> conv 3x3 (4 out) -> batchnorm -> relu -> dropout -> gap -> flatten -> linear(2)
inline Graph conv_bn_relu_graph() {
  Graph g;
  const TensorId x = g.add_value("x", {kDynamicDim, 3, 8, 8});
  g.inputs = {x};
  const TensorId w = g.add_float_constant("conv.weight", {4, 3, 3, 3}, iota_values(108));
  const TensorId c = g.add_value("conv_out");
  Conv2dAttrs conv;
  conv.kernel_h = conv.kernel_w = 3;
  conv.padding = {1, 1, 1, 1};
  g.add_node({"conv", OpKind::kConv2d, {x, w}, {c}, conv, Activation::kNone});
  const TensorId gamma = g.add_float_constant("bn.weight", {4}, {1.0f, 0.5f, 2.0f, 1.5f});
  const TensorId beta = g.add_float_constant("bn.bias", {4}, {0.1f, -0.2f, 0.3f, 0.0f});
  const TensorId mean = g.add_float_constant("bn.running_mean", {4}, {0.05f, 0.1f, -0.1f, 0.2f});
  const TensorId var = g.add_float_constant("bn.running_var", {4}, {1.0f, 0.25f, 4.0f, 0.5f});
  const TensorId b = g.add_value("bn_out");
  g.add_node({"bn", OpKind::kBatchNorm, {c, gamma, beta, mean, var}, {b}, BatchNormAttrs{1e-5f}, Activation::kNone});
  const TensorId r = g.add_value("relu_out");
  g.add_node({"relu", OpKind::kRelu, {b}, {r}, {}, Activation::kNone});
  const TensorId d = g.add_value("drop_out");
  g.add_node({"drop", OpKind::kDropout, {r}, {d}, DropoutAttrs{0.2f}, Activation::kNone});
  const TensorId p = g.add_value("gap_out");
  g.add_node({"gap", OpKind::kGlobalAvgPool, {d}, {p}, {}, Activation::kNone});
  const TensorId f = g.add_value("flat_out");
  g.add_node({"flatten", OpKind::kFlatten, {p}, {f}, FlattenAttrs{1}, Activation::kNone});
  const TensorId fw = g.add_float_constant("fc.weight", {2, 4}, iota_values(8));
  const TensorId fb = g.add_float_constant("fc.bias", {2}, {0.5f, -0.5f});
  const TensorId y = g.add_value("logits");
  g.add_node({"fc", OpKind::kLinear, {f, fw, fb}, {y}, {}, Activation::kNone});
  g.outputs = {y};
  return g;
}

}  // namespace gramlite::ir::testing
