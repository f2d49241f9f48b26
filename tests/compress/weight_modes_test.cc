// fp16 and dynamic range: only Conv2d / Linear weights change, and by how much.
#include <gtest/gtest.h>

#include <cmath>

#include "base/float16.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/format/model_file.h"
#include "gramlite/ir/validate.h"
#include "test_graphs.h"

namespace gramlite::compress {
namespace {

using testing::values_of;

int64_t weight_layer_bytes(const ir::Graph& g) {
  int64_t bytes = 0;
  for (const ir::Node& n : g.nodes) {
    if (n.kind == ir::OpKind::kConv2d || n.kind == ir::OpKind::kLinear) bytes += g.tensor(n.inputs[1]).dense_byte_size();
  }
  return bytes;
}

TEST(ConvertToFloat16, WeightsAreHalvedAndRoundedToNearest) {
  const ir::Graph model = testing::small_classifier();
  auto fp16 = convert_to_float16(model);
  ASSERT_TRUE(fp16.ok()) << fp16.status().message();
  EXPECT_EQ(weight_layer_bytes(*fp16) * 2, weight_layer_bytes(model));
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    const ir::Node& n = model.nodes[i];
    for (size_t k = 1; k < n.inputs.size(); ++k) {
      const ir::Tensor& before = model.tensor(n.inputs[k]);
      const ir::Tensor& after = fp16->tensor(fp16->nodes[i].inputs[k]);
      const bool weight = k == 1 && (n.kind == ir::OpKind::kConv2d || n.kind == ir::OpKind::kLinear);
      EXPECT_EQ(after.dtype, weight ? ir::DType::kFloat16 : ir::DType::kFloat32) << before.name;
      EXPECT_EQ(after.name, before.name);
      if (!weight) continue;
      const std::vector<float> w = values_of<float>(before);
      const std::vector<uint16_t> h = values_of<uint16_t>(after);
      for (size_t j = 0; j < w.size(); ++j) {
        ASSERT_EQ(h[j], float_to_half(w[j]));
        EXPECT_LE(std::fabs(half_to_float(h[j]) - w[j]), std::ldexp(std::fabs(w[j]), -11) + 1e-8f);
      }
    }
  }
  // The file shrinks by the weight bytes saved (plus at most alignment padding).
  auto fp32_file = format::serialize_model(model);
  auto fp16_file = format::serialize_model(*fp16);
  ASSERT_TRUE(fp32_file.ok()) << fp32_file.status().message();
  ASSERT_TRUE(fp16_file.ok()) << fp16_file.status().message();
  EXPECT_LT(fp16_file->size(), fp32_file->size());
}

TEST(ConvertToDynamic, Int8WeightsFloatEverythingElse) {
  const ir::Graph model = testing::small_classifier();
  auto dynamic = convert_to_dynamic(model, {});
  ASSERT_TRUE(dynamic.ok()) << dynamic.status().message();
  EXPECT_EQ(weight_layer_bytes(*dynamic) * 4, weight_layer_bytes(model));
  for (const ir::Node& n : dynamic->nodes) {
    EXPECT_NE(n.kind, ir::OpKind::kQuantize);
    EXPECT_EQ(dynamic->tensor(n.outputs[0]).dtype, ir::DType::kFloat32);
    if (n.kind != ir::OpKind::kConv2d && n.kind != ir::OpKind::kLinear) continue;
    const ir::Tensor& w = dynamic->tensor(n.inputs[1]);
    EXPECT_EQ(w.dtype, ir::DType::kInt8);
    EXPECT_EQ(w.quant.scales.size(), static_cast<size_t>(w.shape[0]));
    EXPECT_EQ(w.quant.axis, 0);
    if (n.inputs.size() > 2) {
      EXPECT_EQ(dynamic->tensor(n.inputs[2]).dtype, ir::DType::kFloat32);
    }
  }
  Int8Options per_tensor;
  per_tensor.per_tensor_weights = true;
  auto pt = convert_to_dynamic(model, per_tensor);
  ASSERT_TRUE(pt.ok());
  for (const ir::Node& n : pt->nodes) {
    if (n.kind == ir::OpKind::kConv2d || n.kind == ir::OpKind::kLinear) {
      EXPECT_EQ(pt->tensor(n.inputs[1]).quant.scales.size(), 1u);
    }
  }
  auto file = format::serialize_model(*dynamic);
  ASSERT_TRUE(file.ok()) << file.status().message();
  // Converting twice is refused with the tensor's name.
  auto twice = convert_to_float16(*dynamic);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("'conv1.weight'"), std::string::npos) << twice.status().message();
}

}  // namespace
}  // namespace gramlite::compress
