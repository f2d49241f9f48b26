// End-to-end tests of the data commands (`tiles`, `synth`): interrupted and killed runs leave
// nothing behind, and values no tiling can use are refused as bad arguments.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_util.h"

namespace gramlite {
namespace {

bool data_commands_built() { return run_gramlite("synth --help").output.find("not in this build") == std::string::npos; }

// Every name in `dir` except `keep`.
std::vector<std::string> entries_except(const fs::path& dir, const std::string& keep) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename() != keep) names.push_back(entry.path().filename().string());
  }
  return names;
}

// The hidden temporaries of a write to `dir/name` (".name.tmp-<pid>-<n>", base/atomic_file.h).
std::vector<fs::path> temporaries(const fs::path& dir, const std::string& name) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("." + name + ".tmp-", 0) == 0) found.push_back(entry.path());
  }
  return found;
}

class DataCliTest : public CliTest {
 protected:
  // A plain PNG "slide" (the image backend reads it) large enough that tiling it at 32 px takes
  // a few seconds: 16,000 small PNGs.
  std::string big_png() {
    const std::string file = path("big.png");
    cv::Mat image(4000, 4096, CV_8UC3);
    cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
    EXPECT_TRUE(cv::imwrite(file, image));
    return file;
  }

  // Starts `args` in `work` `tries` times, each time signalled with SIGINT or SIGTERM in turn at a
  // random moment of its writing: once its first temporary exists (the program is past start-up,
  // where the default action of a signal still applies), plus a random delay in [min_ms, max_ms).
  // Checks that `work` holds only `keep` afterwards (a run that finished first is fine: its output
  // is removed for the next try).
  void interrupt_repeatedly(const fs::path& work, const std::vector<std::string>& args, const std::string& out,
                            const std::string& keep, int tries, int min_ms, int max_ms) {
    std::mt19937 random(12345);
    int interrupted = 0;
    for (int attempt = 0; attempt < tries; ++attempt) {
      const int signal_number = attempt % 2 == 0 ? SIGINT : SIGTERM;
      const int delay_ms = std::uniform_int_distribution<int>(min_ms, max_ms - 1)(random);
      const pid_t pid = spawn_gramlite(work, args);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (entries_except(work, keep).empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      ::kill(pid, signal_number);
      int status = 0;
      ::waitpid(pid, &status, 0);
      ASSERT_TRUE(WIFEXITED(status)) << "try " << attempt << ": killed by the signal instead of handling it";
      if (WEXITSTATUS(status) == 0) {
        fs::remove_all(work / out);  // finished before the signal
      } else {
        ++interrupted;
        EXPECT_EQ(WEXITSTATUS(status), 128 + signal_number) << "try " << attempt;
      }
      for (const std::string& name : entries_except(work, keep)) {
        ADD_FAILURE() << "try " << attempt << " (signal " << signal_number << " after " << delay_ms
                      << " ms) left behind: " << name;
        fs::remove_all(work / name);
      }
    }
    EXPECT_GT(interrupted, tries / 2) << "the runs finished before the signal: the test tested nothing";
  }

  // Starts `args` in `work`, SIGKILLs it once its temporary for `out` exists, and returns the
  // temporaries left (SIGKILL runs no cleanup).
  std::vector<fs::path> kill_mid_write(const fs::path& work, const std::vector<std::string>& args,
                                       const std::string& out) {
    const pid_t pid = spawn_gramlite(work, args);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (temporaries(work, out).empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let it write something
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status));
    return temporaries(work, out);
  }
};

// F4: `tiles` left its temporary folder (with a 0-byte PNG) after 5 of 12 signals, while saying
// "temporary files removed": the interrupt removed the folder while a tile was being written.
TEST_F(DataCliTest, TilesInterruptedAtRandomMomentsLeavesNothing) {
  if (!data_commands_built()) GTEST_SKIP();
  const std::string slide = big_png();
  interrupt_repeatedly(dir_, {"tiles", "big.png", "--out", "tiles", "--size", "32", "--keep-background", "--threads", "2"},
                       "tiles", "big.png", 12, 0, 1500);
}

TEST_F(DataCliTest, SynthTilesInterruptedAtRandomMomentsLeavesNothing) {
  if (!data_commands_built()) GTEST_SKIP();
  interrupt_repeatedly(dir_, {"synth", "tiles", "--out", "ds", "--per-class", "100000", "--size", "32", "--threads", "2"},
                       "ds", "", 8, 0, 1000);
}

// F4: a SIGKILLed writer leaves its hidden temporary; the next run to the same output removes it.
TEST_F(DataCliTest, KilledTilesRunsTemporaryIsRemovedByTheNextRun) {
  if (!data_commands_built()) GTEST_SKIP();
  big_png();
  const std::vector<std::string> args = {"tiles", "big.png", "--out", "tiles", "--size", "32", "--keep-background"};
  const std::vector<fs::path> stale = kill_mid_write(dir_, args, "tiles");
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_FALSE(fs::is_empty(stale[0]));
  EXPECT_FALSE(fs::exists(path("tiles")));
  const CommandResult r = run_gramlite("tiles " + path("big.png") + " --out " + path("tiles") +
                                       " --size 512 --keep-background");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(temporaries(dir_, "tiles").empty());
  EXPECT_FALSE(fs::exists(stale[0]));
  EXPECT_TRUE(fs::exists(path("tiles/tiles.csv")));
}

