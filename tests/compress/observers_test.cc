// Observers on distributions whose right answer is known.
#include "compress/quantize/observers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace gramlite::compress::internal {
namespace {

std::vector<float> uniform_values(size_t count, float low, float high, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

// N(0, 1) with `outliers` values at +-50 (half each).
std::vector<float> gaussian_with_outliers(size_t count, size_t outliers, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  for (size_t i = 0; i < outliers; ++i) v[i * (count / outliers)] = i % 2 == 0 ? 50.0f : -50.0f;
  return v;
}

ir::ActivationRange observe_in_batches(ObserverKind kind, const std::vector<float>& values, size_t batch = 10000) {
  auto observer = make_observer(kind);
  for (size_t i = 0; i < values.size(); i += batch) {
    const size_t n = std::min(batch, values.size() - i);
    EXPECT_EQ(observer->observe(values.data() + i, n), 0u);
  }
  return observer->range();
}

TEST(Observers, MinMaxIsExact) {
  const std::vector<float> values = {0.25f, -1.75f, 3.5f, 0.0f, 2.0f};
  auto observer = make_observer(ObserverKind::kMinMax);
  observer->observe(values.data(), 2);
  observer->observe(values.data() + 2, 3);
  EXPECT_EQ(observer->range().min, -1.75f);
  EXPECT_EQ(observer->range().max, 3.5f);
}

TEST(Observers, NothingSeenIsAnEmptyRange) {
  for (ObserverKind kind : {ObserverKind::kMinMax, ObserverKind::kPercentile, ObserverKind::kEntropy, ObserverKind::kMse}) {
    auto observer = make_observer(kind);
    EXPECT_EQ(observer->range().min, 0.0f) << observer_name(kind);
    EXPECT_EQ(observer->range().max, 0.0f) << observer_name(kind);
  }
}

TEST(Observers, NonFiniteValuesAreCountedAndSkipped) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> values = {1.0f, nan, -2.0f, inf, -inf};
  for (ObserverKind kind : {ObserverKind::kMinMax, ObserverKind::kPercentile, ObserverKind::kEntropy, ObserverKind::kMse}) {
    auto observer = make_observer(kind);
    EXPECT_EQ(observer->observe(values.data(), values.size()), 3u) << observer_name(kind);
    EXPECT_GE(observer->range().min, -2.0f) << observer_name(kind);
    EXPECT_LE(observer->range().max, 1.0f) << observer_name(kind);
    EXPECT_TRUE(std::isfinite(observer->range().min) && std::isfinite(observer->range().max));
  }
}

TEST(Observers, UniformKeepsNearlyTheWholeRange) {
  const std::vector<float> values = uniform_values(200000, -1.0f, 3.0f, 7);
  const float lo = *std::min_element(values.begin(), values.end());
  const float hi = *std::max_element(values.begin(), values.end());
  const ir::ActivationRange minmax = observe_in_batches(ObserverKind::kMinMax, values);
  EXPECT_EQ(minmax.min, lo);
  EXPECT_EQ(minmax.max, hi);
  // 99.99th percentile of a uniform side: 0.01 % below its end.
  const ir::ActivationRange pct = observe_in_batches(ObserverKind::kPercentile, values);
  EXPECT_NEAR(pct.max, 3.0f, 0.01f);
  EXPECT_NEAR(pct.min, -1.0f, 0.01f);
  EXPECT_LE(pct.max, hi);
  EXPECT_GE(pct.min, lo);
  // Nothing to gain by clipping a uniform distribution much: both stay within a few % of the ends.
  for (ObserverKind kind : {ObserverKind::kEntropy, ObserverKind::kMse}) {
    const ir::ActivationRange r = observe_in_batches(kind, values);
    EXPECT_GT(r.max, 0.9f * 3.0f) << observer_name(kind);
    EXPECT_LE(r.max, hi) << observer_name(kind);
    EXPECT_LT(r.min, 0.9f * -1.0f) << observer_name(kind);
    EXPECT_GE(r.min, lo) << observer_name(kind);
  }
}

TEST(Observers, OutliersAreClippedExceptByMinMax) {
  const std::vector<float> values = gaussian_with_outliers(400000, 10, 11);
  const ir::ActivationRange minmax = observe_in_batches(ObserverKind::kMinMax, values);
  EXPECT_EQ(minmax.min, -50.0f);
  EXPECT_EQ(minmax.max, 50.0f);
  for (ObserverKind kind : {ObserverKind::kPercentile, ObserverKind::kEntropy}) {
    const ir::ActivationRange r = observe_in_batches(kind, values);
    SCOPED_TRACE(observer_name(kind));
    // Clipped well inside the outliers, yet covering the bulk of N(0, 1) (|x| < 2.5 holds 98.8 %).
    EXPECT_LT(r.max, 10.0f);
    EXPECT_GT(r.max, 2.5f);
    EXPECT_GT(r.min, -10.0f);
    EXPECT_LT(r.min, -2.5f);
  }
  // The 99.99th percentile of N(0, 1) on each side: 0.01 % of a side beyond it, 3.72 (a side's
  // values are |x| of half the samples, so its 99.99th percentile is x's 99.995th: 3.89).
  const ir::ActivationRange pct = observe_in_batches(ObserverKind::kPercentile, values);
  EXPECT_NEAR(pct.max, 3.89f, 0.3f);
  EXPECT_NEAR(pct.min, -3.89f, 0.3f);
  // MSE weighs the outliers' clipping error k (M - f)^2 against the rounding noise of all n values,
  // n (2f / 255)^2 / 12: the optimum is f = k M / (k + 4 n / (255^2 * 12)), 41.5 here (the
  // Gaussian bulk adds almost nothing). Rarer outliers are clipped harder.
  const auto optimum = [](double k, double m, double n) { return k * m / (k + 4.0 * n / (255.0 * 255.0 * 12.0)); };
  const ir::ActivationRange mse = observe_in_batches(ObserverKind::kMse, values);
  EXPECT_NEAR(mse.max, optimum(10, 50, 400000), 1.0);
  EXPECT_NEAR(mse.min, -optimum(10, 50, 400000), 1.0);
  const std::vector<float> rare = gaussian_with_outliers(4000000, 2, 12);
  const ir::ActivationRange mse_rare = observe_in_batches(ObserverKind::kMse, rare, 100000);
  EXPECT_NEAR(mse_rare.max, optimum(2, 50, 4000000), 0.5);
  EXPECT_LT(mse_rare.max, 10.0f);
  EXPECT_GT(mse_rare.max, 2.5f);
}

TEST(Observers, OneSidedTensorsKeepZeroAsTheirFloor) {
  std::vector<float> values = uniform_values(100000, 0.0f, 6.0f, 3);
  for (size_t i = 0; i < values.size(); i += 3) values[i] = 0.0f;  // a ReLU output: many exact zeros
  for (ObserverKind kind : {ObserverKind::kMinMax, ObserverKind::kPercentile, ObserverKind::kEntropy, ObserverKind::kMse}) {
    const ir::ActivationRange r = observe_in_batches(kind, values);
    EXPECT_EQ(r.min, 0.0f) << observer_name(kind);
    EXPECT_GT(r.max, 5.0f) << observer_name(kind);
    EXPECT_LE(r.max, 6.0f) << observer_name(kind);
  }
}

TEST(MagnitudeHistogram, GrowsWithoutLosingCounts) {
  MagnitudeHistogram h;
  const std::vector<float> small = uniform_values(1000, 0.0f, 0.01f, 1);
  const std::vector<float> large = uniform_values(1000, 0.0f, 100.0f, 2);
  h.add(small.data(), small.size());
  const double first_width = h.width;
  h.add(large.data(), large.size());
  EXPECT_GT(h.width, first_width);
  double sum = 0.0;
  for (double c : h.counts) sum += c;
  EXPECT_EQ(sum, 2000.0);
  EXPECT_EQ(h.total, 2000.0);
  EXPECT_LT(*std::max_element(large.begin(), large.end()), h.width * static_cast<double>(kHistogramBins));
  EXPECT_EQ(h.quantile(1.0), h.max);
  // Half the values are below 0.01, and the median of all lies at the top of the small ones.
  EXPECT_LT(h.quantile(0.5), 0.01 + h.width);
}

TEST(Observers, ParseNames) {
  for (ObserverKind kind : {ObserverKind::kMinMax, ObserverKind::kPercentile, ObserverKind::kEntropy, ObserverKind::kMse}) {
    auto parsed = parse_observer(observer_name(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
  auto bad = parse_observer("kl");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'kl'"), std::string::npos);
}

}  // namespace
}  // namespace gramlite::compress::internal
