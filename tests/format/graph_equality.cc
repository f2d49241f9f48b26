#include "graph_equality.h"

#include <gtest/gtest.h>

#include <cstring>
#include <variant>

namespace gramlite::format::testing {
namespace {

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0; }

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!same_bits(a[i], b[i])) return false;
  }
  return true;
}

void expect_tensors_equal(const ir::Tensor& e, const ir::Tensor& a) {
  EXPECT_EQ(e.name, a.name);
  EXPECT_EQ(e.shape, a.shape);
  EXPECT_EQ(e.dtype, a.dtype);
  EXPECT_TRUE(same_bits(e.quant.scales, a.quant.scales));
  EXPECT_EQ(e.quant.zero_points, a.quant.zero_points);
  EXPECT_EQ(e.quant.axis, a.quant.axis);
  EXPECT_EQ(e.sparsity.encoding, a.sparsity.encoding);
  EXPECT_EQ(e.sparsity.block_shape, a.sparsity.block_shape);
  EXPECT_TRUE(same_bits(e.sparsity.target_sparsity, a.sparsity.target_sparsity));
  EXPECT_EQ(e.is_constant(), a.is_constant());
  ASSERT_EQ(e.data.size(), a.data.size());
  if (e.data.size() > 0) {
    EXPECT_EQ(0, std::memcmp(e.data.data(), a.data.data(), e.data.size()));
  }
}

void expect_padding_equal(const ir::Padding2d& e, const ir::Padding2d& a) { EXPECT_TRUE(e == a); }

// One overload per attribute struct; listing every field is the point of the test.
struct AttributeComparer {
  const ir::Attributes& actual;

  void operator()(const std::monostate&) const {}
  void operator()(const ir::Conv2dAttrs& e) const {
    const auto& a = std::get<ir::Conv2dAttrs>(actual);
    EXPECT_EQ(e.kernel_h, a.kernel_h);
    EXPECT_EQ(e.kernel_w, a.kernel_w);
    EXPECT_EQ(e.stride_h, a.stride_h);
    EXPECT_EQ(e.stride_w, a.stride_w);
    EXPECT_EQ(e.dilation_h, a.dilation_h);
    EXPECT_EQ(e.dilation_w, a.dilation_w);
    expect_padding_equal(e.padding, a.padding);
    EXPECT_EQ(e.groups, a.groups);
  }
  void operator()(const ir::BatchNormAttrs& e) const {
    EXPECT_TRUE(same_bits(e.epsilon, std::get<ir::BatchNormAttrs>(actual).epsilon));
  }
  void operator()(const ir::Pool2dAttrs& e) const {
    const auto& a = std::get<ir::Pool2dAttrs>(actual);
    EXPECT_EQ(e.kernel_h, a.kernel_h);
    EXPECT_EQ(e.kernel_w, a.kernel_w);
    EXPECT_EQ(e.stride_h, a.stride_h);
    EXPECT_EQ(e.stride_w, a.stride_w);
    expect_padding_equal(e.padding, a.padding);
    EXPECT_EQ(e.ceil_mode, a.ceil_mode);
    EXPECT_EQ(e.count_include_pad, a.count_include_pad);
  }
  void operator()(const ir::ConcatAttrs& e) const { EXPECT_EQ(e.axis, std::get<ir::ConcatAttrs>(actual).axis); }
  void operator()(const ir::FlattenAttrs& e) const { EXPECT_EQ(e.axis, std::get<ir::FlattenAttrs>(actual).axis); }
  void operator()(const ir::ReshapeAttrs& e) const { EXPECT_EQ(e.shape, std::get<ir::ReshapeAttrs>(actual).shape); }
  void operator()(const ir::SoftmaxAttrs& e) const { EXPECT_EQ(e.axis, std::get<ir::SoftmaxAttrs>(actual).axis); }
  void operator()(const ir::PadAttrs& e) const {
    const auto& a = std::get<ir::PadAttrs>(actual);
    EXPECT_EQ(e.pads, a.pads);
    EXPECT_TRUE(same_bits(e.value, a.value));
  }
  void operator()(const ir::DropoutAttrs& e) const {
    EXPECT_TRUE(same_bits(e.ratio, std::get<ir::DropoutAttrs>(actual).ratio));
  }
};

void expect_nodes_equal(const ir::Node& e, const ir::Node& a) {
  EXPECT_EQ(e.name, a.name);
  EXPECT_EQ(e.kind, a.kind);
  EXPECT_EQ(e.inputs, a.inputs);
  EXPECT_EQ(e.outputs, a.outputs);
  EXPECT_EQ(e.fused_activation, a.fused_activation);
  ASSERT_EQ(e.attrs.index(), a.attrs.index());
  std::visit(AttributeComparer{a.attrs}, e.attrs);
}

void expect_metadata_equal(const ir::ModelMetadata& e, const ir::ModelMetadata& a) {
  EXPECT_EQ(e.name, a.name);
  EXPECT_EQ(e.architecture, a.architecture);
  EXPECT_EQ(e.class_names, a.class_names);
  EXPECT_TRUE(same_bits(e.preprocessing.mean, a.preprocessing.mean));
  EXPECT_TRUE(same_bits(e.preprocessing.std, a.preprocessing.std));
  EXPECT_EQ(e.preprocessing.resize, a.preprocessing.resize);
  EXPECT_EQ(e.preprocessing.bgr, a.preprocessing.bgr);
  EXPECT_EQ(e.output_kind, a.output_kind);
  EXPECT_EQ(e.extra, a.extra);
}

}  // namespace

void expect_graphs_equal(const ir::Graph& expected, const ir::Graph& actual) {
  ASSERT_EQ(expected.tensors.size(), actual.tensors.size());
  for (size_t i = 0; i < expected.tensors.size(); ++i) {
    SCOPED_TRACE("tensor " + std::to_string(i) + " '" + expected.tensors[i].name + "'");
    expect_tensors_equal(expected.tensors[i], actual.tensors[i]);
  }
  ASSERT_EQ(expected.nodes.size(), actual.nodes.size());
  for (size_t i = 0; i < expected.nodes.size(); ++i) {
    SCOPED_TRACE("node " + std::to_string(i) + " '" + expected.nodes[i].name + "'");
    expect_nodes_equal(expected.nodes[i], actual.nodes[i]);
  }
  EXPECT_EQ(expected.inputs, actual.inputs);
  EXPECT_EQ(expected.outputs, actual.outputs);
  expect_metadata_equal(expected.metadata, actual.metadata);
}

}  // namespace gramlite::format::testing