TEST_F(DataCliTest, KilledSynthRunsTemporariesAreRemovedByTheNextRun) {
  if (!data_commands_built()) GTEST_SKIP();
  std::vector<fs::path> stale =
      kill_mid_write(dir_, {"synth", "tiles", "--out", "ds", "--per-class", "100000", "--size", "32"}, "ds");
  ASSERT_EQ(stale.size(), 1u);
  CommandResult r = run_gramlite("synth tiles --out " + path("ds") + " --per-class 2 --size 32");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(temporaries(dir_, "ds").empty());

  // A slide: three files (slide, labels, regions) and a scratch folder, each with its temporary.
  stale = kill_mid_write(dir_, {"synth", "slide", "--out", "s.tiff", "--width", "30000", "--height", "30000"}, "s.tiff");
  ASSERT_FALSE(stale.empty());
  r = run_gramlite("synth slide --out " + path("s.tiff") + " --width 300 --height 200");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* target : {"s.tiff", "s.labels.png", "s.regions.json", "s.tiff.levels"}) {
    EXPECT_TRUE(temporaries(dir_, target).empty()) << target;
  }
  EXPECT_TRUE(fs::exists(path("s.tiff")));
}

// F8: NaN and infinity passed every range check of `tiles` (CLI::Range lets NaN through).
TEST_F(DataCliTest, NonFiniteTilingValuesAreBadArguments) {
  if (!data_commands_built()) GTEST_SKIP();
  const std::string slide = path("small.png");
  ASSERT_TRUE(cv::imwrite(slide, cv::Mat(64, 64, CV_8UC3, cv::Scalar(200, 100, 50))));
  for (const char* flag : {"--min-tissue nan", "--saturation nan", "--od nan", "--mpp nan", "--magnification nan",
                                  "--min-tissue inf", "--saturation -inf", "--od inf", "--mpp inf", "--stride nan",
                                  "--min-tissue 1.5", "--saturation -0.1"}) {
    const CommandResult r = run_gramlite("tiles " + slide + " --out " + path("out") + " --size 32 " + flag);
    EXPECT_EQ(r.exit_code, 2) << flag << "\n" << r.output;
    EXPECT_EQ(r.output.rfind("gramlite: error: ", 0), 0u) << flag << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << flag << "\n" << r.output;
    EXPECT_FALSE(fs::exists(path("out"))) << flag;
  }
  for (const char* flag : {"--difficulty nan", "--difficulty inf"}) {
    const CommandResult r = run_gramlite("synth tiles --out " + path("ds") + " --per-class 1 --size 32 " + flag);
    EXPECT_EQ(r.exit_code, 2) << flag << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << flag << "\n" << r.output;
  }
  // In-range values still work.
  const CommandResult ok = run_gramlite("tiles " + slide + " --out " + path("out") +
                                        " --size 32 --min-tissue 0 --saturation 1 --od 0.1 --no-otsu");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

// F5: a full disk gave exit 3 ("missing file"); it is an I/O error (exit 1), and no partial
// output or temporary stays behind. Needs root to mount a 64 KiB tmpfs; skipped elsewhere.
TEST_F(DataCliTest, DiskFullIsExitOneAndLeavesNothing) {
  const fs::path small = dir_ / "small";
  fs::create_directories(small);
  if (std::system(("mount -t tmpfs -o size=64k tmpfs '" + small.string() + "' 2>/dev/null").c_str()) != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs (not root)";
  }
  CommandResult model = run_gramlite("zoo build mobilenet_v2 --classes 2 -o " + (small / "m.gramlite").string());
  CommandResult tiles{0, "data commands not built"};
  if (data_commands_built()) tiles = run_gramlite("synth tiles --out " + (small / "ds").string() + " --per-class 200 --size 64");
  const std::vector<std::string> left = entries_except(small, "");
  (void)std::system(("umount '" + small.string() + "'").c_str());
  EXPECT_EQ(model.exit_code, 1) << model.output;
  EXPECT_NE(model.output.find("No space left on device"), std::string::npos) << model.output;
  EXPECT_EQ(std::count(model.output.begin(), model.output.end(), '\n'), 1) << model.output;
  if (data_commands_built()) {
    EXPECT_EQ(tiles.exit_code, 1) << tiles.output;
    EXPECT_NE(tiles.output.find("gramlite: error: "), std::string::npos) << tiles.output;
  }
  for (const std::string& name : left) ADD_FAILURE() << "left behind on the full disk: " << name;
}

}  // namespace
}  // namespace gramlite
