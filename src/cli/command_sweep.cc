// `gramlite sweep finetune`: the study's layer-fraction experiment. For every fraction and run,
// fine-tune (train/training_job.h) with seed + run, score the kept model on the test split with the
// runtime, and append a row to DIR/finetune.csv; then plot mean +- sd per fraction to
// DIR/finetune.svg (report/sweep_table.h, report/svg_plot.h). Rows already in the CSV are not run again, so an interrupted sweep resumes.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "base/temp_paths.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/evaluation.h"
#include "cli/training_job.h"
#include "report/svg_plot.h"
#include "report/sweep_table.h"
#include "train/threads.h"
#include "base/atomic_file.h"

namespace gramlite::cli {
namespace {

namespace fs = std::filesystem;

struct SweepFlags {
  TrainFlags train;
  std::vector<double> fractions{0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  int runs = 3;
  std::string output_dir;
  std::string test_split = "test";
  bool keep_models = false;
};

constexpr const char* kCsvHeader =
    "fraction,run,seed,unfrozen_layers,backbone_layers,trainable_parameters,epochs,best_epoch,val_loss,val_accuracy,"
    "test_accuracy,test_macro_f1,test_macro_roc_auc,seconds";

struct Row {
  double fraction = 0.0;
  int run = 0;
  std::string line;
  double val_accuracy = NAN;
  double test_accuracy = NAN;
};

std::string fraction_text(double f) {
  std::ostringstream out;
  out << std::setprecision(4) << f;
  return out.str();
}

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
Result<std::vector<Row>> read_rows(const std::string& path) {
  std::vector<Row> rows;
  std::ifstream in(path);
  if (!in) return rows;
  std::string line;
  if (!std::getline(in, line)) return rows;
  if (line != kCsvHeader) return invalid_argument("'", path, "' is not a finetune sweep table from this version; use another -o folder");
  while (std::getline(in, line)) {
    const std::vector<std::string> f = split_csv(line);
    if (f.size() != 14) return corrupt_data("'", path, "': malformed row '", line, "'");
    Row row;
    row.fraction = parse_or_nan(f[0]);
    row.run = static_cast<int>(parse_or_nan(f[1]));
    row.val_accuracy = parse_or_nan(f[9]);
    row.test_accuracy = parse_or_nan(f[10]);
    row.line = line;
    rows.push_back(row);
  }
  return rows;
}

Status write_rows(const std::string& path, const std::vector<Row>& rows) {
  std::string text = std::string(kCsvHeader) + "\n";
  for (const Row& row : rows) text += row.line + "\n";
  return write_text_file_atomically(path, text);
}

std::string csv_number(double v) {
  if (!std::isfinite(v)) return "";
  std::ostringstream out;
  out << std::setprecision(6) << v;
  return out.str();
}

int sweep_finetune(const SweepFlags& flags) {
  on_interrupt(remove_registered_temp_paths);
  on_interrupt([] {
    std::cerr << "\ngramlite: finished runs are in finetune.csv; the same command continues with the rest" << std::endl;
  });
  std::error_code error;
  fs::create_directories(fs::path(flags.output_dir) / "runs", error);
  if (error) return report_error(io_error("cannot create '", flags.output_dir, "': ", error.message()));
  const std::string csv_path = (fs::path(flags.output_dir) / "finetune.csv").string();
  auto existing = read_rows(csv_path);
  if (!existing.ok()) return report_error(existing.status());
  std::vector<Row> rows = std::move(existing).value();

  const int total = static_cast<int>(flags.fractions.size()) * flags.runs;
  int done = 0;
  for (double fraction : flags.fractions) {
    for (int run = 0; run < flags.runs; ++run) {
      ++done;
      const bool have = std::any_of(rows.begin(), rows.end(), [&](const Row& r) {
        return fraction_text(r.fraction) == fraction_text(fraction) && r.run == run;
      });
      if (have) {
        std::cout << "[" << done << "/" << total << "] fraction " << fraction_text(fraction) << " run " << run
                  << ": already in " << csv_path << "\n";
        continue;
      }
      TrainFlags train = flags.train;
      train.finetune = fraction;
      train.seed = flags.train.seed + static_cast<uint64_t>(run);
      const std::string stem = (fs::path(flags.output_dir) / "runs" / str_cat("f", fraction_text(fraction), "_run", run)).string();
      train.output = stem + ".gramlite";
      train.resume = false;
      std::cout << "[" << done << "/" << total << "] fraction " << fraction_text(fraction) << " run " << run
                << " (seed " << train.seed << ") ..." << std::flush;
      auto job = training_job_options(train);
      if (!job.ok()) return report_error(job.status());
      auto trained = train::run_training_job(*job);
      if (!trained.ok()) return report_error(trained.status().with_context(str_cat("fraction ", fraction, " run ", run)));
      const train::TrainSummary& summary = trained->summary;
      const train::EpochRecord& best = summary.history[static_cast<size_t>(summary.best_epoch - 1)];

      EvaluationOptions evaluation_options;
      evaluation_options.split = flags.test_split;
      evaluation_options.threads = trained->setup.threads;
      evaluation_options.workers = trained->setup.workers;
      evaluation_options.progress = false;
      auto graph = std::make_shared<const ir::Graph>(summary.model);
      auto test = evaluate_on_dataset(graph, train.output, flags.train.data, evaluation_options);
      if (!test.ok()) return report_error(test.status().with_context(str_cat("testing fraction ", fraction, " run ", run)));

      Row row;
      row.fraction = fraction;
      row.run = run;
      row.val_accuracy = best.val_accuracy;
      row.test_accuracy = test->report.accuracy;
      row.line = str_cat(fraction_text(fraction), ",", run, ",", train.seed, ",", summary.unfrozen_layers, ",",
                         summary.backbone_layers, ",", summary.trainable_parameters, ",", summary.history.size(), ",",
                         summary.best_epoch, ",", csv_number(best.val_loss), ",", csv_number(best.val_accuracy), ",",
                         csv_number(test->report.accuracy), ",", csv_number(test->report.macro_f1), ",",
                         csv_number(test->report.macro_roc_auc), ",", csv_number(summary.seconds));
      rows.push_back(row);
      if (Status s = write_rows(csv_path, rows); !s.ok()) return report_error(s);
      std::cout << std::fixed << std::setprecision(4) << " val acc " << best.val_accuracy << ", test acc "
                << test->report.accuracy << std::setprecision(1) << ", " << summary.seconds << " s" << std::endl;
      std::cout.unsetf(std::ios::floatfield);
      if (!flags.keep_models) {
        for (const std::string& file : {train.output, train::checkpoint_path(*job)}) fs::remove(file, error);
      }
    }
  }

  // Settings compare as the table writes them (4 significant digits), as finished runs are matched.
  std::vector<double> settings;
  std::vector<std::pair<double, double>> val_runs;
  std::vector<std::pair<double, double>> test_runs;
  for (double fraction : flags.fractions) settings.push_back(parse_or_nan(fraction_text(fraction)));
  for (const Row& r : rows) {
    const double setting = parse_or_nan(fraction_text(r.fraction));
    val_runs.emplace_back(setting, r.val_accuracy);
    test_runs.emplace_back(setting, r.test_accuracy);
  }
  const std::vector<report::SettingSummary> val_summary = report::summarize_by_setting(settings, val_runs, 0.0);
  const std::vector<report::SettingSummary> test_summary = report::summarize_by_setting(settings, test_runs, 0.0);
  report::PlotSeries test{"test accuracy", "#1f77b4", {}, {}, {}};
  report::PlotSeries val{"val accuracy", "#ff7f0e", {}, {}, {}};
  std::cout << "\nfraction  runs  val accuracy (mean +- sd)  test accuracy (mean +- sd)\n";
  for (size_t i = 0; i < flags.fractions.size(); ++i) {
    const report::MeanSd& v = val_summary[i].value;
    const report::MeanSd& t = test_summary[i].value;
    for (auto* s : {&test, &val}) s->x.push_back(flags.fractions[i]);
    test.mean.push_back(t.mean);
    test.sd.push_back(t.sd);
    val.mean.push_back(v.mean);
    val.sd.push_back(v.sd);
    std::cout << std::fixed << std::setprecision(4) << std::setw(8) << fraction_text(flags.fractions[i]) << std::setw(6)
              << test_summary[i].runs << "  " << std::setw(10) << v.mean << " +- " << std::setw(6) << v.sd
              << "         " << std::setw(10) << t.mean << " +- " << std::setw(6) << t.sd << "\n";
  }
  const std::string svg_path = (fs::path(flags.output_dir) / "finetune.svg").string();
  const std::string svg = report::render_error_bar_plot(
      str_cat("fine-tuning ", flags.train.arch.empty() ? flags.train.pretrained : flags.train.arch, " (", flags.runs,
              " runs per fraction)"),
      "fraction of backbone layers trained", "accuracy (mean +- sd)", {test, val}, 0.0, 1.0);
  if (Status s = write_text_file_atomically(svg_path, svg); !s.ok()) {
    return report_error(s);
  }
  std::cout << "\ntable " << csv_path << "\nplot  " << svg_path << "\n";
  return 0;
}

}  // namespace

void add_sweep_command(CLI::App& app, int& exit_code) {
  CLI::App* sweep = app.add_subcommand("sweep", "Run a training experiment over a grid of settings");
  sweep->require_subcommand(1);
  auto flags = std::make_shared<SweepFlags>();
  CLI::App* cmd = sweep->add_subcommand(
      "finetune", "The study's experiment: accuracy against the fraction of backbone layers fine-tuned");
  add_training_options(cmd, flags->train);
  cmd->add_option("--fractions", flags->fractions, "Fractions to try, comma separated")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--runs", flags->runs, "Runs per fraction (seeds SEED, SEED+1, ...)")->check(CLI::Range(1, 1000));
  cmd->add_option("--test-split", flags->test_split, "Split scored after training");
  cmd->add_flag("--keep-models", flags->keep_models, "Keep every run's model and checkpoint under DIR/runs");
  cmd->add_option("-o,--output", flags->output_dir, "Output folder (finetune.csv, finetune.svg, runs/)")->required();
  cmd->callback([flags, &exit_code] { exit_code = sweep_finetune(*flags); });
}

}  // namespace gramlite::cli
