// `gramlite evaluate` in a build without OpenCV: the command exists and says why it cannot work.
#include <CLI/CLI.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"

namespace gramlite::cli {

void add_evaluate_command(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("evaluate", "Score a model on a dataset (not in this build)");
  cmd->allow_extras();
  cmd->callback([&exit_code] {
    exit_code = report_error(unsupported("'evaluate' needs a build with GRAMLITE_WITH_OPENCV ON to decode images"));
  });
}

}  // namespace gramlite::cli
