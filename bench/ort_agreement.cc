// gramlite against ONNX Runtime on real images: a model file is exported to ONNX (int8 as QDQ),
// both run on up to COUNT images of a dataset split prepared as the model's metadata says, and the
// top-1 agreement, the mean cosine of the output rows and the largest output difference (relative
// to the largest |output|) are printed as one JSON object. For an int8 model, each disagreement is
// also measured in output LSB (the scale of the int8 tensor the output is dequantized from): how far
// apart gramlite's two candidate classes are in gramlite's output (the largest such gap is printed:
// a small one means every disagreement is a near tie that a few LSB of rounding decide).
//
//   build/bench/ort_agreement MODEL.gramlite DATA_DIR [SPLIT=test] [COUNT=200] [THREADS=1] [OPTIMIZE=all]
//
// The peer runs through tests/interop/ort_run.js in node with onnxruntime-node (third_party_peers/,
// or GRAMLITE_ORT_NODE_MODULES), one thread. OPTIMIZE "all": ORT's graph optimizations (QDQ fused
// into its integer QLinear kernels, which round differently); "none": the file's float QDQ meaning
// (dequantize, float op, quantize), the ONNX standard's own definition.
// Exit 3 when node or onnxruntime-node is missing; 1 on any other failure.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "gramlite/base/thread_pool.h"
#include "gramlite/classify/calibration_images.h"
#include "gramlite/format/model_file.h"
#include "gramlite/interop/onnx_export.h"
#include "gramlite/runtime/session.h"

namespace fs = std::filesystem;
using namespace gramlite;  // NOLINT: a small program

namespace {

int fail(const std::string& message, int code = 1) {
  std::cerr << "ort_agreement: " << message << "\n";
  return code;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string node_modules() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("GRAMLITE_ORT_NODE_MODULES")) candidates.emplace_back(env);
  candidates.push_back(std::string(GRAMLITE_SOURCE_DIR) + "/third_party_peers/node_modules");
  for (const std::string& c : candidates) {
    std::error_code ignored;
    if (fs::is_directory(c + "/onnxruntime-node", ignored)) return c;
  }
  return "";
}

