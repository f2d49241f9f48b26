#include "gramlite/ir/shape_inference.h"

#include <gtest/gtest.h>

#include "test_graphs.h"

namespace gramlite::ir {
namespace {

// Runs shape inference of a single node whose inputs are values of the given shapes (constants for
// weight positions are created with zero data).
Result<std::vector<Shape>> infer_one(OpKind kind, Attributes attrs, const std::vector<Shape>& shapes,
                                     size_t first_constant = 99) {
  Graph g;
  Node node;
  node.name = "n";
  node.kind = kind;
  node.attrs = std::move(attrs);
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (i >= first_constant) {
      const int64_t n = element_count(shapes[i]);
      node.inputs.push_back(g.add_constant("c" + std::to_string(i), shapes[i], DType::kFloat32,
                                           Buffer::allocate(static_cast<size_t>(n) * 4)));
    } else {
      node.inputs.push_back(g.add_value("v" + std::to_string(i), shapes[i]));
    }
  }
  std::vector<Shape> in = shapes;
  return infer_node_output_shapes(g, node, in);
}

TEST(ShapeInference, Conv2dStridePaddingDilation) {
  Conv2dAttrs a;
  a.kernel_h = a.kernel_w = 3;
  a.stride_h = a.stride_w = 2;
  a.padding = {1, 1, 1, 1};
  auto r = infer_one(OpKind::kConv2d, a, {{kDynamicDim, 3, 224, 224}, {32, 3, 3, 3}}, 1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0], (Shape{kDynamicDim, 32, 112, 112}));

  a.stride_h = a.stride_w = 1;
  a.dilation_h = a.dilation_w = 2;
  a.padding = {2, 2, 2, 2};
  r = infer_one(OpKind::kConv2d, a, {{1, 3, 17, 13}, {8, 3, 3, 3}}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], (Shape{1, 8, 17, 13}));
}

TEST(ShapeInference, Conv2dAsymmetricPaddingLikeKeras) {
  Conv2dAttrs a;
  a.kernel_h = a.kernel_w = 3;
  a.stride_h = a.stride_w = 2;
  a.padding = {0, 0, 1, 1};  // ZeroPadding2D(((0, 1), (0, 1))) + valid conv
  auto r = infer_one(OpKind::kConv2d, a, {{1, 3, 224, 224}, {32, 3, 3, 3}}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], (Shape{1, 32, 112, 112}));
}

TEST(ShapeInference, Conv2dDepthwiseAndChannelMismatch) {
  Conv2dAttrs a;
  a.kernel_h = a.kernel_w = 3;
  a.padding = {1, 1, 1, 1};
  a.groups = 144;
  auto r = infer_one(OpKind::kConv2d, a, {{1, 144, 56, 56}, {144, 1, 3, 3}}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], (Shape{1, 144, 56, 56}));
  a.groups = 1;
  r = infer_one(OpKind::kConv2d, a, {{1, 144, 56, 56}, {144, 1, 3, 3}}, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node 'n' (Conv2d)"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("144 channels"), std::string::npos) << r.status().message();
}

TEST(ShapeInference, PoolCeilModeMatchesPyTorch) {
  Pool2dAttrs a;
  a.kernel_h = a.kernel_w = 3;
  a.stride_h = a.stride_w = 2;
  // torch.nn.MaxPool2d(3, 2, ceil_mode=True) on 112 -> 56; on 56 -> 28; floor mode 112 -> 55.
  a.ceil_mode = true;
  auto r = infer_one(OpKind::kMaxPool, a, {{1, 64, 112, 112}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0][2], 56);
  a.ceil_mode = false;
  r = infer_one(OpKind::kMaxPool, a, {{1, 64, 112, 112}});
  EXPECT_EQ((*r)[0][2], 55);
  // A window that would start entirely in the padding is dropped: input 5, k 2, s 2, pad 1, ceil.
  a.kernel_h = a.kernel_w = 2;
  a.padding = {1, 1, 1, 1};
  a.ceil_mode = true;
  r = infer_one(OpKind::kAvgPool, a, {{1, 1, 5, 5}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0][2], 3);  // torch.nn.AvgPool2d(2, 2, 1, ceil_mode=True)(torch.zeros(1,1,5,5)).shape
}

