// The schedules against TF-MOT's formulas (pruning_schedule.py), written here a second time in
// float32 as TensorFlow evaluates them, over many steps and spans.
#include <cmath>

#include <gtest/gtest.h>

#include "gramlite/compress/pruning.h"

namespace gramlite::compress {
namespace {

// TF-MOT's PruningSchedule._should_prune_in_step.
bool tfmot_should_prune(int64_t step, int64_t begin, int64_t end, int64_t frequency) {
  const bool in_range = step >= begin && (step <= end || end < 0);
  const bool turn = ((step - begin) % frequency + frequency) % frequency == 0;
  return in_range && turn;
}

// TF-MOT's PolynomialDecay.__call__ sparsity, in float32.
float tfmot_polynomial(int64_t step, int64_t begin, int64_t end, float initial, float final_sparsity, float power) {
  const float p = std::min(1.0f, std::max(0.0f, static_cast<float>(step - begin) / static_cast<float>(end - begin)));
  return (initial - final_sparsity) * std::pow(1.0f - p, power) + final_sparsity;
}

TEST(PruningSchedule, PolynomialMatchesTfmotAtEveryStepOfManySpans) {
  for (int64_t begin : {0, 7, 100}) {
    for (int64_t span : {1, 13, 100, 250, 999}) {
      for (int64_t frequency : {1, 7, 100}) {
        for (double initial : {0.0, 0.3}) {
          PruningSchedule s;
          s.kind = PruningScheduleKind::kPolynomial;
          s.initial_sparsity = initial;
          s.final_sparsity = 0.9;
          s.begin_step = begin;
          s.end_step = begin + span;
          s.frequency = frequency;
          ASSERT_TRUE(validate_schedule(s).ok());
          for (int64_t step = 0; step <= begin + span + 50; ++step) {
            const float expected = tfmot_polynomial(step, begin, begin + span, static_cast<float>(initial), 0.9f, 3.0f);
            ASSERT_NEAR(sparsity_at(s, step), expected, 2e-6) << "step " << step << " span " << span;
            const bool expected_update = tfmot_should_prune(step, begin, begin + span, frequency) || step == begin + span;
            ASSERT_EQ(should_update_mask(s, step), expected_update) << "step " << step;
          }
          // The deliberate difference: the final target is reached at end_step, whatever the frequency.
          EXPECT_TRUE(should_update_mask(s, s.end_step));
          EXPECT_DOUBLE_EQ(sparsity_at(s, s.end_step), 0.9);
          EXPECT_EQ(last_update_step(s), s.end_step);
        }
      }
    }
  }
}

TEST(PruningSchedule, TfmotStopsShortWhenTheSpanIsNoMultipleOfTheFrequencyAndWeDoNot) {
  // TF-MOT #684: begin 0, end 250, frequency 100: TF-MOT's last update is at step 200.
  PruningSchedule s;
  s.final_sparsity = 0.8;
  s.end_step = 250;
  s.frequency = 100;
  EXPECT_TRUE(tfmot_should_prune(200, 0, 250, 100));
  EXPECT_FALSE(tfmot_should_prune(250, 0, 250, 100));
  EXPECT_LT(tfmot_polynomial(200, 0, 250, 0.0f, 0.8f, 3.0f), 0.795f);  // 0.7936: short of 0.8
  EXPECT_TRUE(should_update_mask(s, 250));
  EXPECT_DOUBLE_EQ(sparsity_at(s, 250), 0.8);
  EXPECT_FALSE(should_update_mask(s, 251));
  EXPECT_FALSE(should_update_mask(s, 300));
}

TEST(PruningSchedule, ConstantMatchesTfmotWithAndWithoutEnd) {
  for (int64_t end : {int64_t{-1}, int64_t{500}, int64_t{537}}) {
    PruningSchedule s;
    s.kind = PruningScheduleKind::kConstant;
    s.final_sparsity = 0.75;
    s.begin_step = 20;
    s.end_step = end;
    s.frequency = 50;
    ASSERT_TRUE(validate_schedule(s).ok());
    for (int64_t step = 0; step < 1200; ++step) {
      const bool expected = tfmot_should_prune(step, 20, end, 50) || (end >= 0 && step == end);
      ASSERT_EQ(should_update_mask(s, step), expected) << "step " << step << " end " << end;
      ASSERT_DOUBLE_EQ(sparsity_at(s, step), 0.75);
    }
  }
}

TEST(PruningSchedule, RejectsBadSettingsNamingThem) {
  const auto message = [](PruningSchedule s) { return validate_schedule(s).message(); };
  PruningSchedule s;
  s.end_step = 100;
  EXPECT_TRUE(validate_schedule(s).ok());
  PruningSchedule bad = s;
  bad.final_sparsity = 1.0;
  EXPECT_NE(message(bad).find("target sparsity"), std::string::npos);
  bad = s;
  bad.initial_sparsity = 0.6;
  EXPECT_NE(message(bad).find("initial sparsity"), std::string::npos);
  bad = s;
  bad.end_step = -1;
  EXPECT_NE(message(bad).find("end step"), std::string::npos);
  bad = s;
  bad.frequency = 0;
  EXPECT_NE(message(bad).find("frequency"), std::string::npos);
  bad = s;
  bad.begin_step = 200;
  EXPECT_NE(message(bad).find("before its begin"), std::string::npos);
  bad = s;
  bad.power = 0.0;
  EXPECT_NE(message(bad).find("power"), std::string::npos);
}

TEST(PruningSchedule, NamesRoundTrip) {
  for (PruningScheduleKind k : {PruningScheduleKind::kConstant, PruningScheduleKind::kPolynomial}) {
    EXPECT_EQ(parse_pruning_schedule(pruning_schedule_name(k)), k);
  }
  EXPECT_FALSE(parse_pruning_schedule("cubic").has_value());
}

}  // namespace
}  // namespace gramlite::compress
