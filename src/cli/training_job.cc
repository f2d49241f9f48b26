#include "cli/training_job.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "cli/cli_common.h"
#include "data/dataset/class_weights.h"
#include "data/dataset/data_loader.h"
#include "data/dataset/folder_dataset.h"
#include "data/dataset/sample_rng.h"
#include "format/model_file.h"
#include "interop/onnx_import.h"
#include "interop/torchvision_import.h"
#include "zoo/classifier_head.h"
#include "zoo/zoo.h"

namespace gramlite::cli {
namespace {

namespace fs = std::filesystem;

struct Splits {
  std::vector<std::string> class_names;
  std::vector<data::DatasetSample> train;
  std::vector<data::DatasetSample> val;
  std::vector<int64_t> train_counts;
  std::string val_source;  // "val split" or "20% of train"
};

// A stratified, seeded share of `samples` for validation when the dataset has no val split: per
// class, a Fisher-Yates shuffle (SampleRng, so the same on every platform) and the first
// round(fraction * n) samples, at least one when the class has two or more.
void carve_validation(std::vector<data::DatasetSample> samples, size_t classes, double fraction, uint64_t seed,
                      Splits& splits) {
  std::vector<std::vector<data::DatasetSample>> by_class(classes);
  for (data::DatasetSample& s : samples) by_class[static_cast<size_t>(s.label)].push_back(std::move(s));
  for (size_t c = 0; c < classes; ++c) {
    auto& members = by_class[c];
    data::SampleRng rng = data::SampleRng::for_sample(seed, -2, static_cast<int64_t>(c));
    for (size_t i = members.size(); i > 1; --i) std::swap(members[i - 1], members[static_cast<size_t>(rng.uniform_int(static_cast<int64_t>(i)))]);
    size_t val = static_cast<size_t>(std::floor(fraction * static_cast<double>(members.size()) + 0.5));
    if (val == 0 && members.size() >= 2 && fraction > 0) val = 1;
    if (val >= members.size()) val = members.size() - 1;
    splits.val.insert(splits.val.end(), members.begin(), members.begin() + static_cast<std::ptrdiff_t>(val));
    splits.train.insert(splits.train.end(), members.begin() + static_cast<std::ptrdiff_t>(val), members.end());
  }
}

// Train and validation samples. The test split is never opened here: it is for `evaluate`.
Result<Splits> open_splits(const TrainFlags& flags) {
  Splits splits;
  data::FolderDatasetOptions options;
  options.split = "train";
  auto train = data::open_folder_dataset(flags.data, options);
  if (!train.ok()) {
    options.split.clear();  // a flat folder: every image is training material
    auto flat = data::open_folder_dataset(flags.data, options);
    if (!flat.ok() || flat->layout == "split") return train.status();
    if (flat->layout == "manifest") {
      return invalid_argument("'", flags.data, "' has a manifest without a 'train' split: ", train.status().message());
    }
    train = std::move(flat);
  }
  splits.class_names = train->class_names;
  if (train->layout != "flat") {
    options.split = "val";
    options.classes = train->class_names;
    auto val = data::open_folder_dataset(flags.data, options);
    if (val.ok()) {
      splits.train = train->samples;
      splits.val = val->samples;
      splits.val_source = "the val split";
    }
  }
  if (splits.val_source.empty()) {
    if (flags.val_fraction > 0) {
      carve_validation(train->samples, train->class_names.size(), flags.val_fraction, flags.seed, splits);
      splits.val_source = str_cat(std::lround(flags.val_fraction * 100), "% of train (no val split)");
    } else {
      splits.train = train->samples;
      splits.val_source = "none";
    }
  }
  splits.train_counts.assign(splits.class_names.size(), 0);
  for (const data::DatasetSample& s : splits.train) ++splits.train_counts[static_cast<size_t>(s.label)];
  for (size_t c = 0; c < splits.class_names.size(); ++c) {
    if (splits.train_counts[c] == 0) {
      return invalid_argument("class '", splits.class_names[c], "' has no training images in '", flags.data, "'");
    }
  }
  return splits;
}

// torchvision's official ImageNet weights, by the file name torch.hub caches them under.
std::string official_weights_file(const std::string& arch) {
  if (arch == "mobilenet_v2") return "mobilenet_v2-b0353104.pth";
  if (arch == "mobilenet_v3_small") return "mobilenet_v3_small-047dcff4.pth";
  if (arch == "resnet50") return "resnet50-0676ba61.pth";
  if (arch == "inception_v3") return "inception_v3_google-0cc3c7bd.pth";
  return "";
}

// torch.hub's cache folder: $TORCH_HOME/hub/checkpoints, $TORCH_HOME defaulting to
// $XDG_CACHE_HOME/torch and that to ~/.cache/torch (torch/hub.py).
std::string torch_hub_checkpoints() {
  std::string home;
  if (const char* torch_home = std::getenv("TORCH_HOME"); torch_home && *torch_home) {
    home = torch_home;
  } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    home = std::string(xdg) + "/torch";
  } else {
    const char* user_home = std::getenv("HOME");
    home = std::string(user_home ? user_home : "") + "/.cache/torch";
  }
  return home + "/hub/checkpoints";
}

Result<std::string> find_imagenet_weights(const std::string& arch) {
  const std::string file = official_weights_file(arch);
  if (file.empty()) {
    return not_found("torchvision publishes no ImageNet weights for '", arch,
                     "'; export the original's weights to ONNX and pass --pretrained FILE.onnx (docs/training.md)");
  }
  const std::string folder = torch_hub_checkpoints();
  const std::string path = folder + "/" + file;
  std::error_code error;
  if (fs::is_regular_file(path, error)) return path;
  return not_found("ImageNet weights for ", arch, " are not in the torchvision cache: download ",
                   "https://download.pytorch.org/models/", file, " and put it at ", path,
                   " (the folder is $TORCH_HOME/hub/checkpoints; TORCH_HOME defaults to ~/.cache/torch)");
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status give_new_head(ir::Graph& graph, const std::vector<std::string>& class_names, uint64_t seed) {
  zoo::ReplaceHeadOptions head;
  head.num_classes = static_cast<int>(class_names.size());
  head.class_names = class_names;
  head.seed = seed;
  return zoo::replace_classifier_head(graph, head);
}

// The network to train, with a head for `class_names`, and a one-line description of where it came from.
Result<ir::Graph> make_model(const TrainFlags& flags, const std::vector<std::string>& class_names, std::string& source) {
  const bool onnx = ends_with(flags.pretrained, ".onnx");
  if (flags.alpha != 1.0 && (!flags.model.empty() || flags.pretrained != "none")) {
    return invalid_argument("--alpha applies to --arch with random weights; a model file or --pretrained weights fix the width");
  }
  if (!flags.model.empty()) {
    if (!flags.arch.empty()) return invalid_argument("give --arch or --model, not both");
    if (flags.pretrained != "none") {
      return invalid_argument("--pretrained applies to --arch (a model file already has its weights)");
    }
    GRAMLITE_ASSIGN_OR_RETURN(ir::Graph graph, format::load_model(flags.model));
    if (graph.inputs.empty()) return unsupported("'", flags.model, "' has no input");
    const ir::Shape& input = graph.tensor(graph.inputs[0]).shape;
    if (flags.input_size != 0 && (input.size() != 4 || input[2] != flags.input_size || input[3] != flags.input_size)) {
      return invalid_argument("--input-size ", flags.input_size, ": '", flags.model, "' has a fixed input ",
                              ir::shape_to_string(input));
    }
    GRAMLITE_ASSIGN_OR_RETURN(zoo::ClassifierHead head, zoo::find_classifier_head(graph));
    source = flags.model;
    if (head.num_classes != static_cast<int64_t>(class_names.size()) || graph.metadata.class_names != class_names) {
      GRAMLITE_RETURN_IF_ERROR(give_new_head(graph, class_names, flags.seed));
      source += str_cat(" (new ", class_names.size(), "-class head)");
    }
    return graph;
  }
  if (onnx) {
    if (!flags.arch.empty()) {
      return invalid_argument("--pretrained ", flags.pretrained, " is an ONNX model, which defines its own architecture: drop --arch");
    }
    interop::OnnxImportOptions options;
    options.input_size = flags.input_size;
    GRAMLITE_ASSIGN_OR_RETURN(ir::Graph graph, interop::import_onnx(flags.pretrained, options));
    GRAMLITE_RETURN_IF_ERROR(give_new_head(graph, class_names, flags.seed).with_context(flags.pretrained));
    source = str_cat(flags.pretrained, " (ONNX, new ", class_names.size(), "-class head)");
    return graph;
  }
  if (flags.arch.empty()) return invalid_argument("give --arch ARCH or --model FILE (see 'gramlite zoo list')");
  GRAMLITE_ASSIGN_OR_RETURN(zoo::ArchInfo info, zoo::find_architecture(flags.arch));
  if (flags.pretrained == "none") {
    zoo::BuildOptions options;
    options.num_classes = static_cast<int>(class_names.size());
    options.alpha = flags.alpha;
    options.input_size = flags.input_size;
    options.seed = flags.seed;
    GRAMLITE_ASSIGN_OR_RETURN(ir::Graph graph, zoo::build(flags.arch, options));
    graph.metadata.class_names = class_names;
    source = str_cat(flags.arch, " (width ", flags.alpha, ", random weights, seed ", flags.seed, ")");
    return graph;
  }
  std::string weights = flags.pretrained;
  if (weights == "imagenet") {
    GRAMLITE_ASSIGN_OR_RETURN(weights, find_imagenet_weights(flags.arch));
  }
  interop::ImportOptions options;
  options.input_size = flags.input_size;
  // torchvision builds Inception with transform_input=True whenever it loads pretrained weights.
  options.inception_transform_input = info.name == "inception_v3";
  interop::ImportReport report;
  GRAMLITE_ASSIGN_OR_RETURN(ir::Graph graph, interop::import_torchvision(weights, flags.arch, options, &report));
  GRAMLITE_RETURN_IF_ERROR(give_new_head(graph, class_names, flags.seed).with_context(weights));
  source = str_cat(flags.arch, " (width ", report.alpha, ") from ", weights, ", new ", class_names.size(),
                   "-class head replacing ", report.num_classes);
  return graph;
}

Result<train::TrainerOptions> trainer_options(const TrainFlags& flags, const Splits& splits) {
  train::TrainerOptions o;
  o.epochs = flags.epochs;
  if (flags.optimizer == "adam") {
    o.optimizer = train::TrainOptimizer::kAdam;
  } else if (flags.optimizer == "sgd") {
    o.optimizer = train::TrainOptimizer::kSgd;
  } else {
    return invalid_argument("--optimizer must be adam or sgd, got '", flags.optimizer, "'");
  }
  o.learning_rate = flags.learning_rate;
  o.weight_decay = flags.weight_decay;
  o.momentum = flags.momentum;
  const auto schedule = train::parse_schedule_kind(flags.schedule);
  if (!schedule) return invalid_argument("--schedule must be cosine, step or none, got '", flags.schedule, "'");
  o.schedule = *schedule;
  o.early_stopping_patience = flags.early_stopping;
  if (flags.monitor == "val_loss") {
    o.monitor = train::Monitor::kValLoss;
  } else if (flags.monitor == "val_accuracy") {
    o.monitor = train::Monitor::kValAccuracy;
  } else {
    return invalid_argument("--monitor must be val_loss or val_accuracy, got '", flags.monitor, "'");
  }
  if (flags.class_weights == "auto") {
    o.class_weights = data::inverse_frequency_class_weights(splits.train_counts);
  } else if (flags.class_weights != "none") {
    return invalid_argument("--class-weights must be auto or none, got '", flags.class_weights, "'");
  }
  o.finetune_fraction = flags.finetune;
  o.seed = flags.seed;
  o.threads = flags.threads;
  return o;
}

std::string fingerprint(const TrainFlags& flags, const Splits& splits) {
  nlohmann::json j = {{"arch", flags.arch}, {"model", flags.model}, {"pretrained", flags.pretrained},
                      {"alpha", flags.alpha}, {"input_size", flags.input_size}, {"finetune", flags.finetune},
                      {"epochs", flags.epochs}, {"batch", flags.batch}, {"optimizer", flags.optimizer},
                      {"lr", flags.learning_rate}, {"weight_decay", flags.weight_decay}, {"momentum", flags.momentum},
                      {"schedule", flags.schedule}, {"early_stopping", flags.early_stopping},
                      {"class_weights", flags.class_weights}, {"monitor", flags.monitor}, {"augment", flags.augment},
                      {"val_fraction", flags.val_fraction}, {"mean", flags.mean}, {"std", flags.std},
                      {"seed", flags.seed}, {"data", flags.data},
                      {"classes", splits.class_names}, {"train_images", splits.train.size()},
                      {"val_images", splits.val.size()}};
  return j.dump();
}

std::string format_record(const train::EpochRecord& r, int epochs) {
  std::ostringstream out;
  out << std::fixed << "epoch " << r.epoch << "/" << epochs << "  lr " << std::setprecision(6) << r.learning_rate
      << std::setprecision(4) << "  train loss " << r.train_loss << " acc " << r.train_accuracy;
  if (std::isfinite(r.val_loss)) out << "  val loss " << r.val_loss << " acc " << r.val_accuracy;
  out << std::setprecision(1) << "  " << r.seconds << " s" << (r.improved ? "  *" : "");
  return out.str();
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

std::string output_stem(const std::string& output) {
  return ends_with(output, ".gramlite") ? output.substr(0, output.size() - 9) : output;
}

}  // namespace

std::string checkpoint_path(const TrainFlags& flags) {
  return flags.checkpoint.empty() ? output_stem(flags.output) + ".ckpt" : flags.checkpoint;
}

std::string log_stem(const TrainFlags& flags) {
  return flags.log.empty() ? output_stem(flags.output) + ".train" : flags.log;
}

void add_training_options(CLI::App* cmd, TrainFlags& f) {
  cmd->add_option("--arch", f.arch, "Zoo architecture to train (see 'gramlite zoo list')");
  cmd->add_option("--model", f.model, "A gramlite model file to train further (new head if its classes differ)");
  cmd->add_option("--data", f.data, "Dataset folder (train/val/test split folders, a manifest, or one folder per class)")
      ->required();
  cmd->add_option("--pretrained", f.pretrained,
                  "Source weights: none, imagenet (torchvision's file from the torch.hub cache), a torchvision "
                  "state_dict (.pth) or an ONNX model (.onnx)");
  cmd->add_option("--alpha", f.alpha, "Width multiplier for --arch with random weights")->check(positive_number());
  cmd->add_option("--input-size", f.input_size, "Square input side in pixels (default: the architecture's)")
      ->check(CLI::Range(0, 4096));
  cmd->add_option("--finetune", f.finetune,
                  "Fraction of the backbone's weight layers to train, from the top (0: head only, 1: all)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--epochs", f.epochs, "Epochs")->check(CLI::Range(1, 100000));
  cmd->add_option("--batch", f.batch, "Images per training batch")->check(CLI::Range(1, 4096));
  cmd->add_option("--optimizer", f.optimizer, "adam or sgd")->check(CLI::IsMember({"adam", "sgd"}));
  cmd->add_option("--lr", f.learning_rate, "Initial learning rate")->check(positive_number());
  cmd->add_option("--weight-decay", f.weight_decay, "L2 weight decay")->check(non_negative_number());
  cmd->add_option("--momentum", f.momentum, "SGD momentum")->check(CLI::Range(0.0, 0.999));
  cmd->add_option("--schedule", f.schedule, "Learning-rate schedule: cosine, step or none")
      ->check(CLI::IsMember({"cosine", "step", "none"}));
  cmd->add_option("--early-stopping", f.early_stopping, "Stop after this many epochs without improvement (0: never)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--class-weights", f.class_weights, "auto (inverse class frequency) or none")
      ->check(CLI::IsMember({"auto", "none"}));
  cmd->add_option("--monitor", f.monitor, "What picks the best epoch: val_loss or val_accuracy")
      ->check(CLI::IsMember({"val_loss", "val_accuracy"}));
  cmd->add_option("--augment", f.augment, "Training augmentation: default or none")
      ->check(CLI::IsMember({"default", "none"}));
  cmd->add_option("--val-fraction", f.val_fraction, "Share of train held out for validation when there is no val split")
      ->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--mean", f.mean, "Input normalisation mean per RGB channel, comma separated (default: the model's; "
                                    "0.5,0.5,0.5 for Keras-style ONNX models)")
      ->delimiter(',')
      ->expected(3);
  cmd->add_option("--std", f.std, "Input normalisation std per RGB channel (default: the model's)")
      ->delimiter(',')
      ->expected(3)
      ->check(positive_number());
  cmd->add_option("--seed", f.seed, "Seed for weights, shuffling, augmentation and dropout");
  cmd->add_option("--threads", f.threads, "libtorch threads")->check(CLI::Range(1, 256));
  cmd->add_option("--workers", f.workers, "Image-decoding threads")->check(CLI::Range(1, 64));
}

Result<TrainingOutput> run_training_job(const TrainFlags& flags, bool verbose) {
  keep_freed_memory_for_reuse();
  // Fail before hours of training, not when the first epoch's model is saved.
  for (const std::string& file : {flags.output, flags.checkpoint, flags.log}) {
    const fs::path folder = fs::path(file).parent_path();
    std::error_code error;
    if (!file.empty() && !folder.empty() && !fs::is_directory(folder, error)) {
      return not_found("folder '", folder.string(), "' (for '", file, "') does not exist");
    }
  }
  GRAMLITE_ASSIGN_OR_RETURN(Splits splits, open_splits(flags));
  std::string source;
  GRAMLITE_ASSIGN_OR_RETURN(ir::Graph model, make_model(flags, splits.class_names, source));
  if (!flags.mean.empty()) model.metadata.preprocessing.mean = flags.mean;
  if (!flags.std.empty()) model.metadata.preprocessing.std = flags.std;
  const ir::Shape& input_shape = model.tensor(model.inputs[0]).shape;
  if (model.inputs.size() != 1 || input_shape.size() != 4 || input_shape[1] != 3 || input_shape[2] <= 0) {
    return unsupported("the model is not a one-image classifier with a fixed input size (input ",
                       ir::shape_to_string(input_shape), ")");
  }
  data::DataLoaderOptions loader_options;
  loader_options.batch_size = flags.batch;
  loader_options.seed = flags.seed;
  loader_options.workers = flags.workers;
  loader_options.input.width = static_cast<int>(input_shape[3]);
  loader_options.input.height = static_cast<int>(input_shape[2]);
  loader_options.input.preprocessing = model.metadata.preprocessing;
  data::DataLoaderOptions val_options = loader_options;
  val_options.shuffle = false;
  if (flags.augment == "default") loader_options.augmentation = data::AugmentationOptions{};
  // Batch-norm statistics of a one-image batch are undefined; leave such a last batch out.
  loader_options.drop_last = splits.train.size() % static_cast<size_t>(flags.batch) == 1;
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<data::DataLoader> train_loader,
                            data::DataLoader::create(splits.train, loader_options));
  std::unique_ptr<data::DataLoader> val_loader;
  if (!splits.val.empty()) {
    GRAMLITE_ASSIGN_OR_RETURN(val_loader, data::DataLoader::create(splits.val, val_options));
  }

  GRAMLITE_ASSIGN_OR_RETURN(train::TrainerOptions options, trainer_options(flags, splits));
  options.output_path = flags.output;
  if (!flags.output.empty()) {
    options.checkpoint_path = checkpoint_path(flags);
    options.log_csv_path = log_stem(flags) + ".csv";
    options.log_json_path = log_stem(flags) + ".json";
  }
  options.resume = flags.resume;
  if (flags.resume) {
    std::error_code error;
    if (!fs::exists(options.checkpoint_path, error)) {
      return not_found("--resume: no checkpoint at '", options.checkpoint_path, "'");
    }
  }
  options.fingerprint_json = fingerprint(flags, splits);
  options.provenance["training.source"] = source;
  options.provenance["training.data"] = flags.data;
  options.provenance["training.finetune"] = str_cat(flags.finetune);

  std::unique_ptr<Progress> progress;
  train::TrainCallbacks callbacks;
  if (verbose) {
    std::cout << "model   " << source << ", input " << input_shape[2] << "x" << input_shape[3] << "\n";
    std::cout << "data    " << flags.data << ": " << splits.train.size() << " train images, " << splits.val.size()
              << " validation images from " << splits.val_source << ", classes";
    for (const std::string& name : splits.class_names) std::cout << " " << name;
    std::cout << "\n";
    callbacks.on_start = [&](const train::FinetunePlan& plan, int64_t trainable, int64_t total) {
      std::cout << "train   " << plan.unfrozen_layers << " of " << plan.backbone.size()
                << " backbone layers and the head '" << plan.head.node << "' (" << with_thousands(trainable) << " of "
                << with_thousands(total) << " parameters), " << flags.optimizer << " lr " << flags.learning_rate << " "
                << flags.schedule << ", batch " << flags.batch << ", " << flags.threads << " thread"
                << (flags.threads == 1 ? "" : "s") << std::endl;
    };
    callbacks.on_resume = [&](int done) {
      std::cout << "resume  from " << options.checkpoint_path << " after epoch " << done << std::endl;
    };
    callbacks.on_batch = [&](int epoch, int64_t batch, int64_t batches, double) {
      if (batch == 1) progress = std::make_unique<Progress>(str_cat("epoch ", epoch, "/", flags.epochs), batches);
      progress->update(batch);
    };
    callbacks.on_epoch = [&](const train::EpochRecord& record) {
      if (progress) progress->finish();
      progress.reset();
      std::cout << format_record(record, flags.epochs) << std::endl;
    };
  }
  GRAMLITE_ASSIGN_OR_RETURN(train::TrainSummary summary,
                            train::train_classifier(model, *train_loader, val_loader.get(), options, callbacks));
  const data::LoaderStats skipped = train_loader->total_stats();
  if (verbose && skipped.skipped > 0) {
    std::cout << "note    " << skipped.skipped << " unreadable training images were skipped\n";
  }
  TrainingOutput output;
  output.summary = std::move(summary);
  output.class_names = splits.class_names;
  output.train_images = static_cast<int64_t>(splits.train.size());
  output.val_images = static_cast<int64_t>(splits.val.size());
  return output;
}

}  // namespace gramlite::cli
