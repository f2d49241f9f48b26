// int8 reference kernels other than Conv2d / Linear against the float reference kernels on
// dequantized inputs, quantized with the output's params: equal where no rounding enters (max
// pooling and standalone ReLU with the input's params, views, padding, concat with equal params,
// the lookup tables, which are built from the float function itself), within one LSB elsewhere
// (docs/quantization.md), and one LSB off for at most 0.1 % of the elements: their small
// integer operands are shifted left before the fixed-point multiply (int8_common.h), without which
// a fifth of all averages came out one LSB off. Output ranges are chosen narrower than the values, so outputs saturate.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <string>
#include <tuple>

#include "int8_test_util.h"
#include "runtime/reference/pool2d.h"

namespace gramlite::runtime::testing {
namespace {

using K = ir::OpKind;

// Random int8 inputs for every graph input of `g` (with their params).
std::vector<Int8Input> random_inputs(const ir::Graph& g, std::mt19937& rng) {
  std::vector<Int8Input> inputs;
  for (ir::TensorId id : g.inputs) {
    const ir::Tensor& t = g.tensor(id);
    inputs.push_back({random_int8(static_cast<size_t>(t.element_count()), rng),
                      {t.quant.scales[0], t.quant.zero_points[0]}});
  }
  return inputs;
}

// Sets the output's params from 60-90 % of the float oracle's range (so that some outputs saturate).
void choose_narrow_output(ir::Graph& g, const std::vector<Int8Input>& inputs, std::mt19937& rng) {
  const std::vector<float> real = float_oracle(g, inputs);
  const auto [lo, hi] = std::minmax_element(real.begin(), real.end());
  std::uniform_real_distribution<float> shrink(0.6f, 0.9f);
  g.tensor(g.nodes[0].outputs[0]).quant = per_tensor(ir::choose_activation_quant(*lo * shrink(rng), *hi * shrink(rng)));
}

// One node over int8 graph inputs of `shapes` (random params) with an int8 output of `out_shape`.
ir::Graph one_node(K kind, const std::vector<ir::Shape>& shapes, const ir::Shape& out_shape, std::mt19937& rng,
                   ir::Attributes attrs = {}) {
  ir::Graph g;
  std::vector<ir::TensorId> ins;
  for (size_t i = 0; i < shapes.size(); ++i) {
    ins.push_back(add_int8_value(g, "x" + std::to_string(i), shapes[i], random_quant(rng)));
  }
  g.inputs = ins;
  const ir::TensorId y = add_int8_value(g, "y", out_shape, {1.0f, 0});
  g.add_node(make_test_node("op", kind, ins, y, std::move(attrs)));
  g.outputs = {y};
  return g;
}

void give_output_input_params(ir::Graph& g) { g.tensor(g.nodes[0].outputs[0]).quant = g.tensor(g.inputs[0]).quant; }

struct Totals {
  size_t elements = 0, off_by_one = 0, saturated = 0;
  void add(const Lsb& r) {
    elements += r.count;
    off_by_one += r.off_by_one;
    saturated += r.saturated;
  }
};

TEST(Int8Add, BroadcastsAndRescalesWithinOneLsb) {
  std::mt19937 rng(21);
  const std::vector<std::array<ir::Shape, 3>> cases = {
      {ir::Shape{3, 8, 5, 5}, ir::Shape{3, 8, 5, 5}, ir::Shape{3, 8, 5, 5}},
      {ir::Shape{1, 13, 4, 4}, ir::Shape{1, 13, 1, 1}, ir::Shape{1, 13, 4, 4}},
      {ir::Shape{2, 3, 4}, ir::Shape{4}, ir::Shape{2, 3, 4}},
      {ir::Shape{2, 1, 4}, ir::Shape{3, 1}, ir::Shape{2, 3, 4}},
      {ir::Shape{1}, ir::Shape{2, 24}, ir::Shape{2, 24}},
  };
  Totals totals;
  for (int round = 0; round < 12; ++round) {
    for (const auto& c : cases) {
      ir::Graph g = one_node(K::kAdd, {c[0], c[1]}, c[2], rng);
      if (round % 4 == 3) g.tensors[1].quant.scales[0] *= 9.0f;  // very different input scales
      g.nodes[0].fused_activation = static_cast<ir::Activation>(round % 3);
      const std::vector<Int8Input> inputs = random_inputs(g, rng);
      choose_narrow_output(g, inputs, rng);
      const Lsb r = compare_with_float(g, inputs);
      EXPECT_EQ(r.worse, 0u) << ir::shape_to_string(c[0]) << " + " << ir::shape_to_string(c[1]);
      totals.add(r);
    }
  }
  EXPECT_LT(static_cast<double>(totals.off_by_one), 0.001 * static_cast<double>(totals.elements));
  EXPECT_GT(totals.saturated, 0u);
}

TEST(Int8Mul, SqueezeExcitationAndBroadcastWithinOneLsb) {
  std::mt19937 rng(22);
  const std::vector<std::array<ir::Shape, 3>> cases = {
      {ir::Shape{3, 24, 1, 1}, ir::Shape{3, 24, 5, 5}, ir::Shape{3, 24, 5, 5}},
      {ir::Shape{1, 13, 6, 6}, ir::Shape{1, 13, 1, 1}, ir::Shape{1, 13, 6, 6}},
      {ir::Shape{2, 8, 3, 3}, ir::Shape{2, 8, 3, 3}, ir::Shape{2, 8, 3, 3}},
      {ir::Shape{2, 1, 4}, ir::Shape{3, 1}, ir::Shape{2, 3, 4}},
  };
  Totals totals;
  for (int round = 0; round < 12; ++round) {
    for (const auto& c : cases) {
      ir::Graph g = one_node(K::kMul, {c[0], c[1]}, c[2], rng);
      const std::vector<Int8Input> inputs = random_inputs(g, rng);
      choose_narrow_output(g, inputs, rng);
      const Lsb r = compare_with_float(g, inputs);
      EXPECT_EQ(r.worse, 0u) << ir::shape_to_string(c[0]) << " * " << ir::shape_to_string(c[1]);
      totals.add(r);
    }
  }
  EXPECT_LT(static_cast<double>(totals.off_by_one), 0.001 * static_cast<double>(totals.elements));
  EXPECT_GT(totals.saturated, 0u);
}

struct PoolCase {
  int32_t k, stride;
  ir::Padding2d pad;
  bool ceil_mode;
};

const PoolCase kPoolCases[] = {
    {2, 2, {0, 0, 0, 0}, false}, {3, 1, {1, 1, 1, 1}, false}, {3, 2, {1, 1, 1, 1}, true},
    {3, 2, {0, 1, 1, 0}, false}, {2, 2, {0, 0, 0, 0}, true},  {5, 2, {2, 1, 2, 1}, true},
};

ir::Graph pool_graph(K kind, const PoolCase& c, bool count_include_pad, int64_t channels, int64_t batch,
                     std::mt19937& rng) {
  ir::Pool2dAttrs a;
  a.kernel_h = a.kernel_w = c.k;
  a.stride_h = a.stride_w = c.stride;
  a.padding = c.pad;
  a.ceil_mode = c.ceil_mode;
  a.count_include_pad = count_include_pad;
  const int64_t h = 9, w = 8;
  const int64_t oh = reference::pool2d_output_size(h, c.k, c.stride, c.pad.top, c.pad.bottom, c.ceil_mode);
  const int64_t ow = reference::pool2d_output_size(w, c.k, c.stride, c.pad.left, c.pad.right, c.ceil_mode);
  return one_node(kind, {{batch, channels, h, w}}, {batch, channels, oh, ow}, rng, a);
}

TEST(Int8MaxPool, EqualsFloatWithTheInputsParamsAndRescalesOtherwise) {
  std::mt19937 rng(23);
  for (const PoolCase& c : kPoolCases) {
    for (int64_t channels : {1, 3, 13}) {
      ir::Graph g = pool_graph(K::kMaxPool, c, true, channels, channels == 3 ? 3 : 1, rng);
      give_output_input_params(g);
      const std::vector<Int8Input> inputs = random_inputs(g, rng);
      const Lsb same = compare_with_float(g, inputs);
      EXPECT_EQ(same.worse + same.off_by_one, 0u) << "k " << c.k << " stride " << c.stride;
      choose_narrow_output(g, inputs, rng);
      const Lsb rescaled = compare_with_float(g, inputs);
      EXPECT_EQ(rescaled.worse, 0u);
    }
  }
}

TEST(Int8AvgPool, MatchesFloatWithinOneLsbBothPaddingCounts) {
  std::mt19937 rng(24);
  Totals totals;
  for (const PoolCase& c : kPoolCases) {
    for (bool include_pad : {true, false}) {
      for (int64_t channels : {1, 8, 13}) {
        ir::Graph g = pool_graph(K::kAvgPool, c, include_pad, channels, channels == 8 ? 3 : 1, rng);
        const std::vector<Int8Input> inputs = random_inputs(g, rng);
        choose_narrow_output(g, inputs, rng);
        const Lsb r = compare_with_float(g, inputs);
        EXPECT_EQ(r.worse, 0u) << "k " << c.k << " stride " << c.stride << " include_pad " << include_pad;
        totals.add(r);
      }
    }
  }
  EXPECT_LT(static_cast<double>(totals.off_by_one), 0.001 * static_cast<double>(totals.elements));
  EXPECT_GT(totals.saturated, 0u);
}

TEST(Int8GlobalAvgPool, MatchesFloatWithinOneLsb) {
  std::mt19937 rng(25);
  Totals totals;
  for (const ir::Shape& shape : {ir::Shape{1, 24, 7, 7}, ir::Shape{3, 13, 5, 3}, ir::Shape{2, 8, 1, 1},
                                 ir::Shape{1, 3, 14, 14}}) {
    for (int round = 0; round < 4; ++round) {
      ir::Graph g = one_node(K::kGlobalAvgPool, {shape}, {shape[0], shape[1], 1, 1}, rng);
      const std::vector<Int8Input> inputs = random_inputs(g, rng);
      if (round == 0) {
        give_output_input_params(g);
      } else {
        choose_narrow_output(g, inputs, rng);
      }
      const Lsb r = compare_with_float(g, inputs);
      EXPECT_EQ(r.worse, 0u) << ir::shape_to_string(shape);
      totals.add(r);
    }
  }
  EXPECT_LT(static_cast<double>(totals.off_by_one), 0.01 * static_cast<double>(totals.elements));
}

TEST(Int8Concat, CopiesEqualParamsAndRescalesOthers) {
  std::mt19937 rng(26);
  for (int32_t axis : {1, -1, 0}) {
    ir::ConcatAttrs a;
    a.axis = axis;
    const std::vector<ir::Shape> shapes =
        axis == 1 ? std::vector<ir::Shape>{{2, 3, 4, 4}, {2, 8, 4, 4}, {2, 13, 4, 4}}
        : axis == 0 ? std::vector<ir::Shape>{{1, 5, 2}, {3, 5, 2}}
                    : std::vector<ir::Shape>{{2, 3, 4}, {2, 3, 1}, {2, 3, 7}};
    ir::Shape out = shapes[0];
    const size_t d = static_cast<size_t>(axis < 0 ? axis + static_cast<int32_t>(out.size()) : axis);
    out[d] = 0;
    for (const ir::Shape& s : shapes) out[d] += s[d];
    // Equal params everywhere: a copy, exact.
    ir::Graph g = one_node(K::kConcat, shapes, out, rng, a);
    for (ir::TensorId id : g.inputs) g.tensor(id).quant = g.tensor(g.inputs[0]).quant;
    give_output_input_params(g);
    std::vector<Int8Input> inputs = random_inputs(g, rng);
    const Lsb same = compare_with_float(g, inputs);
    EXPECT_EQ(same.worse + same.off_by_one, 0u) << "axis " << axis;
    // Own params per input (the first keeps the output's: copied, the others rescaled).
    ir::Graph mixed = one_node(K::kConcat, shapes, out, rng, a);
    give_output_input_params(mixed);
    const Lsb r = compare_with_float(mixed, random_inputs(mixed, rng));
    EXPECT_EQ(r.worse, 0u) << "axis " << axis;
    choose_narrow_output(mixed, inputs = random_inputs(mixed, rng), rng);
    EXPECT_EQ(compare_with_float(mixed, inputs).worse, 0u);
  }
}

TEST(Int8Activations, ClampsAndLookupTablesMatchFloat) {
  std::mt19937 rng(27);
  for (K kind : {K::kRelu, K::kRelu6, K::kHardSwish, K::kHardSigmoid, K::kSigmoid}) {
    for (int round = 0; round < 6; ++round) {
      ir::Graph g = one_node(kind, {{2, 13, 3, 3}}, {2, 13, 3, 3}, rng);
      // Wide input scales so that ReLU6's 6 and HardSwish's knees (-3, 3) fall inside the range.
      g.tensors[0].quant.scales[0] *= 2.0f + static_cast<float>(round);
      const std::vector<Int8Input> inputs = random_inputs(g, rng);
      const bool same_params = round % 2 == 0 && (kind == K::kRelu || kind == K::kRelu6);
      if (same_params) {
        give_output_input_params(g);
      } else {
        choose_narrow_output(g, inputs, rng);
      }
      const Lsb r = compare_with_float(g, inputs);
      EXPECT_EQ(r.worse, 0u) << ir::op_kind_name(kind);
      // A clamp with the input's params, and every table, round exactly as float does.
      if (same_params || (kind != K::kRelu && kind != K::kRelu6)) {
        EXPECT_EQ(r.off_by_one, 0u) << ir::op_kind_name(kind);
      }
    }
  }
}

TEST(Int8Views, ShareTheInputsBytesAndParams) {
  std::mt19937 rng(28);
  ir::FlattenAttrs flatten;
  ir::ReshapeAttrs reshape;
  reshape.shape = {0, -1, 3};
  const std::vector<std::tuple<K, ir::Shape, ir::Attributes>> cases = {
      {K::kFlatten, ir::Shape{2, 24}, ir::Attributes{flatten}},
      {K::kReshape, ir::Shape{2, 8, 3}, ir::Attributes{reshape}},
      {K::kDropout, ir::Shape{2, 2, 3, 4}, ir::Attributes{ir::DropoutAttrs{}}},
  };
  for (const auto& [kind, out_shape, attrs] : cases) {
    ir::Graph g = one_node(kind, {{2, 2, 3, 4}}, out_shape, rng, attrs);
    give_output_input_params(g);
    const std::vector<Int8Input> inputs = random_inputs(g, rng);
    const Lsb r = compare_with_float(g, inputs);
    EXPECT_EQ(r.worse + r.off_by_one, 0u) << ir::op_kind_name(kind);
    g.tensor(g.outputs[0]).quant.scales[0] *= 2.0f;  // a view cannot rescale
    const Status status = reference_kernel_for(g).status();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << ir::op_kind_name(kind);
    EXPECT_NE(status.message().find("'y'"), std::string::npos) << status.message();
  }
}

TEST(Int8Pad, PadsWithTheQuantizedValue) {
  std::mt19937 rng(29);
  for (float value : {0.0f, 0.7f, -100.0f}) {
    ir::PadAttrs a;
    a.pads = {0, 0, 1, 2, 0, 1, 0, 3};
    a.value = value;
    ir::Graph g = one_node(K::kPad, {{2, 3, 4, 5}}, {2, 4, 5, 10}, rng, a);
    give_output_input_params(g);
    const std::vector<Int8Input> inputs = random_inputs(g, rng);
    const Lsb r = compare_with_float(g, inputs);
    EXPECT_EQ(r.worse + r.off_by_one, 0u) << "value " << value;
    EXPECT_GT(r.count, 0u);
  }
}

// Dtypes other than int8 make the kernels decline; broken params are errors naming the tensor.
TEST(Int8Kernels, DeclineOtherDtypesAndNameBrokenTensors) {
  std::mt19937 rng(30);
  ir::Graph g = one_node(K::kAdd, {{1, 4}, {1, 4}}, {1, 4}, rng);
  EXPECT_TRUE(reference_kernel_for(g).ok());
  ir::Graph float_out = g;
  float_out.tensors[2].dtype = ir::DType::kFloat32;
  EXPECT_EQ(reference_kernel_for(float_out).status().code(), StatusCode::kUnsupported);
  ir::Graph bad_zero_point = g;
  bad_zero_point.tensors[1].quant.zero_points = {300};
  const Status status = reference_kernel_for(bad_zero_point).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("'x1'"), std::string::npos) << status.message();
  ir::Graph two_scales = g;
  two_scales.tensors[0].quant.scales = {0.1f, 0.2f};
  EXPECT_EQ(reference_kernel_for(two_scales).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gramlite::runtime::testing
