#include <CLI/CLI.hpp>

#include <iomanip>
#include <iostream>

#include "gramlite/base/temp_paths.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "gramlite/format/model_file.h"
#include "gramlite/ir/stats.h"
#include "gramlite/zoo/zoo.h"

namespace gramlite::cli {
namespace {

struct BuildFlags {
  std::string arch;
  int classes = 1000;
  double alpha = 1.0;
  int input_size = 0;
  uint64_t seed = 0;
  std::vector<std::string> class_names;
  std::string output;
};

int list_architectures() {
  std::cout << std::left << std::setw(20) << "architecture" << std::setw(13) << "layout" << std::setw(8) << "input"
            << std::setw(7) << "alpha" << std::setw(14) << "params@1000" << "description\n";
  for (const zoo::ArchInfo& info : zoo::list_architectures()) {
    zoo::BuildOptions options;
    options.random_weights = false;
    std::string params = "?";
    auto graph = zoo::build(info.name, options);
    if (graph.ok()) params = with_thousands(ir::count_parameters(*graph).trainable);
    std::cout << std::left << std::setw(20) << info.name << std::setw(13) << zoo::family_name(info.family)
              << std::setw(8) << info.default_input_size << std::setw(7) << (info.has_width_multiplier ? "yes" : "-")
              << std::setw(14) << params << info.description << "\n";
  }
  std::cout << "(params@1000: trainable parameters with 1000 classes and width 1.0)\n";
  return 0;
}

// "--class-names a,b --class-names c" -> a, b, c. Split here rather than by CLI11's delimiter,
// which turned "--class-names ," into no value at all and then complained about another flag.
Result<std::vector<std::string>> split_class_names(const std::vector<std::string>& values) {
  std::vector<std::string> names;
  for (const std::string& value : values) {
    size_t start = 0;
    while (true) {
      const size_t comma = value.find(',', start);
      names.push_back(value.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) return invalid_argument("--class-names: name ", i + 1, " of ", names.size(), " is empty");
    for (size_t j = 0; j < i; ++j) {
      if (names[j] == names[i]) return invalid_argument("--class-names: '", names[i], "' is listed twice");
    }
  }
  return names;
}

int build_model(const BuildFlags& flags) {
  on_interrupt(remove_registered_temp_paths);  // Ctrl-C leaves no temporary model file
  // An unknown architecture is a bad argument (exit 2), not a missing file.
  if (auto known = zoo::find_architecture(flags.arch); !known.ok()) {
    return report_error(invalid_argument(known.status().message()));
  }
  auto class_names = split_class_names(flags.class_names);
  if (!class_names.ok()) return report_error(class_names.status());
  zoo::BuildOptions options;
  options.num_classes = flags.classes;
  options.alpha = flags.alpha;
  options.input_size = flags.input_size;
  options.seed = flags.seed;
  auto graph = zoo::build(flags.arch, options);
  if (!graph.ok()) return report_error(graph.status());
  if (!class_names->empty()) {
    if (static_cast<int>(class_names->size()) != flags.classes) {
      return report_error(invalid_argument("--class-names lists ", class_names->size(), " names but --classes is ",
                                           flags.classes));
    }
    graph->metadata.class_names = *class_names;
  }
  if (Status s = format::save_model(*graph, flags.output); !s.ok()) return report_error(s);
  const ir::ParameterCount params = ir::count_parameters(*graph);
  std::cout << "wrote " << flags.output << ": " << flags.arch << ", " << flags.classes << " classes, "
            << with_thousands(params.trainable) << " trainable parameters\n";
  return 0;
}

}  // namespace

void add_zoo_command(CLI::App& app, int& exit_code) {
  CLI::App* zoo_cmd = app.add_subcommand("zoo", "List and build the model zoo's architectures");
  zoo_cmd->require_subcommand(1);

  CLI::App* list = zoo_cmd->add_subcommand("list", "List the architectures");
  list->callback([&exit_code] { exit_code = list_architectures(); });

  auto flags = std::make_shared<BuildFlags>();
  CLI::App* build = zoo_cmd->add_subcommand("build", "Build an architecture with fresh random weights");
  build->add_option("ARCH", flags->arch, "Architecture (see 'gramlite zoo list')")->required();
  build->add_option("--classes", flags->classes, "Number of output classes")->check(positive_number())->required();
  build->add_option("--alpha", flags->alpha, "Width multiplier (MobileNets)")->check(positive_number());
  build->add_option("--input-size", flags->input_size, "Square input size in pixels (default: the architecture's)")
      ->check(non_negative_number());
  build->add_option("--seed", flags->seed, "Seed of the weight initialisation")->check(seed_number());
  build->add_option("--class-names", flags->class_names, "Class names, comma separated");
  build->add_option("-o,--output", flags->output, "Model file to write")->required();
  build->callback([flags, &exit_code] { exit_code = build_model(*flags); });
}

}  // namespace gramlite::cli
