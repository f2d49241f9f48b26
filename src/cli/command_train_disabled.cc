// `gramlite train`, `sweep` and `prune` in a build without libtorch: the commands exist and say why they cannot work.
#include <CLI/CLI.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"

namespace gramlite::cli {
namespace {

void add_disabled(CLI::App& app, int& exit_code, const std::string& name) {
  CLI::App* cmd = app.add_subcommand(name, "(not in this build: needs libtorch)");
  cmd->allow_extras();
  cmd->callback([&exit_code, name] {
    exit_code = report_error(unsupported("'", name, "' needs a build with GRAMLITE_WITH_TORCH, GRAMLITE_WITH_OPENCV and "
                                         "GRAMLITE_BUILD_INTEROP ON (libtorch-dev, libopencv-dev)"));
  });
}

}  // namespace

void add_train_command(CLI::App& app, int& exit_code) { add_disabled(app, exit_code, "train"); }
void add_sweep_command(CLI::App& app, int& exit_code) { add_disabled(app, exit_code, "sweep"); }
void add_prune_command(CLI::App& app, int& exit_code) { add_disabled(app, exit_code, "prune"); }

}  // namespace gramlite::cli
