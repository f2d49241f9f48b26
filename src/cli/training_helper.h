// The commands that train (train, sweep, prune, quantize --qat) run in a second executable,
// gramlite-train, the only one that links libtorch. Loading libtorch costs about 0.5 s of static
// initialisation on every start and a deployment the size of libtorch; `gramlite run`, `bench` and
// the other inference commands need neither. The light `gramlite` hands such a command over whole
// (same arguments, same process id, so signals and exit codes reach the caller unchanged).
//
// training_helper.cc is the light gramlite's; gramlite-train itself, and builds without libtorch,
// link training_helper_none.cc, which hands nothing over.
#pragma once

#include <optional>

namespace gramlite::cli {

inline constexpr const char* kTrainingHelperName = "gramlite-train";

// The commands that always train; `quantize` trains only with --qat. openmp_environment.cc reads
// this list too.
inline constexpr const char* kTrainingCommands[] = {"train", "sweep", "prune"};

// Runs a command that needs libtorch in gramlite-train, replacing this process; returns nothing
// when the command does not need it, and the exit code after printing one error line when the
// helper cannot be found or started. Call it first in main(), before anything starts a thread or
// opens a file the helper would inherit.
std::optional<int> hand_over_training_command(int argc, char** argv);

}  // namespace gramlite::cli
