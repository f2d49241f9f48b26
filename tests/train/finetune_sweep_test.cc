// The layer-fraction sweep as a library call: it trains and tests every cell, writes the table and
// the plot, skips rows a previous call finished, and refuses tables it did not write.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gramlite/train/finetune_sweep.h"
#include "tile_dataset_test.h"

namespace gramlite::train {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class FinetuneSweepTest : public testing::TileDatasetTest<FinetuneSweepTest> {
 protected:
  static void SetUpTestSuite() {
    ASSERT_NO_FATAL_FAILURE(make_root("gramlite_finetune_sweep", {{"tiles", 8, 32, 3}}));
  }

  // A tiny sweep: the smallest MobileNetV2 at 32 px, one epoch, one thread.
  FinetuneSweepOptions tiny(std::vector<double> fractions, int runs) const {
    FinetuneSweepOptions options;
    options.job.model.arch = "mobilenet_v2";
    options.job.model.alpha = 0.35;
    options.job.model.input_size = 32;
    options.job.data = data("tiles");
    options.job.epochs = 1;
    options.job.batch = 8;
    options.job.threads = 1;
    options.job.workers = 1;
    options.job.seed = 5;
    options.fractions = std::move(fractions);
    options.runs = runs;
    options.output_dir = (dir_ / "sweep").string();
    return options;
  }

