// Models and images the classify tests share: a small zoo classifier, one with a NaN weight, and
// random PNG files.
#pragma once

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "gramlite/ir/graph.h"
#include "gramlite/zoo/zoo.h"

namespace gramlite::classify::testing {

// mobilenet_v3_small at 64x64 with `classes` named classes c0, c1, ...
inline std::shared_ptr<const ir::Graph> small_model(int classes = 3, uint64_t seed = 7) {
  zoo::BuildOptions options;
  options.num_classes = classes;
  options.input_size = 64;
  options.seed = seed;
  auto graph = zoo::build("mobilenet_v3_small", options);
  EXPECT_TRUE(graph.ok()) << graph.status().message();
  graph->metadata.class_names.clear();
  for (int c = 0; c < classes; ++c) graph->metadata.class_names.push_back("c" + std::to_string(c));
  // A fresh model answers nearly uniformly: random weights and biases in its Linear layers make the
  // probabilities differ between classes and images, so comparisons bite.
  cv::RNG rng(seed);
  for (ir::Node& node : graph->nodes) {
    if (node.kind != ir::OpKind::kLinear) continue;
    for (size_t i = 1; i < node.inputs.size(); ++i) {
      ir::Tensor& t = graph->tensor(node.inputs[i]);
      std::vector<float> values(static_cast<size_t>(t.element_count()));
      for (float& v : values) v = static_cast<float>(rng.uniform(-1.0, 1.0));
      t.data = Buffer::copy_of(values.data(), values.size() * sizeof(float));
    }
  }
  return std::make_shared<const ir::Graph>(std::move(graph).value());
}

// The same model with one NaN in the weight of its last Linear layer: every output row gets a NaN.
inline std::shared_ptr<const ir::Graph> nan_model(int classes = 3) {
  ir::Graph graph = *small_model(classes);
  for (auto node = graph.nodes.rbegin(); node != graph.nodes.rend(); ++node) {
    if (node->kind != ir::OpKind::kLinear) continue;
    ir::Tensor& weight = graph.tensor(node->inputs[1]);
    std::vector<float> values(weight.data.as<float>(), weight.data.as<float>() + weight.element_count());
    values[0] = std::numeric_limits<float>::quiet_NaN();
    weight.data = Buffer::copy_of(values.data(), values.size() * sizeof(float));
    break;
  }
  return std::make_shared<const ir::Graph>(std::move(graph));
}

inline void write_random_png(const std::string& path, int width, int height, int seed) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  cv::Mat image(height, width, CV_8UC3);
  cv::theRNG().state = static_cast<uint64_t>(seed) + 1;
  cv::randu(image, 0, 255);
  ASSERT_TRUE(cv::imwrite(path, image)) << path;
}

// A fresh folder per test, removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gramlite_classify_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

}  // namespace gramlite::classify::testing
