// gramlite quantize end to end: the three modes, the round trip through info and run, and the
// exit codes of its failures (2 bad flags, 3 missing files, 4 corrupt or unsupported input).
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "cli_test_util.h"

namespace gramlite {
namespace {

class QuantizeCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    model_ = path("model.gramlite");
    const CommandResult built =
        run_gramlite("zoo build mobilenet_v3_small --classes 3 --input-size 64 --seed 4 -o " + model_);
    ASSERT_EQ(built.exit_code, 0) << built.output;
    calib_ = path("calib");
    for (int c = 0; c < 2; ++c) {
      fs::create_directories(fs::path(calib_) / ("class" + std::to_string(c)));
      for (int i = 0; i < 6; ++i) {
        cv::Mat image(40 + 8 * i, 48, CV_8UC3);
        cv::theRNG().state = static_cast<uint64_t>(100 * c + i + 1);
        cv::randu(image, 0, 255);
        const std::string file = (fs::path(calib_) / ("class" + std::to_string(c)) / (std::to_string(i) + ".png")).string();
        ASSERT_TRUE(cv::imwrite(file, image));
      }
    }
  }
  std::string image(int c, int i) const {
    return (fs::path(calib_) / ("class" + std::to_string(c)) / (std::to_string(i) + ".png")).string();
  }
  static std::string read_bytes(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Nothing but the expected files in the folder: a failed run leaves no (partial) output.
  void expect_no_output(const std::string& out) const { EXPECT_FALSE(fs::exists(out)) << out; }

  std::string model_;
  std::string calib_;
};

TEST_F(QuantizeCliTest, Int8RoundTripThroughInfoAndRun) {
  const std::string out = path("model.int8.gramlite");
  const CommandResult q = run_gramlite("quantize " + model_ + " --mode int8 --calib " + calib_ + " -o " + out);
  ASSERT_EQ(q.exit_code, 0) << q.output;
  EXPECT_NE(q.output.find("to int8 (weights per channel, 8 bits, observer minmax on 12 calibration images)"),
            std::string::npos) << q.output;
  EXPECT_NE(q.output.find("0 layers left in float"), std::string::npos) << q.output;
  EXPECT_NE(q.output.find("smaller"), std::string::npos) << q.output;
  ASSERT_TRUE(fs::exists(out));
  EXPECT_LT(fs::file_size(out) * 3, fs::file_size(model_));  // int8 weights: about 4x smaller

  const CommandResult info = run_gramlite("info " + out);
  ASSERT_EQ(info.exit_code, 0) << info.output;
  EXPECT_NE(info.output.find("Quantize"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("int8"), std::string::npos) << info.output;

  const CommandResult run = run_gramlite("run " + out + " " + image(0, 0) + " " + image(1, 3));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find(image(1, 3) + ":"), std::string::npos) << run.output;

  // The same command gives the same bytes (the calibration sample and every rounding are fixed).
  const std::string again = path("again.gramlite");
  ASSERT_EQ(run_gramlite("quantize " + model_ + " --mode int8 --calib " + calib_ + " -o " + again).exit_code, 0);
  EXPECT_EQ(read_bytes(out), read_bytes(again));
}

TEST_F(QuantizeCliTest, CalibCountObserversPerTensorAndKeepFloat) {
  const std::string out = path("pt.gramlite");
  const CommandResult q = run_gramlite("quantize " + model_ + " --mode int8 --calib " + calib_ +
                                       " --calib-count 5 --observer percentile --per-tensor --keep-float "
                                       "features.0.0,classifier.3 --threads 2 -o " + out);
  ASSERT_EQ(q.exit_code, 0) << q.output;
  EXPECT_NE(q.output.find("weights per tensor"), std::string::npos) << q.output;
  EXPECT_NE(q.output.find("observer percentile on 5 calibration images"), std::string::npos) << q.output;
  EXPECT_NE(q.output.find("3 layers left in float: features.0.0, features.0.0.hardswish, classifier.3"),
            std::string::npos) << q.output;
  const CommandResult run = run_gramlite("run " + out + " " + image(0, 1));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const char* observer : {"entropy", "mse"}) {
    const CommandResult o = run_gramlite("quantize " + model_ + " --mode int8 --calib " + calib_ + " --observer " +
                                         observer + " -o " + path(std::string(observer) + ".gramlite"));
    EXPECT_EQ(o.exit_code, 0) << o.output;
  }
}

