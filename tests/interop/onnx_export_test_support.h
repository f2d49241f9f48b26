// What the ONNX export tests share (onnx_export_test.cc, onnx_export_int8_zoo_test.cc): the two
// oracles, ONNX Runtime through node + onnxruntime-node (tests/interop/ort_run.js) and the Python
// onnx checker, each skipping with the reason when missing, and gramlite's reference session.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gramlite/runtime/session.h"
#include "gramlite/zoo/zoo.h"
#include "test_support.h"

namespace gramlite::interop::testing {

namespace fs = std::filesystem;

constexpr double kOrtRelativeBound = 1e-4;

// ---- oracles ------------------------------------------------------------------------------------

inline std::string ort_modules() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("GRAMLITE_ORT_NODE_MODULES")) candidates.push_back(env);
  candidates.push_back(std::string(GRAMLITE_SOURCE_DIR) + "/third_party_peers/node_modules");
  candidates.push_back(std::string(GRAMLITE_SOURCE_DIR) + "/node_modules");
  for (const std::string& c : candidates) {
    std::error_code ignored;
    if (fs::is_directory(c + "/onnxruntime-node", ignored)) return c;
  }
  return "";
}

struct OrtResult {
  bool skipped = false;
  std::string message;  // why it skipped or failed
  std::vector<float> output;
  bool ok() const { return !skipped && message.empty(); }
};

// Runs `model` on `input` (dims NCHW) in ONNX Runtime; `optimize` false turns ORT's graph
// optimizations off (no QDQ fusion: the float semantics of the file as written).
inline OrtResult run_ort(const TempDir& dir, const std::string& model, const std::vector<float>& input,
                  const std::vector<int64_t>& dims, bool optimize = true) {
  OrtResult r;
  const std::string modules = ort_modules();
  if (modules.empty()) {
    r.skipped = true;
    r.message = "onnxruntime-node is not installed (docs/onnx-export.md: npm install onnxruntime-node into "
                "third_party_peers/, or set GRAMLITE_ORT_NODE_MODULES)";
    return r;
  }
  const std::string in = dir.file("ort_input.bin");
  const std::string out = dir.file("ort_output.bin");
  write_text(in, std::string(reinterpret_cast<const char*>(input.data()), input.size() * sizeof(float)));
  std::string dims_text;
  for (size_t i = 0; i < dims.size(); ++i) dims_text += (i ? "," : "") + std::to_string(dims[i]);
  const std::string command = "node " + shell_quote(std::string(GRAMLITE_SOURCE_DIR) + "/tests/interop/ort_run.js") + " " +
                              shell_quote(modules) + " " + shell_quote(model) + " " + shell_quote(in) +
                              " " + dims_text + " " + shell_quote(out) + (optimize ? "" : " --no-optimize") + " > " +
                              shell_quote(dir.file("ort_log.txt")) + " 2>&1";
  const int status = std::system(command.c_str());
  const int code = status == -1 || !WIFEXITED(status) ? -1 : WEXITSTATUS(status);
  if (code == 127 || code == 3) {
    r.skipped = true;
    r.message = code == 127 ? "node is not installed" : read_text(dir.file("ort_log.txt"));
    return r;
  }
  if (code != 0) {
    r.message = "ort_run.js failed (exit " + std::to_string(code) + "): " + read_text(dir.file("ort_log.txt"));
    return r;
  }
  r.output = read_floats(out);
  return r;
}

// The Python onnx checker with full_check (strict shape inference). Returns "" when it passes,
// "skip: ..." when the onnx package is missing, else the checker's complaint.
inline std::string python_check(const TempDir& dir, const std::string& model) {
  const std::string script =
      "import sys\n"
      "try:\n    import onnx\nexcept ImportError as e:\n    print(e); sys.exit(3)\n"
      "onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\n";
  write_text(dir.file("check.py"), script);
  const int status = run_python(shell_quote(dir.file("check.py")) + " " + shell_quote(model),
                                         dir.file("check_log.txt"));
  if (means_python_unavailable(status)) return "skip: " + read_text(dir.file("check_log.txt"));
  if (status != 0) return read_text(dir.file("check_log.txt"));
  return "";
}

inline Result<std::vector<float>> run_gramlite(const ir::Graph& graph, const std::vector<float>& input, int64_t batch) {
  runtime::SessionOptions options;
  options.backends = {"reference"};  // the oracle kernels
  GRAMLITE_ASSIGN_OR_RETURN(auto session, runtime::Session::create(std::make_shared<const ir::Graph>(graph), options));
  GRAMLITE_RETURN_IF_ERROR(session->reshape(batch));
  GRAMLITE_ASSIGN_OR_RETURN(auto outputs, session->run(std::vector<std::vector<float>>{input}));
  return outputs.front();
}

inline std::vector<float> random_input(size_t count, uint32_t seed, float low = -2.0f, float high = 2.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

inline double max_abs(const std::vector<float>& v) {
  double m = 0.0;
  for (float x : v) m = std::max(m, std::fabs(static_cast<double>(x)));
  return m;
}

inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0.0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}

// Rows of `classes` logits: how many rows' arg-max agree, counting a row whose reference top two
// are within `tie` of each other as agreeing (a float tie has no right answer).
inline int top1_agreements(const std::vector<float>& reference, const std::vector<float>& other, size_t classes, double tie) {
  int agree = 0;
  for (size_t row = 0; row * classes < reference.size(); ++row) {
    const auto r = reference.begin() + static_cast<std::ptrdiff_t>(row * classes);
    const auto o = other.begin() + static_cast<std::ptrdiff_t>(row * classes);
    const auto rc = static_cast<size_t>(std::max_element(r, r + static_cast<std::ptrdiff_t>(classes)) - r);
    const auto oc = static_cast<size_t>(std::max_element(o, o + static_cast<std::ptrdiff_t>(classes)) - o);
    agree += rc == oc || std::fabs(static_cast<double>(r[rc]) - r[oc]) <= tie ? 1 : 0;
  }
  return agree;
}

inline std::vector<std::string> zoo_names() {
  std::vector<std::string> names;
  for (const zoo::ArchInfo& info : zoo::list_architectures()) names.push_back(info.name);
  return names;
}

}  // namespace gramlite::interop::testing
