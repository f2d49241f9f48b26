#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "format/model_file.h"
#include "interop/torchvision_import.h"
#include "ir/stats.h"

namespace gramlite::cli {
namespace {

struct ImportFlags {
  std::string weights;
  std::string arch;
  std::vector<std::string> class_names;
  std::string output;
};

int import_torchvision_weights(const ImportFlags& flags) {
  auto graph = interop::import_torchvision(flags.weights, flags.arch, interop::ImportOptions{});
  if (!graph.ok()) return report_error(graph.status());
  if (!flags.class_names.empty()) {
    if (flags.class_names.size() != graph->metadata.class_names.size()) {
      return report_error(invalid_argument("--class-names lists ", flags.class_names.size(), " names but the weights have ",
                                           graph->metadata.class_names.size(), " classes"));
    }
    graph->metadata.class_names = flags.class_names;
  }
  if (Status s = format::save_model(*graph, flags.output); !s.ok()) return report_error(s);
  std::cout << "wrote " << flags.output << ": " << flags.arch << " with " << graph->metadata.class_names.size()
            << " classes, " << with_thousands(ir::count_parameters(*graph).trainable) << " parameters from "
            << flags.weights << "\n";
  return 0;
}

}  // namespace

void add_import_command(CLI::App& app, int& exit_code) {
  CLI::App* import_cmd = app.add_subcommand("import", "Import weights trained elsewhere");
  import_cmd->require_subcommand(1);
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* tv = import_cmd->add_subcommand("torchvision", "Import a torchvision state_dict saved with torch.save (.pth)");
  tv->add_option("WEIGHTS", flags->weights, "The .pth file")->required();
  tv->add_option("--arch", flags->arch, "Architecture the weights belong to (see 'gramlite zoo list')")->required();
  tv->add_option("--class-names", flags->class_names, "Class names, comma separated")->delimiter(',');
  tv->add_option("-o,--output", flags->output, "Model file to write")->required();
  tv->callback([flags, &exit_code] { exit_code = import_torchvision_weights(*flags); });
}

}  // namespace gramlite::cli
