// Every zoo model quantized by compress::convert_to_int8, exported as QDQ and run in ONNX Runtime
// against gramlite's int8 reference kernels on synthetic images (label slow: the int8 reference
// kernels take minutes for 200 images of inception_v3). docs/onnx-export.md has the figures.
#include <gtest/gtest.h>

#include <iostream>

#include "gramlite/compress/calibration.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/interop/onnx_export.h"
#include "gramlite/ir/quantization.h"
#include "onnx_export_test_support.h"

namespace gramlite::interop {
namespace {

using ir::OpKind;
using namespace testing;  // NOLINT: the shared oracles

// ---- int8: zoo models quantized by compress::convert_to_int8 (label slow) ------------------------

// Synthetic stained-smear-like images: a light background with dark rods and cocci of a few stain
// colours, normalised with the model's mean / std. Deterministic per seed.
std::vector<float> synthetic_images(int64_t count, int64_t size, uint32_t seed, const ir::Preprocessing& p) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  const size_t plane = static_cast<size_t>(size * size);
  std::vector<float> out(static_cast<size_t>(count) * 3 * plane);
  const float stains[3][3] = {{0.45f, 0.2f, 0.6f}, {0.85f, 0.35f, 0.5f}, {0.3f, 0.15f, 0.35f}};
  for (int64_t n = 0; n < count; ++n) {
    float* img = out.data() + static_cast<size_t>(n) * 3 * plane;
    const float bg[3] = {0.85f + 0.1f * u(rng), 0.8f + 0.1f * u(rng), 0.85f + 0.1f * u(rng)};
    for (size_t c = 0; c < 3; ++c) std::fill(img + c * plane, img + (c + 1) * plane, bg[c]);
    const int objects = 3 + static_cast<int>(u(rng) * 12);
    for (int o = 0; o < objects; ++o) {
      const float* stain = stains[static_cast<int>(u(rng) * 2.999f)];
      const float cx = u(rng) * static_cast<float>(size), cy = u(rng) * static_cast<float>(size);
      const float rx = 1.0f + u(rng) * static_cast<float>(size) / 6.0f, ry = 1.0f + u(rng) * static_cast<float>(size) / 16.0f;
      const float angle = u(rng) * 3.14159f, ca = std::cos(angle), sa = std::sin(angle);
      for (int64_t y = 0; y < size; ++y) {
        for (int64_t x = 0; x < size; ++x) {
          const float dx = static_cast<float>(x) - cx, dy = static_cast<float>(y) - cy;
          const float a = (dx * ca + dy * sa) / rx, b = (-dx * sa + dy * ca) / ry;
          if (a * a + b * b > 1.0f) continue;
          for (size_t c = 0; c < 3; ++c) img[c * plane + static_cast<size_t>(y * size + x)] = stain[c] + 0.05f * u(rng);
        }
      }
    }
    for (size_t c = 0; c < 3; ++c) {
      for (size_t i = 0; i < plane; ++i) img[c * plane + i] = (img[c * plane + i] - p.mean[c]) / p.std[c];
    }
  }
  return out;
}

// The scale of the int8 tensor the graph output is dequantized from.
float output_scale(const ir::Graph& g) {
  for (const ir::Node& node : g.nodes) {
    if (node.kind == OpKind::kDequantize && node.outputs[0] == g.outputs[0]) return g.tensor(node.inputs[0]).quant.scales[0];
  }
  return 0.0f;
}

class ZooInt8Export : public ::testing::TestWithParam<std::string> {};


// Every zoo model quantized (per-channel weights, min-max calibration on 32 synthetic images),
// exported as QDQ and run in ONNX Runtime (all graph optimizations: QDQ fused into QLinear ops)
// on 200 other synthetic images (32 for resnet50 and inception_v3), against gramlite's int8 reference kernels: top-1 agreement and
// logits within kInt8LogitLsb output LSB (see the measured figures below).
constexpr double kInt8LogitLsb = 24.0;
TEST_P(ZooInt8Export, AgreesWithGramlitesInt8InOnnxRuntime) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without ONNX support";
  testing::TempDir dir;
  Result<zoo::ArchInfo> info = zoo::find_architecture(GetParam());
  ASSERT_TRUE(info.ok());
  zoo::BuildOptions options;
  options.num_classes = 3;
  options.seed = 5;
  options.input_size = info->min_input_size;
  options.include_softmax = false;
  Result<ir::Graph> graph = zoo::build(GetParam(), options);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  const int64_t size = info->min_input_size;
  Result<ir::Graph> prepared = compress::prepare_for_quantization(*graph);
  ASSERT_TRUE(prepared.ok()) << prepared.status().message();
  compress::CalibrationSet calib;
  calib.image_shape = {3, size, size};
  for (uint32_t b = 0; b < 4; ++b) calib.batches.push_back(synthetic_images(8, size, 1000 + b, graph->metadata.preprocessing));
  Result<ir::ActivationRanges> ranges = compress::calibrate(*prepared, calib, {});
  ASSERT_TRUE(ranges.ok()) << ranges.status().message();
  Result<ir::Graph> int8 = compress::convert_to_int8(*prepared, *ranges, {});
  ASSERT_TRUE(int8.ok()) << int8.status().message();
  const float scale = output_scale(*int8);
  ASSERT_GT(scale, 0.0f);