  struct Log {
    std::vector<std::string> skipped, started, done;
  };
  static FinetuneSweepCallbacks logging(Log& log) {
    FinetuneSweepCallbacks callbacks;
    auto name = [](const FinetuneSweepCell& c) {
      return str_cat(c.index, "/", c.total, " ", finetune_fraction_text(c.fraction), " ", c.run, " ", c.seed);
    };
    callbacks.on_cell_skipped = [&log, name](const FinetuneSweepCell& c) { log.skipped.push_back(name(c)); };
    callbacks.on_cell_start = [&log, name](const FinetuneSweepCell& c) { log.started.push_back(name(c)); };
    callbacks.on_cell_done = [&log, name](const FinetuneSweepCell& c, const FinetuneSweepRow& row) {
      EXPECT_EQ(row.line.rfind(finetune_fraction_text(c.fraction) + "," + std::to_string(c.run) + ",", 0), 0u)
          << row.line;
      log.done.push_back(name(c));
    };
    return callbacks;
  }

};

TEST_F(FinetuneSweepTest, TrainsEveryCellAndResumesWithoutRerunningFinishedRows) {
  Log log;
  auto first = run_finetune_sweep(tiny({0.0, 1.0}, 1), logging(log));
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(log.started, (std::vector<std::string>{"1/2 0 0 5", "2/2 1 0 5"}));
  EXPECT_EQ(log.done, log.started);
  EXPECT_TRUE(log.skipped.empty());
  ASSERT_EQ(first->rows.size(), 2u);
  // fraction, run, seed, unfrozen and backbone weight layers: the head only, then all 52.
  EXPECT_EQ(first->rows[0].line.rfind("0,0,5,0,52,", 0), 0u) << first->rows[0].line;
  EXPECT_EQ(first->rows[1].line.rfind("1,0,5,52,52,", 0), 0u) << first->rows[1].line;
  for (const FinetuneSweepRow& row : first->rows) {
    EXPECT_GE(row.test_accuracy, 0.0);
    EXPECT_LE(row.test_accuracy, 1.0);
    EXPECT_GT(row.seconds, 0.0);
  }
  const std::string csv = read_text(first->csv_path);
  EXPECT_EQ(csv, std::string(kFinetuneSweepCsvHeader) + "\n" + first->rows[0].line + "\n" + first->rows[1].line + "\n");
  EXPECT_NE(read_text(first->svg_path).find("fine-tuning mobilenet_v2 (1 runs per fraction)"), std::string::npos);
  ASSERT_EQ(first->by_fraction.size(), 2u);
  EXPECT_EQ(first->by_fraction[1].runs, 1u);
  EXPECT_DOUBLE_EQ(first->by_fraction[1].test_accuracy.mean, first->rows[1].test_accuracy);
  // Models are removed unless kept; the logs stay.
  EXPECT_FALSE(fs::exists(dir_ / "sweep/runs/f0_run0.gramlite"));
  EXPECT_FALSE(fs::exists(dir_ / "sweep/runs/f0_run0.ckpt"));
  EXPECT_TRUE(fs::exists(dir_ / "sweep/runs/f0_run0.train.csv"));

  // The same sweep again runs nothing and leaves the table as it was.
  Log again_log;
  auto again = run_finetune_sweep(tiny({0.0, 1.0}, 1), logging(again_log));
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_TRUE(again_log.started.empty());
  EXPECT_EQ(again_log.skipped, (std::vector<std::string>{"1/2 0 0 5", "2/2 1 0 5"}));
  EXPECT_EQ(read_text(again->csv_path), csv);

  // A second run per fraction trains only the new cells, with the next seed, and keeps their models.
  Log more_log;
  FinetuneSweepOptions more_options = tiny({0.0, 1.0}, 2);
  more_options.keep_models = true;
  auto more = run_finetune_sweep(more_options, logging(more_log));
  ASSERT_TRUE(more.ok()) << more.status().message();
  EXPECT_EQ(more_log.skipped, (std::vector<std::string>{"1/4 0 0 5", "3/4 1 0 5"}));
  EXPECT_EQ(more_log.started, (std::vector<std::string>{"2/4 0 1 6", "4/4 1 1 6"}));
  ASSERT_EQ(more->rows.size(), 4u);
  EXPECT_EQ(read_text(more->csv_path).rfind(csv, 0), 0u);  // earlier rows first, unchanged
  EXPECT_EQ(more->rows[2].line.rfind("0,1,6,", 0), 0u) << more->rows[2].line;
  EXPECT_EQ(more->by_fraction[0].runs, 2u);
  EXPECT_TRUE(fs::exists(dir_ / "sweep/runs/f1_run1.gramlite"));
  EXPECT_TRUE(fs::exists(dir_ / "sweep/runs/f1_run1.ckpt"));
}

// Finished rows match the requested fractions as the table spells them (4 significant digits), and
// the summary comes from the table's numbers: nothing is trained here.
TEST_F(FinetuneSweepTest, MatchesRowsByTheirWrittenFractionAndSummarisesThem) {
  fs::create_directories(dir_ / "sweep");
  std::ofstream(dir_ / "sweep/finetune.csv") << kFinetuneSweepCsvHeader << "\n"
                                             << "0.1235,0,5,6,52,100,1,1,0.69,0.25,0.5,0.4,0.6,1.5\n"
                                             << "0.1235,1,6,6,52,100,1,1,0.69,0.75,,0.4,0.6,1.5\n";
  Log log;
  FinetuneSweepOptions options = tiny({0.12345}, 2);
  options.job.data = (dir_ / "no_such_data").string();  // would fail if anything trained
  auto result = run_finetune_sweep(options, logging(log));
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(log.started.empty());
  EXPECT_EQ(log.skipped.size(), 2u);
  ASSERT_EQ(result->by_fraction.size(), 1u);
  const FinetuneFractionSummary& s = result->by_fraction[0];
  EXPECT_EQ(s.runs, 2u);
  EXPECT_DOUBLE_EQ(s.val_accuracy.mean, 0.5);
  EXPECT_NEAR(s.val_accuracy.sd, std::sqrt(0.125), 1e-12);
  EXPECT_DOUBLE_EQ(s.test_accuracy.mean, 0.5);  // the empty test accuracy is no number, not 0
  EXPECT_EQ(s.test_accuracy.count, 1u);
  EXPECT_DOUBLE_EQ(result->rows[0].seconds, 1.5);
  EXPECT_TRUE(fs::exists(result->svg_path));
}

TEST_F(FinetuneSweepTest, RefusesAForeignOrMalformedTableAndLeavesItAlone) {
  fs::create_directories(dir_ / "sweep");
  const fs::path csv = dir_ / "sweep/finetune.csv";
  const std::string good_row = "0,0,5,0,52,2562,1,1,0.693147,0.5,0.5,0.333333,0.5,0.3";
  const struct {
    std::string text;
    StatusCode code;
    std::string says;
  } cases[] = {
      {"fraction,run\n0,0\n", StatusCode::kInvalidArgument, "is not a finetune sweep table"},
      {std::string(kFinetuneSweepCsvHeader) + "\n" + good_row + "\n0,1,6\n", StatusCode::kCorruptData,
       "malformed row '0,1,6'"},
      {std::string(kFinetuneSweepCsvHeader) + "\n" + good_row + ",7\n", StatusCode::kCorruptData, "malformed row"},
  };
  for (const auto& c : cases) {
    std::ofstream(csv, std::ios::trunc) << c.text;
    Log log;
    auto result = run_finetune_sweep(tiny({0.0}, 1), logging(log));
    ASSERT_FALSE(result.ok()) << c.text;
    EXPECT_EQ(result.status().code(), c.code) << result.status().message();
    EXPECT_NE(result.status().message().find(c.says), std::string::npos) << result.status().message();
    EXPECT_NE(result.status().message().find(csv.string()), std::string::npos) << result.status().message();
    EXPECT_TRUE(log.started.empty() && log.skipped.empty());
    EXPECT_EQ(read_text(csv), c.text);
    EXPECT_FALSE(fs::exists(dir_ / "sweep/finetune.svg"));
  }
}

TEST_F(FinetuneSweepTest, RefusesBadOptionsBeforeWritingAnything) {
  FinetuneSweepOptions no_folder = tiny({0.0}, 1);
  no_folder.output_dir.clear();
  FinetuneSweepOptions no_runs = tiny({0.0}, 0);
  FinetuneSweepOptions too_big = tiny({0.0, 1.5}, 1);
  FinetuneSweepOptions not_a_number = tiny({std::nan("")}, 1);
  for (const FinetuneSweepOptions* options : {&no_folder, &no_runs, &too_big, &not_a_number}) {
    auto result = run_finetune_sweep(*options);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << result.status().message();
  }
  EXPECT_FALSE(fs::exists(dir_ / "sweep"));
}

// A failing run names its cell, and the rows finished before it stay in the table.
TEST_F(FinetuneSweepTest, AFailingRunNamesItsCell) {
  FinetuneSweepOptions options = tiny({0.0}, 1);
  options.job.data = (dir_ / "no_such_data").string();
  auto result = run_finetune_sweep(options);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("fraction 0 run 0"), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("no_such_data"), std::string::npos) << result.status().message();
}

}  // namespace
}  // namespace gramlite::train
