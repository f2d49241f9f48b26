#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "gramlite/format/model_file.h"
#include "gramlite/ir/model_summary.h"

namespace gramlite::cli {
namespace {

struct InfoFlags {
  std::string path;
  bool json = false;
  bool no_layers = false;
};

const char* output_kind_name(ir::OutputKind kind) { return kind == ir::OutputKind::kLogits ? "logits" : "probabilities"; }

// Per tensor: its scale and zero point; per channel: how many, their range and the axis.
nlohmann::json quant_json(const ir::QuantSummary& q) {
  if (q.scale_count == 0) return nullptr;
  if (!q.per_channel()) return {{"scale", q.scale_min}, {"zero_point", q.zero_point_min}};
  return {{"axis", q.axis},          {"count", q.scale_count},
          {"scale_min", q.scale_min}, {"scale_max", q.scale_max},
          {"zero_point_min", q.zero_point_min}, {"zero_point_max", q.zero_point_max}};
}

std::string quant_scale_text(const ir::QuantSummary& q) {
  std::ostringstream text;
  text << std::setprecision(6);
  if (q.per_channel()) {
    text << q.scale_count << " per channel: " << q.scale_min << ".." << q.scale_max;
  } else {
    text << q.scale_min;
  }
  return text.str();
}

std::string zero_point_text(const ir::QuantSummary& q) {
  if (q.zero_point_min == q.zero_point_max) return std::to_string(q.zero_point_min);
  return std::to_string(q.zero_point_min) + ".." + std::to_string(q.zero_point_max);
}

std::string node_counts_text(const ir::ModelSummary& summary) {
  return std::to_string(summary.int8_nodes) + " int8, " + std::to_string(summary.float_nodes) + " float, " +
         std::to_string(summary.conversion_nodes) + " quantize/dequantize nodes";
}

// How the file stores the constants: bytes stored, the same dense, and the compact tensors.
struct StorageTotals {
  uint64_t stored_bytes = 0;
  uint64_t dense_bytes = 0;
  int constants = 0;
  std::map<std::string, int> compact;  // encoding name -> tensors
};

StorageTotals storage_totals(const format::FileSummary& file) {
  StorageTotals totals;
  for (const format::StoredTensor& t : file.stored_tensors) {
    totals.stored_bytes += t.stored_bytes;
    totals.dense_bytes += t.dense_bytes;
    ++totals.constants;
    if (t.encoding != ir::SparsityEncoding::kDense) ++totals.compact[ir::sparsity_encoding_name(t.encoding)];
  }
  return totals;
}

void print_json(const std::string& path, const format::FileSummary& file, const ir::ModelSummary& summary) {
  const ir::ModelMetadata& meta = summary.metadata;
  nlohmann::json j;
  j["file"] = path;
  j["file_bytes"] = file.file_size;
  j["format_version"] = file.format_version;
  j["architecture"] = meta.architecture;
  j["name"] = meta.name;
  j["classes"] = meta.class_names;
  j["input_shape"] = summary.input_shape;
  j["output_kind"] = output_kind_name(meta.output_kind);
  j["parameters"] = {{"trainable", summary.parameters.trainable}, {"non_trainable", summary.parameters.non_trainable}};
  j["macs"] = summary.macs;
  j["weight_sparsity"] = summary.weight_sparsity();
  j["non_finite_weights"] = {{"count", summary.non_finite_weights},
                             {"first_tensor", summary.first_non_finite_tensor.empty()
                                                  ? nlohmann::json()
                                                  : nlohmann::json(summary.first_non_finite_tensor)}};
  j["ops"] = summary.op_counts;
  j["precision"] = ir::model_precision_name(summary.precision);
  j["nodes_by_precision"] = {{"int8", summary.int8_nodes}, {"float", summary.float_nodes},
                             {"quantize_dequantize", summary.conversion_nodes}};
  j["float_nodes"] = summary.float_node_names;
  j["tensor_dtypes"] = summary.tensors_by_dtype;
  std::map<size_t, const format::StoredTensor*> stored_by_tensor;
  for (const format::StoredTensor& t : file.stored_tensors) stored_by_tensor[static_cast<size_t>(t.tensor)] = &t;
  nlohmann::json tensors = nlohmann::json::array();
  for (size_t i = 0; i < summary.tensors.size(); ++i) {
    const ir::TensorSummary& t = summary.tensors[i];
    nlohmann::json row = {{"name", t.name}, {"dtype", ir::dtype_name(t.dtype)}, {"shape", t.shape},
                          {"constant", t.constant}};
    if (t.quant.scale_count > 0) row["quant"] = quant_json(t.quant);
    if (const auto it = stored_by_tensor.find(i); it != stored_by_tensor.end()) {
      row["stored_as"] = ir::sparsity_encoding_name(it->second->encoding);
      row["stored_bytes"] = it->second->stored_bytes;
    }
    tensors.push_back(row);
  }
  j["tensors"] = tensors;
  const StorageTotals storage = storage_totals(file);
  j["storage"] = {{"stored_bytes", storage.stored_bytes},
                  {"dense_bytes", storage.dense_bytes},
                  {"saved_bytes", storage.dense_bytes - std::min(storage.dense_bytes, storage.stored_bytes)},
                  {"compact_tensors", storage.compact}};
  j["constant_bytes_by_dtype"] = summary.constant_bytes_by_dtype;
  j["preprocessing"] = {{"mean", meta.preprocessing.mean}, {"std", meta.preprocessing.std},
                        {"resize", meta.preprocessing.resize == ir::ResizeMode::kStretch ? "stretch" : "shorter-side-crop"},
                        {"channel_order", meta.preprocessing.bgr ? "BGR" : "RGB"}};
  j["extra"] = meta.extra;
  nlohmann::json layers = nlohmann::json::array();
  for (const ir::LayerSummary& layer : summary.layers) {
    nlohmann::json row = {{"name", layer.name}, {"op", ir::op_kind_name(layer.kind)},
                          {"activation", ir::activation_name(layer.activation)}, {"dtype", layer.weight_dtype},
                          {"parameters", layer.parameters}, {"macs", layer.macs}, {"zero_weights", layer.zero_weights}};
    if (layer.has_output_shape) row["output_shape"] = layer.output_shape;
    layers.push_back(row);
  }
  j["layers"] = layers;
  std::cout << j.dump(2) << "\n";
}

// `text` left-aligned in `width` columns, and always at least one space after it: a long name or
// scale range pushes the row right instead of running into the next column.
std::string column(const std::string& text, size_t width) {
  return text.size() < width ? text + std::string(width - text.size(), ' ') : text + " ";
}

// One row per quantized tensor: dtype, shape, scale(s), zero point(s), axis.
void print_quantized_tensors(const ir::ModelSummary& summary) {
  bool header = false;
  for (const ir::TensorSummary& t : summary.tensors) {
    if (t.quant.scale_count == 0) continue;
    if (!header) {
      std::cout << "\n" << column("quantized tensor", 34) << column("dtype", 7) << column("shape", 18)
                << column("scale", 40) << column("zero point", 12) << "axis\n";
      header = true;
    }
    const std::string name = t.name.size() > 32 ? t.name.substr(0, 29) + "..." : t.name;
    std::cout << column(name, 34) << column(ir::dtype_name(t.dtype), 7) << column(ir::shape_to_string(t.shape), 18)
              << column(quant_scale_text(t.quant), 40) << column(zero_point_text(t.quant), 12)
              << (t.quant.per_channel() ? std::to_string(t.quant.axis) : "-") << "\n";
  }
}

std::string bytes_text(uint64_t bytes) { return human_bytes(static_cast<int64_t>(bytes)); }

// One row per compactly stored constant: encoding, dense and stored bytes.
void print_compact_tensors(const format::FileSummary& file) {
  bool header = false;
  for (const format::StoredTensor& t : file.stored_tensors) {
    if (t.encoding == ir::SparsityEncoding::kDense) continue;
    if (!header) {
      std::cout << "\n" << column("compactly stored tensor", 34) << column("stored as", 11) << column("dense", 12)
                << column("in the file", 13) << "ratio\n";
      header = true;
    }
    const std::string name = t.name.size() > 32 ? t.name.substr(0, 29) + "..." : t.name;
    char ratio[32];
    std::snprintf(ratio, sizeof(ratio), "%.1fx",
                  t.stored_bytes > 0 ? static_cast<double>(t.dense_bytes) / static_cast<double>(t.stored_bytes) : 0.0);
    std::cout << column(name, 34) << column(ir::sparsity_encoding_name(t.encoding), 11)
              << column(bytes_text(t.dense_bytes), 12) << column(bytes_text(t.stored_bytes), 13)
              << (t.stored_bytes > 0 ? ratio : "-") << "\n";
  }
}

void print_text(const std::string& path, const format::FileSummary& file, const ir::ModelSummary& summary,
                bool no_layers) {
  const ir::ModelMetadata& meta = summary.metadata;
  std::cout << "file:          " << path << " (" << human_bytes(file.file_size) << ", format v" << file.format_version
            << ", checksum verified)\n";
  std::cout << "architecture:  " << (meta.architecture.empty() ? "(unknown)" : meta.architecture)
            << (meta.name.empty() ? "" : "  name: " + meta.name) << "\n";
  std::cout << "input:         " << ir::shape_to_string(summary.input_shape) << " " << ir::dtype_name(summary.input_dtype)
            << ", mean " << meta.preprocessing.mean[0] << "," << meta.preprocessing.mean[1] << ","
            << meta.preprocessing.mean[2] << " std " << meta.preprocessing.std[0] << "," << meta.preprocessing.std[1]
            << "," << meta.preprocessing.std[2] << "\n";
  std::cout << "output:        " << meta.class_names.size() << " classes (" << output_kind_name(meta.output_kind) << ")";
  for (size_t i = 0; i < meta.class_names.size() && i < 8; ++i) std::cout << (i ? ", " : ": ") << meta.class_names[i];
  if (meta.class_names.size() > 8) std::cout << ", ...";
  std::cout << "\n";
  std::cout << "parameters:    " << with_thousands(summary.parameters.trainable) << " trainable + "
            << with_thousands(summary.parameters.non_trainable) << " batch-norm statistics = "
            << with_thousands(summary.parameters.total()) << "\n";
  std::cout << "MACs:          " << human_count(static_cast<double>(summary.macs)) << " per image\n";
  std::cout << "weights:       ";
  bool first = true;
  for (const auto& [dtype, bytes] : summary.constant_bytes_by_dtype) {
    std::cout << (first ? "" : ", ") << dtype << " " << human_bytes(bytes);
    first = false;
  }
  std::cout << "; conv/linear weight sparsity " << std::fixed << std::setprecision(1)
            << 100.0 * summary.weight_sparsity() << "%\n";
  std::cout.unsetf(std::ios::floatfield);
  const StorageTotals storage = storage_totals(file);
  if (!storage.compact.empty()) {
    int compact = 0;
    std::string kinds;
    for (const auto& [encoding, count] : storage.compact) {
      compact += count;
      kinds += (kinds.empty() ? "" : ", ") + std::to_string(count) + " " + encoding;
    }
    std::cout << "stored:        " << compact << " of " << storage.constants << " constants compact (" << kinds
              << "): " << bytes_text(storage.stored_bytes) << " in the file, " << bytes_text(storage.dense_bytes)
              << " dense ("
              << bytes_text(storage.dense_bytes - std::min(storage.dense_bytes, storage.stored_bytes))
              << " saved)\n";
  }
  if (summary.non_finite_weights > 0) {
    std::cout << "NON-FINITE:    " << with_thousands(summary.non_finite_weights)
              << " weights are NaN or infinite (first in tensor '" << summary.first_non_finite_tensor
              << "'): the model's outputs will be meaningless\n";
  }
  std::cout << "ops:           " << summary.layers.size() << " nodes:";
  for (const auto& [op, count] : summary.op_counts) std::cout << " " << op << " " << count;
  std::cout << "\n";
  std::cout << "precision:     " << ir::model_precision_name(summary.precision) << "; " << node_counts_text(summary)
            << "\n";
  if (summary.precision == ir::ModelPrecision::kInt8FullInteger) {
    std::cout << "float nodes:   ";
    if (summary.float_node_names.empty()) std::cout << "none";
    for (size_t i = 0; i < summary.float_node_names.size(); ++i) {
      std::cout << (i ? ", " : "") << summary.float_node_names[i];
    }
    std::cout << "\n";
  }
  std::cout << "tensors:       ";
  first = true;
  for (const auto& [dtype, count] : summary.tensors_by_dtype) {
    std::cout << (first ? "" : ", ") << dtype << " " << count;
    first = false;
  }
  std::cout << "\n";
  if (no_layers) return;
  std::cout << "\n" << std::left << std::setw(4) << "#" << std::setw(34) << "layer" << std::setw(26) << "op"
            << std::setw(20) << "output" << std::setw(8) << "dtype" << std::right << std::setw(12) << "params"
            << std::setw(12) << "MACs" << std::setw(9) << "zeros" << "\n";
  for (size_t n = 0; n < summary.layers.size(); ++n) {
    const ir::LayerSummary& layer = summary.layers[n];
    const std::string name = layer.name.size() > 32 ? layer.name.substr(0, 29) + "..." : layer.name;
    std::string zeros = "-";
    if (layer.kind == ir::OpKind::kConv2d || layer.kind == ir::OpKind::kLinear) {
      char text[16];
      std::snprintf(text, sizeof(text), "%.1f%%",
                    layer.weight_elements > 0
                        ? 100.0 * static_cast<double>(layer.zero_weights) / static_cast<double>(layer.weight_elements)
                        : 0.0);
      zeros = text;
    }
    std::cout << std::left << std::setw(4) << n << std::setw(34) << name << std::setw(26) << layer.op_label
              << std::setw(20) << (layer.has_output_shape ? ir::shape_to_string(layer.output_shape) : "?")
              << std::setw(8) << layer.weight_dtype << std::right << std::setw(12) << with_thousands(layer.parameters)
              << std::setw(12) << human_count(static_cast<double>(layer.macs)) << std::setw(9) << zeros << "\n";
  }
  print_quantized_tensors(summary);
  print_compact_tensors(file);
}

int show_info(const InfoFlags& flags) {
  auto file = format::read_file_summary(flags.path);
  if (!file.ok()) return report_error(file.status());
  auto loaded = format::load_model(flags.path);
  if (!loaded.ok()) return report_error(loaded.status());
  auto summary = ir::summarize_model(*loaded);
  if (!summary.ok()) return report_error(summary.status().with_context(flags.path));
  if (flags.json) {
    print_json(flags.path, *file, *summary);
  } else {
    print_text(flags.path, *file, *summary, flags.no_layers);
  }
  return 0;
}

}  // namespace

void add_info_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<InfoFlags>();
  CLI::App* cmd = app.add_subcommand("info", "Describe a model file: ops, parameters, MACs, sizes, precision, dtypes, quantization, sparsity per layer");
  cmd->add_option("FILE", flags->path, "Model file")->required();
  cmd->add_flag("--json", flags->json, "Machine-readable output");
  cmd->add_flag("--no-layers", flags->no_layers, "Only the summary, not the per-layer table");
  cmd->callback([flags, &exit_code] { exit_code = show_info(*flags); });
}

}  // namespace gramlite::cli
