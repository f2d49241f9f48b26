// `gramlite train`, `sweep` and `prune` in the light gramlite: listed in --help like any command;
// main() hands them to gramlite-train before parsing (training_helper.h), so these callbacks run
// only when the command word is not the first argument.
#include <CLI/CLI.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/training_helper.h"

namespace gramlite::cli {
namespace {

void add_delegated(CLI::App& app, int& exit_code, const std::string& name, const char* summary) {
  CLI::App* cmd = app.add_subcommand(name, summary);
  cmd->allow_extras();
  cmd->prefix_command();
  cmd->callback([&exit_code, name] {
    exit_code = report_error(invalid_argument("'", name, "' runs in ", kTrainingHelperName,
                                              ": give it as the first argument (gramlite ", name, " ...)"));
  });
}

}  // namespace

void add_train_command(CLI::App& app, int& exit_code) { add_delegated(app, exit_code, "train", kTrainSummary); }
void add_sweep_command(CLI::App& app, int& exit_code) { add_delegated(app, exit_code, "sweep", kSweepSummary); }
void add_prune_command(CLI::App& app, int& exit_code) { add_delegated(app, exit_code, "prune", kPruneSummary); }

}  // namespace gramlite::cli
