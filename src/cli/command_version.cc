#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "cli/version.h"
#include "gramlite/format/model_file.h"

namespace gramlite::cli {

void add_version_command(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("version", "Print the version, the model-file format and the build options");
  cmd->callback([&exit_code] {
    std::cout << "gramlite " << kVersionString << "\n"
              << "model file format: version " << format::kFormatVersion << "\n"
              << "build: " << kBuildType << ", " << kCompiler << "\n"
              << "features: BLAS " << (kWithBlas ? "on" : "off") << ", OpenCV image input "
              << (kWithOpenCv ? "on" : "off") << ", torchvision import " << (kWithInterop ? "on" : "off") << "\n";
    exit_code = 0;
  });
}

}  // namespace gramlite::cli
