// Small hand-built graphs shared by the IR tests.
#pragma once

#include <string>
#include <vector>

#include "gramlite/ir/attributes.h"
#include "gramlite/ir/graph.h"

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

// Builds small graphs node by node, naming parameters like torchvision ("NAME.weight").
class GraphMaker {
 public:
  Graph graph;

  TensorId input(Shape shape) {
    const TensorId x = graph.add_value("x", std::move(shape));
    graph.inputs.push_back(x);
    return x;
  }
  TensorId conv(const std::string& name, TensorId x, int64_t in, int64_t out, int32_t kernel = 1,
                int32_t groups = 1, bool bias = false, Activation act = Activation::kNone) {
    const TensorId w = graph.add_float_constant(name + ".weight", {out, in / groups, kernel, kernel},
                                                iota_values(static_cast<size_t>(out * (in / groups) * kernel * kernel)));
    std::vector<TensorId> inputs = {x, w};
    if (bias) inputs.push_back(graph.add_float_constant(name + ".bias", {out}, iota_values(static_cast<size_t>(out))));
    Conv2dAttrs a;
    a.kernel_h = a.kernel_w = kernel;
    a.padding = {kernel / 2, kernel / 2, kernel / 2, kernel / 2};
    a.groups = groups;
    return add(name, OpKind::kConv2d, inputs, a, act);
  }
  TensorId bn(const std::string& name, TensorId x, int64_t channels, Activation act = Activation::kNone) {
    const auto n = static_cast<size_t>(channels);
    const TensorId gamma = graph.add_float_constant(name + ".weight", {channels}, std::vector<float>(n, 1.0f));
    const TensorId beta = graph.add_float_constant(name + ".bias", {channels}, std::vector<float>(n, 0.0f));
    const TensorId mean = graph.add_float_constant(name + ".running_mean", {channels}, std::vector<float>(n, 0.0f));
    const TensorId var = graph.add_float_constant(name + ".running_var", {channels}, std::vector<float>(n, 1.0f));
    return add(name, OpKind::kBatchNorm, {x, gamma, beta, mean, var}, BatchNormAttrs{}, act);
  }
  TensorId linear(const std::string& name, TensorId x, int64_t in, int64_t out) {
    const TensorId w = graph.add_float_constant(name + ".weight", {out, in}, iota_values(static_cast<size_t>(out * in)));
    const TensorId b = graph.add_float_constant(name + ".bias", {out}, iota_values(static_cast<size_t>(out)));
    return add(name, OpKind::kLinear, {x, w, b});
  }
  TensorId add(const std::string& name, OpKind kind, std::vector<TensorId> inputs, Attributes attrs = {},
               Activation act = Activation::kNone) {
    const TensorId y = graph.add_value(name + "_out");
    if (std::holds_alternative<std::monostate>(attrs)) attrs = default_attributes(kind);
    graph.add_node({name, kind, std::move(inputs), {y}, std::move(attrs), act});
    return y;
  }
  Graph finish(TensorId output) {
    graph.outputs = {output};
    return std::move(graph);
  }
};

// Keras MobileNet (v1) in small: stem conv+BN, a depthwise-separable block, global pool, a 1x1
// conv head with bias (Keras' conv_preds), reshape, softmax. 4 weight layers, 3 BatchNorms.
inline Graph mobilenet_v1_like() {
  GraphMaker m;
  TensorId x = m.input({kDynamicDim, 3, 8, 8});
  x = m.bn("conv1_bn", m.conv("conv1", x, 3, 8, 3), 8, Activation::kRelu6);
  x = m.bn("conv_dw_1_bn", m.conv("conv_dw_1", x, 8, 8, 3, /*groups=*/8), 8, Activation::kRelu6);
  x = m.bn("conv_pw_1_bn", m.conv("conv_pw_1", x, 8, 16), 16, Activation::kRelu6);
  x = m.add("global_average_pooling2d", OpKind::kGlobalAvgPool, {x});
  x = m.conv("conv_preds", x, 16, 5, 1, 1, /*bias=*/true);
  x = m.add("reshape_2", OpKind::kReshape, {x}, ReshapeAttrs{{0, -1}});
  return m.finish(m.add("predictions", OpKind::kSoftmax, {x}, SoftmaxAttrs{1}));
}

// MobileNetV2/V3 in small: an inverted residual with squeeze-excitation (Mul by [N, C, 1, 1]
// scales) and a skip Add, then a BatchNorm that follows no weight layer (after the Add), global
// pool, flatten, linear head. 6 weight layers (expand, depthwise, 2 SE convs, project, fc).
inline Graph inverted_residual_se_like() {
  GraphMaker m;
  const TensorId x = m.input({kDynamicDim, 8, 6, 6});
  TensorId y = m.bn("block.expand.bn", m.conv("block.expand", x, 8, 16), 16, Activation::kRelu6);
  const TensorId dw = m.bn("block.dw.bn", m.conv("block.dw", y, 16, 16, 3, 16), 16, Activation::kHardSwish);
  TensorId s = m.add("block.se.pool", OpKind::kGlobalAvgPool, {dw});
  s = m.conv("block.se.fc1", s, 16, 4, 1, 1, true, Activation::kRelu);
  s = m.conv("block.se.fc2", s, 4, 16, 1, 1, true);
  s = m.add("block.se.gate", OpKind::kHardSigmoid, {s});
  y = m.add("block.se.scale", OpKind::kMul, {dw, s});
  y = m.bn("block.project.bn", m.conv("block.project", y, 16, 8), 8);
  y = m.add("block.add", OpKind::kAdd, {x, y});
  y = m.bn("post.bn", y, 8, Activation::kRelu);
  y = m.add("pool", OpKind::kGlobalAvgPool, {y});
  y = m.add("flatten", OpKind::kFlatten, {y}, FlattenAttrs{1});
  return m.finish(m.linear("fc", y, 8, 3));
}

// Inception in small: three branches (1x1 conv 4->3, 1x1 conv 4->5, 3x3 max pool keeping 4
// channels) concatenated on the channel axis (12 channels), then a 1x1 conv 12->6.
inline Graph inception_like() {
  GraphMaker m;
  const TensorId x = m.input({kDynamicDim, 4, 5, 5});
  const TensorId a = m.bn("branch1x1.bn", m.conv("branch1x1.conv", x, 4, 3), 3, Activation::kRelu);
  const TensorId b = m.bn("branch5x5.bn", m.conv("branch5x5.conv", x, 4, 5), 5, Activation::kRelu);
  Pool2dAttrs pool;
  pool.kernel_h = pool.kernel_w = 3;
  pool.padding = {1, 1, 1, 1};
  const TensorId c = m.add("branch_pool", OpKind::kMaxPool, {x}, pool);
  const TensorId cat = m.add("mixed", OpKind::kConcat, {a, b, c}, ConcatAttrs{1});
  return m.finish(m.bn("reduce.bn", m.conv("reduce.conv", cat, 12, 6), 6));
}

}  // namespace gramlite::ir::testing
