// `gramlite export` in a build without the interop module: the command exists and says why it
// cannot work, instead of vanishing from --help.
#include <CLI/CLI.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"

namespace gramlite::cli {

void add_export_command(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("export", "Export a model file to another format (not in this build)");
  cmd->allow_extras();
  cmd->callback([&exit_code] {
    exit_code = report_error(unsupported("this gramlite was built with GRAMLITE_BUILD_INTEROP=OFF; rebuild with it ON"));
  });
}

}  // namespace gramlite::cli
