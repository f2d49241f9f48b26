#include "gramlite/train/training_job.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>

#include <nlohmann/json.hpp>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "gramlite/data/dataset/class_weights.h"
#include "gramlite/data/dataset/data_loader.h"
#include "gramlite/train/dataset_split.h"
#include "train/training_hooks.h"
#include "train/output_lock.h"
#include "gramlite/train/threads.h"

namespace gramlite::train {
namespace {

namespace fs = std::filesystem;

fs::path normal(const std::string& file) {
  std::error_code error;
  const fs::path absolute = fs::absolute(file, error);
  return (error ? fs::path(file) : absolute).lexically_normal();
}

// Fail before hours of training, not when the first epoch's files are saved, and never let one
// output replace another (a checkpoint written over the model, a log over the checkpoint).
Status check_outputs(const TrainingJobOptions& o) {
  const std::string checkpoint = checkpoint_path(o);
  const std::string stem = log_stem(o);
  for (const std::string& file : {o.output, checkpoint, stem}) {
    if (file.empty()) continue;
    std::error_code error;
    if (fs::is_directory(file, error) || file.back() == '/') {
      return invalid_argument("'", file, "' is a folder; give a file name");
    }
    const fs::path folder = fs::path(file).parent_path();
    if (!folder.empty() && !fs::is_directory(folder, error)) {
      return not_found("folder '", folder.string(), "' (for '", file, "') does not exist");
    }
  }
  if (!o.output.empty() && !checkpoint.empty() && normal(o.output) == normal(checkpoint)) {
    return invalid_argument("--checkpoint '", checkpoint, "' is the output model itself; give another file");
  }
  if (!stem.empty()) {
    for (const std::string& log : {stem + ".csv", stem + ".json"}) {
      for (const std::string& other : {o.output, checkpoint}) {
        if (!other.empty() && normal(log) == normal(other)) {
          return invalid_argument("--log '", stem, "' would write '", log, "' over '", other, "'; give another stem");
        }
      }
    }
  }
  return Status::Ok();
}

std::string fingerprint(const TrainingJobOptions& o, const TrainingSplits& splits, const TrainingHooks* hooks) {
  nlohmann::json j = {{"arch", o.model.arch}, {"model", o.model.model_file}, {"pretrained", o.model.pretrained},
                      {"alpha", o.model.alpha}, {"input_size", o.model.input_size}, {"finetune", o.finetune},
                      {"epochs", o.epochs}, {"batch", o.batch}, {"optimizer", optimizer_name(o.optimizer)},
                      {"lr", o.learning_rate}, {"weight_decay", o.weight_decay}, {"momentum", o.momentum},
                      {"schedule", schedule_kind_name(o.schedule)}, {"early_stopping", o.early_stopping},
                      {"class_weights", o.class_weights_auto ? "auto" : "none"}, {"monitor", monitor_name(o.monitor)},
                      {"augment", o.augment ? "default" : "none"}, {"val_fraction", o.val_fraction},
                      {"mean", o.mean}, {"std", o.std}, {"seed", o.seed}, {"data", o.data},
                      {"classes", splits.class_names}, {"train_images", splits.train.size()},
                      {"val_images", splits.val.size()}};
  if (hooks != nullptr) j[hooks->fingerprint_key()] = nlohmann::json::parse(hooks->fingerprint_json());
  if (o.teacher) {
    j["distill"] = {{"teacher", o.teacher_description}, {"temperature", o.distill_temperature},
                    {"weight", o.distill_weight}};
  }
  return j.dump();
}

// Every training step allocates and frees the same large activation blocks. glibc serves blocks over
// its mmap threshold (up to 32 MB) with fresh mappings and unmaps them on free, so each step pays
// for page faults on memory it just gave back: about half of a MobileNetV2 step at 224 x 224, for
// PyTorch in Python as much as for us (bench/compare_training_with_pytorch.sh, MALLOC=retain).
// Keeping freed memory in the heap doubles throughput; the price is that the process keeps its
// peak memory until it exits, which suits a training run.
void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
#endif
}

Status check_options(const TrainingJobOptions& o) {
  if (o.batch < 1) return invalid_argument("--batch must be at least 1, got ", o.batch);
  if (!std::isfinite(o.finetune) || o.finetune < 0 || o.finetune > 1) {
    return invalid_argument("--finetune must be in [0, 1], got ", o.finetune);
  }
  for (const auto* values : {&o.mean, &o.std}) {
    if (!values->empty() && values->size() != 3) return invalid_argument("--mean and --std take 3 values (R,G,B)");
    for (float v : *values) {
      if (!std::isfinite(v) || (values == &o.std && v <= 0)) {
        return invalid_argument(values == &o.std ? "--std values must be positive numbers" : "--mean values must be finite",
                                ", got ", v);
      }
    }
  }
  return Status::Ok();
}

}  // namespace

