// gramlite: the command-line program. Thin: parses flags and calls the library.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/version.h"

int main(int argc, char** argv) {
  CLI::App app{"gramlite: Gram-stain CNN models: synthetic data, slides, model zoo, import, inspect, run, benchmark", "gramlite"};
  app.require_subcommand(1);
  app.set_version_flag("--version", gramlite::cli::kVersionString);
  app.footer("Run 'gramlite COMMAND --help' for a command's options.");
  int exit_code = 0;
  gramlite::cli::add_version_command(app, exit_code);
  gramlite::cli::add_zoo_command(app, exit_code);
  gramlite::cli::add_import_command(app, exit_code);
  gramlite::cli::add_info_command(app, exit_code);
  gramlite::cli::add_run_command(app, exit_code);
  gramlite::cli::add_bench_command(app, exit_code);
  gramlite::cli::add_synth_command(app, exit_code);
  gramlite::cli::add_tiles_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
