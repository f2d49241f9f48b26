#include "gramlite/classify/classifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "gramlite/format/model_file.h"
#include "test_models.h"

namespace gramlite::classify {
namespace {

using testing::TempDirTest;

// The oracle: read, preprocess and run one image at a time through a plain Session, softmax by hand.
std::vector<float> oracle_probabilities(const std::shared_ptr<const ir::Graph>& graph, const std::string& image) {
  auto session = runtime::Session::create(graph);
  EXPECT_TRUE(session.ok());
  EXPECT_TRUE((*session)->prepare(1).ok());
  auto rgb = data::read_rgb_image(image);
  EXPECT_TRUE(rgb.ok());
  std::vector<float> input(3 * 64 * 64);
  EXPECT_TRUE(data::image_to_tensor(*rgb, graph->metadata.preprocessing, 64, 64, input.data()).ok());
  const size_t classes = graph->metadata.class_names.size();
  std::vector<float> logits(classes);
  EXPECT_TRUE((*session)->run({input.data()}, {logits.data()}).ok());
  double sum = 0;
  for (float v : logits) sum += std::exp(static_cast<double>(v));
  std::vector<float> p;
  for (float v : logits) p.push_back(static_cast<float>(std::exp(static_cast<double>(v)) / sum));
  return p;
}

class ClassifierTest : public TempDirTest {};

TEST_F(ClassifierTest, FilesGiveTheOracleProbabilitiesForAnyBatchAndThreads) {
  const auto graph = testing::small_model(4);
  std::vector<std::string> images;
  for (int i = 0; i < 5; ++i) {
    images.push_back(path("img" + std::to_string(i) + ".png"));
    testing::write_random_png(images.back(), 70 + 10 * i, 60, i);
  }
  std::vector<std::vector<float>> expected;
  for (const std::string& image : images) expected.push_back(oracle_probabilities(graph, image));
  ThreadPool pool(2);
  for (int batch : {1, 2, 8}) {
    ClassifierOptions options;
    options.batch = batch;
    options.pool = batch == 2 ? &pool : nullptr;
    auto classifier = Classifier::create(graph, "model", options);
    ASSERT_TRUE(classifier.ok()) << classifier.status().message();
    EXPECT_EQ((*classifier)->classes(), 4u);
    auto results = (*classifier)->classify_files(images);
    ASSERT_TRUE(results.ok()) << results.status().message();
    ASSERT_EQ(results->size(), images.size());
    for (size_t i = 0; i < images.size(); ++i) {
      const ImageClassification& r = (*results)[i];
      ASSERT_TRUE(r.status.ok()) << r.status.message();
      EXPECT_EQ(r.image, images[i]);
      ASSERT_EQ(r.probabilities.size(), 4u);
      for (size_t c = 0; c < 4; ++c) EXPECT_NEAR(r.probabilities[c], expected[i][c], 1e-5) << "batch " << batch;
      // Not a uniform answer that any model would give.
      EXPECT_GT(std::fabs(r.probabilities[0] - r.probabilities[1]) + std::fabs(r.probabilities[2] - r.probabilities[3]),
                1e-3);
    }
  }
}

TEST_F(ClassifierTest, DecodedImagesMatchFiles) {
  const auto graph = testing::small_model(3);
  testing::write_random_png(path("a.png"), 80, 90, 3);
  auto classifier = Classifier::create(graph, "model");
  ASSERT_TRUE(classifier.ok());
  auto rgb = data::read_rgb_image(path("a.png"));
  ASSERT_TRUE(rgb.ok());
  auto from_image = (*classifier)->classify_images({*rgb, data::RgbImage{}});
  auto from_file = (*classifier)->classify_files({path("a.png")});
  ASSERT_TRUE(from_image.ok() && from_file.ok());
  ASSERT_TRUE((*from_image)[0].status.ok());
  EXPECT_FALSE((*from_image)[1].status.ok());  // an empty image is that image's error
  EXPECT_NE((*from_image)[1].status.message().find("image 1"), std::string::npos) << (*from_image)[1].status.message();
  for (size_t c = 0; c < 3; ++c) EXPECT_NEAR((*from_image)[0].probabilities[c], (*from_file)[0].probabilities[c], 1e-6);
}

TEST_F(ClassifierTest, BadImagesAreTheirOwnErrorsAndTheRestIsClassified) {
  const auto graph = testing::small_model(3);
  testing::write_random_png(path("good.png"), 64, 64, 1);
  { std::ofstream(path("broken.png")) << "not a png"; }
  ClassifierOptions options;
  options.batch = 2;
  auto classifier = Classifier::create(graph, "model", options);
  ASSERT_TRUE(classifier.ok());
  auto results = (*classifier)->classify_files({path("missing.png"), path("good.png"), path("broken.png")});
  ASSERT_TRUE(results.ok()) << results.status().message();
  EXPECT_EQ((*results)[0].status.code(), StatusCode::kNotFound);
  EXPECT_NE((*results)[0].status.message().find("missing.png"), std::string::npos);
  EXPECT_TRUE((*results)[1].status.ok());
  EXPECT_EQ((*results)[1].probabilities.size(), 3u);
  EXPECT_EQ((*results)[2].status.code(), StatusCode::kCorruptData);
  EXPECT_TRUE((*results)[2].probabilities.empty());
  EXPECT_FALSE((*results)[2].output_not_finite);
}

// A NaN weight used to come out as "nan" probabilities with exit 0 (issue 8, F1).
TEST_F(ClassifierTest, NonFiniteOutputsAreAnErrorNamingTheImage) {
  testing::write_random_png(path("a.png"), 64, 64, 1);
  testing::write_random_png(path("b.png"), 64, 64, 2);
  auto classifier = Classifier::create(testing::nan_model(3), "nan.gramlite");
  ASSERT_TRUE(classifier.ok()) << classifier.status().message();
  auto results = (*classifier)->classify_files({path("a.png"), path("b.png")});
  ASSERT_TRUE(results.ok()) << results.status().message();
  for (const ImageClassification& r : *results) {
    EXPECT_EQ(r.status.code(), StatusCode::kCorruptData);
    EXPECT_TRUE(r.output_not_finite);
    EXPECT_TRUE(r.probabilities.empty());
    EXPECT_NE(r.status.message().find("not finite"), std::string::npos) << r.status.message();
    EXPECT_NE(r.status.message().find("nan.gramlite"), std::string::npos) << r.status.message();
    EXPECT_NE(r.status.message().find(r.image), std::string::npos) << r.status.message();
  }
}

TEST_F(ClassifierTest, RefusesModelsThatDoNotTakeOneImage) {
  ir::Graph graph = *testing::small_model(3);
  graph.tensor(graph.inputs[0]).shape = {ir::kDynamicDim, 1, 64, 64};
  auto grey = Classifier::create(std::make_shared<const ir::Graph>(graph), "grey.gramlite");
  ASSERT_FALSE(grey.ok());
  EXPECT_EQ(grey.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(grey.status().message().find("grey.gramlite"), std::string::npos);
  EXPECT_NE(grey.status().message().find("[N, 3, H, W]"), std::string::npos) << grey.status().message();

  ir::Graph two_inputs = *testing::small_model(3);
  two_inputs.inputs.push_back(two_inputs.inputs[0]);
  EXPECT_EQ(image_input_size(two_inputs, "m").status().code(), StatusCode::kUnsupported);

  ClassifierOptions bad;
  bad.batch = 0;
  EXPECT_EQ(Classifier::create(testing::small_model(3), "m", bad).status().code(), StatusCode::kInvalidArgument);
  bad.batch = 1;
  bad.max_image_pixels = -1;
  EXPECT_EQ(Classifier::create(testing::small_model(3), "m", bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ClassifierTest, OpenLoadsAModelFile) {
  ASSERT_TRUE(format::save_model(*testing::small_model(2), path("m.gramlite")).ok());
  auto classifier = Classifier::open(path("m.gramlite"));
  ASSERT_TRUE(classifier.ok()) << classifier.status().message();
  EXPECT_EQ((*classifier)->class_names(), (std::vector<std::string>{"c0", "c1"}));
  EXPECT_EQ((*classifier)->input_size().width, 64);
  EXPECT_EQ(Classifier::open(path("none.gramlite")).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace gramlite::classify
