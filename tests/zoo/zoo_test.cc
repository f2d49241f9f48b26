#include "gramlite/zoo/zoo.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "gramlite/ir/passes.h"
#include "gramlite/ir/shape_inference.h"
#include "gramlite/ir/stats.h"
#include "gramlite/ir/validate.h"
#include "zoo/arch_common.h"

namespace gramlite::zoo {
namespace {

ir::Graph build_ok(const std::string& arch, BuildOptions options) {
  auto graph = build(arch, options);
  EXPECT_TRUE(graph.ok()) << arch << ": " << graph.status().message();
  return graph.ok() ? std::move(graph).value() : ir::Graph{};
}

// Parameter counts do not depend on the values: skip drawing them.
BuildOptions structure_only(int classes = 1000, double alpha = 1.0, int input_size = 0) {
  BuildOptions options;
  options.num_classes = classes;
  options.alpha = alpha;
  options.input_size = input_size;
  options.random_weights = false;
  return options;
}

const ir::Shape& output_shape(const ir::Graph& graph) { return graph.tensor(graph.outputs.at(0)).shape; }

TEST(Zoo, ListsEveryArchitecture) {
  const auto archs = list_architectures();
  ASSERT_EQ(archs.size(), 5u);
  std::vector<std::string> names;
  for (const auto& a : archs) names.push_back(a.name);
  EXPECT_EQ(names, (std::vector<std::string>{"mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small", "resnet50",
                                              "inception_v3"}));
  for (const auto& a : archs) {
    EXPECT_EQ(a.default_input_size, a.name == "inception_v3" ? 299 : 224) << a.name;
    EXPECT_EQ(a.family, a.name == "mobilenet_v1" ? Family::kKeras : Family::kTorchvision) << a.name;
    EXPECT_FALSE(a.description.empty());
    auto found = find_architecture(a.name);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(found->name, a.name);
  }
}

TEST(Zoo, UnknownArchitectureIsNotFound) {
  auto graph = build("vgg16", BuildOptions{});
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kNotFound);
  EXPECT_NE(graph.status().message().find("vgg16"), std::string::npos);
  EXPECT_NE(graph.status().message().find("mobilenet_v2"), std::string::npos);  // lists the known ones
}

// ---- parameter counts -------------------------------------------------------------------------

// torchvision's published numbers (weights meta "num_params") count parameters(): trainable only.
TEST(ZooParameters, TorchvisionPublishedCounts) {
  EXPECT_EQ(ir::count_parameters(build_ok("mobilenet_v2", structure_only())).trainable, 3504872);
  EXPECT_EQ(ir::count_parameters(build_ok("mobilenet_v3_small", structure_only())).trainable, 2542856);
  EXPECT_EQ(ir::count_parameters(build_ok("resnet50", structure_only())).trainable, 25557032);
  // torchvision's 27,161,264 includes the auxiliary classifier (3,326,696 parameters: conv0 128x768
  // + bn, conv1 768x128x5x5 + bn, fc 768x1000 + 1000), which inference never runs.
  EXPECT_EQ(ir::count_parameters(build_ok("inception_v3", structure_only())).trainable, 27161264 - 3326696);
}

TEST(ZooParameters, BatchNormBuffersAreNonTrainable) {
  // mobilenet_v2: running mean + var of its 52 batch norms (17,056 channels), as torchvision's
  // state_dict holds them.
  const auto count = ir::count_parameters(build_ok("mobilenet_v2", structure_only()));
  EXPECT_EQ(count.non_trainable, 34112);
}

// Keras' model.summary() for MobileNet counts in the BN moving statistics as non-trainable. The
// expected numbers are derived here from the architecture, layer by layer, and compared with the
// ones Keras publishes.
ir::ParameterCount keras_mobilenet_count(double alpha, int64_t classes) {
  const auto f = [alpha](int filters) { return static_cast<int64_t>(static_cast<int>(filters * alpha)); };
  ir::ParameterCount count;
  const auto bn = [&count](int64_t c) {
    count.trainable += 2 * c;      // gamma, beta
    count.non_trainable += 2 * c;  // moving mean, moving variance
  };
  int64_t in = f(32);
  count.trainable += 3 * 3 * 3 * in;  // conv1, no bias
  bn(in);
  for (int filters : {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024}) {
    const int64_t out = f(filters);
    count.trainable += 3 * 3 * in;  // conv_dw_N (depth multiplier 1)
    bn(in);
    count.trainable += in * out;  // conv_pw_N
    bn(out);
    in = out;
  }
  count.trainable += in * classes + classes;  // conv_preds with bias
  return count;
}

TEST(ZooParameters, KerasMobileNetV1) {
  struct Case {
    double alpha;
    int64_t total;
    int64_t trainable;
  };
  // keras.applications.MobileNet(alpha=..., weights=None).summary(), 1000 classes.
  const Case cases[] = {{1.0, 4253864, 4231976}, {0.75, 2601976, 2585560}, {0.5, 1342536, 1331592},
                        {0.25, 475544, 470072}};
  for (const Case& c : cases) {
    const ir::ParameterCount derived = keras_mobilenet_count(c.alpha, 1000);
    EXPECT_EQ(derived.total(), c.total) << "alpha " << c.alpha;
    EXPECT_EQ(derived.trainable, c.trainable) << "alpha " << c.alpha;
    const ir::ParameterCount built = ir::count_parameters(build_ok("mobilenet_v1", structure_only(1000, c.alpha)));
    EXPECT_EQ(built.total(), c.total) << "alpha " << c.alpha;
    EXPECT_EQ(built.trainable, c.trainable) << "alpha " << c.alpha;
  }
  for (int classes : {2, 7}) {
    const ir::ParameterCount built = ir::count_parameters(build_ok("mobilenet_v1", structure_only(classes, 0.5)));
    const ir::ParameterCount derived = keras_mobilenet_count(0.5, classes);
    EXPECT_EQ(built.trainable, derived.trainable);
    EXPECT_EQ(built.non_trainable, derived.non_trainable);
  }
}

TEST(ZooParameters, MakeDivisibleMatchesTorchvision) {
  // Values computed with torchvision.models._utils._make_divisible.
  EXPECT_EQ(make_divisible(32 * 1.0), 32);
  EXPECT_EQ(make_divisible(32 * 0.5), 16);
  EXPECT_EQ(make_divisible(16 * 0.75), 16);  // 12 rounds up to 16
  EXPECT_EQ(make_divisible(24 * 0.75), 24);  // 18 -> 16 would lose more than 10 %
  EXPECT_EQ(make_divisible(32 * 1.4), 48);
  EXPECT_EQ(make_divisible(96 * 0.35), 32);
  EXPECT_EQ(make_divisible(1.0), 8);
  EXPECT_EQ(make_divisible(1280 * 1.4), 1792);
}

// ---- structure --------------------------------------------------------------------------------

TEST(ZooStructure, EveryArchitectureValidatesAndOutputsClassesForSeveralSizes) {
  struct Case {
    std::string arch;
    std::vector<int> sizes;
  };
  const Case cases[] = {
      {"mobilenet_v1", {224, 96, 128, 97, 225}},
      {"mobilenet_v2", {224, 96, 128, 32}},
      {"mobilenet_v3_small", {224, 96, 128, 33}},
      {"resnet50", {224, 96, 128}},
      {"inception_v3", {299, 160, 75, 224}},
  };
  for (const Case& c : cases) {
    for (int size : c.sizes) {
      for (int classes : {2, 1000}) {
        const ir::Graph graph = build_ok(c.arch, structure_only(classes, 1.0, size));
        const Status valid = ir::validate(graph);
        EXPECT_TRUE(valid.ok()) << c.arch << " @" << size << ": " << valid.message();
        ASSERT_EQ(graph.inputs.size(), 1u);
        ASSERT_EQ(graph.outputs.size(), 1u);
        EXPECT_EQ(graph.tensor(graph.inputs[0]).shape, (ir::Shape{ir::kDynamicDim, 3, size, size})) << c.arch;
        EXPECT_EQ(output_shape(graph), (ir::Shape{ir::kDynamicDim, classes})) << c.arch << " @" << size;
        // Concrete batches flow through shape inference too.
        auto shapes = ir::infer_shapes_for_batch(graph, 3);
        ASSERT_TRUE(shapes.ok()) << shapes.status().message();
        EXPECT_EQ((*shapes)[static_cast<size_t>(graph.outputs[0])], (ir::Shape{3, classes}));
      }
    }
  }
}

TEST(ZooStructure, WidthMultipliersValidate) {
  for (double alpha : {0.25, 0.35, 0.5, 0.75, 1.0, 1.3, 1.4}) {
    for (const char* arch : {"mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small"}) {
      const ir::Graph graph = build_ok(arch, structure_only(3, alpha, 128));
      EXPECT_TRUE(ir::validate(graph).ok()) << arch << " alpha " << alpha << ": " << ir::validate(graph).message();
      EXPECT_EQ(output_shape(graph), (ir::Shape{ir::kDynamicDim, 3}));
    }
  }
}

TEST(ZooStructure, KerasMobileNetTinyAlphaKeepsDepthwiseNames) {
  // alpha 0.04: int(32 * alpha) = 1 channel, so the first depthwise conv has groups == 1. Keras
  // still calls its weight depthwise_kernel; names must not depend on the channel count.
  const ir::Graph graph = build_ok("mobilenet_v1", structure_only(2, 0.04, 32));
  EXPECT_TRUE(ir::validate(graph).ok()) << ir::validate(graph).message();
  EXPECT_TRUE(graph.find_tensor("conv_dw_1/depthwise_kernel").has_value());
  EXPECT_FALSE(graph.find_tensor("conv_dw_1/kernel").has_value());
  EXPECT_TRUE(graph.find_tensor("conv_pw_1/kernel").has_value());
}

TEST(ZooStructure, KerasMobileNetLayout) {
  const ir::Graph graph = build_ok("mobilenet_v1", structure_only(5, 1.0, 224));
  const auto shape_of = [&graph](const char* name) {
    const auto id = graph.find_tensor(name);
    EXPECT_TRUE(id.has_value()) << name;
    return id ? graph.tensor(*id).shape : ir::Shape{};
  };
  EXPECT_EQ(shape_of("conv1/kernel"), (ir::Shape{32, 3, 3, 3}));
  EXPECT_EQ(shape_of("conv1"), (ir::Shape{ir::kDynamicDim, 32, 112, 112}));
  EXPECT_EQ(shape_of("conv_dw_2/depthwise_kernel"), (ir::Shape{64, 1, 3, 3}));
  EXPECT_EQ(shape_of("conv_dw_2"), (ir::Shape{ir::kDynamicDim, 64, 56, 56}));
  EXPECT_EQ(shape_of("conv_pw_13/kernel"), (ir::Shape{1024, 1024, 1, 1}));
  EXPECT_EQ(shape_of("conv_pw_13_relu"), (ir::Shape{ir::kDynamicDim, 1024, 7, 7}));
  EXPECT_EQ(shape_of("conv_pw_13_bn/moving_variance"), (ir::Shape{1024}));
  EXPECT_EQ(shape_of("conv_preds/bias"), (ir::Shape{5}));
  EXPECT_EQ(shape_of("predictions"), (ir::Shape{ir::kDynamicDim, 5}));

  // The strided depthwise convs carry Keras' ZeroPadding2D(((0, 1), (0, 1))); the stem's "same"
  // padding is (0, 1) at even sizes.
  const auto conv_padding = [&graph](const char* node) {
    return graph.nodes[static_cast<size_t>(*graph.find_node(node))].attr<ir::Conv2dAttrs>().padding;
  };
  EXPECT_EQ(conv_padding("conv_dw_2"), (ir::Padding2d{0, 0, 1, 1}));
  EXPECT_EQ(conv_padding("conv_dw_3"), (ir::Padding2d{1, 1, 1, 1}));
  EXPECT_EQ(conv_padding("conv1"), (ir::Padding2d{0, 0, 1, 1}));
  const ir::Graph odd = build_ok("mobilenet_v1", structure_only(5, 1.0, 225));
  EXPECT_EQ(odd.nodes[static_cast<size_t>(*odd.find_node("conv1"))].attr<ir::Conv2dAttrs>().padding,
            (ir::Padding2d{1, 1, 1, 1}));

  // Every batch norm uses Keras' epsilon.
  for (const ir::Node& node : graph.nodes) {
    if (node.kind == ir::OpKind::kBatchNorm) {
      EXPECT_FLOAT_EQ(node.attr<ir::BatchNormAttrs>().epsilon, 1e-3f) << node.name;
    }
  }
}

// ---- metadata and the classifier's end ----------------------------------------------------------

TEST(ZooMetadata, DescribesTheModel) {
  const ir::Graph v1 = build_ok("mobilenet_v1", structure_only(3));
  EXPECT_EQ(v1.metadata.architecture, "mobilenet_v1");
  EXPECT_EQ(v1.metadata.output_kind, ir::OutputKind::kProbabilities);
  EXPECT_EQ(v1.metadata.preprocessing.mean, (std::vector<float>{0.5f, 0.5f, 0.5f}));
  EXPECT_EQ(v1.metadata.preprocessing.std, (std::vector<float>{0.5f, 0.5f, 0.5f}));
  EXPECT_EQ(v1.metadata.class_names, (std::vector<std::string>{"class_0", "class_1", "class_2"}));
  EXPECT_EQ(v1.metadata.extra.at("input_size"), "224");
  EXPECT_EQ(v1.metadata.extra.at("family"), "keras");
  EXPECT_EQ(v1.nodes.back().kind, ir::OpKind::kSoftmax);
  EXPECT_EQ(v1.nodes.back().name, "predictions");

  const ir::Graph inception = build_ok("inception_v3", structure_only(2));
  EXPECT_EQ(inception.metadata.architecture, "inception_v3");
  EXPECT_EQ(inception.metadata.output_kind, ir::OutputKind::kLogits);
  EXPECT_EQ(inception.metadata.preprocessing.mean, (std::vector<float>{0.485f, 0.456f, 0.406f}));
  EXPECT_EQ(inception.metadata.preprocessing.std, (std::vector<float>{0.229f, 0.224f, 0.225f}));
  EXPECT_EQ(inception.metadata.extra.at("input_size"), "299");
  EXPECT_EQ(inception.nodes.back().name, "fc");
}

TEST(ZooMetadata, IncludeSoftmaxOverridesTheOriginal) {
  BuildOptions with = structure_only(4);
  with.include_softmax = true;
  const ir::Graph resnet = build_ok("resnet50", with);
  EXPECT_EQ(resnet.nodes.back().kind, ir::OpKind::kSoftmax);
  EXPECT_EQ(resnet.metadata.output_kind, ir::OutputKind::kProbabilities);
  EXPECT_EQ(output_shape(resnet), (ir::Shape{ir::kDynamicDim, 4}));
  EXPECT_TRUE(ir::validate(resnet).ok());

  BuildOptions without = structure_only(4);
  without.include_softmax = false;
  const ir::Graph v1 = build_ok("mobilenet_v1", without);
  EXPECT_EQ(v1.nodes.back().name, "reshape_2");
  EXPECT_EQ(v1.metadata.output_kind, ir::OutputKind::kLogits);
  EXPECT_EQ(output_shape(v1), (ir::Shape{ir::kDynamicDim, 4}));
  EXPECT_TRUE(ir::validate(v1).ok());
}

// ---- determinism ------------------------------------------------------------------------------

bool same_weights(const ir::Graph& a, const ir::Graph& b) {
  if (a.tensors.size() != b.tensors.size()) return false;
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const ir::Tensor& x = a.tensors[i];
    const ir::Tensor& y = b.tensors[i];
    if (x.name != y.name || x.is_constant() != y.is_constant()) return false;
    if (x.data.size() != y.data.size()) return false;
    if (x.data.size() > 0 && std::memcmp(x.data.data(), y.data.data(), x.data.size()) != 0) return false;
  }
  return true;
}

