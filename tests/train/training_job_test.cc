// The library side of a training run without training: the dataset split and validation carving,
// the output lock, thread defaults and the option checks of train::run_training_job.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "gramlite/train/dataset_split.h"
#include "train/output_lock.h"
#include "gramlite/train/threads.h"
#include "gramlite/train/training_job.h"

namespace gramlite::train {
namespace {

namespace fs = std::filesystem;

class TrainingJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gramlite_training_job_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // A flat dataset: one folder per class with `count` (unread) image files.
  std::string flat(const std::vector<std::pair<std::string, int>>& classes) {
    for (const auto& [name, count] : classes) {
      fs::create_directories(dir_ / "data" / name);
      for (int i = 0; i < count; ++i) std::ofstream(dir_ / "data" / name / (std::to_string(i) + ".png")) << "x";
    }
    return (dir_ / "data").string();
  }
  fs::path dir_;
};

TEST_F(TrainingJobTest, CarvesAStratifiedSeededValidationShare) {
  const std::string data = flat({{"a", 10}, {"b", 5}});
  auto splits = open_training_splits(data, 0.2, 7);
  ASSERT_TRUE(splits.ok()) << splits.status().message();
  EXPECT_EQ(splits->class_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(splits->train.size() + splits->val.size(), 15u);
  EXPECT_EQ(splits->val.size(), 3u);  // round(0.2 * 10) + round(0.2 * 5)
  EXPECT_EQ(splits->train_counts, (std::vector<int64_t>{8, 4}));
  EXPECT_EQ(splits->val_source, "20% of train (no val split)");
  std::set<std::string> seen;
  for (const auto* part : {&splits->train, &splits->val}) {
    for (const data::DatasetSample& s : *part) EXPECT_TRUE(seen.insert(s.path).second) << s.path;
  }
  auto again = open_training_splits(data, 0.2, 7);
  auto other = open_training_splits(data, 0.2, 8);
  ASSERT_TRUE(again.ok() && other.ok());
  std::vector<std::string> val_a, val_b, val_c;
  for (const auto& s : splits->val) val_a.push_back(s.path);
  for (const auto& s : again->val) val_b.push_back(s.path);
  for (const auto& s : other->val) val_c.push_back(s.path);
  EXPECT_EQ(val_a, val_b);
  EXPECT_NE(val_a, val_c);
  auto none = open_training_splits(data, 0.0, 7);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->val.empty());
  EXPECT_EQ(none->val_source, "none");
}

TEST_F(TrainingJobTest, RefusesOneClassAndBadFractions) {
  const std::string data = flat({{"only", 4}});
  auto one = open_training_splits(data, 0.2, 0);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(one.status().message().find("at least 2 classes"), std::string::npos) << one.status().message();
  EXPECT_NE(one.status().message().find("'only'"), std::string::npos) << one.status().message();
  for (double fraction : {std::nan(""), -0.1, 1.0, HUGE_VAL}) {
    auto bad = open_training_splits(flat({{"a", 2}, {"b", 2}}), fraction, 0);
    EXPECT_FALSE(bad.ok()) << fraction;
  }
}

TEST_F(TrainingJobTest, OneLockPerOutput) {
  const std::string output = (dir_ / "m.gramlite").string();
  auto first = OutputLock::acquire(output);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(fs::exists(output + ".lock"));
  // flock belongs to the open file, so a second acquire in this process conflicts too.
  auto second = OutputLock::acquire(output);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("pid " + std::to_string(::getpid())), std::string::npos)
      << second.status().message();
  first->reset();
  EXPECT_FALSE(fs::exists(output + ".lock"));
  auto third = OutputLock::acquire(output);
  EXPECT_TRUE(third.ok()) << third.status().message();
}

TEST_F(TrainingJobTest, ThreadDefaultsFitTheCores) {
  const int cores = available_cores();
  EXPECT_GE(cores, 1);
  const TrainingThreads defaults = resolve_training_threads(0, 0);
  EXPECT_EQ(defaults.threads, cores);
  EXPECT_EQ(defaults.workers, 1);
  const TrainingThreads given = resolve_training_threads(3, 5);
  EXPECT_EQ(given.threads, 3);
  EXPECT_EQ(given.workers, 5);
  EXPECT_EQ(resolve_training_threads(1, 0).workers, std::max(1, cores - 1));
}

TEST_F(TrainingJobTest, OutputsThatWouldOverwriteEachOtherAreRefusedBeforeAnything) {
  TrainingJobOptions o;
  o.model.arch = "mobilenet_v2";
  o.data = flat({{"a", 2}, {"b", 2}});
  o.output = (dir_ / "m.gramlite").string();
  EXPECT_EQ(checkpoint_path(o), (dir_ / "m.ckpt").string());
  EXPECT_EQ(log_stem(o), (dir_ / "m.train").string());
  o.checkpoint = o.output;
  auto r = run_training_job(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("--checkpoint"), std::string::npos) << r.status().message();
  o.checkpoint.clear();
  o.log = (dir_ / "m").string();
  o.output = (dir_ / "m.json").string();
  r = run_training_job(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--log"), std::string::npos) << r.status().message();
  o.log.clear();
  o.output = (dir_ / "m.gramlite").string();
  o.mean = {0.5f, std::nanf(""), 0.5f};
  r = run_training_job(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--mean"), std::string::npos) << r.status().message();
  for (const auto& entry : fs::directory_iterator(dir_)) EXPECT_EQ(entry.path().filename(), "data");
  // An empty output writes nothing, so it derives no checkpoint or log either.
  o.output.clear();
  EXPECT_EQ(checkpoint_path(o), "");
  EXPECT_EQ(log_stem(o), "");
}

TEST_F(TrainingJobTest, NamesRoundTrip) {
  for (const char* name : {"adam", "sgd"}) EXPECT_STREQ(optimizer_name(*parse_optimizer(name)), name);
  for (const char* name : {"val_loss", "val_accuracy"}) EXPECT_STREQ(monitor_name(*parse_monitor(name)), name);
  EXPECT_FALSE(parse_optimizer("rmsprop"));
  EXPECT_FALSE(parse_monitor("loss"));
}

}  // namespace
}  // namespace gramlite::train
