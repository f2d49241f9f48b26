#include "cli/evaluation.h"

#include <cmath>
#include <iomanip>
#include <iostream>

#include "gramlite/base/thread_pool.h"
#include "cli/cli_common.h"

namespace gramlite::cli {

Result<Evaluation> evaluate_on_dataset(std::shared_ptr<const ir::Graph> graph, const std::string& label,
                                       const std::string& data_root, const EvaluationOptions& flags) {
  gramlite::ThreadPool pool(flags.threads);
  std::unique_ptr<Progress> progress;
  classify::EvaluationOptions options;
  options.split = flags.split;
  options.batch = flags.batch;
  options.workers = flags.workers;
  options.pool = &pool;
  options.max_image_pixels = flags.max_image_pixels;
  options.on_progress = [&](int64_t done, int64_t total) {
    if (!progress) progress = std::make_unique<Progress>("evaluate", total, flags.progress);
    progress->update(done);
  };
  auto evaluation = classify::evaluate_on_dataset(std::move(graph), label, data_root, options);
  if (progress) progress->finish();
  if (!evaluation.ok()) return evaluation.status();
  for (const std::string& warning : evaluation->warnings) std::cerr << "gramlite: warning: " << warning << "\n";
  return evaluation;
}

void print_evaluation(const Evaluation& evaluation, const std::string& model_label, const std::string& data_root,
                      const std::string& split) {
  const report::ClassificationReport& report = evaluation.report;
  std::cout << std::fixed << std::setprecision(4);
  std::cout << model_label << " on " << data_root << " (" << (split.empty() ? "all" : split) << ", " << report.samples
            << " images";
  if (evaluation.stats.skipped > 0) std::cout << ", " << evaluation.stats.skipped << " unreadable skipped";
  std::cout << ")\naccuracy " << report.accuracy << "   macro F1 " << report.macro_f1 << "   macro ROC AUC "
            << report.macro_roc_auc << "\n\n";
  std::cout << std::left << std::setw(32) << "class" << std::right << std::setw(9) << "support" << std::setw(11)
            << "precision" << std::setw(9) << "recall" << std::setw(9) << "F1" << std::setw(9) << "AUC" << "\n";
  for (const report::ClassMetrics& m : report.classes) {
    std::cout << std::left << std::setw(32) << m.name << std::right << std::setw(9) << m.support << std::setw(11)
              << m.precision << std::setw(9) << m.recall << std::setw(9) << m.f1 << std::setw(9) << m.roc_auc << "\n";
  }
  std::cout << "\nconfusion matrix (rows: true class, columns: predicted)\n";
  for (size_t t = 0; t < report.confusion.size(); ++t) {
    std::cout << std::left << std::setw(32) << report.classes[t].name << std::right;
    for (int64_t count : report.confusion[t]) std::cout << std::setw(8) << count;
    std::cout << "\n";
  }
  std::cout.unsetf(std::ios::floatfield);
}

}  // namespace gramlite::cli
