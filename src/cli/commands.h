// One function per subcommand: each adds its CLI11 subcommand to the app and, when it runs,
// stores its exit code in `exit_code`. The work itself lives in the library.
#pragma once

namespace CLI {
class App;
}

namespace gramlite::cli {

// The training commands' one-line summaries, shared by the light gramlite's --help listing
// (command_training_delegated.cc) and gramlite-train's own commands.
inline constexpr const char* kTrainSummary =
    "Train or fine-tune a classifier on a folder-per-class dataset (libtorch)";
inline constexpr const char* kSweepSummary = "Run a training experiment over a grid of settings";
inline constexpr const char* kPruneSummary =
    "Prune a trained model while fine-tuning it: magnitude pruning on a TF-MOT schedule (docs/pruning.md)";

void add_version_command(CLI::App& app, int& exit_code);
void add_zoo_command(CLI::App& app, int& exit_code);
void add_import_command(CLI::App& app, int& exit_code);
void add_export_command(CLI::App& app, int& exit_code);
void add_info_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_synth_command(CLI::App& app, int& exit_code);
void add_tiles_command(CLI::App& app, int& exit_code);
void add_evaluate_command(CLI::App& app, int& exit_code);
void add_train_command(CLI::App& app, int& exit_code);
void add_sweep_command(CLI::App& app, int& exit_code);
void add_quantize_command(CLI::App& app, int& exit_code);
void add_prune_command(CLI::App& app, int& exit_code);

}  // namespace gramlite::cli
