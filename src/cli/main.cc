// gramlite: the command-line program. Thin: parses flags and calls the library.
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <new>
#include <string>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/version.h"

int main(int argc, char** argv) {
  gramlite::cli::install_interrupt_handling();  // Ctrl-C removes temporary files (cli_common.h)
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
  gramlite::cli::add_train_command(app, exit_code);
  gramlite::cli::add_sweep_command(app, exit_code);
  gramlite::cli::add_evaluate_command(app, exit_code);
  gramlite::cli::add_bench_command(app, exit_code);
  gramlite::cli::add_synth_command(app, exit_code);
  gramlite::cli::add_tiles_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive as "errors" with a success code: let CLI11 print them.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    // A flag CLI11 rejects is a bad argument like any other: one line, exit code 2.
    std::string message = e.what();
    for (char& c : message) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    std::cerr << "gramlite: error: " << message << " (see --help)\n";
    return 2;
  } catch (const std::bad_alloc&) {
    // After unwinding, so the commands' temporary files are already removed.
    std::cerr << "gramlite: error: out of memory (are the sizes given realistic?)\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "gramlite: error: internal error: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