TEST_F(QuantizeCliTest, Float16AndDynamicFileSizes) {
  const std::string fp16 = path("model.fp16.gramlite");
  const CommandResult half = run_gramlite("quantize " + model_ + " --mode fp16 -o " + fp16);
  ASSERT_EQ(half.exit_code, 0) << half.output;
  EXPECT_NE(half.output.find("to fp16"), std::string::npos) << half.output;
  // Almost all of the file is weights: half the bytes, give or take the float biases, the header
  // and padding, and the batch-norm vectors that folding into the convolutions removes.
  const double ratio = static_cast<double>(fs::file_size(model_)) / static_cast<double>(fs::file_size(fp16));
  EXPECT_GT(ratio, 1.9);
  EXPECT_LT(ratio, 2.1);
  const std::string dynamic = path("model.dynamic.gramlite");
  const CommandResult dyn = run_gramlite("quantize " + model_ + " --mode dynamic -o " + dynamic);
  ASSERT_EQ(dyn.exit_code, 0) << dyn.output;
  EXPECT_GT(static_cast<double>(fs::file_size(model_)) / static_cast<double>(fs::file_size(dynamic)), 3.0);
  EXPECT_EQ(run_gramlite("info " + dynamic).exit_code, 0);
}

TEST_F(QuantizeCliTest, BadFlagsExitTwo) {
  const std::string out = path("out.gramlite");
  for (const std::string& args : std::vector<std::string>{
           "--mode int8 -o " + out,                                     // no calibration images, no --qat
           "--mode int8 --calib " + calib_ + " --observer kl -o " + out,  // unknown observer
           "--mode int8 --calib " + calib_ + " --calib-count 0 -o " + out,
           "--mode int8 --calib " + calib_ + " --calib-count -3 -o " + out,
           "--mode int4 --calib " + calib_ + " -o " + out,
           "--mode fp16 --calib " + calib_ + " -o " + out,              // calibration is for int8
           "--mode int8 --qat 2 -o " + out,                              // --qat without --data
           "--mode int8 --calib " + calib_ + " --weight-bits 4 -o " + out,
           "--mode int8 --calib " + calib_ + " --keep-float no_such_layer -o " + out,
       }) {
    const CommandResult r = run_gramlite("quantize " + model_ + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find("gramlite: error: "), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    expect_no_output(out);
  }
}

TEST_F(QuantizeCliTest, MissingFilesExitThreeCorruptOrQuantizedExitFour) {
  const std::string out = path("out.gramlite");
  CommandResult r = run_gramlite("quantize " + path("missing.gramlite") + " --mode int8 --calib " + calib_ + " -o " + out);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  r = run_gramlite("quantize " + model_ + " --mode int8 --calib " + path("no_such_folder") + " -o " + out);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("no_such_folder"), std::string::npos) << r.output;
  const std::string corrupt = path("corrupt.gramlite");
  {
    std::string bytes = read_bytes(model_);
    bytes.resize(bytes.size() / 2);
    std::ofstream(corrupt, std::ios::binary) << bytes;
  }
  r = run_gramlite("quantize " + corrupt + " --mode fp16 -o " + out);
  EXPECT_EQ(r.exit_code, 4) << r.output;
  // An int8 model cannot be quantized again.
  const std::string int8 = path("int8.gramlite");
  ASSERT_EQ(run_gramlite("quantize " + model_ + " --mode int8 --calib " + calib_ + " -o " + int8).exit_code, 0);
  r = run_gramlite("quantize " + int8 + " --mode int8 --calib " + calib_ + " -o " + out);
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("already quantized"), std::string::npos) << r.output;
  r = run_gramlite("quantize " + int8 + " --mode fp16 -o " + out);
  EXPECT_EQ(r.exit_code, 4) << r.output;
  expect_no_output(out);
}

// --equalize, --bias-correction, --report and --qat call into other parts of the library; until
// those exist they answer "unsupported", which the command reports as one line with exit code 4.
TEST_F(QuantizeCliTest, OptionalStagesSucceedOrSayUnsupported) {
  const std::string out = path("out.gramlite");
  for (const std::string& args :
       std::vector<std::string>{"--equalize", "--bias-correction", "--report", "--report " + path("r.json")}) {
    const CommandResult r = run_gramlite("quantize " + model_ + " --mode int8 --calib " + calib_ + " " + args + " -o " + out);
    if (r.exit_code == 0) {
      if (args == "--report") {
        EXPECT_TRUE(fs::exists(path("out.quant.json"))) << r.output;
      } else if (args.rfind("--report", 0) == 0) {
        EXPECT_TRUE(fs::exists(path("r.json"))) << r.output;
      }
      fs::remove(out);
      continue;
    }
    EXPECT_EQ(r.exit_code, 4) << args << "\n" << r.output;
    EXPECT_NE(r.output.find("not built yet"), std::string::npos) << r.output;
    expect_no_output(out);
  }
  const CommandResult qat = run_gramlite("quantize " + model_ + " --mode int8 --qat 1 --data " + calib_ + " -o " + out);
  if (qat.exit_code != 0) {
    EXPECT_EQ(qat.exit_code, 4) << qat.output;
    expect_no_output(out);
  }
}

}  // namespace
}  // namespace gramlite
