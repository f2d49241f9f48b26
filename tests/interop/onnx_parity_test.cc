// Parity: an ONNX model imported into the IR and run by the reference runtime computes what the
// model's origin computes.
//
// tests/oracle/make_onnx_case.py writes each case: torchvision classifiers (random weights, real
// batch-norm statistics) exported by torch.onnx.export at opset 13 with constant folding on or off,
// expected output from PyTorch eval mode; and a Keras-style MobileNet-v1-like graph written with
// onnx.helper (asymmetric / SAME_UPPER / SAME_LOWER padding, ZeroPadding2D, depthwise convs, BN,
// Clip 0..6, Reshape, conv_preds, Softmax; an NHWC variant with Transpose, ReduceMean, MatMul + Add
// and float16 weights behind Cast), expected output from torch.nn.functional on the same weights.
//
// The bound is the torchvision parity test's: max |gramlite - oracle| <= 1e-4 * max(1, max |oracle|)
// (float32 summation order and batch-norm folding differ; a mis-mapped op gives errors of the order
// of the output). The `fast` label runs one case per model at 64 px or less (constant folding off
// for one of them: the exporter writes the same ops either way at opset 13); inception_v3, 224 px
// inputs and the other constant-folding variants run under `slow`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <sstream>

#include "gramlite/interop/onnx_import.h"
#include "gramlite/runtime/session.h"
#include "test_support.h"

namespace gramlite::interop {
namespace {

constexpr double kRelativeBound = 1e-4;

struct Case {
  std::string model;
  int size = 64;
  std::string extra_args;
};

void run_parity(const Case& c, const OnnxImportOptions& options = {}) {
  if (!onnx_import_available()) GTEST_SKIP() << "built without ONNX support";
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string args = testing::shell_quote(testing::oracle_script("make_onnx_case.py")) + " --model " + c.model +
                           " --size " + std::to_string(c.size) + " --out " + testing::shell_quote(dir.path()) + " " +
                           c.extra_args;
  const int status = testing::run_python(args, dir.file("log.txt"));
  if (testing::means_python_unavailable(status)) GTEST_SKIP() << testing::read_text(dir.file("log.txt"));
  ASSERT_EQ(status, 0) << "make_onnx_case.py failed:\n" << testing::read_text(dir.file("log.txt"));

  OnnxImportReport report;
  Result<ir::Graph> graph = import_onnx(dir.file("model.onnx"), options, &report);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  EXPECT_EQ(report.opset, 13);
  const auto fields = testing::read_case_file(dir.file("case.txt"));
  const int num_classes = std::stoi(fields.at("num_classes")[0]);
  EXPECT_EQ(graph->metadata.class_names.size(), static_cast<size_t>(num_classes));
  EXPECT_EQ(graph->metadata.extra.at("source_opset"), "13");
  // Every import yields a dynamic batch (symbolic in the file, or fixed and made dynamic).
  EXPECT_EQ(graph->tensor(graph->inputs[0]).shape[0], ir::kDynamicDim);

  const int64_t batch = std::stoll(fields.at("input_shape")[0]);
  auto session = runtime::Session::create(std::make_shared<const ir::Graph>(std::move(graph).value()));
  ASSERT_TRUE(session.ok()) << session.status().message();
  ASSERT_TRUE(session.value()->prepare(batch).ok());
  std::vector<float> input = testing::read_floats(dir.file("input.bin"));
  const std::vector<float> expected = testing::read_floats(dir.file("output.bin"));
  if (c.model.find("_nhwc") != std::string::npos) {
    // The imported graph takes NCHW (its input Transpose was dropped): feed it the same images.
    const size_t s = static_cast<size_t>(c.size);
    std::vector<float> nchw(input.size());
    for (size_t n = 0; n < static_cast<size_t>(batch); ++n) {
      for (size_t y = 0; y < s; ++y) {
        for (size_t x = 0; x < s; ++x) {
          for (size_t ch = 0; ch < 3; ++ch) nchw[((n * 3 + ch) * s + y) * s + x] = input[((n * s + y) * s + x) * 3 + ch];
        }
      }
    }
    input = nchw;
  }
  auto outputs = session.value()->run(std::vector<std::vector<float>>{input});
  ASSERT_TRUE(outputs.ok()) << outputs.status().message();
  const std::vector<float>& got = outputs->front();
  ASSERT_EQ(got.size(), expected.size());
  double max_error = 0.0, scale = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(std::isfinite(got[i])) << i;
    max_error = std::max(max_error, std::fabs(static_cast<double>(got[i]) - expected[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(expected[i])));
  }
  const double bound = kRelativeBound * std::max(1.0, scale);
  std::cout << "[onnx parity] " << c.model << " " << c.size << "px " << c.extra_args << ": max abs error " << max_error
            << ", output max |ref| " << scale << ", bound " << bound << ", " << session.value()->graph().nodes.size()
            << " nodes after optimisation, " << report.notes.size() << " notes\n";
  EXPECT_LE(max_error, bound) << c.model;

  // Another batch size runs too (the batch is dynamic): the first image's output is unchanged.
  ASSERT_TRUE(session.value()->prepare(1).ok());
  const size_t per_image = input.size() / static_cast<size_t>(batch);
  auto single = session.value()->run(std::vector<std::vector<float>>{std::vector<float>(input.begin(), input.begin() + static_cast<long>(per_image))});
  ASSERT_TRUE(single.ok()) << single.status().message();
  for (size_t i = 0; i < single->front().size(); ++i) EXPECT_NEAR(single->front()[i], got[i], 1e-5 * std::max(1.0, scale));
}

#ifdef GRAMLITE_PARITY_FULL_SIZE
#define PARITY_SUITE OnnxParityFullSize
TEST(PARITY_SUITE, InceptionV3) { run_parity({"inception_v3", 96, ""}); }
TEST(PARITY_SUITE, InceptionV3NoConstantFolding) { run_parity({"inception_v3", 96, "--no-constant-folding"}); }
TEST(PARITY_SUITE, MobileNetV2At224) { run_parity({"mobilenet_v2", 224, ""}); }
TEST(PARITY_SUITE, MobileNetV2NoConstantFolding) { run_parity({"mobilenet_v2", 64, "--no-constant-folding"}); }
TEST(PARITY_SUITE, ResNet50At224NoConstantFolding) { run_parity({"resnet50", 224, "--no-constant-folding"}); }
TEST(PARITY_SUITE, KerasStyleMobileNetV1At224) { run_parity({"keras_mobilenet_v1", 224, ""}); }
#else
#define PARITY_SUITE OnnxParity
TEST(PARITY_SUITE, MobileNetV2) { run_parity({"mobilenet_v2", 64, ""}); }
TEST(PARITY_SUITE, MobileNetV3Small) { run_parity({"mobilenet_v3_small", 64, ""}); }
TEST(PARITY_SUITE, MobileNetV3SmallNoConstantFoldingDynamicBatch) {
  run_parity({"mobilenet_v3_small", 64, "--no-constant-folding --dynamic-batch"});
}
TEST(PARITY_SUITE, ResNet50) { run_parity({"resnet50", 64, ""}); }
TEST(PARITY_SUITE, KerasStyleMobileNetV1) {
  OnnxImportOptions options;
  options.class_names = {"a", "b", "c", "d", "e"};
  run_parity({"keras_mobilenet_v1", 64, "--num-classes 5"}, options);
}
TEST(PARITY_SUITE, KerasStyleMobileNetV1NhwcFloat16Weights) { run_parity({"keras_mobilenet_v1_nhwc", 48, ""}); }
#endif

}  // namespace
}  // namespace gramlite::interop
