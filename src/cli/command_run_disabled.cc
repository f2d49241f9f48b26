// `gramlite run` in a build without OpenCV: the command exists and says why it cannot work.
#include <CLI/CLI.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"

namespace gramlite::cli {

void add_run_command(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("run", "Classify images with a model (not in this build)");
  cmd->allow_extras();
  cmd->callback([&exit_code] {
    exit_code = report_error(unsupported("this gramlite was built with GRAMLITE_WITH_OPENCV=OFF, so it cannot decode images"));
  });
}

}  // namespace gramlite::cli
