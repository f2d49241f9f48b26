#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <numeric>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "data/image.h"
#include "format/model_file.h"
#include "runtime/session.h"
#include "base/thread_pool.h"

namespace gramlite::cli {
namespace {

struct RunFlags {
  std::string model;
  std::vector<std::string> images;
  int top_k = 5;
  int threads = 1;
  int batch = 8;
  bool json = false;
};

int run_model(const RunFlags& flags) {
  auto loaded = format::load_model(flags.model);
  if (!loaded.ok()) return report_error(loaded.status());
  auto graph = std::make_shared<const ir::Graph>(std::move(loaded).value());
  if (graph->inputs.size() != 1 || graph->outputs.size() != 1) {
    return report_error(unsupported("'", flags.model, "' has ", graph->inputs.size(), " inputs and ",
                                    graph->outputs.size(), " outputs; 'run' classifies with one image input"));
  }
  const ir::Shape& input_shape = graph->tensor(graph->inputs[0]).shape;
  if (input_shape.size() != 4 || input_shape[1] != 3) {
    return report_error(unsupported("'", flags.model, "' takes input ", ir::shape_to_string(input_shape),
                                    "; 'run' needs [N, 3, H, W]"));
  }
  const int height = static_cast<int>(input_shape[2]);
  const int width = static_cast<int>(input_shape[3]);
  gramlite::ThreadPool pool(flags.threads);
  runtime::SessionOptions options;
  options.pool = &pool;
  auto session = runtime::Session::create(graph, options);
  if (!session.ok()) return report_error(session.status().with_context(flags.model));

  const ir::ModelMetadata& meta = graph->metadata;
  const size_t image_floats = static_cast<size_t>(3) * height * width;
  nlohmann::json results = nlohmann::json::array();
  int failures = 0;
  int64_t prepared_batch = 0;
  for (size_t start = 0; start < flags.images.size(); start += static_cast<size_t>(flags.batch)) {
    const size_t end = std::min(flags.images.size(), start + static_cast<size_t>(flags.batch));
    std::vector<float> input;
    std::vector<std::string> paths;
    for (size_t i = start; i < end; ++i) {
      auto image = data::read_rgb_image(flags.images[i]);
      if (!image.ok()) {
        report_error(image.status());
        ++failures;
        continue;
      }
      input.resize(input.size() + image_floats);
      Status s = data::image_to_tensor(*image, meta.preprocessing, width, height, input.data() + input.size() - image_floats);
      if (!s.ok()) {
        report_error(s.with_context(flags.images[i]));
        input.resize(input.size() - image_floats);
        ++failures;
        continue;
      }
      paths.push_back(flags.images[i]);
    }
    if (paths.empty()) continue;
    const auto batch = static_cast<int64_t>(paths.size());
    if (batch != prepared_batch) {
      if (Status s = (*session)->prepare(batch); !s.ok()) return report_error(s.with_context(flags.model));
      prepared_batch = batch;
    }
    const ir::Shape& out_shape = (*session)->output_shapes()[0];
    const size_t classes = static_cast<size_t>(ir::element_count(out_shape) / batch);
    std::vector<float> output(static_cast<size_t>(batch) * classes);
    if (Status s = (*session)->run({input.data()}, {output.data()}); !s.ok()) return report_error(s);
    if (meta.output_kind == ir::OutputKind::kLogits) softmax_rows(output, classes);
    for (size_t b = 0; b < paths.size(); ++b) {
      const float* row = output.data() + b * classes;
      const std::vector<float> probs(row, row + classes);
      std::vector<size_t> order(classes);
      std::iota(order.begin(), order.end(), 0);
      const size_t k = std::min(classes, static_cast<size_t>(flags.top_k));
      std::partial_sort(order.begin(), order.begin() + static_cast<long>(k), order.end(),
                        [&](size_t a, size_t c) { return probs[a] > probs[c]; });
      nlohmann::json top = nlohmann::json::array();
      if (!flags.json) std::cout << paths[b] << ":";
      for (size_t i = 0; i < k; ++i) {
        const size_t c = order[i];
        const std::string name = c < meta.class_names.size() ? meta.class_names[c] : "class_" + std::to_string(c);
        top.push_back({{"class", name}, {"index", c}, {"probability", probs[c]}});
        if (!flags.json) std::cout << (i ? ", " : " ") << name << " " << std::fixed << std::setprecision(4) << probs[c];
      }
      if (!flags.json) std::cout << "\n";
      results.push_back({{"image", paths[b]}, {"top", top}});
    }
  }
  if (flags.json) std::cout << results.dump(2) << "\n";
  if (failures > 0) {
    std::cerr << "gramlite: " << failures << " of " << flags.images.size() << " images could not be read\n";
    return 4;
  }
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand("run", "Classify images with a model: top-k classes per image");
  cmd->add_option("FILE", flags->model, "Model file")->required();
  cmd->add_option("IMAGE", flags->images, "Images (PNG, JPEG, TIFF, ...)")->required();
  cmd->add_option("-k,--top-k", flags->top_k, "Classes to show per image")->check(positive_number());
  cmd->add_option("--threads", flags->threads, "Threads")->check(CLI::Range(1, 256));
  cmd->add_option("--batch", flags->batch, "Images per inference batch")->check(CLI::Range(1, 4096));
  cmd->add_flag("--json", flags->json, "Machine-readable output");
  cmd->callback([flags, &exit_code] { exit_code = run_model(*flags); });
}

}  // namespace gramlite::cli
