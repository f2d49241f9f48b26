// `gramlite prune`: unstructured magnitude pruning during fine-tuning (train/pruning.h), with the
// console of `gramlite train` (a progress bar per epoch, a line per epoch), then the pruned layers.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "gramlite/base/temp_paths.h"
#include "gramlite/format/model_file.h"
#include "gramlite/train/pruning.h"
#include "gramlite/train/structured_pruning.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/training_console.h"
#include "cli/training_job.h"

namespace gramlite::cli {
namespace {

struct PruneFlags {
  TrainFlags train;  // train.model is the model to prune
  double sparsity = -1.0;
  std::string schedule = "polynomial";
  double initial_sparsity = 0.0;
  int64_t begin_step = 0;
  int64_t end_step = -1;
  int64_t frequency = 0;
  double power = 3.0;
  std::string allocation = "uniform";
  std::string block = "1x1";
  bool include_first_conv = false;
  bool include_depthwise = false;
  std::vector<std::string> skip;
  int probe_images = 256;
  bool distill = false;
  std::string teacher;  // --teacher FILE; default: the model being pruned
  double distill_temperature = 4.0;
  double distill_weight = 0.5;
  double structured = -1.0;
  std::string criterion = "l1";
  int steps = 1;
  std::string target = "macs";
  bool per_cost = false;
  int latency_runs = 50;
  int64_t round_to = 8;
  int taylor_batches = 16;
};

// The teacher for --distill: --teacher FILE, else the model being pruned, as it is.
Status add_teacher(const PruneFlags& f, train::TrainingJobOptions& job) {
  if (!f.distill && f.teacher.empty()) return Status::Ok();
  const std::string& file = f.teacher.empty() ? f.train.model : f.teacher;
  GRAMLITE_ASSIGN_OR_RETURN(ir::Graph teacher, format::load_model(file));
  job.teacher = std::make_shared<const ir::Graph>(std::move(teacher));
  job.teacher_description = file;
  job.distill_temperature = f.distill_temperature;
  job.distill_weight = f.distill_weight;
  return Status::Ok();
}

Result<train::UnstructuredPruningOptions> pruning_options(const PruneFlags& f) {
  train::UnstructuredPruningOptions o;
  GRAMLITE_ASSIGN_OR_RETURN(o.job, training_job_options(f.train));
  if (f.sparsity < 0.0) {
    return invalid_argument("give --sparsity S (unstructured: the fraction of weights to zero) or --structured R "
                            "(the fraction of MACs to remove as whole channels)");
  }
  if (f.train.epochs < 1) return invalid_argument("unstructured pruning needs at least 1 epoch of fine-tuning");
  const auto kind = compress::parse_pruning_schedule(f.schedule);
  if (!kind) return invalid_argument("--schedule must be polynomial or constant, got '", f.schedule, "'");
  o.schedule.kind = *kind;
  o.schedule.final_sparsity = f.sparsity;
  o.schedule.initial_sparsity = f.initial_sparsity;
  o.schedule.begin_step = f.begin_step;
  o.schedule.end_step = f.end_step;
  o.schedule.frequency = f.frequency;
  o.schedule.power = f.power;
  const auto allocation = compress::parse_sparsity_allocation(f.allocation);
  if (!allocation) return invalid_argument("--allocation must be uniform, global or sensitivity, got '", f.allocation, "'");
  o.allocation = *allocation;
  const auto block = compress::parse_pruning_block(f.block);
  if (!block) return invalid_argument("--block must be RxC with R and C in [1, 64] (1x1, 1x4, 4x1), got '", f.block, "'");
  o.block = *block;
  o.prunable.include_first_convolution = f.include_first_conv;
  o.prunable.include_depthwise = f.include_depthwise;
  o.prunable.skip = f.skip;
  o.probe_images = f.probe_images;
  GRAMLITE_RETURN_IF_ERROR(add_teacher(f, o.job));
  return o;
}

Result<train::StructuredPruningOptions> structured_options(const PruneFlags& f) {
  train::StructuredPruningOptions o;
  GRAMLITE_ASSIGN_OR_RETURN(o.job, training_job_options(f.train));
  o.ratio = f.structured;
  o.criterion = f.criterion;
  o.steps = f.steps;
  const auto target = compress::parse_pruning_target(f.target);
  if (!target) return invalid_argument("--target must be macs, parameters or latency, got '", f.target, "'");
  o.target = *target;
  o.per_cost = f.per_cost;
  o.latency_runs = f.latency_runs;
  o.round_to = f.round_to;
  o.taylor_batches = f.taylor_batches;
  GRAMLITE_RETURN_IF_ERROR(add_teacher(f, o.job));
  return o;
}

int prune_channels(const PruneFlags& flags) {
  auto options = structured_options(flags);
  if (!options.ok()) return report_error(options.status());
  on_interrupt(remove_registered_temp_paths);
  on_interrupt([] {
    std::cerr << "\ngramlite: finished steps and the running step's last epoch are kept; add --resume to the "
                 "same command to continue" << std::endl;
  });
  auto setup = std::make_shared<train::TrainingJobSetup>();
  auto progress = std::make_shared<std::unique_ptr<Progress>>();
  TrainFlags step_flags = flags.train;
  train::TrainingJobCallbacks callbacks = console_callbacks(step_flags, setup, progress);
  options->on_cut = [](int step, int steps, const compress::ChannelPruningReport& report) {
    std::cout << "cut     step " << step << "/" << steps << "\n" << compress::channel_pruning_table(report) << std::flush;
  };
  options->on_finetune = [&step_flags](int step, int steps, int epochs) {
    step_flags.epochs = epochs;
    std::cout << "tune    step " << step << "/" << steps << ": " << epochs << " epoch" << (epochs == 1 ? "" : "s")
              << std::endl;
  };
  auto result = train::run_structured_pruning(*options, callbacks);
  if (!result.ok()) {
    if (*progress) (*progress)->finish();
    return report_error(result.status());
  }
  const auto fraction = [](int64_t after, int64_t before) {
    return before > 0 ? 100.0 * (1.0 - static_cast<double>(after) / static_cast<double>(before)) : 0.0;
  };
  std::cout << std::fixed << std::setprecision(1) << "result  MACs " << with_thousands(result->macs_before) << " -> "
            << with_thousands(result->macs_after) << " (-" << fraction(result->macs_after, result->macs_before)
            << " %), parameters " << with_thousands(result->parameters_before) << " -> "
            << with_thousands(result->parameters_after) << " (-"
            << fraction(result->parameters_after, result->parameters_before) << " %)";
  if (options->target == compress::PruningTarget::kLatency) {
    std::cout << std::setprecision(3) << ", latency (1 thread, profiled then scaled) " << result->latency_before_ms
              << " ms -> " << result->latency_after_ms << " ms" << std::setprecision(1) << " (-"
              << (result->latency_before_ms > 0 ? 100.0 * (1.0 - result->latency_after_ms / result->latency_before_ms) : 0.0)
              << " %)";
  }
  std::cout << " -> " << flags.train.output << "\n";
  return 0;
}

void print_layers(const train::UnstructuredPruningResult& r, bool probed) {
  std::cout << "layers  " << r.layers.size() << " pruned (target -> zeros in the model"
            << (probed ? "; probe loss at 50/70/80/90/95/98 %" : "") << ")\n";
  for (const train::PrunedLayer& layer : r.layers) {
    std::cout << "  " << std::left << std::setw(36) << layer.node << std::right << std::setw(11)
              << with_thousands(layer.elements) << std::fixed << std::setprecision(1) << std::setw(7)
              << 100.0 * layer.target_sparsity << " % -> " << std::setw(5) << 100.0 * layer.achieved_sparsity << " %";
    if (probed) {
      std::cout << std::setprecision(3) << "  ";
      for (double loss : layer.probe_losses) std::cout << " " << loss;
    }
    std::cout << "\n";
  }
}

int prune_model(const PruneFlags& flags) {
  if (flags.structured >= 0.0 && flags.sparsity >= 0.0) {
    return report_error(invalid_argument("--sparsity (unstructured) and --structured (channels) are two kinds of "
                                         "pruning; give one"));
  }
  if (flags.structured >= 0.0) return prune_channels(flags);
  auto options = pruning_options(flags);
  if (!options.ok()) return report_error(options.status());
  on_interrupt(remove_registered_temp_paths);
  const std::string checkpoint = train::checkpoint_path(options->job);
  on_interrupt([checkpoint] {
    std::cerr << "\ngramlite: the checkpoint of the last finished epoch is kept in " << checkpoint
              << " (if one was written); add --resume to the same command to continue" << std::endl;
  });
  auto setup = std::make_shared<train::TrainingJobSetup>();
  auto progress = std::make_shared<std::unique_ptr<Progress>>();
  train::TrainingJobCallbacks callbacks = console_callbacks(flags.train, setup, progress);
  std::unique_ptr<Progress> probe_progress;
  options->on_probe = [&probe_progress](int done, int layers) {
    if (!probe_progress) probe_progress = std::make_unique<Progress>("sensitivity probe", layers);
    probe_progress->update(done);
    if (done == layers) probe_progress->finish();
  };
  auto result = train::run_unstructured_pruning(*options, callbacks);
  if (!result.ok()) {
    if (*progress) (*progress)->finish();
    return report_error(result.status());
  }
  const compress::PruningSchedule& s = result->schedule;
  std::cout << "pruning " << compress::pruning_schedule_name(s.kind) << " to " << 100.0 * s.final_sparsity << " %";
  if (s.kind == compress::PruningScheduleKind::kPolynomial) {
    std::cout << " (from " << 100.0 * s.initial_sparsity << " %, power " << s.power << ")";
  }
  std::cout << ", steps " << s.begin_step << ".." << (s.end_step >= 0 ? std::to_string(s.end_step) : "end")
            << " every " << s.frequency << " of " << result->total_steps << ", "
            << compress::sparsity_allocation_name(options->allocation) << " allocation, blocks "
            << compress::pruning_block_name(options->block) << "\n";
  print_layers(*result, options->allocation == compress::SparsityAllocation::kSensitivity);
  const train::TrainSummary& summary = result->training.summary;
  std::cout << std::fixed << std::setprecision(2) << "sparsity "
            << (result->pruned_elements > 0
                    ? 100.0 * static_cast<double>(result->zero_elements) / static_cast<double>(result->pruned_elements)
                    : 0.0)
            << " % of the pruned weights (" << with_thousands(result->zero_elements) << " of "
            << with_thousands(result->pruned_elements) << ")\n";
  if (summary.best_epoch > 0) {
    const train::EpochRecord& best = summary.history[static_cast<size_t>(summary.best_epoch - 1)];
    std::cout << std::setprecision(4) << "best    epoch " << best.epoch;
    if (result->training.setup.val_images > 0) {
      std::cout << " at the final sparsity (val loss " << best.val_loss << ", val accuracy " << best.val_accuracy << ")";
    }
    std::error_code error;
    const auto bytes = std::filesystem::file_size(flags.train.output, error);
    std::cout << " -> " << flags.train.output;
    if (!error) std::cout << " (" << with_thousands(static_cast<int64_t>(bytes)) << " bytes)";
    std::cout << "\n";
  }
  std::cout << "log     " << train::log_stem(options->job) << ".csv / .json; checkpoint " << checkpoint
            << std::setprecision(1) << "; " << summary.seconds << " s\n";
  return 0;
}

}  // namespace

void add_prune_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<PruneFlags>();
  TrainFlags& t = flags->train;
  t.epochs = 8;
  t.learning_rate = 5e-4;
  CLI::App* cmd = app.add_subcommand("prune", kPruneSummary);
  cmd->add_option("model", t.model, "The trained model file to prune")->required();
  cmd->add_option("--data", t.data, "Dataset folder to fine-tune on (as for train)")->required();
  cmd->add_option("-o,--output", t.output, "Pruned model file to write: the best epoch at the final sparsity")->required();
  cmd->add_option("--sparsity", flags->sparsity, "Target fraction of zeros in the pruned weights, e.g. 0.9")
      ->check(CLI::Range(0.0, 0.999));
  cmd->add_option("--schedule", flags->schedule, "polynomial (gradual, default) or constant (TF-MOT ConstantSparsity)")
      ->check(CLI::IsMember({"polynomial", "constant"}));
  cmd->add_option("--initial-sparsity", flags->initial_sparsity, "Polynomial: sparsity at the begin step")
      ->check(CLI::Range(0.0, 0.999));
  cmd->add_option("--begin-step", flags->begin_step, "First step that prunes")->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  cmd->add_option("--end-step", flags->end_step,
                  "Polynomial: the step the target is reached (default: 2/3 of the run); constant: last update (default: none)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  cmd->add_option("--frequency", flags->frequency, "Steps between mask updates (default: min(100, span/20))")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  cmd->add_option("--power", flags->power, "Polynomial exponent")->check(positive_number());
  cmd->add_option("--allocation", flags->allocation,
                  "How the target is shared: uniform (every layer), global (one threshold), sensitivity (per-layer probe)")
      ->check(CLI::IsMember({"uniform", "global", "sensitivity"}));
  cmd->add_option("--block", flags->block, "Prune blocks of RxC weights (rows: outputs, cols: inputs); 1x4 for int8 sparse kernels");
  cmd->add_flag("--include-first-conv", flags->include_first_conv, "Also prune the first convolution (skipped by default)");
  cmd->add_flag("--include-depthwise", flags->include_depthwise, "Also prune depthwise convolutions (skipped by default)");
  cmd->add_option("--skip", flags->skip, "Layers (node or weight names) to leave dense, comma separated")->delimiter(',');
  cmd->add_option("--probe-images", flags->probe_images, "Sensitivity allocation: validation images per probe")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--structured", flags->structured,
                  "Structured: remove this fraction of the MACs (or --target parameters / latency) as whole channels, "
                  "e.g. 0.5")
      ->check(CLI::Range(0.0, 0.99));
  cmd->add_option("--criterion", flags->criterion, "Structured: channel importance l1, l2 (filter norm), bn (batch-norm "
                                                   "scale) or taylor (first-order, from training batches)")
      ->check(CLI::IsMember({"l1", "l2", "bn", "taylor"}));
  cmd->add_option("--steps", flags->steps, "Structured: cut in this many steps, fine-tuning between them (1: one-shot)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--target", flags->target,
                  "Structured: what --structured removes a fraction of: macs, parameters or latency (each layer's time "
                  "in a 1-thread profile of the model on this machine, scaled as its channels shrink)")
      ->check(CLI::IsMember({"macs", "parameters", "latency"}));
  cmd->add_flag("--per-cost", flags->per_cost,
                "Structured: remove the channels that cost least importance per unit of the target saved (HALP's "
                "greedy knapsack), not simply the least important");
  cmd->add_option("--latency-runs", flags->latency_runs, "Structured, --target latency: timed runs of the profile")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--round-to", flags->round_to, "Structured: kept channel counts are multiples of this (1: any)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cmd->add_option("--taylor-batches", flags->taylor_batches, "Structured, taylor: training batches the scores sum over")
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--distill", flags->distill, "The unpruned model teaches the pruned one (knowledge distillation)");
  cmd->add_option("--teacher", flags->teacher, "Distil from this model instead of the one being pruned (implies --distill)");
  cmd->add_option("--distill-temperature", flags->distill_temperature, "Distillation temperature")->check(positive_number());
  cmd->add_option("--distill-weight", flags->distill_weight, "Weight of the teacher's loss, in [0, 1]")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--epochs", t.epochs, "Fine-tuning epochs (structured: in all, shared among the steps; 0: cut only)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--batch", t.batch, "Images per training batch")->check(CLI::Range(1, 4096));
  cmd->add_option("--optimizer", t.optimizer, "adam or sgd")->check(CLI::IsMember({"adam", "sgd"}));
  cmd->add_option("--lr", t.learning_rate, "Initial learning rate")->check(positive_number());
  cmd->add_option("--lr-schedule", t.schedule, "Learning-rate schedule: cosine, step or none")
      ->check(CLI::IsMember({"cosine", "step", "none"}));
  cmd->add_option("--weight-decay", t.weight_decay, "L2 weight decay")->check(non_negative_number());
  cmd->add_option("--monitor", t.monitor, "What picks the best epoch: val_loss or val_accuracy")
      ->check(CLI::IsMember({"val_loss", "val_accuracy"}));
  cmd->add_option("--augment", t.augment, "Training augmentation: default or none")->check(CLI::IsMember({"default", "none"}));
  cmd->add_option("--val-fraction", t.val_fraction, "Share of train held out for validation when there is no val split")
      ->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--seed", t.seed, "Seed for shuffling, augmentation and dropout")->check(seed_number());
  cmd->add_option("--threads", t.threads, "libtorch threads (default: the cores)")->check(CLI::Range(1, 256));
  cmd->add_option("--workers", t.workers, "Image-decoding threads")->check(CLI::Range(1, 64));
  cmd->add_option("--checkpoint", t.checkpoint, "Checkpoint written after every epoch (default: OUTPUT stem + .ckpt)");
  cmd->add_option("--log", t.log, "Log file stem: STEM.csv and STEM.json (default: OUTPUT stem + .train)");
  cmd->add_flag("--resume", t.resume, "Continue the run from its checkpoint (same settings)");
  cmd->callback([flags, &exit_code] { exit_code = prune_model(*flags); });
}

}  // namespace gramlite::cli
