#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/evaluation.h"
#include "gramlite/base/atomic_file.h"
#include "gramlite/format/model_file.h"

namespace gramlite::cli {
namespace {

struct EvaluateFlags {
  std::string model;
  std::string data;
  std::string split = "test";
  int batch = 32;
  int threads = 1;
  int workers = 2;
  int64_t max_image_pixels = 0;
  bool json = false;
  std::string predictions;
};

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// One row per scored image: its path, true and predicted class, and the model's raw outputs
// (logits or probabilities, as the model gives them; 9 significant digits, enough to round-trip a
// float), so that two models' predictions can be compared image by image.
Status write_predictions(const std::string& path, const Evaluation& evaluation) {
  const std::vector<std::string>& names = evaluation.dataset.class_names;
  std::string csv = "image,label,predicted";
  for (const std::string& name : names) csv += "," + csv_field("output:" + name);
  csv += "\n";
  const size_t classes = evaluation.classes;
  for (size_t i = 0; i < evaluation.image_paths.size(); ++i) {
    const float* row = evaluation.outputs.data() + i * classes;
    const auto predicted = static_cast<size_t>(std::max_element(row, row + classes) - row);
    csv += csv_field(evaluation.image_paths[i]) + "," + csv_field(names[static_cast<size_t>(evaluation.labels[i])]) + "," +
           csv_field(names[predicted]);
    for (size_t c = 0; c < classes; ++c) {
      char number[32];
      std::snprintf(number, sizeof number, "%.9g", static_cast<double>(row[c]));
      csv += ",";
      csv += number;
    }
    csv += "\n";
  }
  return write_text_file_atomically(path, csv);
}

int evaluate_model(const EvaluateFlags& flags) {
  if (!flags.predictions.empty()) {
    std::error_code error;
    if (flags.predictions == flags.model || std::filesystem::is_directory(flags.predictions, error)) {
      return report_error(invalid_argument("--predictions '", flags.predictions,
                                           "' must be a new CSV file (not the model, not a folder)"));
    }
  }
  auto loaded = format::load_model(flags.model);
  if (!loaded.ok()) return report_error(loaded.status());
  auto graph = std::make_shared<const ir::Graph>(std::move(loaded).value());
  EvaluationOptions options;
  options.split = flags.split;
  options.batch = flags.batch;
  options.threads = flags.threads;
  options.workers = flags.workers;
  options.max_image_pixels = flags.max_image_pixels;
  options.progress = !flags.json;
  auto evaluation = evaluate_on_dataset(graph, flags.model, flags.data, options);
  if (!evaluation.ok()) return report_error(evaluation.status());
  const report::ClassificationReport& report = evaluation->report;
  if (!flags.predictions.empty()) {
    if (Status written = write_predictions(flags.predictions, *evaluation); !written.ok()) return report_error(written);
  }
  if (flags.json) {
    nlohmann::json j = {{"model", flags.model}, {"data", flags.data}, {"split", flags.split},
                        {"samples", report.samples}, {"skipped", evaluation->stats.skipped}, {"accuracy", report.accuracy},
                        {"macro_f1", report.macro_f1}, {"confusion", report.confusion}};
    j["macro_roc_auc"] = std::isnan(report.macro_roc_auc) ? nlohmann::json() : nlohmann::json(report.macro_roc_auc);
    for (const report::ClassMetrics& m : report.classes) {
      j["classes"].push_back({{"name", m.name}, {"support", m.support}, {"precision", m.precision},
                              {"recall", m.recall}, {"f1", m.f1},
                              {"roc_auc", std::isnan(m.roc_auc) ? nlohmann::json() : nlohmann::json(m.roc_auc)}});
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  print_evaluation(*evaluation, flags.model, flags.data, flags.split);
  return 0;
}

}  // namespace

void add_evaluate_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<EvaluateFlags>();
  CLI::App* cmd = app.add_subcommand("evaluate", "Score a model on a folder-per-class dataset with the runtime that ships");
  cmd->add_option("FILE", flags->model, "Model file")->required();
  cmd->add_option("--data", flags->data, "Dataset folder (flat, train/val/test split folders, or a manifest)")->required();
  cmd->add_option("--split", flags->split, "Split to score in a split layout (train, val, test; \"\" for a flat folder)");
  cmd->add_option("--batch", flags->batch, "Images per inference batch")->check(CLI::Range(1, 4096));
  cmd->add_option("--threads", flags->threads, "Inference threads")->check(CLI::Range(1, 256));
  cmd->add_option("--workers", flags->workers, "Image-decoding threads")->check(CLI::Range(1, 64));
  cmd->add_option("--max-image-pixels", flags->max_image_pixels,
                  "Skip an image whose decoded width x height exceeds this (0: the built-in bound)")
      ->check(non_negative_number());
  cmd->add_flag("--json", flags->json, "Machine-readable output");
  cmd->add_option("--predictions", flags->predictions,
                  "Write one CSV row per image: path, label, predicted class and the model's raw outputs");
  cmd->callback([flags, &exit_code] { exit_code = evaluate_model(*flags); });
}

}  // namespace gramlite::cli
