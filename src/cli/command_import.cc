#include <CLI/CLI.hpp>

#include <cmath>
#include <iostream>

#include "gramlite/base/temp_paths.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "gramlite/format/model_file.h"
#include "gramlite/interop/onnx_import.h"
#include "gramlite/interop/torchvision_import.h"
#include "gramlite/ir/stats.h"

namespace gramlite::cli {
namespace {

struct ImportFlags {
  std::string weights;
  std::string arch;
  std::vector<std::string> class_names;
  int input_size = 0;
  bool transform_input = false;
  std::string output;
};

int import_torchvision_weights(const ImportFlags& flags) {
  on_interrupt(remove_registered_temp_paths);  // Ctrl-C leaves no temporary model file
  interop::ImportOptions options;
  options.class_names = flags.class_names;
  options.input_size = flags.input_size;
  options.inception_transform_input = flags.transform_input;
  interop::ImportReport report;
  auto graph = interop::import_torchvision(flags.weights, flags.arch, options, &report);
  if (!graph.ok()) return report_error(graph.status());
  if (Status s = format::save_model(*graph, flags.output); !s.ok()) return report_error(s);
  std::cout << "wrote " << flags.output << ": " << flags.arch << " (width " << report.alpha << ") with "
            << report.num_classes << " classes, " << report.imported << " tensors / "
            << with_thousands(ir::count_parameters(*graph).trainable) << " parameters from " << flags.weights;
  if (!report.skipped.empty()) std::cout << "; skipped " << report.skipped.size() << " unused keys";
  std::cout << "\n";
  return 0;
}

struct OnnxFlags {
  std::string model;
  std::vector<std::string> class_names;
  std::vector<float> mean;
  std::vector<float> std;
  int input_size = 0;
  std::string output;
};

int import_onnx_model(const OnnxFlags& flags) {
  on_interrupt(remove_registered_temp_paths);  // Ctrl-C leaves no temporary model file
  interop::OnnxImportOptions options;
  options.class_names = flags.class_names;
  options.input_size = flags.input_size;
  // NaN or infinite normalisation would make every output NaN (and evaluate loop on it); a zero
  // std divides by zero. Refused here, before the model is read.
  for (float m : flags.mean) {
    if (!std::isfinite(m)) return report_error(invalid_argument("--mean values must be finite numbers, got ", m));
  }
  for (float s : flags.std) {
    if (!std::isfinite(s) || !(s > 0.0f)) {
      return report_error(invalid_argument("--std values must be positive finite numbers, got ", s));
    }
  }
  // --mean / --std replace the file's recorded preprocessing (or ImageNet's) as a whole.
  if (!flags.mean.empty() || !flags.std.empty()) {
    options.preprocessing = ir::Preprocessing{};
    if (!flags.mean.empty()) options.preprocessing->mean = flags.mean;
    if (!flags.std.empty()) options.preprocessing->std = flags.std;
  }
  interop::OnnxImportReport report;
  auto graph = interop::import_onnx(flags.model, options, &report);
  if (!graph.ok()) return report_error(graph.status());
  if (Status s = format::save_model(*graph, flags.output); !s.ok()) return report_error(s);
  std::cout << "wrote " << flags.output << ": ONNX model (opset " << report.opset << ", from '" << report.producer
            << "') with " << graph->metadata.class_names.size() << " classes, " << report.initializers
            << " initializers / " << with_thousands(ir::count_parameters(*graph).trainable) << " parameters from "
            << flags.model << "\n";
  for (const std::string& note : report.notes) std::cout << "note: " << note << "\n";
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
  tv->add_option("--input-size", flags->input_size, "Square input size in pixels (default: the architecture's)")
      ->check(non_negative_number());
  tv->add_flag("--transform-input", flags->transform_input,
               "inception_v3 only: the weights expect torchvision's transform_input (true for ImageNet-pretrained Inception)");
  tv->add_option("-o,--output", flags->output, "Model file to write")->required();
  tv->callback([flags, &exit_code] { exit_code = import_torchvision_weights(*flags); });

  auto onnx_flags = std::make_shared<OnnxFlags>();
  CLI::App* onnx = import_cmd->add_subcommand(
      "onnx", "Import an ONNX image classifier (.onnx) exported by torch.onnx.export, tf2onnx, ...");
  onnx->add_option("MODEL", onnx_flags->model, "The .onnx file")->required();
  onnx->add_option("--classes,--class-names", onnx_flags->class_names, "Class names, comma separated")->delimiter(',');
  onnx->add_option("--input-size", onnx_flags->input_size,
                   "Square input size in pixels (needed when the model's H / W are symbolic)")
      ->check(non_negative_number());
  onnx->add_option("--mean", onnx_flags->mean,
                   "Per-channel mean of the input normalisation (default: what a gramlite-exported file records, "
                   "else ImageNet's; --mean or --std replaces the recorded preprocessing)")
      ->delimiter(',')
      ->expected(3);
  onnx->add_option("--std", onnx_flags->std, "Per-channel std of the input normalisation (default: as for --mean)")
      ->delimiter(',')
      ->expected(3);
  onnx->add_option("-o,--output", onnx_flags->output, "Model file to write")->required();
  onnx->callback([onnx_flags, &exit_code] { exit_code = import_onnx_model(*onnx_flags); });
}

}  // namespace gramlite::cli