TEST(ShapeInference, Broadcasting) {
  auto r = infer_one(OpKind::kMul, {}, {{kDynamicDim, 16, 28, 28}, {kDynamicDim, 16, 1, 1}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], (Shape{kDynamicDim, 16, 28, 28}));
  r = infer_one(OpKind::kAdd, {}, {{2, 3, 4}, {4}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], (Shape{2, 3, 4}));
  r = infer_one(OpKind::kAdd, {}, {{2, 3, 4}, {3}});
  EXPECT_FALSE(r.ok());
}

TEST(ShapeInference, ConcatFlattenReshapePadSoftmax) {
  auto r = infer_one(OpKind::kConcat, ConcatAttrs{1}, {{kDynamicDim, 64, 35, 35}, {kDynamicDim, 32, 35, 35}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], (Shape{kDynamicDim, 96, 35, 35}));
  r = infer_one(OpKind::kConcat, ConcatAttrs{1}, {{1, 64, 35, 35}, {1, 32, 34, 35}});
  EXPECT_FALSE(r.ok());

  r = infer_one(OpKind::kFlatten, FlattenAttrs{1}, {{kDynamicDim, 1280, 1, 1}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], (Shape{kDynamicDim, 1280}));

  r = infer_one(OpKind::kReshape, ReshapeAttrs{{0, -1}}, {{kDynamicDim, 10, 1, 1}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0], (Shape{kDynamicDim, 10}));
  r = infer_one(OpKind::kReshape, ReshapeAttrs{{-1, 10}}, {{6, 10, 1, 1}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], (Shape{6, 10}));
  r = infer_one(OpKind::kReshape, ReshapeAttrs{{7, 3}}, {{6, 10, 1, 1}});
  EXPECT_FALSE(r.ok());

  r = infer_one(OpKind::kPad, PadAttrs{{0, 0, 0, 0, 0, 0, 1, 1}, 0.0f}, {{kDynamicDim, 3, 224, 224}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], (Shape{kDynamicDim, 3, 225, 225}));
  r = infer_one(OpKind::kPad, PadAttrs{{0, 0}, 0.0f}, {{1, 3, 224, 224}});
  EXPECT_FALSE(r.ok());

  r = infer_one(OpKind::kSoftmax, SoftmaxAttrs{-1}, {{4, 10}});
  ASSERT_TRUE(r.ok());
  r = infer_one(OpKind::kSoftmax, SoftmaxAttrs{2}, {{4, 10}});
  EXPECT_FALSE(r.ok());
}

TEST(ShapeInference, LinearChecksFeatures) {
  auto r = infer_one(OpKind::kLinear, {}, {{kDynamicDim, 1280}, {2, 1280}, {2}}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], (Shape{kDynamicDim, 2}));
  r = infer_one(OpKind::kLinear, {}, {{kDynamicDim, 1024}, {2, 1280}}, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("1024 features"), std::string::npos);
}

TEST(ShapeInference, WholeGraphAtSeveralBatchSizes) {
  Graph g = testing::conv_bn_relu_graph();
  for (int64_t batch : {1, 3, 17}) {
    auto shapes = infer_shapes_for_batch(g, batch);
    ASSERT_TRUE(shapes.ok()) << shapes.status().message();
    EXPECT_EQ((*shapes)[static_cast<size_t>(g.outputs[0])], (Shape{batch, 2}));
  }
  EXPECT_FALSE(infer_shapes_for_batch(g, 0).ok());
  ASSERT_TRUE(update_shapes(g).ok());
  EXPECT_EQ(g.tensor(*g.find_tensor("conv_out")).shape, (Shape{kDynamicDim, 4, 8, 8}));
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, (Shape{kDynamicDim, 2}));
}

}  // namespace
}  // namespace gramlite::ir
