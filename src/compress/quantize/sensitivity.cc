// Per-layer quantization error: the int8 graph's activations, dequantized, against the float
// graph's of the same name, accumulated over all calibration images.
#include "gramlite/compress/sensitivity.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <unordered_map>

#include "gramlite/runtime/session.h"

namespace gramlite::compress {
namespace {

// Sums over all compared values, in double: SQNR and cosine come from them at the end.
struct ErrorSums {
  double reference_sq = 0;  // sum x^2
  double test_sq = 0;       // sum x_q^2
  double noise_sq = 0;      // sum (x - x_q)^2
  double dot = 0;           // sum x * x_q
  int64_t values = 0;

  void add(double x, double xq) {
    reference_sq += x * x;
    test_sq += xq * xq;
    noise_sq += (x - xq) * (x - xq);
    dot += x * xq;
    ++values;
  }
  double sqnr_db() const {
    if (noise_sq == 0.0) return std::numeric_limits<double>::infinity();
    if (reference_sq == 0.0) return -std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(reference_sq / noise_sq);
  }
  double cosine() const {
    if (reference_sq == 0.0 && test_sq == 0.0) return 1.0;
    if (reference_sq == 0.0 || test_sq == 0.0) return 0.0;
    return dot / (std::sqrt(reference_sq) * std::sqrt(test_sq));
  }
};

ErrorSums sums_of(const std::vector<float>& reference, const std::vector<float>& test) {
  ErrorSums sums;
  const size_t n = std::min(reference.size(), test.size());
  for (size_t i = 0; i < n; ++i) sums.add(reference[i], test[i]);
  return sums;
}

LayerError finish(std::string node, std::string op, std::string tensor, const ErrorSums& sums) {
  LayerError error;
  error.node = std::move(node);
  error.op = std::move(op);
  error.tensor = std::move(tensor);
  error.sqnr_db = sums.sqnr_db();
  error.cosine = sums.cosine();
  error.values = sums.values;
  return error;
}

// At most this many images per run: the int8 graph's activations of one run are all kept (as they
// are: one byte a value for int8 ones) until the float graph has run on the same images.
constexpr int64_t kImagesPerRun = 4;

struct Matched {
  ir::TensorId int8_tensor = ir::kNoTensor;
  ir::DType dtype = ir::DType::kFloat32;  // of the int8 graph's tensor: kInt8 or kFloat32
  std::vector<uint8_t> bytes;             // its values in the current run
  size_t count = 0;
  ErrorSums sums;
  bool seen_this_run = false;

  float value(size_t i, const ir::QuantParams& quant) const {
    if (dtype == ir::DType::kInt8) {
      return ir::dequantize_value(static_cast<int8_t>(bytes[i]), quant.scales[0], quant.zero_points[0]);
    }
    float x;
    std::memcpy(&x, bytes.data() + i * sizeof(float), sizeof(float));
    return x;
  }
};

std::string number(double value, int decimals) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (std::isnan(value)) return "nan";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string json_number(double value, int decimals) {
  return std::isfinite(value) ? number(value, decimals) : "\"" + number(value, decimals) + "\"";
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_layer(const LayerError& e) {
  return "{\"node\": " + json_string(e.node) + ", \"op\": " + json_string(e.op) + ", \"tensor\": " + json_string(e.tensor) +
         ", \"sqnr_db\": " + json_number(e.sqnr_db, 4) + ", \"cosine\": " + json_number(e.cosine, 8) + "}";
}

}  // namespace

double sqnr_db(const std::vector<float>& reference, const std::vector<float>& test) {
  return sums_of(reference, test).sqnr_db();
}
double cosine_similarity(const std::vector<float>& reference, const std::vector<float>& test) {
  return sums_of(reference, test).cosine();
}

Result<SensitivityReport> measure_sensitivity(const ir::Graph& prepared_float, const ir::Graph& int8,
                                              const CalibrationSet& set, ThreadPool* pool) {
  if (set.image_count() < 1 || set.image_shape.size() != 3) {
    return invalid_argument("the sensitivity report needs at least one image of shape [C, H, W]");
  }
  if (prepared_float.inputs.size() != 1 || int8.inputs.size() != 1 || prepared_float.outputs.empty() ||
      int8.outputs.empty()) {
    return unsupported("the sensitivity report compares graphs with one input and an output each");
  }
  // Float node outputs by name; the int8 graph's node outputs matched to them.
  std::unordered_map<std::string, ir::TensorId> float_by_name;
  for (const ir::Node& node : prepared_float.nodes) {
    for (ir::TensorId id : node.outputs) {
      if (prepared_float.tensor(id).dtype == ir::DType::kFloat32) float_by_name.emplace(prepared_float.tensor(id).name, id);
    }
  }
  std::map<ir::TensorId, Matched> matched;         // by float tensor
  std::unordered_map<ir::TensorId, ir::TensorId> int8_to_float;
  for (const ir::Node& node : int8.nodes) {
    for (ir::TensorId id : node.outputs) {
      const ir::Tensor& t = int8.tensor(id);
      const auto it = float_by_name.find(t.name);
      if (it == float_by_name.end() || matched.count(it->second) > 0) continue;  // the first producer of a name counts
      if (t.dtype != ir::DType::kFloat32 && t.dtype != ir::DType::kInt8) continue;
      if (t.dtype == ir::DType::kInt8 && (t.quant.scales.size() != 1 || t.quant.zero_points.size() != 1)) {
        return invalid_argument("int8 activation '", t.name, "' has no per-tensor scale and zero point");
      }
      matched[it->second].int8_tensor = id;
      matched[it->second].dtype = t.dtype;
      int8_to_float[id] = it->second;
    }
  }

  // The int8 graph runs first and its activations are kept; the float graph's observer compares.
  runtime::SessionOptions int8_options;
  int8_options.pool = pool;
  int8_options.optimize = false;  // as converted: its tensor names are the ones to match
  int8_options.node_observer = [&](const runtime::NodeOutput& out) {
    const auto it = int8_to_float.find(out.tensor);
    if (it == int8_to_float.end()) return;
    Matched& m = matched.at(it->second);
    m.count = static_cast<size_t>(ir::element_count(*out.shape));
    const auto* data = static_cast<const uint8_t*>(out.data);
    m.bytes.assign(data, data + m.count * ir::dtype_size(m.dtype));
    m.seen_this_run = true;
  };
  Status observer_status;
  runtime::SessionOptions float_options = int8_options;
  float_options.node_observer = [&](const runtime::NodeOutput& out) {
    const auto it = matched.find(out.tensor);
    if (it == matched.end() || !observer_status.ok()) return;
    Matched& m = it->second;
    const ir::Tensor& t = int8.tensor(m.int8_tensor);
    const auto count = static_cast<size_t>(ir::element_count(*out.shape));
    if (!m.seen_this_run || count != m.count) {
      observer_status = invalid_argument("tensor '", t.name, "' has ", m.seen_this_run ? m.count : 0,
                                         " values in the int8 graph and ", count, " in the float graph");
      return;
    }
    const auto* x = static_cast<const float*>(out.data);
    for (size_t i = 0; i < count; ++i) m.sums.add(x[i], m.value(i, t.quant));
  };
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<runtime::Session> float_session,
                            runtime::Session::create(std::make_shared<ir::Graph>(prepared_float), float_options));
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<runtime::Session> int8_session,
                            runtime::Session::create(std::make_shared<ir::Graph>(int8), int8_options));

