#include "gramlite/classify/evaluation.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <future>

#include "gramlite/classify/classifier.h"
#include "test_models.h"

namespace gramlite::classify {
namespace {

using testing::TempDirTest;

class EvaluationTest : public TempDirTest {
 protected:
  // A flat dataset: c0/ with 3 images, c1/ with 2, c2/ with 2.
  void SetUp() override {
    TempDirTest::SetUp();
    int seed = 0;
    for (int c = 0; c < 3; ++c) {
      for (int i = 0; i < (c == 0 ? 3 : 2); ++i) {
        testing::write_random_png(path("data/c" + std::to_string(c) + "/" + std::to_string(i) + ".png"), 64, 64, ++seed);
      }
    }
  }
};

TEST_F(EvaluationTest, AgreesWithTheClassifierAndReportsProgress) {
  const auto graph = testing::small_model(3);
  EvaluationOptions options;
  options.split = "";
  options.batch = 3;
  std::vector<std::pair<int64_t, int64_t>> progress;
  options.on_progress = [&](int64_t done, int64_t total) { progress.emplace_back(done, total); };
  auto evaluation = evaluate_on_dataset(graph, "model", path("data"), options);
  ASSERT_TRUE(evaluation.ok()) << evaluation.status().message();
  EXPECT_EQ(evaluation->report.samples, 7);
  EXPECT_TRUE(evaluation->warnings.empty());
  ASSERT_EQ(progress.size(), 3u);  // batches of 3, 3, 1
  EXPECT_EQ(progress.back(), (std::pair<int64_t, int64_t>{7, 7}));

  // The oracle: top-1 of the classifier on the same files, labelled by their folder.
  auto classifier = Classifier::create(graph, "model");
  ASSERT_TRUE(classifier.ok());
  std::vector<std::string> files;
  for (const data::DatasetSample& s : evaluation->dataset.samples) files.push_back(s.path);
  auto results = (*classifier)->classify_files(files);
  ASSERT_TRUE(results.ok());
  int correct = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto top = top_classes((*results)[i].probabilities, 1, (*classifier)->class_names());
    correct += top[0].index == static_cast<size_t>(evaluation->dataset.samples[i].label) ? 1 : 0;
  }
  EXPECT_DOUBLE_EQ(evaluation->report.accuracy, correct / 7.0);
}

TEST_F(EvaluationTest, ClassNamesMatchedByOrderGiveAWarning) {
  ir::Graph graph = *testing::small_model(3);
  graph.metadata.class_names = {"x", "y", "z"};
  EvaluationOptions options;
  options.split = "";
  auto evaluation = evaluate_on_dataset(std::make_shared<const ir::Graph>(graph), "model", path("data"), options);
  ASSERT_TRUE(evaluation.ok()) << evaluation.status().message();
  ASSERT_EQ(evaluation->warnings.size(), 1u);
  EXPECT_NE(evaluation->warnings[0].find("sorted order"), std::string::npos);

  ir::Graph two_classes = *testing::small_model(2);
  two_classes.metadata.class_names = {"x", "y"};
  auto refused = evaluate_on_dataset(std::make_shared<const ir::Graph>(two_classes), "model", path("data"), options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("2 classes"), std::string::npos) << refused.status().message();
}

// A NaN model used to hang `gramlite evaluate` in report::roc_auc (issue 8, F1): now an error that
// names an image, within seconds.
TEST_F(EvaluationTest, NonFiniteOutputsAreAnErrorNotAHang) {
  EvaluationOptions options;
  options.split = "";
  auto future = std::async(std::launch::async, [&] {
    return evaluate_on_dataset(testing::nan_model(3), "nan.gramlite", path("data"), options);
  });
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    std::fprintf(stderr, "evaluate_on_dataset hangs on a NaN model\n");
    std::_Exit(1);  // the future's destructor would wait for the hung thread
  }
  auto evaluation = future.get();
  ASSERT_FALSE(evaluation.ok());
  EXPECT_EQ(evaluation.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(evaluation.status().message().find("not finite"), std::string::npos) << evaluation.status().message();
  EXPECT_NE(evaluation.status().message().find(".png"), std::string::npos) << evaluation.status().message();
}

TEST_F(EvaluationTest, RefusesModelsThatDoNotTakeOneImage) {
  ir::Graph graph = *testing::small_model(3);
  graph.outputs.push_back(graph.outputs[0]);
  EvaluationOptions options;
  options.split = "";
  auto evaluation = evaluate_on_dataset(std::make_shared<const ir::Graph>(graph), "m2.gramlite", path("data"), options);
  ASSERT_FALSE(evaluation.ok());
  EXPECT_EQ(evaluation.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(evaluation.status().message().find("m2.gramlite"), std::string::npos);
}

}  // namespace
}  // namespace gramlite::classify
