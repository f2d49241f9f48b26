#include "gramlite/classify/probabilities.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace gramlite::classify {
namespace {

TEST(SoftmaxRows, EachRowSumsToOneAndKeepsItsOrder) {
  std::vector<float> v = {1.0f, 2.0f, 3.0f, 1000.0f, 1000.0f, -1000.0f};
  softmax_rows(v, 3);
  const double e1 = std::exp(1.0), e2 = std::exp(2.0), e3 = std::exp(3.0);
  EXPECT_NEAR(v[0], e1 / (e1 + e2 + e3), 1e-6);
  EXPECT_NEAR(v[2], e3 / (e1 + e2 + e3), 1e-6);
  EXPECT_NEAR(v[3], 0.5f, 1e-6);  // no overflow for large logits
  EXPECT_NEAR(v[4], 0.5f, 1e-6);
  EXPECT_EQ(v[5], 0.0f);
}

TEST(AllFinite, SpotsNaNAndInfinity) {
  const float ok[] = {0.0f, -1.0f, 3.5f};
  const float nan[] = {0.0f, std::numeric_limits<float>::quiet_NaN()};
  const float inf[] = {-std::numeric_limits<float>::infinity()};
  EXPECT_TRUE(all_finite(ok, 3));
  EXPECT_FALSE(all_finite(nan, 2));
  EXPECT_FALSE(all_finite(inf, 1));
  EXPECT_TRUE(all_finite(nan, 1));  // only `count` values are looked at
}

TEST(TopClasses, MostProbableFirstTiesByIndexNamesOrIndices) {
  const std::vector<float> p = {0.2f, 0.5f, 0.1f, 0.2f};
  const std::vector<ClassScore> top = top_classes(p, 3, {"a", "b"});
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].index, 1u);
  EXPECT_EQ(top[0].name, "b");
  EXPECT_EQ(top[1].index, 0u);
  EXPECT_EQ(top[1].name, "a");
  EXPECT_EQ(top[2].index, 3u);
  EXPECT_EQ(top[2].name, "class_3");  // the model names only two classes
  EXPECT_FLOAT_EQ(top[2].probability, 0.2f);
  EXPECT_EQ(top_classes(p, 10, {}).size(), 4u);
}

}  // namespace
}  // namespace gramlite::classify