  // 200 images; 32 for resnet50 and inception_v3, whose plain-loop float and int8 runs take minutes
  // for more (docs/onnx-export.md's figures for those two came from 200 and 100 images). Below 200
  // images the 99.5 % bars below demand that every image agrees.
  const int64_t kImages = GetParam() == "inception_v3" || GetParam() == "resnet50" ? 32 : 200;
  const std::vector<float> images = synthetic_images(kImages, size, 7, graph->metadata.preprocessing);
  // The float model first, on the same images: the fp32 agreement figure.
  {
    Result<std::vector<float>> fp32 = run_gramlite(*graph, images, kImages);
    ASSERT_TRUE(fp32.ok()) << fp32.status().message();
    const std::string fp32_model = dir.file("fp32.onnx");
    ASSERT_TRUE(export_onnx(*graph, fp32_model).ok());
    const OrtResult fp32_ort = run_ort(dir, fp32_model, images, {kImages, 3, size, size});
    if (fp32_ort.skipped) GTEST_SKIP() << fp32_ort.message;
    ASSERT_TRUE(fp32_ort.ok()) << fp32_ort.message;
    const double bound = kOrtRelativeBound * max_abs(*fp32);
    const int agree = top1_agreements(*fp32, fp32_ort.output, 3, 0.0);
    std::cout << GetParam() << " fp32: top-1 agreement " << agree << "/" << kImages << ", max |ORT - gramlite| "
              << max_abs_diff(*fp32, fp32_ort.output) / max_abs(*fp32) << " of max |y|\n";
    EXPECT_LE(max_abs_diff(*fp32, fp32_ort.output), bound);
    EXPECT_GE(top1_agreements(*fp32, fp32_ort.output, 3, bound), static_cast<int>(std::ceil(0.995 * kImages)));
  }
  Result<std::vector<float>> expected = run_gramlite(*int8, images, kImages);
  ASSERT_TRUE(expected.ok()) << expected.status().message();
  const std::string model = dir.file("int8.onnx");
  OnnxExportReport report;
  ASSERT_TRUE(export_onnx(*int8, model, {}, &report).ok());
  EXPECT_TRUE(report.quantized);
  const std::string verdict = python_check(dir, model);
  if (verdict.rfind("skip: ", 0) != 0) {
    EXPECT_EQ(verdict, "");
  }
  const OrtResult ort = run_ort(dir, model, images, {kImages, 3, size, size});
  if (ort.skipped) GTEST_SKIP() << ort.message;
  ASSERT_TRUE(ort.ok()) << ort.message;
  ASSERT_EQ(ort.output.size(), expected->size());
  double mean_lsb = 0.0;
  for (size_t i = 0; i < expected->size(); ++i) mean_lsb += std::fabs((*expected)[i] - ort.output[i]) / scale;
  mean_lsb /= static_cast<double>(expected->size());
  const double max_lsb = max_abs_diff(*expected, ort.output) / scale;
  // Where they disagree: the gap between gramlite's top two logits, in LSB (a near-tie flips on
  // one LSB of difference).
  int near_ties = 0, disagreements = 0;
  for (int64_t row = 0; row < kImages; ++row) {
    std::vector<float> r(expected->begin() + row * 3, expected->begin() + row * 3 + 3);
    std::vector<float> o(ort.output.begin() + row * 3, ort.output.begin() + row * 3 + 3);
    const auto rc = std::max_element(r.begin(), r.end()) - r.begin();
    const auto oc = std::max_element(o.begin(), o.end()) - o.begin();
    disagreements += rc != oc ? 1 : 0;
    if (rc != oc) near_ties += (r[static_cast<size_t>(rc)] - r[static_cast<size_t>(oc)]) / scale <= max_lsb ? 1 : 0;
  }
  const int strict = static_cast<int>(kImages) - disagreements;  // arg-max equal (an exact tie counts as a miss)
  std::cout << GetParam() << " int8: top-1 agreement " << strict << "/" << kImages << ", logits max " << max_lsb
            << " / mean " << mean_lsb << " output LSB (scale " << scale << "), " << report.quantize_linear
            << " QuantizeLinear, " << report.dequantize_linear << " DequantizeLinear\n";
  // The same file with ORT's optimizations off (float ops between Q / DQ, no fused integer kernels).
  const OrtResult plain = run_ort(dir, model, images, {kImages, 3, size, size}, false);
  ASSERT_TRUE(plain.ok()) << plain.message;
  std::cout << GetParam() << " int8: disagreements within the max difference of a tie: " << near_ties
            << "; without ORT optimizations: top-1 " << top1_agreements(*expected, plain.output, 3, 0.0) << "/" << kImages
            << ", logits max " << max_abs_diff(*expected, plain.output) / scale << " LSB; ORT fused vs plain: max "
            << max_abs_diff(ort.output, plain.output) / scale << " LSB\n";
  // Measured (docs/onnx-export.md): 100 % strict agreement on every zoo model (200, or 100-200 for the big two)
  // since requantization rounds once, ties to even, like QuantizeLinear; with gemmlowp's double
  // rounding it was 95.5-99 %, 1-LSB differences from the first convolution on growing through
  // the network. Asserted: the 99.5 %, and every disagreement a near tie.
  EXPECT_EQ(disagreements, near_ties) << "a disagreement that is not a near tie";
  EXPECT_GE(strict, static_cast<int>(std::ceil(0.995 * kImages)));
  EXPECT_LE(max_lsb, kInt8LogitLsb);
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooInt8Export, ::testing::ValuesIn(zoo_names()),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

}  // namespace
}  // namespace gramlite::interop
