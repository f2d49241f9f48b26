// The study's layer-fraction experiment in one call: for every fraction and run, fine-tune
// (training_job.h) with seed + run, score the model on the test split with the runtime that ships
// (classify/evaluation.h), and append a row to OUTPUT_DIR/finetune.csv; then summarise mean +- sd
// per fraction and plot it to OUTPUT_DIR/finetune.svg. Rows already in the table are not run
// again, so an interrupted sweep resumes where it stopped. The library behind `gramlite sweep finetune`.
//
//   train::FinetuneSweepOptions sweep;
//   sweep.job.model.arch = "mobilenet_v2";  // everything but finetune, seed offset and outputs
//   sweep.job.data = "tiles/";
//   sweep.fractions = {0.0, 0.5, 1.0};
//   sweep.output_dir = "sweep/";
//   Result<train::FinetuneSweepResult> result = train::run_finetune_sweep(sweep);
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/report/sweep_table.h"
#include "gramlite/train/training_job.h"

namespace gramlite::train {

struct FinetuneSweepOptions {
  // The training run of every cell. Each run replaces finetune (the fraction), seed (job.seed + run)
  // and the outputs (OUTPUT_DIR/runs/fFRACTION_runRUN.gramlite, its checkpoint and logs), and never resumes.
  TrainingJobOptions job;
  std::vector<double> fractions{0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};  // each in [0, 1]
  int runs = 3;                    // runs per fraction, >= 1
  std::string output_dir;          // finetune.csv, finetune.svg, runs/; created when missing
  std::string test_split = "test";  // the split each trained model is scored on
  bool keep_models = false;        // keep every run's model and checkpoint under OUTPUT_DIR/runs
};

// One line of the table.
struct FinetuneSweepRow {
  double fraction = 0.0;
  int run = 0;
  double val_accuracy = 0.0;   // of the best epoch; NaN when the table has none
  double test_accuracy = 0.0;  // NaN when the table has none
  double seconds = 0.0;        // training time; NaN when the table has none
  std::string line;            // as finetune.csv holds it
};

// Where a cell stands, for a progress display.
struct FinetuneSweepCell {
  int index = 0;  // 1-based over fractions x runs, in the order they are visited
  int total = 0;
  double fraction = 0.0;
  int run = 0;
  uint64_t seed = 0;
};

struct FinetuneSweepCallbacks {
  std::function<void(const FinetuneSweepCell&)> on_cell_skipped;  // its row is already in the table
  std::function<void(const FinetuneSweepCell&)> on_cell_start;    // before training
  // After the model is scored and the row is in the table (the model is removed after this unless kept).
  std::function<void(const FinetuneSweepCell&, const FinetuneSweepRow&)> on_cell_done;
  // Things the user should see from testing (e.g. class names matched by order), one line each.
  std::function<void(const std::string&)> on_warning;
  TrainingJobCallbacks training;  // passed to every run
};

struct FinetuneFractionSummary {
  double fraction = 0.0;  // as requested
  size_t runs = 0;        // rows of this fraction in the table
  report::MeanSd val_accuracy;
  report::MeanSd test_accuracy;
};

struct FinetuneSweepResult {
  std::vector<FinetuneSweepRow> rows;                // the table: earlier rows first, then this call's
  std::vector<FinetuneFractionSummary> by_fraction;  // in the order of options.fractions
  std::string csv_path;
  std::string svg_path;
};

// Errors: bad options (invalid argument); a finetune.csv with another header (invalid argument) or a
// malformed row (corrupt data); a run's training or testing failure, with "fraction F run R" (or
// "testing fraction F run R") as context. The table keeps every row finished before a failure.
Result<FinetuneSweepResult> run_finetune_sweep(const FinetuneSweepOptions& options,
                                               const FinetuneSweepCallbacks& callbacks = {});

// A fraction as the table and the run names spell it (4 significant digits: "0", "0.1235"). Rows
// match the requested fractions by this text.
std::string finetune_fraction_text(double fraction);

// The table's first line.
extern const char* const kFinetuneSweepCsvHeader;

}  // namespace gramlite::train