std::string output_stem(const std::string& output) {
  const std::string suffix = ".gramlite";
  const bool has = output.size() >= suffix.size() && output.compare(output.size() - suffix.size(), suffix.size(), suffix) == 0;
  return has ? output.substr(0, output.size() - suffix.size()) : output;
}

std::string checkpoint_path(const TrainingJobOptions& o) {
  if (!o.checkpoint.empty() || o.output.empty()) return o.checkpoint;
  return output_stem(o.output) + ".ckpt";
}

std::string log_stem(const TrainingJobOptions& o) {
  if (!o.log.empty() || o.output.empty()) return o.log;
  return output_stem(o.output) + ".train";
}

std::optional<TrainOptimizer> parse_optimizer(const std::string& name) {
  if (name == "adam") return TrainOptimizer::kAdam;
  if (name == "sgd") return TrainOptimizer::kSgd;
  return std::nullopt;
}

const char* optimizer_name(TrainOptimizer optimizer) {
  switch (optimizer) {
    case TrainOptimizer::kAdam: return "adam";
    case TrainOptimizer::kSgd: return "sgd";
  }
  return "?";
}

std::optional<Monitor> parse_monitor(const std::string& name) {
  if (name == "val_loss") return Monitor::kValLoss;
  if (name == "val_accuracy") return Monitor::kValAccuracy;
  return std::nullopt;
}

const char* monitor_name(Monitor monitor) {
  switch (monitor) {
    case Monitor::kValLoss: return "val_loss";
    case Monitor::kValAccuracy: return "val_accuracy";
  }
  return "?";
}

Result<TrainingJobResult> run_training_job(const TrainingJobOptions& o, const TrainingJobCallbacks& callbacks) {
  return run_training_job(o, callbacks, nullptr);
}

