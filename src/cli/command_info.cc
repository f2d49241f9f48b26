#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "format/model_file.h"
#include "ir/shape_inference.h"
#include "ir/stats.h"

namespace gramlite::cli {
namespace {

struct InfoFlags {
  std::string path;
  bool json = false;
  bool no_layers = false;
};

// The dtype of the node's weight (input 1) if it has one, else of its output.
std::string weight_dtype(const ir::Graph& graph, const ir::Node& node) {
  for (size_t i = 1; i < node.inputs.size(); ++i) {
    const ir::Tensor& t = graph.tensor(node.inputs[i]);
    if (t.is_constant()) return std::string(ir::dtype_name(t.dtype)) + (t.quant.empty() ? "" : t.quant.per_channel() ? "/pc" : "/pt");
  }
  return ir::dtype_name(graph.tensor(node.outputs[0]).dtype);
}

std::string op_label(const ir::Node& node) {
  std::string label = ir::op_kind_name(node.kind);
  if (node.kind == ir::OpKind::kConv2d) {
    const auto& a = node.attr<ir::Conv2dAttrs>();
    label += " " + std::to_string(a.kernel_h) + "x" + std::to_string(a.kernel_w);
    if (a.stride_h > 1 || a.stride_w > 1) label += "/" + std::to_string(a.stride_h);
    if (a.groups > 1) label += " g" + std::to_string(a.groups);
  }
  if (node.fused_activation != ir::Activation::kNone) label += "+" + std::string(ir::activation_name(node.fused_activation));
  return label;
}

int show_info(const InfoFlags& flags) {
  auto summary = format::read_file_summary(flags.path);
  if (!summary.ok()) return report_error(summary.status());
  auto loaded = format::load_model(flags.path);
  if (!loaded.ok()) return report_error(loaded.status());
  const ir::Graph& graph = *loaded;
  auto costs = ir::node_costs(graph);
  if (!costs.ok()) return report_error(costs.status().with_context(flags.path));
  auto shapes = ir::infer_shapes_for_batch(graph, 1);
  const ir::ParameterCount params = ir::count_parameters(graph);
  int64_t total_macs = 0;
  int64_t weight_elements = 0;
  int64_t zero_weights = 0;
  std::map<std::string, int> op_counts;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    total_macs += (*costs)[n].macs;
    zero_weights += (*costs)[n].zero_weights;
    ++op_counts[ir::op_kind_name(graph.nodes[n].kind)];
    const ir::Node& node = graph.nodes[n];
    if (node.kind == ir::OpKind::kConv2d || node.kind == ir::OpKind::kLinear) {
      weight_elements += graph.tensor(node.inputs[1]).element_count();
    }
  }
  std::map<std::string, int64_t> bytes_by_dtype;
  for (const ir::Tensor& t : graph.tensors) {
    if (t.is_constant()) bytes_by_dtype[ir::dtype_name(t.dtype)] += static_cast<int64_t>(t.data.size());
  }
  const ir::ModelMetadata& meta = graph.metadata;
  const ir::Tensor& input = graph.tensor(graph.inputs[0]);

  if (flags.json) {
    nlohmann::json j;
    j["file"] = flags.path;
    j["file_bytes"] = summary->file_size;
    j["format_version"] = summary->format_version;
    j["architecture"] = meta.architecture;
    j["name"] = meta.name;
    j["classes"] = meta.class_names;
    j["input_shape"] = input.shape;
    j["output_kind"] = meta.output_kind == ir::OutputKind::kLogits ? "logits" : "probabilities";
    j["parameters"] = {{"trainable", params.trainable}, {"non_trainable", params.non_trainable}};
    j["macs"] = total_macs;
    j["weight_sparsity"] = weight_elements > 0 ? static_cast<double>(zero_weights) / static_cast<double>(weight_elements) : 0.0;
    j["ops"] = op_counts;
    j["constant_bytes_by_dtype"] = bytes_by_dtype;
    j["preprocessing"] = {{"mean", meta.preprocessing.mean}, {"std", meta.preprocessing.std},
                          {"resize", meta.preprocessing.resize == ir::ResizeMode::kStretch ? "stretch" : "shorter-side-crop"},
                          {"channel_order", meta.preprocessing.bgr ? "BGR" : "RGB"}};
    j["extra"] = meta.extra;
    nlohmann::json layers = nlohmann::json::array();
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
      const ir::Node& node = graph.nodes[n];
      nlohmann::json layer = {{"name", node.name}, {"op", ir::op_kind_name(node.kind)},
                              {"activation", ir::activation_name(node.fused_activation)},
                              {"dtype", weight_dtype(graph, node)}, {"parameters", (*costs)[n].parameters},
                              {"macs", (*costs)[n].macs}, {"zero_weights", (*costs)[n].zero_weights}};
      if (shapes.ok()) layer["output_shape"] = (*shapes)[static_cast<size_t>(node.outputs[0])];
      layers.push_back(layer);
    }
    j["layers"] = layers;
    std::cout << j.dump(2) << "\n";
    return 0;
  }

