// `gramlite export FILE --format onnx -o OUT.onnx`: a gramlite model file (float32 or int8) as an
// ONNX model that ONNX Runtime runs (docs/onnx-export.md). Thin: the library does the work.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "gramlite/base/temp_paths.h"
#include "gramlite/format/model_file.h"
#include "gramlite/interop/onnx_export.h"

namespace gramlite::cli {
namespace {

struct ExportFlags {
  std::string model;
  std::string format;
  std::string output;
};

int export_model(const ExportFlags& flags) {
  on_interrupt(remove_registered_temp_paths);  // Ctrl-C leaves no temporary output file
  if (flags.format != "onnx") {
    return report_error(invalid_argument("unknown export format '", flags.format, "' (formats: onnx)"));
  }
  Result<ir::Graph> graph = format::load_model(flags.model);
  if (!graph.ok()) return report_error(graph.status());
  interop::OnnxExportReport report;
  if (Status s = interop::export_onnx(*graph, flags.output, {}, &report); !s.ok()) return report_error(s);
  std::cout << "wrote " << flags.output << ": ONNX opset " << interop::kOnnxExportOpset << ", " << report.nodes
            << " nodes, " << report.initializers << " initializers";
  if (report.quantized) {
    std::cout << " (int8 as QDQ: " << report.quantize_linear << " QuantizeLinear, " << report.dequantize_linear
              << " DequantizeLinear)";
  }
  std::cout << " from " << flags.model << "\n";
  for (const std::string& note : report.notes) std::cout << "note: " << note << "\n";
  return 0;
}

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* cmd = app.add_subcommand("export", "Export a model file to another format (ONNX, opset 13; int8 as QDQ)");
  cmd->add_option("MODEL", flags->model, "The gramlite model file")->required();
  cmd->add_option("--format", flags->format, "Output format: onnx")->required();
  cmd->add_option("-o,--output", flags->output, "File to write (e.g. model.onnx)")->required();
  cmd->callback([flags, &exit_code] { exit_code = export_model(*flags); });
}

}  // namespace gramlite::cli
