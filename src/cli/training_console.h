// The console side of a training run, shared by `gramlite train` and `gramlite prune`: what it
// trains on, a progress bar per epoch and a line per epoch.
#pragma once

#include <memory>
#include <string>

#include "cli/cli_common.h"
#include "cli/training_job.h"
#include "gramlite/train/training_job.h"

namespace gramlite::cli {

std::string format_record(const train::EpochRecord& r, int epochs);

// `flags` must outlive the callbacks; `setup` receives the job's setup, `progress` holds the bar.
train::TrainingJobCallbacks console_callbacks(const TrainFlags& flags, std::shared_ptr<train::TrainingJobSetup> setup,
                                              std::shared_ptr<std::unique_ptr<Progress>> progress);

}  // namespace gramlite::cli