size_t argmax(const float* row, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i) best = row[i] > row[best] ? i : best;
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    return fail("usage: ort_agreement MODEL.gramlite DATA_DIR [SPLIT=test] [COUNT=200] [THREADS=1] [OPTIMIZE=all|none]",
                2);
  }
  const std::string model_path = argv[1], data = argv[2];
  const std::string split = argc > 3 ? argv[3] : "test";
  const int64_t count = argc > 4 ? std::atoll(argv[4]) : 200;
  const int threads = argc > 5 ? std::atoi(argv[5]) : 1;
  const std::string optimize = argc > 6 ? argv[6] : "all";
  if (optimize != "all" && optimize != "none") return fail("OPTIMIZE must be all or none", 2);
  const std::string modules = node_modules();
  if (modules.empty()) return fail("onnxruntime-node is not installed (see docs/onnx-export.md)", 3);

  auto loaded = format::load_model(model_path);
  if (!loaded.ok()) return fail(loaded.status().message());
  auto graph = std::make_shared<const ir::Graph>(std::move(loaded).value());
  ThreadPool pool(threads);
  classify::CalibrationImageOptions image_options;
  image_options.count = count;
  image_options.split = split;
  image_options.pool = &pool;
  auto images = classify::load_calibration_images(*graph, model_path, data, image_options);
  if (!images.ok()) return fail(images.status().message());
  std::vector<float> input;
  for (const std::vector<float>& batch : images->batches) input.insert(input.end(), batch.begin(), batch.end());
  const int64_t n = images->image_count();
  const ir::Shape& chw = images->image_shape;

  // ORT_AGREEMENT_TRACE=INDEX:DIR writes image INDEX's input (DIR/input.bin, float32) and every int8
  // activation gramlite computes for it (DIR/<tensor>.bin), to find where the two runtimes part.
  if (const char* trace = std::getenv("ORT_AGREEMENT_TRACE")) {
    const std::string spec = trace;
    const int64_t index = std::atoll(spec.substr(0, spec.find(':')).c_str());
    const std::string trace_dir = spec.substr(spec.find(':') + 1);
    fs::create_directories(trace_dir);
    const size_t image_floats = static_cast<size_t>(chw[0] * chw[1] * chw[2]);
    const float* image = input.data() + static_cast<size_t>(index) * image_floats;
    std::ofstream(trace_dir + "/input.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(image), static_cast<std::streamsize>(image_floats * sizeof(float)));
    runtime::SessionOptions trace_options;
    trace_options.node_observer = [&](const runtime::NodeOutput& o) {
      if (o.dtype != ir::DType::kInt8) return;
      std::string name = graph->tensor(o.tensor).name;
      for (char& c : name) c = c == '/' ? '_' : c;
      std::ofstream(trace_dir + "/" + name + ".bin", std::ios::binary)
          .write(static_cast<const char*>(o.data), static_cast<std::streamsize>(ir::element_count(*o.shape)));
    };
    auto traced = runtime::Session::create(graph, trace_options);
    if (!traced.ok()) return fail(traced.status().message());
    if (Status st = (*traced)->prepare(1); !st.ok()) return fail(st.message());
    std::vector<float> traced_output(ir::element_count((*traced)->output_shapes()[0]));
    if (Status s = (*traced)->run({image}, {traced_output.data()}); !s.ok()) return fail(s.message());
  }

  runtime::SessionOptions session_options;
  session_options.pool = &pool;
  auto session = runtime::Session::create(graph, session_options);
  if (!session.ok()) return fail(session.status().message());
  if (Status s = (*session)->prepare(n); !s.ok()) return fail(s.message());
  const auto classes = static_cast<size_t>(ir::element_count((*session)->output_shapes()[0]) / n);
  std::vector<float> ours(static_cast<size_t>(n) * classes);
  if (Status s = (*session)->run({input.data()}, {ours.data()}); !s.ok()) return fail(s.message());

  const fs::path dir = fs::temp_directory_path() / ("ort_agreement." + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string onnx = (dir / "model.onnx").string(), in = (dir / "in.bin").string(),
                    out = (dir / "out.bin").string(), log = (dir / "log.txt").string();
  if (Status s = interop::export_onnx(*graph, onnx); !s.ok()) return fail(s.message());
  std::ofstream(in, std::ios::binary)
      .write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size() * sizeof(float)));
  const std::string dims = std::to_string(n) + "," + std::to_string(chw[0]) + "," + std::to_string(chw[1]) + "," +
                           std::to_string(chw[2]);
  const std::string command = "node " + shell_quote(std::string(GRAMLITE_SOURCE_DIR) + "/tests/interop/ort_run.js") +
                              " " + shell_quote(modules) + " " + shell_quote(onnx) + " " + shell_quote(in) + " " +
                              dims + " " + shell_quote(out) + (optimize == "none" ? " --no-optimize" : "") + " > " + shell_quote(log) + " 2>&1";
  const int status = std::system(command.c_str());
  const int code = status == -1 || !WIFEXITED(status) ? -1 : WEXITSTATUS(status);
  std::vector<float> theirs(ours.size());
  std::ifstream result(out, std::ios::binary);
  result.read(reinterpret_cast<char*>(theirs.data()), static_cast<std::streamsize>(theirs.size() * sizeof(float)));
  const bool read_all = code == 0 && result.gcount() == static_cast<std::streamsize>(theirs.size() * sizeof(float));
  std::error_code ignored;
  if (!read_all) {
    std::ifstream text(log);
    const std::string why((std::istreambuf_iterator<char>(text)), std::istreambuf_iterator<char>());
    fs::remove_all(dir, ignored);
    return fail("ONNX Runtime failed (exit " + std::to_string(code) + "): " + why, code == 127 || code == 3 ? 3 : 1);
  }
  fs::remove_all(dir, ignored);
  if (const char* dump = std::getenv("ORT_AGREEMENT_DUMP")) {  // PREFIX: PREFIX.gramlite.bin, PREFIX.ort.bin
    std::ofstream(std::string(dump) + ".gramlite.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(ours.data()), static_cast<std::streamsize>(ours.size() * sizeof(float)));
    std::ofstream(std::string(dump) + ".ort.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(theirs.data()), static_cast<std::streamsize>(theirs.size() * sizeof(float)));
  }

  float output_lsb = 0.0f;
  for (const ir::Node& node : graph->nodes) {
    if (node.kind == ir::OpKind::kDequantize && node.outputs[0] == graph->outputs[0]) {
      output_lsb = graph->tensor(node.inputs[0]).quant.scales[0];
    }
  }
  int64_t agree = 0;
  double widest_disagreement_lsb = 0.0;
  double cosine_sum = 0.0, max_diff = 0.0, max_abs = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* a = ours.data() + static_cast<size_t>(i) * classes;
    const float* b = theirs.data() + static_cast<size_t>(i) * classes;
    const size_t mine = argmax(a, classes), peer = argmax(b, classes);
    agree += mine == peer;
    if (mine != peer && output_lsb > 0) {
      widest_disagreement_lsb = std::max(widest_disagreement_lsb, static_cast<double>((a[mine] - a[peer]) / output_lsb));
    }
    double dot = 0.0, aa = 0.0, bb = 0.0;
    for (size_t c = 0; c < classes; ++c) {
      dot += static_cast<double>(a[c]) * b[c];
      aa += static_cast<double>(a[c]) * a[c];
      bb += static_cast<double>(b[c]) * b[c];
      max_diff = std::max(max_diff, std::fabs(static_cast<double>(a[c]) - b[c]));
      max_abs = std::max(max_abs, std::fabs(static_cast<double>(a[c])));
    }
    cosine_sum += aa > 0 && bb > 0 ? dot / std::sqrt(aa * bb) : 1.0;
  }
  std::printf("{\"model\": \"%s\", \"ort_optimization\": \"%s\", \"images\": %lld, \"top1_agreement\": %.4f, \"mean_cosine\": %.6f, "
              "\"max_abs_diff_relative\": %.6g, \"output_lsb\": %.6g, \"disagreements\": %lld, "
              "\"widest_disagreement_lsb\": %.3g}\n",
              model_path.c_str(), optimize.c_str(), static_cast<long long>(n), static_cast<double>(agree) / static_cast<double>(n),
              cosine_sum / static_cast<double>(n), max_abs > 0 ? max_diff / max_abs : max_diff,
              static_cast<double>(output_lsb), static_cast<long long>(n - agree), widest_disagreement_lsb);
  return 0;
}
