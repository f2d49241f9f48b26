// `gramlite synth` and `gramlite tiles` in a build without OpenCV/OpenSlide/libtiff: the commands
// exist and say why they cannot work.
#include <CLI/CLI.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"

namespace gramlite::cli {
namespace {

void add_disabled(CLI::App& app, const char* name, const char* description, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(name, description);
  cmd->allow_extras();
  cmd->callback([&exit_code, name] {
    exit_code = report_error(unsupported("'", name, "' needs a build with GRAMLITE_WITH_OPENCV and GRAMLITE_WITH_OPENSLIDE ON"));
  });
}

}  // namespace

void add_synth_command(CLI::App& app, int& exit_code) {
  add_disabled(app, "synth", "Generate synthetic Gram-stain data (not in this build)", exit_code);
}
void add_tiles_command(CLI::App& app, int& exit_code) {
  add_disabled(app, "tiles", "Cut a whole-slide image into tiles (not in this build)", exit_code);
}

}  // namespace gramlite::cli