  int64_t per_image = 1;
  for (int64_t d : set.image_shape) per_image *= d;
  ErrorSums output_sums;
  for (const std::vector<float>& batch : set.batches) {
    const int64_t images = static_cast<int64_t>(batch.size()) / per_image;
    for (int64_t first = 0; first < images; first += kImagesPerRun) {
      const int64_t n = std::min(kImagesPerRun, images - first);
      const std::vector<float> input(batch.begin() + first * per_image, batch.begin() + (first + n) * per_image);
      for (auto& [id, m] : matched) m.seen_this_run = false;
      GRAMLITE_RETURN_IF_ERROR(int8_session->reshape(n).with_context("sensitivity: int8 graph"));
      GRAMLITE_ASSIGN_OR_RETURN(std::vector<std::vector<float>> quantized, int8_session->run({input}));
      GRAMLITE_RETURN_IF_ERROR(float_session->reshape(n).with_context("sensitivity: float graph"));
      GRAMLITE_ASSIGN_OR_RETURN(std::vector<std::vector<float>> reference, float_session->run({input}));
      GRAMLITE_RETURN_IF_ERROR(observer_status);
      if (reference[0].size() != quantized[0].size()) {
        return invalid_argument("the float graph's output has ", reference[0].size(), " values, the int8 graph's ",
                                quantized[0].size());
      }
      for (size_t i = 0; i < reference[0].size(); ++i) output_sums.add(reference[0][i], quantized[0][i]);
    }
  }

  SensitivityReport report;
  for (const ir::Node& node : prepared_float.nodes) {
    for (ir::TensorId id : node.outputs) {
      const auto it = matched.find(id);
      if (it == matched.end() || it->second.sums.values == 0) continue;
      report.layers.push_back(finish(node.name, ir::op_kind_name(node.kind), prepared_float.tensor(id).name, it->second.sums));
    }
  }
  const ir::Tensor& output = prepared_float.tensor(prepared_float.outputs[0]);
  report.output = finish("output", "-", output.name, output_sums);
  return report;
}

std::string sensitivity_json(const SensitivityReport& report) {
  std::string out = "{\n  \"layers\": [";
  for (size_t i = 0; i < report.layers.size(); ++i) out += (i == 0 ? "\n    " : ",\n    ") + json_layer(report.layers[i]);
  out += report.layers.empty() ? "],\n" : "\n  ],\n";
  out += "  \"output\": " + json_layer(report.output) + "\n}\n";
  return out;
}

std::string sensitivity_table(const SensitivityReport& report) {
  std::vector<std::vector<std::string>> rows = {{"layer", "op", "tensor", "SQNR dB", "cosine"}};
  for (const LayerError& e : report.layers) {
    rows.push_back({e.node, e.op, e.tensor, number(e.sqnr_db, 2), number(e.cosine, 6)});
  }
  rows.push_back({report.output.node, report.output.op, report.output.tensor, number(report.output.sqnr_db, 2),
                  number(report.output.cosine, 6)});
  std::vector<size_t> width(5, 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const size_t pad = width[c] - row[c].size();
      // Names left-aligned, numbers right-aligned.
      line += c < 3 ? row[c] + std::string(pad, ' ') : std::string(pad, ' ') + row[c];
      if (c + 1 < row.size()) line += "  ";
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace gramlite::compress
