#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gramlite/data/image.h"
#include "gramlite/format/model_file.h"
#include "gramlite/runtime/session.h"
#include "gramlite/zoo/zoo.h"
#include "cli_test_util.h"

namespace gramlite {
namespace {

namespace fs = std::filesystem;


TEST_F(CliTest, VersionAndHelp) {
  CommandResult r = run_gramlite("version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("model file format: version"), std::string::npos) << r.output;
  for (const char* command : {"--help", "zoo --help", "zoo build --help", "import torchvision --help", "info --help",
                              "run --help", "bench --help"}) {
    r = run_gramlite(command);
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << command << ": " << r.output;
  }
  r = run_gramlite("");
  EXPECT_NE(r.exit_code, 0);
  r = run_gramlite("frobnicate");
  EXPECT_NE(r.exit_code, 0);
}

TEST_F(CliTest, ZooListNamesEveryArchitecture) {
  const CommandResult r = run_gramlite("zoo list");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const zoo::ArchInfo& info : zoo::list_architectures()) EXPECT_NE(r.output.find(info.name), std::string::npos);
  EXPECT_NE(r.output.find("3,504,872"), std::string::npos) << r.output;  // torchvision mobilenet_v2
}

TEST_F(CliTest, InfoAndBenchWorkOnEveryZooModel) {
  for (const zoo::ArchInfo& info : zoo::list_architectures()) {
    const std::string model = path(info.name + ".gramlite");
    const int size = std::max(info.min_input_size, 96);
    CommandResult r = run_gramlite("zoo build " + info.name + " --classes 3 --input-size " + std::to_string(size) +
                                   " -o " + model);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = run_gramlite("info " + model);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("MACs:"), std::string::npos);
    EXPECT_NE(r.output.find("checksum verified"), std::string::npos);
    r = run_gramlite("info --json " + model);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto info_json = nlohmann::json::parse(r.output);
    EXPECT_EQ(info_json["architecture"], info.name);
    EXPECT_EQ(info_json["classes"].size(), 3u);
    EXPECT_GT(info_json["macs"].get<int64_t>(), 0);
    r = run_gramlite("bench " + model + " --threads 2 --batch 2 --warmup 1 --runs 2 --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto bench = nlohmann::json::parse(r.output);
    EXPECT_GT(bench["median_ms"].get<double>(), 0.0);
    EXPECT_GE(bench["p90_ms"].get<double>(), bench["median_ms"].get<double>());
    EXPECT_GT(bench["arena_bytes"].get<int64_t>(), 0);
    EXPECT_EQ(bench["batch"], 2);
    EXPECT_EQ(bench["threads"], 2);
  }
}

TEST_F(CliTest, RunClassifiesImagesLikeTheLibrary) {
  const std::string model = path("m.gramlite");
  ASSERT_EQ(run_gramlite("zoo build mobilenet_v3_small --classes 4 --input-size 64 --seed 7 "
                         "--class-names a,b,c,d -o " + model).exit_code, 0);
  cv::Mat image(80, 100, CV_8UC3);
  cv::randu(image, 0, 255);
  ASSERT_TRUE(cv::imwrite(path("tile.png"), image));
  cv::Mat grey(50, 50, CV_8UC1, cv::Scalar(200));
  ASSERT_TRUE(cv::imwrite(path("grey.jpg"), grey));

  const CommandResult r = run_gramlite("run " + model + " " + path("tile.png") + " " + path("grey.jpg") +
                                       " --top-k 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto results = nlohmann::json::parse(r.output);
  ASSERT_EQ(results.size(), 2u);

  // The oracle: the same preprocessing and a library Session.
  auto graph = format::load_model(model);
  ASSERT_TRUE(graph.ok());
  auto shared = std::make_shared<const ir::Graph>(std::move(graph).value());
  auto session = runtime::Session::create(shared);
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE((*session)->prepare(1).ok());
  for (size_t i = 0; i < 2; ++i) {
    auto rgb = data::read_rgb_image(results[i]["image"].get<std::string>());
    ASSERT_TRUE(rgb.ok());
    std::vector<float> input(3 * 64 * 64), logits(4);
    ASSERT_TRUE(data::image_to_tensor(*rgb, shared->metadata.preprocessing, 64, 64, input.data()).ok());
    ASSERT_TRUE((*session)->run({input.data()}, {logits.data()}).ok());
    double sum = 0;
    for (float v : logits) sum += std::exp(static_cast<double>(v) - logits[0]);
    double total_probability = 0;
    for (const auto& entry : results[i]["top"]) {
      const auto c = entry["index"].get<size_t>();
      const double expected = std::exp(static_cast<double>(logits[c]) - logits[0]) / sum;
      EXPECT_NEAR(entry["probability"].get<double>(), expected, 1e-5);
      EXPECT_EQ(entry["class"], std::string(1, static_cast<char>('a' + c)));
      total_probability += entry["probability"].get<double>();
    }
    EXPECT_NEAR(total_probability, 1.0, 1e-5);
    EXPECT_GE(results[i]["top"][0]["probability"].get<double>(), results[i]["top"][3]["probability"].get<double>());
  }
}

TEST_F(CliTest, BadInputsGiveOneClearErrorAndNonZeroExit) {
  CommandResult r = run_gramlite("zoo build alexnet --classes 2 -o " + path("x.gramlite"));
  EXPECT_EQ(r.exit_code, 2);  // a bad argument, not a missing file (issue 8, F5)
  EXPECT_NE(r.output.find("gramlite: error:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("mobilenet_v2"), std::string::npos) << "should list the known architectures: " << r.output;
  EXPECT_FALSE(fs::exists(path("x.gramlite")));

  r = run_gramlite("zoo build mobilenet_v2 --classes 0 -o " + path("x.gramlite"));
  EXPECT_NE(r.exit_code, 0);

  r = run_gramlite("info " + path("missing.gramlite"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.output.find("missing.gramlite"), std::string::npos) << r.output;

  std::ofstream(path("junk.gramlite")) << "definitely not a model";
  for (const char* command : {"info ", "bench ", "run "}) {
    r = run_gramlite(std::string(command) + path("junk.gramlite") + (std::string(command) == "run " ? " x.png" : ""));
    EXPECT_EQ(r.exit_code, 4) << command << r.output;
    EXPECT_NE(r.output.find("junk.gramlite"), std::string::npos) << r.output;
  }

  const std::string model = path("m.gramlite");
  ASSERT_EQ(run_gramlite("zoo build mobilenet_v2 --classes 2 --input-size 32 -o " + model).exit_code, 0);
  std::ofstream(path("broken.png")) << "not a png";
  r = run_gramlite("run " + model + " " + path("broken.png"));
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.output.find("broken.png"), std::string::npos) << r.output;

  r = run_gramlite("bench " + model + " --threads 0");
  EXPECT_NE(r.exit_code, 0);

  // A folder we cannot write to: an error, and nothing left behind.
  fs::create_directories(path("locked"));
  fs::permissions(path("locked"), fs::perms::owner_read | fs::perms::owner_exec);
  if (::geteuid() != 0) {  // root ignores permissions
    r = run_gramlite("zoo build mobilenet_v2 --classes 2 --input-size 32 -o " + path("locked/m.gramlite"));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_TRUE(fs::is_empty(path("locked")));
  }
  r = run_gramlite("zoo build mobilenet_v2 --classes 2 --input-size 32 -o " + path("no/such/dir/m.gramlite"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("gramlite: error:"), std::string::npos) << r.output;
}

// Every failure, a flag CLI11 rejects included, is one line "gramlite: error: ..." with exit code 2
// (bad arguments), as the README promises; --help and --version still exit 0.
TEST_F(CliTest, BadFlagsGiveOneLineErrorAndExitCode2) {
  const std::string model = path("m.gramlite");
  ASSERT_EQ(run_gramlite("zoo build mobilenet_v2 --classes 2 --input-size 32 -o " + model).exit_code, 0);
  for (const std::string& args :
       {"bench " + model + " --threads 0", "bench " + model + " --warmup -1", "run " + model,
        "zoo build mobilenet_v2 --classes 2 --alpha -1 -o " + path("x.gramlite"), std::string("frobnicate"),
        std::string("zoo build"),
        "synth slide --out " + path("s.tiff") + " --width -5", "synth slide --out " + path("s.tiff") + " --mpp inf",
        "synth tiles --out " + path("t") + " --per-class 0", "tiles " + model + " --out " + path("t") + " --stride -3",
        "info " + model + " --no-such-flag"}) {
    const CommandResult r = run_gramlite(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_EQ(r.output.rfind("gramlite: error: ", 0), 0u) << args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << args << "\n" << r.output;
    EXPECT_LT(r.output.size(), 300u) << "no 300-digit DBL_MAX in the message: " << r.output;
  }
  EXPECT_FALSE(fs::exists(path("x.gramlite")));
  EXPECT_FALSE(fs::exists(path("s.tiff")));
  EXPECT_EQ(run_gramlite("--version").exit_code, 0);
  EXPECT_EQ(run_gramlite("tiles --help").exit_code, 0);
}

TEST_F(CliTest, ImportTorchvisionWeights) {
  const std::string case_dir = path("case");
  const std::string script = std::string(GRAMLITE_SOURCE_DIR) + "/tests/oracle/make_torchvision_case.py";
  const int status = std::system(("/usr/bin/python3 " + script + " --arch mobilenet_v2 --size 32 --num-classes 2 --out " +
                                  case_dir + " > /dev/null 2>&1").c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) GTEST_SKIP() << "torchvision oracle unavailable";
  const std::string model = path("imported.gramlite");
  CommandResult r = run_gramlite("import torchvision " + case_dir + "/weights.pt --arch mobilenet_v2 --input-size 32 "
                                 "--class-names gram_positive,gram_negative -o " + model);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2 classes"), std::string::npos) << r.output;
  r = run_gramlite("info " + model + " --no-layers");
  EXPECT_NE(r.output.find("gram_positive, gram_negative"), std::string::npos) << r.output;

  r = run_gramlite("import torchvision " + case_dir + "/weights.pt --arch resnet50 -o " + path("wrong.gramlite"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("is it a resnet50 state_dict"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("wrong.gramlite")));
}

std::string read_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_F(CliTest, SynthTilesAreDeterministicAndSplit) {
  if (run_gramlite("synth --help").output.find("not in this build") != std::string::npos) GTEST_SKIP();
  for (const char* name : {"a", "b"}) {
    const CommandResult r = run_gramlite("synth tiles --out " + path(name) +
                                         " --task gram2 --per-class 10 --size 48 --seed 5 --threads 2");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("wrote 20 tiles"), std::string::npos) << r.output;
  }
  EXPECT_EQ(read_file(path("a/manifest.csv")), read_file(path("b/manifest.csv")));
  EXPECT_EQ(read_file(path("a/train/gram_negative/gram_negative_000000.png")),
            read_file(path("b/train/gram_negative/gram_negative_000000.png")));
  EXPECT_TRUE(fs::exists(path("a/test")));

  CommandResult r = run_gramlite("synth tiles --out " + path("c") + " --task gram5 --per-class 2");
  EXPECT_NE(r.exit_code, 0);
  r = run_gramlite("synth tiles --out " + path("a") + " --per-class 2 --size 48");  // not empty
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("gramlite: error:"), std::string::npos) << r.output;
  r = run_gramlite("synth tiles --out " + path("d") + " --per-class 2 --split 0.5,0.6,0.1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(fs::exists(path("d")));
}

TEST_F(CliTest, SynthSlideThenTiles) {
  if (run_gramlite("synth --help").output.find("not in this build") != std::string::npos) GTEST_SKIP();
  const std::string slide = path("smear.tiff");
  CommandResult r = run_gramlite("synth slide --out " + slide + " --width 2048 --height 1536 --seed 4 --tile-size 256");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(path("smear.labels.png")));
  EXPECT_TRUE(fs::exists(path("smear.regions.json")));
  // Same seed, same bytes, whatever the thread count.
  r = run_gramlite("synth slide --out " + path("again.tiff") + " --width 2048 --height 1536 --seed 4 --tile-size 256 --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_file(slide), read_file(path("again.tiff")));
  EXPECT_EQ(read_file(path("smear.labels.png")), read_file(path("again.labels.png")));
  r = run_gramlite("tiles " + slide + " --out " + path("tiles") + " --size 256 --keep-background");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("48 of 48 kept"), std::string::npos) << r.output;  // 8 x 6 tiles
  const std::string csv = read_file(path("tiles/tiles.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 49);  // header + one line per tile
  r = run_gramlite("tiles " + slide + " --out " + path("kept") + " --size 256");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("background: saturation"), std::string::npos) << r.output;
  // A pixel is smear when both thresholds are passed (docs/whole-slide.md), and the line says so.
  EXPECT_NE(r.output.find(" and optical density > "), std::string::npos) << r.output;

  r = run_gramlite("tiles " + path("nope.svs") + " --out " + path("x"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  std::ofstream(path("fake.svs")) << "not a slide";
  r = run_gramlite("tiles " + path("fake.svs") + " --out " + path("y"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("fake.svs"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("y")));
}

// tiles: what the user asked for and did not get is said, and impossible requests are errors.
TEST_F(CliTest, TilesWarnsAboutIgnoredResolutionAndRefusesEmptyGrids) {
  if (run_gramlite("synth --help").output.find("not in this build") != std::string::npos) GTEST_SKIP();
  const std::string slide = path("s.tiff");
  ASSERT_EQ(run_gramlite("synth slide --out " + slide + " --width 640 --height 480").exit_code, 0);
  CommandResult r = run_gramlite("tiles " + slide + " --out " + path("fine") + " --size 64 --mpp 0.01 --keep-background");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("gramlite: warning: 0.01 um/px is finer"), std::string::npos) << r.output;
  cv::Mat image(300, 200, CV_8UC3, cv::Scalar(30, 40, 200));
  ASSERT_TRUE(cv::imwrite(path("plain.png"), image));
  r = run_gramlite("tiles " + path("plain.png") + " --out " + path("plain") + " --size 64 --mpp 0.5 --keep-background");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("records no resolution"), std::string::npos) << r.output;

  // A grid without a tile: an error, and no empty folder that looks like a result.
  r = run_gramlite("tiles " + slide + " --out " + path("none") + " --mpp 100000");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output.rfind("gramlite: error: ", 0), 0u) << r.output;
  EXPECT_FALSE(fs::exists(path("none")));
  // The slide as its own output: refused as "not a folder", the slide untouched.
  const std::string before = read_file(slide);
  r = run_gramlite("tiles " + slide + " --out " + slide);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("not a folder"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(slide), before);
}

// Ctrl-C (or a kill) mid-run removes the temporary files; nothing is left that could be taken for
// a result or pile up, and the exit code says which signal it was.
TEST_F(CliTest, InterruptedSynthRunsLeaveNothingBehind) {
  if (run_gramlite("synth --help").output.find("not in this build") != std::string::npos) GTEST_SKIP();
  fs::create_directories(path("slide"));
  int status = interrupt_gramlite(path("slide"), {"synth", "slide", "--out", "s.tiff", "--width", "30000", "--height",
                                                  "30000", "--threads", "2"}, SIGINT);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by the signal instead of handling it";
  EXPECT_EQ(WEXITSTATUS(status), 130);
  for (const auto& entry : fs::directory_iterator(path("slide"))) ADD_FAILURE() << "left behind: " << entry.path();

  fs::create_directories(path("tiles"));
  status = interrupt_gramlite(path("tiles"), {"synth", "tiles", "--out", "ds", "--per-class", "100000", "--size", "32",
                                              "--threads", "2"}, SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by the signal instead of handling it";
  EXPECT_EQ(WEXITSTATUS(status), 143);
  for (const auto& entry : fs::directory_iterator(path("tiles"))) ADD_FAILURE() << "left behind: " << entry.path();
}

TEST_F(CliTest, EvaluateAgreesWithRunAndChecksClasses) {
  if (run_gramlite("synth --help").output.find("not in this build") != std::string::npos) GTEST_SKIP();
  ASSERT_EQ(run_gramlite("synth tiles --out " + path("data") + " --task gram2 --per-class 10 --size 64 --seed 2")
                .exit_code, 0);
  const std::string model = path("m.gramlite");
  ASSERT_EQ(run_gramlite("zoo build mobilenet_v3_small --classes 2 --input-size 64 --seed 11 "
                         "--class-names gram_positive,gram_negative -o " + model).exit_code, 0);
  CommandResult r = run_gramlite("evaluate " + model + " --data " + path("data") + " --split test --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto report = nlohmann::json::parse(r.output);
  ASSERT_EQ(report["samples"], 2);  // 10% of 10 per class

  // The oracle: top-1 of `run` on the same files, labelled by their class folder.
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(path("data/test"))) {
    if (entry.is_regular_file()) files.push_back(entry.path().string());
  }
  std::string args;
  for (const std::string& f : files) args += " " + f;
  r = run_gramlite("run " + model + args + " --top-k 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  int correct = 0;
  for (const auto& result : nlohmann::json::parse(r.output)) {
    const std::string image = result["image"];
    const std::string truth = fs::path(image).parent_path().filename().string();
    correct += result["top"][0]["class"] == truth ? 1 : 0;
  }
  EXPECT_DOUBLE_EQ(report["accuracy"].get<double>(), correct / static_cast<double>(files.size()));
  int64_t total = 0;
  for (const auto& row : report["confusion"]) {
    for (const auto& count : row) total += count.get<int64_t>();
  }
  EXPECT_EQ(total, 2);

  r = run_gramlite("evaluate " + model + " --data " + path("nowhere"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("nowhere"), std::string::npos) << r.output;
  ASSERT_EQ(run_gramlite("zoo build mobilenet_v3_small --classes 3 --input-size 64 -o " + path("m3.gramlite")).exit_code, 0);
  r = run_gramlite("evaluate " + path("m3.gramlite") + " --data " + path("data"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("3 classes"), std::string::npos) << r.output;
}

// ---- gramlite import onnx (ONNX import; keep this block together) -----------------------------

TEST_F(CliTest, ImportOnnxModel) {
  const std::string case_dir = path("onnx_case");
  const std::string script = std::string(GRAMLITE_SOURCE_DIR) + "/tests/oracle/make_onnx_case.py";
  const int status = std::system(("/usr/bin/python3 " + script + " --model keras_mobilenet_v1 --size 32 --num-classes 2 --out " +
                                  case_dir + " > /dev/null 2>&1").c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) GTEST_SKIP() << "ONNX oracle (python3 with torch, onnx) unavailable";
  const std::string model = path("onnx.gramlite");
  CommandResult r = run_gramlite("import onnx " + case_dir + "/model.onnx --classes gram_positive,gram_negative "
                                 "--mean 0.5,0.5,0.5 --std 0.5,0.5,0.5 -o " + model);
  if (r.output.find("ONNX support was not built") != std::string::npos) GTEST_SKIP() << r.output;
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("opset 13"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2 classes"), std::string::npos) << r.output;
  r = run_gramlite("info " + model + " --no-layers");
  EXPECT_NE(r.output.find("gram_positive, gram_negative"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("mean 0.5,0.5,0.5"), std::string::npos) << r.output;
  // The file loads back as a valid model.
  auto graph = format::load_model(model);
  ASSERT_TRUE(graph.ok()) << graph.status().message();

  // Wrong class count, a file that is not ONNX, a missing file: one error each, no output file.
  r = run_gramlite("import onnx " + case_dir + "/model.onnx --classes a,b,c -o " + path("wrong.gramlite"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("3 class names given for a model with 2 outputs"), std::string::npos) << r.output;
  {
    std::ofstream junk(path("junk.onnx"), std::ios::binary);
    junk << "this is not an ONNX file";
  }
  r = run_gramlite("import onnx " + path("junk.onnx") + " -o " + path("wrong.gramlite"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("not a valid ONNX model"), std::string::npos) << r.output;
  r = run_gramlite("import onnx " + path("missing.onnx") + " -o " + path("wrong.gramlite"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("missing.onnx"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("wrong.gramlite")));
}

// ---- end of gramlite import onnx ----------------------------------------------------------------

}  // namespace
}  // namespace gramlite