TEST(ZooDeterminism, SameSeedSameBytesDifferentSeedDifferentBytes) {
  for (const auto& info : list_architectures()) {
    BuildOptions options;
    options.num_classes = 3;
    options.seed = 11;
    // Small inputs: the weights do not depend on the input size, the test only gets faster.
    options.input_size = info.min_input_size;
    const ir::Graph a = build_ok(info.name, options);
    const ir::Graph b = build_ok(info.name, options);
    EXPECT_TRUE(same_weights(a, b)) << info.name;
    options.seed = 12;
    const ir::Graph c = build_ok(info.name, options);
    EXPECT_FALSE(same_weights(a, c)) << info.name;
    // Every conv and linear weight changes with the seed, not just some.
    for (const ir::Node& node : a.nodes) {
      if (node.kind != ir::OpKind::kConv2d && node.kind != ir::OpKind::kLinear) continue;
      const ir::Tensor& x = a.tensor(node.inputs[1]);
      const ir::Tensor& y = c.tensor(node.inputs[1]);
      EXPECT_NE(std::memcmp(x.data.data(), y.data.data(), x.data.size()), 0) << info.name << " " << x.name;
    }
  }
}

TEST(ZooDeterminism, WeightStatisticsFollowTheFrameworkInit) {
  BuildOptions options;
  options.num_classes = 10;
  options.seed = 3;
  options.input_size = 64;
  const ir::Graph resnet = build_ok("resnet50", options);
  const auto stddev = [](const ir::Tensor& t) {
    const float* v = t.data.as<float>();
    const size_t n = t.data.size() / sizeof(float);
    double sq = 0.0;
    for (size_t i = 0; i < n; ++i) sq += static_cast<double>(v[i]) * v[i];
    return std::sqrt(sq / static_cast<double>(n));
  };
  // kaiming_normal_(mode="fan_out"): layer4.0.conv2 is [512, 512, 3, 3], std sqrt(2 / 4608).
  const ir::Tensor& conv = resnet.tensor(*resnet.find_tensor("layer4.0.conv2.weight"));
  EXPECT_NEAR(stddev(conv), std::sqrt(2.0 / 4608.0), 0.001);
  // nn.Linear default: U(+-1/sqrt(2048)), std = bound / sqrt(3).
  const ir::Tensor& fc = resnet.tensor(*resnet.find_tensor("fc.weight"));
  EXPECT_NEAR(stddev(fc), 1.0 / std::sqrt(2048.0) / std::sqrt(3.0), 0.001);

  const ir::Graph v2 = build_ok("mobilenet_v2", options);
  EXPECT_NEAR(stddev(v2.tensor(*v2.find_tensor("classifier.1.weight"))), 0.01, 0.001);
}

