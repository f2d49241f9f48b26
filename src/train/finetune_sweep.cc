#include "gramlite/train/finetune_sweep.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <sstream>

#include "gramlite/base/thread_pool.h"
#include "gramlite/classify/evaluation.h"
#include "gramlite/base/atomic_file.h"
#include "gramlite/report/svg_plot.h"

namespace gramlite::train {

const char* const kFinetuneSweepCsvHeader =
    "fraction,run,seed,unfrozen_layers,backbone_layers,trainable_parameters,epochs,best_epoch,val_loss,val_accuracy,"
    "test_accuracy,test_macro_f1,test_macro_roc_auc,seconds";

std::string finetune_fraction_text(double fraction) {
  std::ostringstream out;
  out << std::setprecision(4) << fraction;
  return out.str();
}

namespace {

namespace fs = std::filesystem;

constexpr size_t kCsvFields = 14;

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) fields.push_back(field);
  return fields;
}

double parse_or_nan(const std::string& s) {
  try {
    size_t used = 0;
    const double v = std::stod(s, &used);
    return used == s.size() ? v : NAN;
  } catch (const std::exception&) {
    return NAN;
  }
}

// Rows of an earlier (interrupted) sweep in the same folder, so they are not run again.
Result<std::vector<FinetuneSweepRow>> read_rows(const std::string& path) {
  std::vector<FinetuneSweepRow> rows;
  std::ifstream in(path);
  if (!in) return rows;
  std::string line;
  if (!std::getline(in, line)) return rows;
  if (line != kFinetuneSweepCsvHeader) {
    return invalid_argument("'", path, "' is not a finetune sweep table from this version; use another -o folder");
  }
  while (std::getline(in, line)) {
    const std::vector<std::string> f = split_csv(line);
    if (f.size() != kCsvFields) return corrupt_data("'", path, "': malformed row '", line, "'");
    FinetuneSweepRow row;
    row.fraction = parse_or_nan(f[0]);
    row.run = static_cast<int>(parse_or_nan(f[1]));
    row.val_accuracy = parse_or_nan(f[9]);
    row.test_accuracy = parse_or_nan(f[10]);
    row.seconds = parse_or_nan(f[13]);
    row.line = line;
    rows.push_back(row);
  }
  return rows;
}

Status write_rows(const std::string& path, const std::vector<FinetuneSweepRow>& rows) {
  std::string text = std::string(kFinetuneSweepCsvHeader) + "\n";
  for (const FinetuneSweepRow& row : rows) text += row.line + "\n";
  return write_text_file_atomically(path, text);
}

std::string csv_number(double v) {
  if (!std::isfinite(v)) return "";
  std::ostringstream out;
  out << std::setprecision(6) << v;
  return out.str();
}

Status check_options(const FinetuneSweepOptions& options) {
  if (options.output_dir.empty()) return invalid_argument("the sweep needs an output folder");
  if (options.runs < 1) return invalid_argument("runs per fraction must be at least 1, got ", options.runs);
  for (double fraction : options.fractions) {
    if (!(fraction >= 0.0 && fraction <= 1.0)) return invalid_argument("fraction ", fraction, " is not in [0, 1]");
  }
  return Status();
}

// Trains and tests one cell; the row as the table writes it.
Result<FinetuneSweepRow> run_cell(const FinetuneSweepOptions& options, const FinetuneSweepCallbacks& callbacks,
                                  const FinetuneSweepCell& cell, const TrainingJobOptions& job) {
  auto trained = run_training_job(job, callbacks.training);
  if (!trained.ok()) return trained.status().with_context(str_cat("fraction ", cell.fraction, " run ", cell.run));
  const TrainSummary& summary = trained->summary;
  const EpochRecord& best = summary.history[static_cast<size_t>(summary.best_epoch - 1)];

  ThreadPool pool(trained->setup.threads);
  classify::EvaluationOptions evaluation_options;
  evaluation_options.split = options.test_split;
  evaluation_options.workers = trained->setup.workers;
  evaluation_options.pool = &pool;
  auto graph = std::make_shared<const ir::Graph>(summary.model);
  auto test = classify::evaluate_on_dataset(graph, job.output, options.job.data, evaluation_options);
  if (!test.ok()) {
    return test.status().with_context(str_cat("testing fraction ", cell.fraction, " run ", cell.run));
  }
  if (callbacks.on_warning) {
    for (const std::string& warning : test->warnings) callbacks.on_warning(warning);
  }

  FinetuneSweepRow row;
  row.fraction = cell.fraction;
  row.run = cell.run;
  row.val_accuracy = best.val_accuracy;
  row.test_accuracy = test->report.accuracy;
  row.seconds = summary.seconds;
  row.line = str_cat(finetune_fraction_text(cell.fraction), ",", cell.run, ",", cell.seed, ",", summary.unfrozen_layers,
                     ",", summary.backbone_layers, ",", summary.trainable_parameters, ",", summary.history.size(), ",",
                     summary.best_epoch, ",", csv_number(best.val_loss), ",", csv_number(best.val_accuracy), ",",
                     csv_number(test->report.accuracy), ",", csv_number(test->report.macro_f1), ",",
                     csv_number(test->report.macro_roc_auc), ",", csv_number(summary.seconds));
  return row;
}

