// `gramlite bench --profile`, `--backend` and `--fp16`: the per-node profile names backend and
// kernel, the JSON carries it, the backend list is honoured, --fp16 reports what it achieved, and
// an unknown backend is a usage error (exit 2).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include "cli_test_util.h"

namespace gramlite {
namespace {

class BenchCliTest : public CliTest {
 protected:
  std::string build_model() {
    const std::string model = path("m.gml");
    const CommandResult r = run_gramlite("zoo build mobilenet_v2 --alpha 0.25 --input-size 96 --classes 2 -o " + model);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return model;
  }
};

TEST_F(BenchCliTest, ProfileNamesBackendAndKernelPerNode) {
  const std::string model = build_model();
  CommandResult r = run_gramlite("bench " + model + " --warmup 0 --runs 2 --profile");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("profile:"), std::string::npos) << r.output;
  EXPECT_TRUE(r.output.find("portable") != std::string::npos || r.output.find("xnnpack") != std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("conv2d_f32_"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("GMAC/s"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("%"), std::string::npos) << r.output;

  r = run_gramlite("bench " + model + " --warmup 0 --runs 3 --profile --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  // The default list: the fast backends this build has, then portable and reference.
  const std::vector<std::string> backends = j["backends"].get<std::vector<std::string>>();
  ASSERT_GE(backends.size(), 2u);
  EXPECT_EQ(backends[backends.size() - 2], "portable");
  EXPECT_EQ(backends.back(), "reference");
  ASSERT_TRUE(j["profile"].is_array());
  ASSERT_GT(j["profile"].size(), 10u);
  double previous = 1e300, share = 0;
  for (const auto& node : j["profile"]) {
    EXPECT_FALSE(node["node"].get<std::string>().empty());
    EXPECT_FALSE(node["op"].get<std::string>().empty());
    EXPECT_FALSE(node["kernel"].get<std::string>().empty());
    const std::string backend = node["backend"].get<std::string>();
    EXPECT_NE(std::find(backends.begin(), backends.end(), backend), backends.end()) << backend;
    const std::string layout = node["layout"].get<std::string>();
    EXPECT_TRUE(layout == "nchw" || layout == "nhwc") << layout;
    const double ms = node["median_ms"].get<double>();
    EXPECT_LE(ms, previous);  // slowest first
    previous = ms;
    share += node["share"].get<double>();
  }
  EXPECT_NEAR(share, 1.0, 1e-6);

  // Without --profile the JSON has no profile.
  r = run_gramlite("bench " + model + " --warmup 0 --runs 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(nlohmann::json::parse(r.output).contains("profile"));
}

TEST_F(BenchCliTest, BackendListIsHonoured) {
  const std::string model = build_model();
  const CommandResult r = run_gramlite("bench " + model + " --warmup 0 --runs 1 --profile --json --backend reference");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["backends"], nlohmann::json::array({"reference"}));
  for (const auto& node : j["profile"]) EXPECT_EQ(node["backend"], "reference") << node.dump();
}

// --fp16 says how many convolutions computed in fp16: every one on a CPU with fp16 arithmetic and
// XNNPACK (arm64 under qemu -cpu max), none elsewhere (x86), where the run is the float32 one.
TEST_F(BenchCliTest, Fp16SaysHowManyConvolutionsUsedIt) {
  const std::string model = build_model();
  CommandResult r = run_gramlite("bench " + model + " --warmup 0 --runs 1 --fp16 --profile --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  ASSERT_TRUE(j.contains("fp16_convolutions")) << r.output;
  int fp16_kernels = 0;
  for (const auto& node : j["profile"]) {
    fp16_kernels += node["kernel"].get<std::string>().find("_f16") != std::string::npos;
  }
  EXPECT_EQ(j["fp16_convolutions"].get<int>(), fp16_kernels);
  r = run_gramlite("bench " + model + " --warmup 0 --runs 1 --fp16");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("convolutions compute in fp16"), std::string::npos) << r.output;
  // Without --fp16 nothing is said and nothing runs in fp16.
  r = run_gramlite("bench " + model + " --warmup 0 --runs 1 --json --profile");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto plain = nlohmann::json::parse(r.output);
  EXPECT_FALSE(plain.contains("fp16_convolutions"));
  for (const auto& node : plain["profile"]) {
    EXPECT_EQ(node["kernel"].get<std::string>().find("_f16"), std::string::npos) << node.dump();
  }
}

TEST_F(BenchCliTest, UnknownBackendIsAUsageError) {
  const std::string model = build_model();
  for (const char* list : {"nosuch", "portable,nosuch", "portable,", ","}) {
    const CommandResult r = run_gramlite("bench " + model + " --runs 1 --backend " + std::string(list));
    EXPECT_EQ(r.exit_code, 2) << list << ": " << r.output;
    EXPECT_NE(r.output.find("gramlite: error:"), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
}

}  // namespace
}  // namespace gramlite