// ---- bad options --------------------------------------------------------------------------------

void expect_invalid(const std::string& arch, const BuildOptions& options, const std::string& fragment) {
  auto graph = build(arch, options);
  ASSERT_FALSE(graph.ok()) << arch << " built although it should not";
  EXPECT_EQ(graph.status().code(), StatusCode::kInvalidArgument) << graph.status().message();
  EXPECT_NE(graph.status().message().find(arch), std::string::npos) << graph.status().message();
  EXPECT_NE(graph.status().message().find(fragment), std::string::npos) << graph.status().message();
}

TEST(ZooOptions, BadOptionsGiveClearErrors) {
  for (const auto& info : list_architectures()) {
    expect_invalid(info.name, structure_only(0), "num_classes");
    expect_invalid(info.name, structure_only(-3), "num_classes");
    expect_invalid(info.name, structure_only(1000, 0.0), "alpha");
    expect_invalid(info.name, structure_only(1000, -1.0), "alpha");
    expect_invalid(info.name, structure_only(1000, std::numeric_limits<double>::quiet_NaN()), "alpha");
    expect_invalid(info.name, structure_only(1000, 1.0, info.min_input_size - 1), "at least");
    expect_invalid(info.name, structure_only(1000, 1.0, -5), "at least");
    expect_invalid(info.name, structure_only(1000, 1.0, 100000), "input size");
    if (!info.has_width_multiplier) expect_invalid(info.name, structure_only(1000, 0.5), "no width multiplier");
  }
  expect_invalid("mobilenet_v1", structure_only(1000, 0.01), "filters");
}

