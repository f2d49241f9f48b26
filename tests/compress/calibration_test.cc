// calibrate(): every float activation of the prepared graph gets a range from the images.
#include "gramlite/compress/calibration.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "gramlite/compress/quantize.h"
#include "gramlite/runtime/session.h"
#include "test_graphs.h"

namespace gramlite::compress {
namespace {

CalibrationSet random_set(int batches, int per_batch, uint32_t seed) {
  CalibrationSet set;
  set.image_shape = {3, 8, 8};
  for (int b = 0; b < batches; ++b) {
    set.batches.push_back(testing::uniform(static_cast<size_t>(per_batch) * 3 * 8 * 8, -2.0f, 2.0f, seed + static_cast<uint32_t>(b)));
  }
  return set;
}

ir::Graph prepared() {
  auto graph = prepare_for_quantization(testing::small_classifier());
  EXPECT_TRUE(graph.ok()) << graph.status().message();
  return std::move(graph).value();
}

TEST(Calibrate, MinMaxRangesAreTheExtremesOfEveryActivation) {
  const ir::Graph graph = prepared();
  const CalibrationSet set = random_set(3, 4, 5);
  CalibrationOptions options;
  std::vector<std::pair<int64_t, int64_t>> progress;
  options.progress = [&](int64_t done, int64_t total) { progress.emplace_back(done, total); };
  auto ranges = calibrate(graph, set, options);
  ASSERT_TRUE(ranges.ok()) << ranges.status().message();
  EXPECT_EQ(progress, (std::vector<std::pair<int64_t, int64_t>>{{4, 12}, {8, 12}, {12, 12}}));

  // The oracle: each activation's extremes over every image, from a plain session per batch.
  std::map<std::string, std::pair<float, float>> expected;
  runtime::SessionOptions so;
  so.optimize = false;
  auto shared = std::make_shared<const ir::Graph>(graph);
  so.node_observer = [&](const runtime::NodeOutput& out) {
    const auto* v = static_cast<const float*>(out.data);
    const auto n = static_cast<size_t>(ir::element_count(*out.shape));
    auto [lo, hi] = std::minmax_element(v, v + n);
    auto& e = expected.try_emplace(shared->tensor(out.tensor).name, *lo, *hi).first->second;
    e = {std::min(e.first, *lo), std::max(e.second, *hi)};
  };
  auto session = runtime::Session::create(shared, so);
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE((*session)->reshape(4).ok());
  float in_lo = 1e9f, in_hi = -1e9f;
  for (const auto& batch : set.batches) {
    ASSERT_TRUE((*session)->run({batch}).ok());
    in_lo = std::min(in_lo, *std::min_element(batch.begin(), batch.end()));
    in_hi = std::max(in_hi, *std::max_element(batch.begin(), batch.end()));
  }
  expected["input"] = {in_lo, in_hi};
  size_t activations = 0;
  for (const ir::Tensor& t : graph.tensors) activations += t.is_constant() ? 0 : 1;
  EXPECT_EQ(ranges->size(), activations);
  for (const auto& [name, extremes] : expected) {
    ASSERT_TRUE(ranges->count(name)) << name;
    EXPECT_EQ(ranges->at(name).min, extremes.first) << name;
    EXPECT_EQ(ranges->at(name).max, extremes.second) << name;
  }
  EXPECT_GE(ranges->at("relu1:out").min, 0.0f);  // after the fused ReLU
  EXPECT_GE(ranges->at("softmax:out").min, 0.0f);
  EXPECT_LE(ranges->at("softmax:out").max, 1.0f);
  // The ranges convert: nothing is missing.
  EXPECT_TRUE(convert_to_int8(graph, *ranges, {}).ok());
}

TEST(Calibrate, BatchesOfDifferentSizesAndEveryObserver) {
  const ir::Graph graph = prepared();
  CalibrationSet set = random_set(1, 5, 9);
  set.batches.push_back(random_set(1, 2, 10).batches[0]);
  EXPECT_EQ(set.image_count(), 7);
  for (ObserverKind kind : {ObserverKind::kMinMax, ObserverKind::kPercentile, ObserverKind::kEntropy, ObserverKind::kMse}) {
    CalibrationOptions options;
    options.observer = kind;
    auto ranges = calibrate(graph, set, options);
    ASSERT_TRUE(ranges.ok()) << observer_name(kind) << ": " << ranges.status().message();
    for (const auto& [name, r] : *ranges) EXPECT_LE(r.min, r.max) << name;
    EXPECT_TRUE(convert_to_int8(graph, *ranges, {}).ok()) << observer_name(kind);
  }
}

TEST(Calibrate, RefusesMismatchedImagesAndEmptySets) {
  const ir::Graph graph = prepared();
  CalibrationSet set = random_set(1, 2, 3);
  set.image_shape = {3, 16, 16};
  EXPECT_EQ(calibrate(graph, set, {}).status().code(), StatusCode::kInvalidArgument);
  set = random_set(1, 2, 3);
  set.batches[0].pop_back();
  EXPECT_EQ(calibrate(graph, set, {}).status().code(), StatusCode::kInvalidArgument);
  set.batches.clear();
  EXPECT_EQ(calibrate(graph, set, {}).status().code(), StatusCode::kInvalidArgument);
  CalibrationOptions options;
  options.percentile = 0.0;
  EXPECT_EQ(calibrate(graph, random_set(1, 1, 1), options).status().code(), StatusCode::kInvalidArgument);
}

TEST(Calibrate, NonFiniteActivationsNameTheTensor) {
  ir::Graph graph = prepared();
  ir::Tensor& w = graph.tensor(*graph.find_tensor("pw.weight"));
  std::vector<float> values = testing::values_of<float>(w);
  values[0] = std::numeric_limits<float>::infinity();
  w.data = Buffer::copy_of(values.data(), values.size() * sizeof(float));
  auto ranges = calibrate(graph, random_set(1, 2, 4), {});
  ASSERT_FALSE(ranges.ok());
  EXPECT_EQ(ranges.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(ranges.status().message().find("'pw:out'"), std::string::npos) << ranges.status().message();
}

}  // namespace
}  // namespace gramlite::compress
