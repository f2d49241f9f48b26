// gramlite train / sweep end to end: bad flags and data, the ImageNet-weights message, resume after
// a SIGKILL, fine-tuning from torchvision and ONNX weights, and the sweep's table and plot.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cli_test_util.h"
#include "gramlite/format/model_file.h"
#include "gramlite/zoo/classifier_head.h"

namespace gramlite {
namespace {

std::string read_bytes(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<float> tensor_values(const ir::Graph& graph, const std::string& name) {
  const ir::Tensor& t = graph.tensor(*graph.find_tensor(name));
  return std::vector<float>(t.data.as<float>(), t.data.as<float>() + t.element_count());
}

class TrainCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (run_gramlite("train --help").output.find("not in this build") != std::string::npos) GTEST_SKIP();
  }
  // A small gram2 dataset: 32-px tiles, train/val/test.
  std::string tiles(int per_class = 24) {
    const std::string data = path("data");
    const CommandResult r = run_gramlite("synth tiles --out " + data + " --task gram2 --per-class " +
                                         std::to_string(per_class) + " --size 32 --seed 3 --threads 2");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return data;
  }
  static constexpr const char* kSmall = " --arch mobilenet_v2 --alpha 0.35 --input-size 32 --batch 8 --threads 1 ";
};

// `gramlite` never loads libtorch: the training commands run in gramlite-train, beside it in the
// build tree (src/cli/training_helper.h; tests/consumer checks the installed layout). Alone, it says
// where it looked.
TEST_F(TrainCliTest, TrainingCommandsRunInTheHelperAndOnlyItLoadsLibtorch) {
  const fs::path light = GRAMLITE_EXECUTABLE;
  const fs::path helper = light.parent_path() / "gramlite-train";
  ASSERT_TRUE(fs::exists(helper)) << helper;
  const CommandResult light_libraries = run_shell_command("ldd " + light.string());
  ASSERT_EQ(light_libraries.exit_code, 0) << light_libraries.output;
  EXPECT_EQ(light_libraries.output.find("libtorch"), std::string::npos) << light_libraries.output;
  EXPECT_NE(run_shell_command("ldd " + helper.string()).output.find("libtorch"), std::string::npos);

  // The real commands answer, with their own options.
  EXPECT_NE(run_gramlite("train --help").output.find("--finetune"), std::string::npos);
  EXPECT_NE(run_gramlite("prune --help").output.find("--structured"), std::string::npos);
  EXPECT_NE(run_gramlite("sweep finetune --help").output.find("--fractions"), std::string::npos);

  const fs::path alone = dir_ / "gramlite";
  fs::copy_file(light, alone);
  for (const char* args : {"train --help", "prune m.gramlite --data d -o o.gramlite --sparsity 0.5",
                           "quantize m.gramlite --mode int8 --qat 1 --data d -o q.gramlite",
                           "quantize m.gramlite --mode int8 --qat=1 --data d -o q.gramlite"}) {
    const CommandResult r = run_shell_command(alone.string() + " " + args + " 2>&1");
    EXPECT_EQ(r.exit_code, 4) << args << ": " << r.output;
    EXPECT_NE(r.output.find("gramlite-train, which is neither at " + (dir_ / "gramlite-train").string()),
              std::string::npos)
        << args << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  // Commands that do not train still run alone, quantize without --qat among them.
  EXPECT_EQ(run_shell_command(alone.string() + " version 2>&1").exit_code, 0);
  const CommandResult calibrated = run_shell_command(alone.string() + " quantize --help 2>&1");
  EXPECT_EQ(calibrated.exit_code, 0) << calibrated.output;
  EXPECT_NE(calibrated.output.find("--calib"), std::string::npos) << calibrated.output;
}

TEST_F(TrainCliTest, BadFlagsAndDataGiveOneClearError) {
  const std::string data = tiles();
  const std::string out = path("m.gramlite");
  for (const char* args : {"--finetune 2", "--optimizer rmsprop", "--epochs 0", "--lr -1", "--schedule linear",
                                  "--class-weights sometimes", "--batch 0"}) {
    const CommandResult r = run_gramlite("train" + std::string(kSmall) + "--data " + data + " -o " + out + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_EQ(r.output.rfind("gramlite: error: ", 0), 0u) << args << "\n" << r.output;
  }
  const std::pair<std::string, std::string> failures[] = {
      {"train --arch nope --data " + data + " -o " + out, "mobilenet_v2"},
      {"train --arch mobilenet_v2 --model " + out + " --data " + data + " -o " + out, "not both"},
      {"train --data " + data + " -o " + out, "--arch"},
      {"train --arch mobilenet_v2 --alpha 0.5 --pretrained imagenet --data " + data + " -o " + out, "--alpha applies"},
      {"train" + std::string(kSmall) + "--data " + path("nowhere") + " -o " + out, "nowhere"},
      {"train" + std::string(kSmall) + "--data " + data + " -o " + path("no/such/folder/m.gramlite"), "no/such/folder"},
      {"train" + std::string(kSmall) + "--data " + data + " --resume -o " + out, "m.ckpt"},
      {"train --arch mobilenet_v1 --pretrained imagenet --data " + data + " -o " + out, "no ImageNet weights"},
      {"train --arch mobilenet_v2 --input-size 32 --pretrained " + path("missing.pth") + " --data " + data + " -o " + out,
       "missing.pth"},
  };
  for (const auto& [args, words] : failures) {
    const CommandResult r = run_gramlite(args);
    EXPECT_NE(r.exit_code, 0) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(words), std::string::npos) << args << "\n" << r.output;
    EXPECT_FALSE(fs::exists(out)) << args;
  }
  // The ImageNet word: exactly which file to download and where it goes.
  fs::create_directories(path("torch_home"));
  ::setenv("TORCH_HOME", path("torch_home").c_str(), 1);
  CommandResult r = run_gramlite("train --arch mobilenet_v2 --pretrained imagenet --data " + data + " -o " + out);
  ::unsetenv("TORCH_HOME");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("https://download.pytorch.org/models/mobilenet_v2-b0353104.pth"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(path("torch_home") + "/hub/checkpoints/mobilenet_v2-b0353104.pth"), std::string::npos)
      << r.output;

  // A dataset whose images are all unreadable.
  for (const char* cls : {"a", "b"}) {
    fs::create_directories(path("broken/") + cls);
    for (int i = 0; i < 3; ++i) std::ofstream(path("broken/") + cls + "/" + std::to_string(i) + ".png") << "not a png";
  }
  r = run_gramlite("train" + std::string(kSmall) + "--data " + path("broken") + " --val-fraction 0 -o " + out);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no training image could be read"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

// A run killed by SIGKILL between epochs and resumed ends with exactly the weights of a run that was
// never interrupted (one thread, same seed), and its model scores with `evaluate`.
TEST_F(TrainCliTest, ResumeAfterKillReproducesTheUninterruptedRun) {
  const std::string data = tiles(40);
  const std::string common = std::string(kSmall) + "--data " + data + " --epochs 5 --seed 7 ";
  CommandResult r = run_gramlite("train" + common + "-o " + path("whole.gramlite"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("epoch 5/5"), std::string::npos) << r.output;

  fs::create_directories(path("killed"));
  std::vector<std::string> args{"train", "--arch", "mobilenet_v2", "--alpha", "0.35", "--input-size", "32", "--batch", "8",
                                "--threads", "1", "--data", data, "--epochs", "5", "--seed", "7", "-o", "run.gramlite"};
  const pid_t pid = spawn_gramlite(path("killed"), args);
  ASSERT_GT(pid, 0);
  // Kill as soon as the first epoch's log line exists (its checkpoint was written before it).
  const std::string log = path("killed/run.train.csv");
  for (int i = 0; i < 60000; ++i) {
    const std::string text = read_bytes(log);
    if (std::count(text.begin(), text.end(), '\n') >= 2) break;
    ::usleep(1000);
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";
  r = run_gramlite("train" + common + "-o " + path("killed/run.gramlite") + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resume  from"), std::string::npos) << r.output;
  EXPECT_EQ(read_bytes(path("killed/run.gramlite")), read_bytes(path("whole.gramlite")));
  // Changed settings are refused, naming them.
  r = run_gramlite("train" + common + "--lr 0.01 -o " + path("killed/run.gramlite") + " --resume");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("lr: was 0.001, now 0.01"), std::string::npos) << r.output;

  r = run_gramlite("evaluate " + path("whole.gramlite") + " --data " + data + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;

  // Training further from the model file: same classes, so the head stays; its input size is fixed.
  r = run_gramlite("train --model " + path("whole.gramlite") + " --data " + data + " --epochs 1 --batch 8 -o " +
                   path("more.gramlite"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("new 2-class head"), std::string::npos) << r.output;
  r = run_gramlite("train --model " + path("whole.gramlite") + " --input-size 64 --data " + data + " -o " +
                   path("more.gramlite"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("fixed input"), std::string::npos) << r.output;
}

// --pretrained FILE.pth with --finetune 0: the backbone keeps the file's weights exactly, the new
// 2-class head replaces the file's 10-class one.
TEST_F(TrainCliTest, FinetunesTorchvisionWeightsWithAFrozenBackbone) {
  const std::string case_dir = path("case");
  const std::string script = std::string(GRAMLITE_SOURCE_DIR) + "/tests/oracle/make_torchvision_case.py";
  const int status = std::system(("/usr/bin/python3 " + script + " --arch mobilenet_v2 --size 32 --num-classes 10 --out " +
                                  case_dir + " > /dev/null 2>&1").c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) GTEST_SKIP() << "torchvision oracle unavailable";
  const std::string data = tiles();
  const std::string out = path("ft.gramlite");
  CommandResult r = run_gramlite("train --arch mobilenet_v2 --input-size 32 --batch 8 --pretrained " + case_dir +
                                 "/weights.pt --finetune 0 --epochs 1 --data " + data + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("0 of 52 backbone layers"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("replacing 10"), std::string::npos) << r.output;
  ASSERT_EQ(run_gramlite("import torchvision " + case_dir + "/weights.pt --arch mobilenet_v2 --input-size 32 -o " +
                         path("source.gramlite")).exit_code, 0);
  auto trained = format::load_model(out);
  auto source = format::load_model(path("source.gramlite"));
  ASSERT_TRUE(trained.ok() && source.ok());
  for (const std::string name : {"features.0.0.weight", "features.0.1.running_mean", "features.18.1.weight",
                                 "features.18.1.running_var"}) {
    EXPECT_EQ(tensor_values(*trained, name), tensor_values(*source, name)) << name;
  }
  EXPECT_EQ(zoo::find_classifier_head(*trained)->num_classes, 2);
  EXPECT_EQ(trained->metadata.class_names, (std::vector<std::string>{"gram_positive", "gram_negative"}));
}

TEST_F(TrainCliTest, FinetunesAnOnnxModel) {
  const std::string case_dir = path("onnx_case");
  const std::string script = std::string(GRAMLITE_SOURCE_DIR) + "/tests/oracle/make_onnx_case.py";
  const int status = std::system(("/usr/bin/python3 " + script + " --model mobilenet_v2 --size 32 --num-classes 10 --out " +
                                  case_dir + " > /dev/null 2>&1").c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) GTEST_SKIP() << "ONNX oracle unavailable";
  const std::string data = tiles();
  CommandResult r = run_gramlite("train --pretrained " + case_dir + "/model.onnx --finetune 0.5 --epochs 1 --batch 8 --data " +
                                 data + " -o " + path("onnx.gramlite"));
  if (r.output.find("ONNX support was not built") != std::string::npos) GTEST_SKIP() << r.output;
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("new 2-class head"), std::string::npos) << r.output;
  r = run_gramlite("evaluate " + path("onnx.gramlite") + " --data " + data);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = run_gramlite("train --arch mobilenet_v2 --pretrained " + case_dir + "/model.onnx --data " + data + " -o " +
                   path("x.gramlite"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("drop --arch"), std::string::npos) << r.output;
}

// Issue 8, F1: a learning rate that blows the weights up within the first epoch's last step gives
// a finite training loss but a NaN validation loss; the run must stop with a clear message and keep
// no model, not report "best epoch 1 (val loss nan)" with exit 0.
TEST_F(TrainCliTest, NonFiniteLossStopsTheRun) {
  const std::string data = tiles();
  const std::string out = path("nan.gramlite");
  // One batch per epoch (38 training images): the divergence shows only in validation.
  CommandResult r = run_gramlite("train --arch mobilenet_v2 --alpha 0.35 --input-size 32 --threads 1 --batch 64 --lr 1e30 "
                                 "--epochs 1 --data " + data + " -o " + out);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("diverged"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("not finite"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out)) << r.output;
  // Without validation, the next epoch's first loss shows it (the weights after one such step are
  // huge but finite, so the first epoch's model is still written: nothing has judged it).
  r = run_gramlite("train --arch mobilenet_v2 --alpha 0.35 --input-size 32 --threads 1 --batch 64 --lr 1e30 "
                   "--epochs 2 --val-fraction 0 --data " + data + "/train -o " + out);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("diverged in epoch 2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("not finite"), std::string::npos) << r.output;
}

// Issue 8, F3: outputs that cannot be right are refused before training.
TEST_F(TrainCliTest, OutputsThatCollideAreRefused) {
  const std::string data = tiles();
  const std::string out = path("m.gramlite");
  const std::string base = "train" + std::string(kSmall) + "--epochs 1 --data " + data;
  const std::pair<std::string, std::string> failures[] = {
      {base + " -o ''", "--output"},
      {base + " -o " + out + " --checkpoint " + out, "--checkpoint"},
      {base + " -o " + path("m.csv") + " --log " + path("m"), "--log"},
      {base + " -o " + out + " --checkpoint " + path("x.json") + " --log " + path("x"), "--log"},
      {base + " -o " + path(""), "folder"},
  };
  for (const auto& [args, words] : failures) {
    const CommandResult r = run_gramlite(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_EQ(r.output.rfind("gramlite: error: ", 0), 0u) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(words), std::string::npos) << args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << args << "\n" << r.output;
  }
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename(), "data") << "left behind: " << entry.path();
  }
}

// Issue 8, F3: a second run on the same output is refused while the first holds it, naming it; the
// first run's files are its own, and the lock goes with the process.
TEST_F(TrainCliTest, TwoRunsOnOneOutputDoNotMix) {
  const std::string data = tiles();
  fs::create_directories(path("run"));
  const std::vector<std::string> args{"train", "--arch", "mobilenet_v2", "--alpha", "0.35", "--input-size", "32",
                                      "--batch", "8", "--threads", "1", "--data", data, "--epochs", "500",
                                      "-o", "m.gramlite"};
  const pid_t pid = spawn_gramlite(path("run"), args);
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 60000 && !fs::exists(path("run/m.train.csv")); ++i) ::usleep(1000);
  ASSERT_TRUE(fs::exists(path("run/m.train.csv"))) << "the first run did not start";
  const std::string log_before = read_bytes(path("run/m.train.csv"));
  CommandResult r = run_gramlite("train" + std::string(kSmall) + "--epochs 1 --lr 0.01 --data " + data + " -o " +
                                 path("run/m.gramlite"));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("another training run"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pid " + std::to_string(pid)), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  const std::string log_after = read_bytes(path("run/m.train.csv"));
  EXPECT_EQ(log_after.find("0.01,"), std::string::npos) << log_after;  // no row of the second run
  // The first run is gone (SIGKILL): its lock went with it.
  r = run_gramlite("train" + std::string(kSmall) + "--epochs 1 --data " + data + " -o " + path("run/m.gramlite"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

// Issue 8, F7: a classifier needs two classes; an empty class folder is named.
TEST_F(TrainCliTest, OneClassDatasetsAreRefused) {
  const std::string data = tiles();
  fs::create_directories(path("one"));
  fs::copy(data + "/train/gram_positive", path("one/gram_positive"), fs::copy_options::recursive);
  const std::string out = path("m.gramlite");
  CommandResult r = run_gramlite("train" + std::string(kSmall) + "--epochs 1 --data " + path("one") + " -o " + out);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("at least 2 classes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("gram_positive"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
  fs::create_directories(path("one/empty_class"));
  r = run_gramlite("train" + std::string(kSmall) + "--epochs 1 --data " + path("one") + " -o " + out);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("empty_class"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

// Issue 8, F8: values that CLI11 would convert silently are refused.
TEST_F(TrainCliTest, SeedsAndFractionsParseStrictly) {
  const std::string data = tiles();
  const std::string out = path("m.gramlite");
  const std::string base = "train" + std::string(kSmall) + "--epochs 1 --data " + data + " -o " + out + " ";
  for (const char* args : {"--val-fraction nan", "--val-fraction inf", "--seed -1", "--seed 18446744073709551616",
                           "--seed 1e3", "--seed 0x10", "--seed ''", "--seed 12abc"}) {
    const CommandResult r = run_gramlite(base + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_EQ(r.output.rfind("gramlite: error: ", 0), 0u) << args << "\n" << r.output;
    EXPECT_FALSE(fs::exists(out)) << args;
  }
  for (const std::string& command : {"zoo build mobilenet_v2 --alpha 0.35 --input-size 32 -o " + out,
                                     "sweep finetune" + std::string(kSmall) + "--data " + data + " -o " + path("sweep"),
                                     "synth tiles --out " + path("synth") + " --per-class 1 --size 32"}) {
    for (const char* seed : {" --seed -1", " --seed 18446744073709551616"}) {
      const CommandResult r = run_gramlite(command + seed);
      EXPECT_EQ(r.exit_code, 2) << command << seed << "\n" << r.output;
      EXPECT_NE(r.output.find("18446744073709551615"), std::string::npos) << command << seed << "\n" << r.output;
    }
  }
  // The largest seed is a seed.
  const CommandResult r = run_gramlite(base + "--seed 18446744073709551615");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("seed 18446744073709551615"), std::string::npos) << r.output;
}

TEST_F(TrainCliTest, SweepWritesTableAndPlotAndSkipsFinishedRuns) {
  const std::string data = tiles();
  const std::string args = "sweep finetune" + std::string(kSmall) + "--data " + data +
                           " --epochs 1 --fractions 0,1 --runs 2 -o " + path("sweep");
  CommandResult r = run_gramlite(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string csv = read_bytes(path("sweep/finetune.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5) << csv;  // header + 2 fractions x 2 runs
  EXPECT_EQ(csv.rfind("fraction,run,seed,unfrozen_layers", 0), 0u) << csv;
  EXPECT_NE(read_bytes(path("sweep/finetune.svg")).find("<svg"), std::string::npos);
  EXPECT_NE(csv.find("\n0,0,0,0,52,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\n1,1,1,52,52,"), std::string::npos) << csv;
  r = run_gramlite(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("already in"), std::string::npos) << r.output;
  EXPECT_EQ(read_bytes(path("sweep/finetune.csv")), csv);
}

}  // namespace
}  // namespace gramlite