Result<TrainingJobResult> run_training_job(const TrainingJobOptions& o, const TrainingJobCallbacks& callbacks,
                                           TrainingHooks* hooks) {
  keep_freed_memory_for_reuse();
  GRAMLITE_RETURN_IF_ERROR(check_options(o));
  GRAMLITE_RETURN_IF_ERROR(check_outputs(o));
  std::unique_ptr<OutputLock> lock;
  if (!o.output.empty()) {
    GRAMLITE_ASSIGN_OR_RETURN(lock, OutputLock::acquire(o.output));
  }

  GRAMLITE_ASSIGN_OR_RETURN(TrainingSplits splits, open_training_splits(o.data, o.val_fraction, o.seed));
  ModelSourceOptions source = o.model;
  source.seed = o.seed;
  GRAMLITE_ASSIGN_OR_RETURN(TrainingModel made, make_training_model(source, splits.class_names));
  ir::Graph& model = made.graph;
  if (!o.mean.empty()) model.metadata.preprocessing.mean = o.mean;
  if (!o.std.empty()) model.metadata.preprocessing.std = o.std;
  const ir::Shape& input_shape = model.tensor(model.inputs[0]).shape;
  if (model.inputs.size() != 1 || input_shape.size() != 4 || input_shape[1] != 3 || input_shape[2] <= 0) {
    return unsupported("the model is not a one-image classifier with a fixed input size (input ",
                       ir::shape_to_string(input_shape), ")");
  }
  const TrainingThreads threads = resolve_training_threads(o.threads, o.workers);

  data::DataLoaderOptions loader_options;
  loader_options.batch_size = o.batch;
  loader_options.seed = o.seed;
  loader_options.workers = threads.workers;
  loader_options.input.width = static_cast<int>(input_shape[3]);
  loader_options.input.height = static_cast<int>(input_shape[2]);
  loader_options.input.preprocessing = model.metadata.preprocessing;
  data::DataLoaderOptions val_options = loader_options;
  val_options.shuffle = false;
  if (o.augment) loader_options.augmentation = data::AugmentationOptions{};
  // Batch-norm statistics of a one-image batch are undefined; leave such a last batch out.
  loader_options.drop_last = splits.train.size() % static_cast<size_t>(o.batch) == 1;
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<data::DataLoader> train_loader,
                            data::DataLoader::create(splits.train, loader_options));
  std::unique_ptr<data::DataLoader> val_loader;
  if (!splits.val.empty()) {
    GRAMLITE_ASSIGN_OR_RETURN(val_loader, data::DataLoader::create(splits.val, val_options));
  }

  TrainerOptions trainer;
  trainer.epochs = o.epochs;
  trainer.optimizer = o.optimizer;
  trainer.learning_rate = o.learning_rate;
  trainer.weight_decay = o.weight_decay;
  trainer.momentum = o.momentum;
  trainer.schedule = o.schedule;
  trainer.early_stopping_patience = o.early_stopping;
  trainer.monitor = o.monitor;
  if (o.class_weights_auto) trainer.class_weights = data::inverse_frequency_class_weights(splits.train_counts);
  trainer.finetune_fraction = o.finetune;
  trainer.seed = o.seed;
  trainer.threads = threads.threads;
  trainer.teacher = o.teacher;
  trainer.distill_temperature = o.distill_temperature;
  trainer.distill_weight = o.distill_weight;
  trainer.output_path = o.output;
  trainer.checkpoint_path = checkpoint_path(o);
  if (const std::string stem = log_stem(o); !stem.empty()) {
    trainer.log_csv_path = stem + ".csv";
    trainer.log_json_path = stem + ".json";
  }
  trainer.resume = o.resume;
  if (o.resume) {
    std::error_code error;
    if (trainer.checkpoint_path.empty()) return invalid_argument("--resume needs a checkpoint (give -o or --checkpoint)");
    if (!fs::exists(trainer.checkpoint_path, error)) {
      return not_found("--resume: no checkpoint at '", trainer.checkpoint_path, "'");
    }
  }
  trainer.fingerprint_json = fingerprint(o, splits, hooks);
  trainer.provenance["training.source"] = made.description;
  trainer.provenance["training.data"] = o.data;
  trainer.provenance["training.finetune"] = str_cat(o.finetune);

  TrainingJobResult result;
  TrainingJobSetup& setup = result.setup;
  setup.model_description = made.description;
  setup.input_height = input_shape[2];
  setup.input_width = input_shape[3];
  setup.class_names = splits.class_names;
  setup.train_images = static_cast<int64_t>(splits.train.size());
  setup.val_images = static_cast<int64_t>(splits.val.size());
  setup.val_source = splits.val_source;
  setup.threads = threads.threads;
  setup.workers = threads.workers;
  setup.checkpoint_path = trainer.checkpoint_path;
  if (callbacks.on_setup) callbacks.on_setup(setup);

  GRAMLITE_ASSIGN_OR_RETURN(result.summary,
                            train_classifier(model, *train_loader, val_loader.get(), trainer, callbacks.trainer, hooks));
  result.skipped_images = train_loader->total_stats().skipped;
  return result;
}

}  // namespace gramlite::train
