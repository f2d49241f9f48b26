#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>

#include "gramlite/base/thread_pool.h"
#include "gramlite/classify/classifier.h"
#include "cli/cli_common.h"
#include "cli/commands.h"

namespace gramlite::cli {
namespace {

struct RunFlags {
  std::string model;
  std::vector<std::string> images;
  int top_k = 5;
  int threads = 1;
  int batch = 8;
  int64_t max_image_pixels = 0;
  bool json = false;
};

// Prints the classified images, then one error line per image that failed (no summary line: each
// error is one line). Exit code: that of the first failure (3 missing image, 4 undecodable image or
// non-finite output), 0 when every image was classified. When the model gives a non-finite output
// for every image, it is the model that is broken: one line names it instead of one per image.
int run_model(const RunFlags& flags) {
  gramlite::ThreadPool pool(flags.threads);
  classify::ClassifierOptions options;
  options.pool = &pool;
  options.batch = flags.batch;
  options.max_image_pixels = flags.max_image_pixels;
  auto classifier = classify::Classifier::open(flags.model, options);
  if (!classifier.ok()) return report_error(classifier.status());
  auto results = (*classifier)->classify_files(flags.images);
  if (!results.ok()) return report_error(results.status());

  const bool every_output_not_finite =
      results->size() > 1 && std::all_of(results->begin(), results->end(), [](const auto& r) { return r.output_not_finite; });
  if (every_output_not_finite) {
    return report_error(corrupt_data("the output of '", flags.model, "' is not finite (NaN or infinity) for all ",
                                     results->size(), " images: the model's weights or preprocessing are broken "
                                     "(see 'gramlite info')"));
  }
  const std::vector<std::string>& names = (*classifier)->class_names();
  nlohmann::json json_results = nlohmann::json::array();
  for (const classify::ImageClassification& result : *results) {
    if (!result.status.ok()) continue;
    const std::vector<classify::ClassScore> top =
        classify::top_classes(result.probabilities, static_cast<size_t>(flags.top_k), names);
    nlohmann::json json_top = nlohmann::json::array();
    if (!flags.json) std::cout << result.image << ":";
    for (size_t i = 0; i < top.size(); ++i) {
      json_top.push_back({{"class", top[i].name}, {"index", top[i].index}, {"probability", top[i].probability}});
      if (!flags.json) {
        std::cout << (i ? ", " : " ") << top[i].name << " " << std::fixed << std::setprecision(4) << top[i].probability;
      }
    }
    if (!flags.json) std::cout << "\n";
    json_results.push_back({{"image", result.image}, {"top", json_top}});
  }
  if (flags.json) std::cout << json_results.dump(2) << "\n";
  std::cout.flush();
  int exit_code = 0;
  for (const classify::ImageClassification& result : *results) {
    const int code = report_error(result.status);
    if (exit_code == 0) exit_code = code;
  }
  return exit_code;
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
  cmd->add_option("--max-image-pixels", flags->max_image_pixels,
                  "Refuse an image whose decoded width x height exceeds this (0: the built-in bound)")
      ->check(non_negative_number());
  cmd->add_flag("--json", flags->json, "Machine-readable output");
  cmd->callback([flags, &exit_code] { exit_code = run_model(*flags); });
}

}  // namespace gramlite::cli
