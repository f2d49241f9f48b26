// `gramlite sweep finetune`: the study's layer-fraction experiment (train/finetune_sweep.h). This
// file parses the flags, prints a line per run and the final table; the sweep itself, its resumable
// table DIR/finetune.csv and its plot DIR/finetune.svg are the library's.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iomanip>
#include <iostream>

#include "gramlite/base/temp_paths.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/training_job.h"
#include "gramlite/train/finetune_sweep.h"

namespace gramlite::cli {
namespace {

struct SweepFlags {
  TrainFlags train;
  std::vector<double> fractions{0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  int runs = 3;
  std::string output_dir;
  std::string test_split = "test";
  bool keep_models = false;
};

std::string cell_prefix(const train::FinetuneSweepCell& cell) {
  return str_cat("[", cell.index, "/", cell.total, "] fraction ", train::finetune_fraction_text(cell.fraction), " run ",
                 cell.run);
}

void print_summary(const train::FinetuneSweepResult& result) {
  std::cout << "\nfraction  runs  val accuracy (mean +- sd)  test accuracy (mean +- sd)\n";
  for (const train::FinetuneFractionSummary& s : result.by_fraction) {
    const report::MeanSd& v = s.val_accuracy;
    const report::MeanSd& t = s.test_accuracy;
    std::cout << std::fixed << std::setprecision(4) << std::setw(8) << train::finetune_fraction_text(s.fraction)
              << std::setw(6) << s.runs << "  " << std::setw(10) << v.mean << " +- " << std::setw(6) << v.sd
              << "         " << std::setw(10) << t.mean << " +- " << std::setw(6) << t.sd << "\n";
  }
  std::cout.unsetf(std::ios::floatfield);
  std::cout << "\ntable " << result.csv_path << "\nplot  " << result.svg_path << "\n";
}

int sweep_finetune(const SweepFlags& flags) {
  on_interrupt(remove_registered_temp_paths);
  on_interrupt([] {
    std::cerr << "\ngramlite: finished runs are in finetune.csv; the same command continues with the rest" << std::endl;
  });
  auto job = training_job_options(flags.train);
  if (!job.ok()) return report_error(job.status());
  train::FinetuneSweepOptions options;
  options.job = std::move(job).value();
  options.fractions = flags.fractions;
  options.runs = flags.runs;
  options.output_dir = flags.output_dir;
  options.test_split = flags.test_split;
  options.keep_models = flags.keep_models;

  const std::string csv_path = (std::filesystem::path(flags.output_dir) / "finetune.csv").string();
  train::FinetuneSweepCallbacks callbacks;
  callbacks.on_cell_skipped = [&](const train::FinetuneSweepCell& cell) {
    std::cout << cell_prefix(cell) << ": already in " << csv_path << "\n";
  };
  callbacks.on_cell_start = [](const train::FinetuneSweepCell& cell) {
    std::cout << cell_prefix(cell) << " (seed " << cell.seed << ") ..." << std::flush;
  };
  callbacks.on_cell_done = [](const train::FinetuneSweepCell&, const train::FinetuneSweepRow& row) {
    std::cout << std::fixed << std::setprecision(4) << " val acc " << row.val_accuracy << ", test acc "
              << row.test_accuracy << std::setprecision(1) << ", " << row.seconds << " s" << std::endl;
    std::cout.unsetf(std::ios::floatfield);
  };
  callbacks.on_warning = [](const std::string& warning) { std::cerr << "gramlite: warning: " << warning << "\n"; };
  auto result = train::run_finetune_sweep(options, callbacks);
  if (!result.ok()) return report_error(result.status());
  print_summary(*result);
  return 0;
}

}  // namespace

void add_sweep_command(CLI::App& app, int& exit_code) {
  CLI::App* sweep = app.add_subcommand("sweep", kSweepSummary);
  sweep->require_subcommand(1);
  auto flags = std::make_shared<SweepFlags>();
  CLI::App* cmd = sweep->add_subcommand(
      "finetune", "The study's experiment: accuracy against the fraction of backbone layers fine-tuned");
  add_training_options(cmd, flags->train);
  cmd->add_option("--fractions", flags->fractions, "Fractions to try, comma separated")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--runs", flags->runs, "Runs per fraction (seeds SEED, SEED+1, ...)")->check(CLI::Range(1, 1000));
  cmd->add_option("--test-split", flags->test_split, "Split scored after training");
  cmd->add_flag("--keep-models", flags->keep_models, "Keep every run's model and checkpoint under DIR/runs");
  cmd->add_option("-o,--output", flags->output_dir, "Output folder (finetune.csv, finetune.svg, runs/)")->required();
  cmd->callback([flags, &exit_code] { exit_code = sweep_finetune(*flags); });
}

}  // namespace gramlite::cli
