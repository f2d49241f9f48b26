// gramlite run / evaluate / info / zoo / main against the failures issue 8 lists (F1 NaN models,
// F5 exit codes, F6 one-line errors, F9 the image-size flag, F10 messages that name the problem).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <fstream>
#include <limits>
#include <string>

#include "cli_test_util.h"
#include "gramlite/format/model_file.h"

namespace gramlite {
namespace {

int line_count(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

class ClassifyCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    model_ = path("m.gramlite");
    ASSERT_EQ(run_gramlite("zoo build mobilenet_v3_small --classes 2 --input-size 64 --seed 3 --class-names c0,c1 -o " +
                           model_).exit_code, 0);
  }
  void write_image(const std::string& file, int seed) {
    fs::create_directories(fs::path(file).parent_path());
    cv::Mat image(64, 64, CV_8UC3);
    cv::theRNG().state = static_cast<uint64_t>(seed) + 1;
    cv::randu(image, 0, 255);
    ASSERT_TRUE(cv::imwrite(file, image));
  }
  // The model with one NaN in its last Linear layer's weight, written through the format API (a
  // valid checksum); returns that tensor's name.
  std::string write_nan_model(const std::string& file) {
    auto graph = format::load_model(model_);
    EXPECT_TRUE(graph.ok());
    for (auto node = graph->nodes.rbegin(); node != graph->nodes.rend(); ++node) {
      if (node->kind != ir::OpKind::kLinear) continue;
      ir::Tensor& weight = graph->tensor(node->inputs[1]);
      std::vector<float> values(weight.data.as<float>(), weight.data.as<float>() + weight.element_count());
      values[0] = std::numeric_limits<float>::quiet_NaN();
      weight.data = Buffer::copy_of(values.data(), values.size() * sizeof(float));
      EXPECT_TRUE(format::save_model(*graph, file).ok());
      return weight.name;
    }
    ADD_FAILURE() << "no Linear layer";
    return "";
  }
  std::string model_;
};

// F5 + F6: a missing image is exit 3 (not 4), and every failure is one line with no summary line.
TEST_F(ClassifyCliTest, RunFailuresAreOneLineEachWithTheContractsExitCode) {
  CommandResult r = run_gramlite("run " + model_ + " " + path("missing.png"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_EQ(r.output.rfind("gramlite: error: ", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("missing.png"), std::string::npos) << r.output;

  std::ofstream(path("broken.png")) << "not a png";
  r = run_gramlite("run " + model_ + " " + path("broken.png"));
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("broken.png"), std::string::npos) << r.output;

  write_image(path("good.png"), 1);
  r = run_gramlite("run " + model_ + " " + path("good.png") + " " + path("missing.png") + " --top-k 1");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_EQ(line_count(r.output), 2) << "one result, one error: " << r.output;
  EXPECT_NE(r.output.find("good.png: c"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("gramlite: error: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(path("missing.png") + "': No such file"), std::string::npos) << r.output;
}

TEST_F(ClassifyCliTest, UnknownArchitectureIsABadArgument) {
  const CommandResult r = run_gramlite("zoo build nosucharch --classes 2 -o " + path("x.gramlite"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("nosucharch"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("mobilenet_v2"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("x.gramlite")));
}

// F1: `run` printed "nan" with exit 0 on a model holding a NaN weight.
TEST_F(ClassifyCliTest, RunRefusesNonFiniteOutputs) {
  const std::string nan_model = path("nan.gramlite");
  write_nan_model(nan_model);
  write_image(path("a.png"), 1);
  write_image(path("b.png"), 2);
  CommandResult r = run_gramlite("run " + nan_model + " " + path("a.png"));
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("not finite"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("a.png"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("nan "), std::string::npos) << r.output;

  // Every image: the model is what is broken, so one line names it.
  r = run_gramlite("run " + nan_model + " " + path("a.png") + " " + path("b.png"));
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("nan.gramlite"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("all 2 images"), std::string::npos) << r.output;
}

// F1: `evaluate` looped forever in report::roc_auc on a NaN model.
TEST_F(ClassifyCliTest, EvaluateStopsWithAnErrorOnNonFiniteOutputs) {
  for (int i = 0; i < 3; ++i) {
    write_image(path("data/c0/" + std::to_string(i) + ".png"), i);
    write_image(path("data/c1/" + std::to_string(i) + ".png"), 10 + i);
  }
  CommandResult r = run_gramlite_within(120, "evaluate " + model_ + " --data " + path("data") + " --split '' --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["samples"], 6);

  const std::string nan_model = path("nan.gramlite");
  write_nan_model(nan_model);
  r = run_gramlite_within(120, "evaluate " + nan_model + " --data " + path("data") + " --split ''");
  ASSERT_NE(r.exit_code, 124) << "evaluate hangs on a NaN model";
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_EQ(r.output.rfind("gramlite: error: ", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("not finite"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(".png"), std::string::npos) << "names an image: " << r.output;
}

// --predictions: one row per image, in agreement with the report and with `run`; paths with a comma
// are quoted; a folder or the model itself as the CSV is refused before any work, leaving no file.
TEST_F(ClassifyCliTest, EvaluateWritesOnePredictionRowPerImage) {
  for (int i = 0; i < 3; ++i) {
    write_image(path("data/c0/" + std::to_string(i) + ".png"), i);
    write_image(path("data/c1/" + std::to_string(i) + (i == 0 ? ",odd.png" : ".png")), 10 + i);
  }
  const std::string csv = path("predictions.csv");
  CommandResult r = run_gramlite_within(
      120, "evaluate " + model_ + " --data " + path("data") + " --split '' --json --predictions " + csv);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json report = nlohmann::json::parse(r.output);
  std::ifstream in(csv);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "image,label,predicted,output:c0,output:c1");
  int rows = 0, correct = 0, quoted = 0;
  while (std::getline(in, line)) {
    ++rows;
    if (line.front() == '"') {
      ++quoted;
      line = line.substr(line.find("\",") + 2);
    } else {
      line = line.substr(line.find(',') + 1);
    }
    const std::string label = line.substr(0, line.find(','));
    line = line.substr(line.find(',') + 1);
    const std::string predicted = line.substr(0, line.find(','));
    line = line.substr(line.find(',') + 1);
    const float out0 = std::stof(line.substr(0, line.find(','))), out1 = std::stof(line.substr(line.find(',') + 1));
    EXPECT_EQ(predicted, out0 >= out1 ? "c0" : "c1") << "the prediction is the arg-max of the outputs";
    correct += label == predicted;
  }
  EXPECT_EQ(rows, 6);
  EXPECT_EQ(quoted, 1) << "the path with a comma is quoted";
  EXPECT_DOUBLE_EQ(report["accuracy"].get<double>(), correct / 6.0);

  for (const std::string& bad : {path("data"), model_}) {
    r = run_gramlite_within(120, "evaluate " + model_ + " --data " + path("data") + " --split '' --predictions " + bad);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("--predictions"), std::string::npos) << r.output;
  }
  EXPECT_TRUE(fs::is_directory(path("data")));
  EXPECT_TRUE(format::load_model(model_).ok()) << "the model was not overwritten";
}

TEST_F(ClassifyCliTest, InfoReportsNonFiniteWeights) {
  CommandResult r = run_gramlite("info --json " + model_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["non_finite_weights"]["count"], 0);
  EXPECT_EQ(run_gramlite("info " + model_).output.find("NON-FINITE"), std::string::npos);

  const std::string nan_model = path("nan.gramlite");
  const std::string tensor = write_nan_model(nan_model);
  r = run_gramlite("info " + nan_model + " --no-layers");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("NON-FINITE:    1 weights are NaN or infinite (first in tensor '" + tensor + "')"),
            std::string::npos) << r.output;
  r = run_gramlite("info --json " + nan_model);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto info = nlohmann::json::parse(r.output);
  EXPECT_EQ(info["non_finite_weights"]["count"], 1);
  EXPECT_EQ(info["non_finite_weights"]["first_tensor"], tensor);
}

// F10: messages that name the actual problem.
TEST_F(ClassifyCliTest, MessagesNameTheUnknownCommandAndTheBadClassNames) {
  CommandResult r = run_gramlite("nosuchcommand");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("unknown command 'nosuchcommand'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("evaluate"), std::string::npos) << "lists the commands: " << r.output;

  r = run_gramlite("zoo frobnicate");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("'frobnicate'"), std::string::npos) << r.output;

  for (const std::string& names : {std::string(","), std::string("a,"), std::string("a,a"), std::string("''")}) {
    r = run_gramlite("zoo build mobilenet_v2 --classes 2 --input-size 32 --class-names " + names + " -o " +
                     path("x.gramlite"));
    EXPECT_EQ(r.exit_code, 2) << names << ": " << r.output;
    EXPECT_EQ(line_count(r.output), 1) << r.output;
    EXPECT_NE(r.output.find("--class-names"), std::string::npos) << names << ": " << r.output;
    EXPECT_EQ(r.output.find("--output"), std::string::npos) << names << ": " << r.output;
  }
  EXPECT_FALSE(fs::exists(path("x.gramlite")));
  // Still fine: names split on commas and over repeated flags.
  r = run_gramlite("zoo build mobilenet_v2 --classes 3 --input-size 32 --class-names a,b --class-names c -o " +
                   path("x.gramlite"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto graph = format::load_model(path("x.gramlite"));
  ASSERT_TRUE(graph.ok());
  EXPECT_EQ(graph->metadata.class_names, (std::vector<std::string>{"a", "b", "c"}));
}

// F9: the flag exists on run and evaluate and refuses a negative bound.
TEST_F(ClassifyCliTest, MaxImagePixelsFlag) {
  write_image(path("a.png"), 1);
  CommandResult r = run_gramlite("run " + model_ + " " + path("a.png") + " --max-image-pixels 5000");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const std::string& args : {"run " + model_ + " " + path("a.png") + " --max-image-pixels -1",
                                  "evaluate " + model_ + " --data " + path("d") + " --max-image-pixels -5"}) {
    r = run_gramlite(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_EQ(line_count(r.output), 1) << r.output;
  }
}

// A 64x64 image is over a 1000-pixel bound.
TEST_F(ClassifyCliTest, MaxImagePixelsRefusesLargerImages) {
  write_image(path("a.png"), 1);
  const CommandResult r = run_gramlite("run " + model_ + " " + path("a.png") + " --max-image-pixels 1000");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("a.png"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace gramlite
