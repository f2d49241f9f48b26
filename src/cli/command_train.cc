// `gramlite train`: one training run (train/training_job.h) with its setup, a progress bar per
// epoch and a line per epoch on the console.
#include <CLI/CLI.hpp>

#include <cmath>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "gramlite/base/temp_paths.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/training_console.h"
#include "cli/training_job.h"

namespace gramlite::cli {
namespace {

int train_model(const TrainFlags& flags) {
  if (flags.output.empty()) return report_error(invalid_argument("--output must name the model file to write"));
  auto options = training_job_options(flags);
  if (!options.ok()) return report_error(options.status());
  on_interrupt(remove_registered_temp_paths);  // a Ctrl-C mid-write leaves no temporary file
  const std::string checkpoint = train::checkpoint_path(*options);
  on_interrupt([checkpoint] {
    std::cerr << "\ngramlite: the checkpoint of the last finished epoch is kept in " << checkpoint
              << " (if one was written); add --resume to the same command to continue" << std::endl;
  });
  auto setup = std::make_shared<train::TrainingJobSetup>();
  auto progress = std::make_shared<std::unique_ptr<Progress>>();
  auto result = train::run_training_job(*options, console_callbacks(flags, setup, progress));
  if (!result.ok()) {
    if (*progress) (*progress)->finish();
    return report_error(result.status());
  }
  if (result->skipped_images > 0) {
    std::cout << "note    " << result->skipped_images << " unreadable training images were skipped\n";
  }
  const train::TrainSummary& summary = result->summary;
  std::cout << std::fixed << std::setprecision(4);
  if (summary.early_stopped) std::cout << "stopped early: no improvement for " << flags.early_stopping << " epochs\n";
  if (summary.best_epoch > 0) {
    const train::EpochRecord& best = summary.history[static_cast<size_t>(summary.best_epoch - 1)];
    std::cout << "best    epoch " << best.epoch;
    if (result->setup.val_images > 0) {
      std::cout << " (val loss " << best.val_loss << ", val accuracy " << best.val_accuracy << ")";
    }
    std::cout << " -> " << flags.output << "\n";
  }
  std::cout << "log     " << train::log_stem(*options) << ".csv / .json; checkpoint " << checkpoint
            << std::setprecision(1) << "; " << summary.seconds << " s\n";
  return 0;
}

}  // namespace

void add_train_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* cmd = app.add_subcommand("train", kTrainSummary);
  add_training_options(cmd, *flags);
  cmd->add_option("-o,--output", flags->output, "Model file to write: the best epoch on validation")->required();
  cmd->add_option("--checkpoint", flags->checkpoint, "Checkpoint written after every epoch (default: OUTPUT stem + .ckpt)");
  cmd->add_option("--log", flags->log, "Log file stem: STEM.csv and STEM.json (default: OUTPUT stem + .train)");
  cmd->add_flag("--resume", flags->resume, "Continue the run from its checkpoint (same settings)");
  cmd->callback([flags, &exit_code] { exit_code = train_model(*flags); });
}

}  // namespace gramlite::cli
