// `gramlite quantize` in a build without the dataset loader (OpenCV): the command exists and says why.
#include <CLI/CLI.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"

namespace gramlite::cli {

void add_quantize_command(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("quantize", "Quantize a float model (not in this build)");
  cmd->allow_extras();
  cmd->callback([&exit_code] {
    exit_code = report_error(unsupported("this gramlite was built without the dataset loader (GRAMLITE_WITH_OPENCV=OFF), "
                                         "which quantize needs for calibration images"));
  });
}

}  // namespace gramlite::cli
