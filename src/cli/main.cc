// gramlite: the command-line program. Thin: parses flags and calls the library.
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/training_helper.h"
#include "cli/version.h"

namespace {

// CLI11 answers an unknown command with "A subcommand is required"; name it instead. Walks the
// command words (`zoo build`) while the current command has subcommands and no positional
// arguments; returns the error line's message, or "" when every word names a command.
std::string unknown_command(CLI::App& app, int argc, char** argv) {
  CLI::App* current = &app;
  std::string path = "gramlite";
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    const std::vector<CLI::App*> commands = current->get_subcommands([](CLI::App*) { return true; });
    const bool has_positionals =
        !current->get_options([](const CLI::Option* option) { return option->get_positional(); }).empty();
    if (commands.empty() || has_positionals || word.empty() || word[0] == '-') return "";
    CLI::App* next = nullptr;
    std::string known;
    for (CLI::App* command : commands) {
      if (command->check_name(word)) next = command;
      known += (known.empty() ? "" : ", ") + command->get_name();
    }
    if (next == nullptr) return "unknown command '" + word + "' for '" + path + "' (commands: " + known + ")";
    current = next;
    path += " " + next->get_name();
  }
  return "";
}

int run_command_line(int argc, char** argv) {
  CLI::App app{"gramlite: Gram-stain CNN models: synthetic data, slides, model zoo, import, inspect, run, benchmark", "gramlite"};
  app.require_subcommand(1);
  app.set_version_flag("--version", gramlite::cli::kVersionString);
  app.footer("Run 'gramlite COMMAND --help' for a command's options.");
  int exit_code = 0;
  gramlite::cli::add_version_command(app, exit_code);
  gramlite::cli::add_zoo_command(app, exit_code);
  gramlite::cli::add_import_command(app, exit_code);
  gramlite::cli::add_export_command(app, exit_code);
  gramlite::cli::add_info_command(app, exit_code);
  gramlite::cli::add_run_command(app, exit_code);
  gramlite::cli::add_train_command(app, exit_code);
  gramlite::cli::add_sweep_command(app, exit_code);
  gramlite::cli::add_evaluate_command(app, exit_code);
  gramlite::cli::add_quantize_command(app, exit_code);
  gramlite::cli::add_prune_command(app, exit_code);
  gramlite::cli::add_bench_command(app, exit_code);
  gramlite::cli::add_synth_command(app, exit_code);
  gramlite::cli::add_tiles_command(app, exit_code);
  if (const std::string unknown = unknown_command(app, argc, argv); !unknown.empty()) {
    std::cerr << "gramlite: error: " << unknown << " (see --help)\n";
    return 2;
  }
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

}  // namespace

int main(int argc, char** argv) {
  // Before the interrupt handling, which the helper sets up for itself (its pipe would leak into it).
  if (const auto handed_over = gramlite::cli::hand_over_training_command(argc, argv)) return *handed_over;
  gramlite::cli::install_interrupt_handling();  // Ctrl-C removes temporary files (cli_common.h)
  const int exit_code = run_command_line(argc, argv);
  gramlite::cli::wait_if_interrupted();
  return exit_code;
}