// Mean +- sd per requested fraction. Settings compare as the table writes them (4 significant
// digits), as finished runs are matched.
std::vector<FinetuneFractionSummary> summarize(const std::vector<double>& fractions,
                                               const std::vector<FinetuneSweepRow>& rows) {
  std::vector<double> settings;
  std::vector<std::pair<double, double>> val_runs;
  std::vector<std::pair<double, double>> test_runs;
  for (double fraction : fractions) settings.push_back(parse_or_nan(finetune_fraction_text(fraction)));
  for (const FinetuneSweepRow& r : rows) {
    const double setting = parse_or_nan(finetune_fraction_text(r.fraction));
    val_runs.emplace_back(setting, r.val_accuracy);
    test_runs.emplace_back(setting, r.test_accuracy);
  }
  const std::vector<report::SettingSummary> val = report::summarize_by_setting(settings, val_runs, 0.0);
  const std::vector<report::SettingSummary> test = report::summarize_by_setting(settings, test_runs, 0.0);
  std::vector<FinetuneFractionSummary> summaries;
  for (size_t i = 0; i < fractions.size(); ++i) {
    summaries.push_back({fractions[i], test[i].runs, val[i].value, test[i].value});
  }
  return summaries;
}

std::string render_plot(const FinetuneSweepOptions& options, const std::vector<FinetuneFractionSummary>& summaries) {
  report::PlotSeries test{"test accuracy", "#1f77b4", {}, {}, {}};
  report::PlotSeries val{"val accuracy", "#ff7f0e", {}, {}, {}};
  for (const FinetuneFractionSummary& s : summaries) {
    for (auto* series : {&test, &val}) series->x.push_back(s.fraction);
    test.mean.push_back(s.test_accuracy.mean);
    test.sd.push_back(s.test_accuracy.sd);
    val.mean.push_back(s.val_accuracy.mean);
    val.sd.push_back(s.val_accuracy.sd);
  }
  const ModelSourceOptions& model = options.job.model;
  return report::render_error_bar_plot(
      str_cat("fine-tuning ", model.arch.empty() ? model.pretrained : model.arch, " (", options.runs,
              " runs per fraction)"),
      "fraction of backbone layers trained", "accuracy (mean +- sd)", {test, val}, 0.0, 1.0);
}

}  // namespace

Result<FinetuneSweepResult> run_finetune_sweep(const FinetuneSweepOptions& options,
                                               const FinetuneSweepCallbacks& callbacks) {
  if (Status s = check_options(options); !s.ok()) return s;
  std::error_code error;
  fs::create_directories(fs::path(options.output_dir) / "runs", error);
  if (error) return io_error("cannot create '", options.output_dir, "': ", error.message());
  FinetuneSweepResult result;
  result.csv_path = (fs::path(options.output_dir) / "finetune.csv").string();
  result.svg_path = (fs::path(options.output_dir) / "finetune.svg").string();
  auto existing = read_rows(result.csv_path);
  if (!existing.ok()) return existing.status();
  result.rows = std::move(existing).value();

  FinetuneSweepCell cell;
  cell.total = static_cast<int>(options.fractions.size()) * options.runs;
  for (double fraction : options.fractions) {
    for (int run = 0; run < options.runs; ++run) {
      ++cell.index;
      cell.fraction = fraction;
      cell.run = run;
      cell.seed = options.job.seed + static_cast<uint64_t>(run);
      const bool have = std::any_of(result.rows.begin(), result.rows.end(), [&](const FinetuneSweepRow& r) {
        return finetune_fraction_text(r.fraction) == finetune_fraction_text(fraction) && r.run == run;
      });
      if (have) {
        if (callbacks.on_cell_skipped) callbacks.on_cell_skipped(cell);
        continue;
      }
      TrainingJobOptions job = options.job;
      job.finetune = fraction;
      job.seed = cell.seed;
      job.output = (fs::path(options.output_dir) / "runs" /
                    str_cat("f", finetune_fraction_text(fraction), "_run", run, ".gramlite"))
                       .string();
      job.checkpoint.clear();  // derived from the output
      job.log.clear();
      job.resume = false;
      if (callbacks.on_cell_start) callbacks.on_cell_start(cell);
      auto row = run_cell(options, callbacks, cell, job);
      if (!row.ok()) return row.status();
      result.rows.push_back(*row);
      if (Status s = write_rows(result.csv_path, result.rows); !s.ok()) return s;
      if (callbacks.on_cell_done) callbacks.on_cell_done(cell, result.rows.back());
      if (!options.keep_models) {
        for (const std::string& file : {job.output, checkpoint_path(job)}) fs::remove(file, error);
      }
    }
  }

  result.by_fraction = summarize(options.fractions, result.rows);
  if (Status s = write_text_file_atomically(result.svg_path, render_plot(options, result.by_fraction));
      !s.ok()) {
    return s;
  }
  return result;
}

}  // namespace gramlite::train