TEST(ZooOptions, SmallestInputsBuild) {
  for (const auto& info : list_architectures()) {
    const ir::Graph graph = build_ok(info.name, structure_only(2, 1.0, info.min_input_size));
    EXPECT_TRUE(ir::validate(graph).ok()) << info.name;
  }
}

}  // namespace
}  // namespace gramlite::zoo

namespace gramlite::zoo {
namespace {

// The zoo's graphs are what the inference passes see first: folding batch norms, fusing
// activations and dropping dropout must leave every architecture valid with the same output.
TEST(ZooPasses, OptimizeForInferenceKeepsGraphsValid) {
  for (const auto& info : list_architectures()) {
    ir::Graph graph = build_ok(info.name, structure_only(3));
    const size_t nodes_before = graph.nodes.size();
    const Status optimized = ir::optimize_for_inference(graph);
    ASSERT_TRUE(optimized.ok()) << info.name << ": " << optimized.message();
    EXPECT_TRUE(ir::validate(graph).ok()) << info.name << ": " << ir::validate(graph).message();
    EXPECT_LT(graph.nodes.size(), nodes_before) << info.name;
    for (const ir::Node& node : graph.nodes) {
      EXPECT_NE(node.kind, ir::OpKind::kBatchNorm) << info.name << ": " << node.name << " was not folded";
      EXPECT_NE(node.kind, ir::OpKind::kDropout) << info.name << ": " << node.name;
    }
    EXPECT_EQ(graph.tensor(graph.outputs.at(0)).shape, (ir::Shape{ir::kDynamicDim, 3})) << info.name;
  }
}

}  // namespace
}  // namespace gramlite::zoo
