// import_torchvision without Python: state dicts are made from zoo graphs (whose parameter names
// are torchvision's keys by construction), then altered to provoke every error.
#include "gramlite/interop/torchvision_import.h"

#include <gtest/gtest.h>

#include <cstring>

#include "gramlite/zoo/zoo.h"

namespace gramlite::interop {
namespace {

// The state dict torchvision would save for `graph`: its float32 constants, plus the int64
// num_batches_tracked counter next to every batch norm's running_mean.
StateDict state_dict_of(const ir::Graph& graph, const std::string& source = "made.pt") {
  StateDict state;
  state.source = source;
  state.container_format = "zip";
  for (const ir::Tensor& tensor : graph.tensors) {
    if (!tensor.is_constant() || tensor.dtype != ir::DType::kFloat32) continue;
    StateDictTensor entry;
    entry.name = tensor.name;
    entry.shape = tensor.shape;
    entry.data.assign(tensor.data.as<float>(), tensor.data.as<float>() + tensor.element_count());
    state.tensors.push_back(std::move(entry));
    const std::string suffix = ".running_mean";
    if (tensor.name.size() > suffix.size() &&
        tensor.name.compare(tensor.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      StateDictTensor counter;
      counter.name = tensor.name.substr(0, tensor.name.size() - suffix.size()) + ".num_batches_tracked";
      counter.dtype = TorchDType::kInt64;
      counter.int_data = {3};
      state.tensors.push_back(std::move(counter));
    }
  }
  return state;
}

ir::Graph build(const std::string& arch, int classes, double alpha = 1.0, bool random = true) {
  zoo::BuildOptions options;
  options.num_classes = classes;
  options.alpha = alpha;
  options.seed = 11;
  options.random_weights = random;
  Result<ir::Graph> graph = zoo::build(arch, options);
  EXPECT_TRUE(graph.ok()) << graph.status().message();
  return std::move(graph).value();
}

StateDictTensor* find(StateDict& state, const std::string& name) {
  for (StateDictTensor& tensor : state.tensors) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

TEST(TorchvisionImport, InfersClassesAndWidthAndCopiesEveryTensor) {
  const ir::Graph original = build("mobilenet_v2", 3, 0.5);
  ImportReport report;
  Result<ir::Graph> imported = import_torchvision_state_dict(state_dict_of(original), "mobilenet_v2", {}, &report);
  ASSERT_TRUE(imported.ok()) << imported.status().message();
  EXPECT_EQ(report.num_classes, 3);
  EXPECT_EQ(report.alpha, 0.5);
  EXPECT_EQ(report.skipped.size(), 52u);  // one num_batches_tracked per batch norm
  EXPECT_EQ(report.skipped.front(), "features.0.1.num_batches_tracked");
  size_t compared = 0;
  for (const ir::Tensor& tensor : original.tensors) {
    if (!tensor.is_constant()) continue;
    const auto id = imported->find_tensor(tensor.name);
    ASSERT_TRUE(id) << tensor.name;
    const ir::Tensor& copy = imported->tensor(*id);
    ASSERT_EQ(copy.shape, tensor.shape) << tensor.name;
    ASSERT_EQ(copy.data.size(), tensor.data.size()) << tensor.name;
    EXPECT_EQ(std::memcmp(copy.data.data(), tensor.data.data(), tensor.data.size()), 0) << tensor.name;
    ++compared;
  }
  EXPECT_EQ(report.imported, compared);
  const auto& extra = imported->metadata.extra;
  EXPECT_EQ(extra.at("source_file"), "made.pt");
  EXPECT_EQ(extra.at("source_arch"), "torchvision mobilenet_v2");
  EXPECT_EQ(extra.at("weights"), "imported");
  EXPECT_EQ(extra.at("alpha"), "0.5");
  EXPECT_EQ(extra.at("num_classes"), "3");
  EXPECT_EQ(imported->metadata.architecture, "mobilenet_v2");
  EXPECT_EQ(imported->metadata.class_names.size(), 3u);
}

TEST(TorchvisionImport, InfersAnUnpublishedWidthFromTheGrid) {
  const ir::Graph original = build("mobilenet_v3_small", 2, 0.6, false);
  ImportReport report;
  Result<ir::Graph> imported =
      import_torchvision_state_dict(state_dict_of(original), "mobilenet_v3_small", {}, &report);
  ASSERT_TRUE(imported.ok()) << imported.status().message();
  // Neighbouring widths can round to identical channel counts (and so identical graphs).
  EXPECT_NEAR(report.alpha, 0.6, 0.051);
}

TEST(TorchvisionImport, ReportsMissingUnexpectedAndMismatchedInOneError) {
  StateDict state = state_dict_of(build("resnet50", 4, 1.0, false), "fine_tuned.pth");
  state.tensors.erase(state.tensors.begin() + 1);  // "bn1.weight"
  StateDictTensor extra;
  extra.name = "extra.weight";
  extra.shape = {2};
  extra.data = {1, 2};
  state.tensors.push_back(extra);
  StateDictTensor* mean = find(state, "layer2.0.bn1.running_mean");
  ASSERT_NE(mean, nullptr);
  mean->shape = {7};
  mean->data.resize(7);
  Result<ir::Graph> imported = import_torchvision_state_dict(state, "resnet50");
  ASSERT_FALSE(imported.ok());
  const std::string& message = imported.status().message();
  EXPECT_EQ(imported.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(message.find("importing 'fine_tuned.pth' as resnet50"), std::string::npos) << message;
  EXPECT_NE(message.find("1 missing key: bn1.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("1 unexpected key: extra.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("1 shape mismatch: layer2.0.bn1.running_mean: file [7] float32 vs model [128] float32"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("num_batches_tracked"), std::string::npos) << "skipped keys are not problems";
}

TEST(TorchvisionImport, LongListsAreTruncatedWithACount) {
  StateDict state = state_dict_of(build("resnet50", 4, 1.0, false));
  state.tensors.erase(state.tensors.begin() + 10, state.tensors.begin() + 90);  // some are counters
  for (int i = 0; i < 25; ++i) {
    StateDictTensor stray;
    stray.name = "head." + std::to_string(i) + ".weight";
    stray.shape = {1};
    stray.data = {0};
    state.tensors.push_back(stray);
  }
  Result<ir::Graph> imported = import_torchvision_state_dict(state, "resnet50");
  ASSERT_FALSE(imported.ok());
  const std::string& message = imported.status().message();
  EXPECT_NE(message.find("25 unexpected keys: head.0.weight, "), std::string::npos) << message;
  EXPECT_NE(message.find(", ... and 15 more"), std::string::npos) << message;
  EXPECT_NE(message.find("missing keys:"), std::string::npos) << message;
  EXPECT_LT(message.size(), 2500u) << "the error must stay readable";
}

TEST(TorchvisionImport, IntegerTensorForAFloatParameterIsAMismatch) {
  StateDict state = state_dict_of(build("mobilenet_v3_small", 5, 1.0, false));
  StateDictTensor* weight = find(state, "features.0.0.weight");
  ASSERT_NE(weight, nullptr);
  weight->dtype = TorchDType::kInt64;
  weight->int_data.assign(weight->data.size(), 0);
  weight->data.clear();
  Result<ir::Graph> imported = import_torchvision_state_dict(state, "mobilenet_v3_small");
  ASSERT_FALSE(imported.ok());
  EXPECT_NE(imported.status().message().find("features.0.0.weight: file [16, 3, 3, 3] int64 vs model"),
            std::string::npos)
      << imported.status().message();
}

TEST(TorchvisionImport, ExplicitOptionsOverrideInference) {
  StateDict state = state_dict_of(build("mobilenet_v2", 3, 0.75, false));
  ImportOptions options;
  options.alpha = 1.0;  // wrong on purpose: every channel count differs
  Result<ir::Graph> wrong = import_torchvision_state_dict(state, "mobilenet_v2", options);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("alpha 1"), std::string::npos) << wrong.status().message();
  EXPECT_NE(wrong.status().message().find("shape mismatches"), std::string::npos);

  options.alpha = 0.75;
  options.num_classes = 7;  // the file's head has 3
  Result<ir::Graph> classes = import_torchvision_state_dict(state, "mobilenet_v2", options);
  ASSERT_FALSE(classes.ok());
  EXPECT_NE(classes.status().message().find("classifier.1.weight: file [3, 1280] float32 vs model [7, 1280]"),
            std::string::npos)
      << classes.status().message();

  options.num_classes.reset();
  options.class_names = {"gram_negative", "gram_positive", "background"};
  options.include_softmax = true;
  Result<ir::Graph> named = import_torchvision_state_dict(state, "mobilenet_v2", options);
  ASSERT_TRUE(named.ok()) << named.status().message();
  EXPECT_EQ(named->metadata.class_names, options.class_names);
  EXPECT_EQ(named->metadata.output_kind, ir::OutputKind::kProbabilities);

  options.class_names = {"only_one"};
  EXPECT_FALSE(import_torchvision_state_dict(state, "mobilenet_v2", options).ok());
}

TEST(TorchvisionImport, InceptionAuxLogitsAreSkippedAndTransformInputIsRecorded) {
  StateDict state = state_dict_of(build("inception_v3", 2, 1.0, false));
  for (const char* name : {"AuxLogits.conv0.conv.weight", "AuxLogits.fc.weight", "AuxLogits.fc.bias"}) {
    StateDictTensor aux;
    aux.name = name;
    aux.shape = {2};
    aux.data = {1, 2};
    state.tensors.push_back(aux);
  }
  ImportOptions options;
  options.inception_transform_input = true;
  ImportReport report;
  Result<ir::Graph> imported = import_torchvision_state_dict(state, "inception_v3", options, &report);
  ASSERT_TRUE(imported.ok()) << imported.status().message();
  EXPECT_EQ(report.num_classes, 2);
  size_t aux = 0;
  for (const std::string& name : report.skipped) aux += name.rfind("AuxLogits.", 0) == 0;
  EXPECT_EQ(aux, 3u);
  EXPECT_EQ(imported->metadata.preprocessing.mean, (std::vector<float>{0.5f, 0.5f, 0.5f}));
  EXPECT_EQ(imported->metadata.extra.at("transform_input"), "true");
}

TEST(TorchvisionImport, RefusesNonTorchvisionArchitecturesAndUnknownNames) {
  StateDict state = state_dict_of(build("mobilenet_v2", 2, 1.0, false));
  Result<ir::Graph> keras = import_torchvision_state_dict(state, "mobilenet_v1");
  ASSERT_FALSE(keras.ok());
  EXPECT_EQ(keras.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(keras.status().message().find("keras"), std::string::npos) << keras.status().message();
  Result<ir::Graph> unknown = import_torchvision_state_dict(state, "vgg16");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);

  ImportOptions options;
  options.inception_transform_input = true;
  EXPECT_EQ(import_torchvision_state_dict(state, "mobilenet_v2", options).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(TorchvisionImport, WrongArchitectureNamesTheClassifierKey) {
  StateDict state = state_dict_of(build("mobilenet_v3_small", 2, 1.0, false));
  Result<ir::Graph> imported = import_torchvision_state_dict(state, "resnet50");
  ASSERT_FALSE(imported.ok());
  EXPECT_NE(imported.status().message().find("'fc.weight'"), std::string::npos) << imported.status().message();
}

TEST(TorchvisionImport, MissingFileIsReported) {
  Result<ir::Graph> imported = import_torchvision("/nonexistent/model.pth", "resnet50");
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace gramlite::interop
