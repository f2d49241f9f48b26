#include "gramlite/report/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace gramlite::report {
namespace {

TEST(RocAuc, MatchesPairCountingWithTies) {
  // Positives 0.9, 0.5; negatives 0.5, 0.1: pairs (0.9>0.5), (0.9>0.1), (0.5=0.5 -> 1/2), (0.5>0.1).
  EXPECT_DOUBLE_EQ(roc_auc({0.9f, 0.5f, 0.5f, 0.1f}, {true, true, false, false}), 3.5 / 4.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.1f, 0.2f, 0.3f}, {false, false, true}), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.3f, 0.2f, 0.1f}, {false, false, true}), 0.0);
  EXPECT_TRUE(std::isnan(roc_auc({0.3f, 0.2f}, {true, true})));
}

TEST(Classification, HandComputedThreeClassExample) {
  // 6 samples, 3 classes; predictions (arg-max): 0, 0, 1, 2, 2, 1 for labels 0, 1, 1, 2, 2, 0.
  const std::vector<int> labels = {0, 1, 1, 2, 2, 0};
  const std::vector<float> p = {0.8f, 0.1f, 0.1f,  0.6f, 0.3f, 0.1f,  0.2f, 0.7f, 0.1f,
                                0.1f, 0.2f, 0.7f,  0.2f, 0.2f, 0.6f,  0.3f, 0.5f, 0.2f};
  auto r = evaluate_classification(labels, p, {"a", "b", "c"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->samples, 6);
  EXPECT_DOUBLE_EQ(r->accuracy, 4.0 / 6.0);
  EXPECT_EQ(r->confusion, (std::vector<std::vector<int64_t>>{{1, 1, 0}, {1, 1, 0}, {0, 0, 2}}));
  EXPECT_DOUBLE_EQ(r->classes[0].precision, 0.5);
  EXPECT_DOUBLE_EQ(r->classes[0].recall, 0.5);
  EXPECT_DOUBLE_EQ(r->classes[2].precision, 1.0);
  EXPECT_DOUBLE_EQ(r->classes[2].f1, 1.0);
  EXPECT_EQ(r->classes[1].support, 2);
  EXPECT_DOUBLE_EQ(r->macro_f1, (0.5 + 0.5 + 1.0) / 3.0);
  // Class c: positives score 0.7, 0.6; negatives 0.1, 0.1, 0.1, 0.2 -> AUC 1.
  EXPECT_DOUBLE_EQ(r->classes[2].roc_auc, 1.0);
  // Class a: positives 0.8, 0.3; negatives 0.6, 0.2, 0.1, 0.2 -> 4 + 3 = 7 of 8 pairs.
  EXPECT_DOUBLE_EQ(r->classes[0].roc_auc, 7.0 / 8.0);
}

TEST(Classification, RejectsMalformedInput) {
  EXPECT_FALSE(evaluate_classification({0, 1}, {0.1f, 0.9f, 0.2f}, {"a", "b"}).ok());
  EXPECT_FALSE(evaluate_classification({0, 2}, {0.1f, 0.9f, 0.2f, 0.8f}, {"a", "b"}).ok());
  EXPECT_FALSE(evaluate_classification({}, {}, {"a", "b"}).ok());
  EXPECT_FALSE(evaluate_classification({0}, {1.0f}, {"a"}).ok());
}

// A NaN score used to hang roc_auc (its tie loop never advanced) after an undefined std::sort.
TEST(RocAuc, NaNScoresGiveNaNWithoutHanging) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(roc_auc({nan, 0.5f, 0.2f, 0.1f}, {true, false, true, false})));
  EXPECT_TRUE(std::isnan(roc_auc({nan, nan, nan}, {true, false, true})));
  EXPECT_TRUE(std::isnan(roc_auc({0.1f, 0.2f}, {true})));  // size mismatch
}

TEST(RocAuc, InfinitiesAreOrderedScores) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_DOUBLE_EQ(roc_auc({inf, -inf, 0.5f, inf}, {true, false, false, false}), 2.5 / 3.0);
}

TEST(Classification, NaNScoresAreAnErrorNamingSampleAndClass) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto r = evaluate_classification({0, 1, 1}, {0.9f, 0.1f, 0.2f, nan, nan, nan}, {"pos", "neg"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("sample 1"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("'neg'"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace gramlite::report