  std::cout << "file:          " << flags.path << " (" << human_bytes(summary->file_size) << ", format v"
            << summary->format_version << ", checksum verified)\n";
  std::cout << "architecture:  " << (meta.architecture.empty() ? "(unknown)" : meta.architecture)
            << (meta.name.empty() ? "" : "  name: " + meta.name) << "\n";
  std::cout << "input:         " << ir::shape_to_string(input.shape) << " " << ir::dtype_name(input.dtype)
            << ", mean " << meta.preprocessing.mean[0] << "," << meta.preprocessing.mean[1] << ","
            << meta.preprocessing.mean[2] << " std " << meta.preprocessing.std[0] << "," << meta.preprocessing.std[1]
            << "," << meta.preprocessing.std[2] << "\n";
  std::cout << "output:        " << meta.class_names.size() << " classes ("
            << (meta.output_kind == ir::OutputKind::kLogits ? "logits" : "probabilities") << ")";
  for (size_t i = 0; i < meta.class_names.size() && i < 8; ++i) std::cout << (i ? ", " : ": ") << meta.class_names[i];
  if (meta.class_names.size() > 8) std::cout << ", ...";
  std::cout << "\n";
  std::cout << "parameters:    " << with_thousands(params.trainable) << " trainable + "
            << with_thousands(params.non_trainable) << " batch-norm statistics = " << with_thousands(params.total())
            << "\n";
  std::cout << "MACs:          " << human_count(static_cast<double>(total_macs)) << " per image\n";
  std::cout << "weights:       ";
  bool first = true;
  for (const auto& [dtype, bytes] : bytes_by_dtype) {
    std::cout << (first ? "" : ", ") << dtype << " " << human_bytes(bytes);
    first = false;
  }
  std::cout << "; conv/linear weight sparsity " << std::fixed << std::setprecision(1)
            << (weight_elements > 0 ? 100.0 * static_cast<double>(zero_weights) / static_cast<double>(weight_elements) : 0.0)
            << "%\n";
  std::cout << "ops:           " << graph.nodes.size() << " nodes:";
  for (const auto& [op, count] : op_counts) std::cout << " " << op << " " << count;
  std::cout << "\n";
  if (flags.no_layers) return 0;
  std::cout << "\n" << std::left << std::setw(4) << "#" << std::setw(34) << "layer" << std::setw(26) << "op"
            << std::setw(20) << "output" << std::setw(8) << "dtype" << std::right << std::setw(12) << "params"
            << std::setw(12) << "MACs" << std::setw(9) << "zeros" << "\n";
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    const ir::NodeCost& cost = (*costs)[n];
    std::string name = node.name.size() > 32 ? node.name.substr(0, 29) + "..." : node.name;
    std::string zeros = "-";
    if (node.kind == ir::OpKind::kConv2d || node.kind == ir::OpKind::kLinear) {
      const int64_t count = graph.tensor(node.inputs[1]).element_count();
      char text[16];
      std::snprintf(text, sizeof(text), "%.1f%%", count > 0 ? 100.0 * static_cast<double>(cost.zero_weights) / count : 0.0);
      zeros = text;
    }
    std::cout << std::left << std::setw(4) << n << std::setw(34) << name << std::setw(26) << op_label(node)
              << std::setw(20) << (shapes.ok() ? ir::shape_to_string((*shapes)[static_cast<size_t>(node.outputs[0])]) : "?")
              << std::setw(8) << weight_dtype(graph, node) << std::right << std::setw(12) << with_thousands(cost.parameters)
              << std::setw(12) << human_count(static_cast<double>(cost.macs)) << std::setw(9) << zeros << "\n";
  }
  return 0;
}

}  // namespace

void add_info_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<InfoFlags>();
  CLI::App* cmd = app.add_subcommand("info", "Describe a model file: ops, parameters, MACs, sizes, dtypes, sparsity per layer");
  cmd->add_option("FILE", flags->path, "Model file")->required();
  cmd->add_flag("--json", flags->json, "Machine-readable output");
  cmd->add_flag("--no-layers", flags->no_layers, "Only the summary, not the per-layer table");
  cmd->callback([flags, &exit_code] { exit_code = show_info(*flags); });
}

}  // namespace gramlite::cli
