#include "cli/training_job.h"

#include "cli/cli_common.h"
#include "gramlite/train/threads.h"

namespace gramlite::cli {

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
  cmd->add_option("--seed", f.seed, "Seed for weights, shuffling, augmentation and dropout")->check(seed_number());
  const int cores = train::available_cores();
  cmd->add_option("--threads", f.threads,
                  str_cat("libtorch threads (default: the cores this process may use, ", cores, " here)"))
      ->check(CLI::Range(1, 256));
  cmd->add_option("--workers", f.workers,
                  "Image-decoding threads (default: the cores --threads leaves, at least 1)")
      ->check(CLI::Range(1, 64));
}

Result<train::TrainingJobOptions> training_job_options(const TrainFlags& f) {
  train::TrainingJobOptions o;
  o.model.arch = f.arch;
  o.model.model_file = f.model;
  o.model.pretrained = f.pretrained;
  o.model.alpha = f.alpha;
  o.model.input_size = f.input_size;
  o.data = f.data;
  o.val_fraction = f.val_fraction;
  o.mean = f.mean;
  o.std = f.std;
  o.finetune = f.finetune;
  o.epochs = f.epochs;
  o.batch = f.batch;
  const auto optimizer = train::parse_optimizer(f.optimizer);
  if (!optimizer) return invalid_argument("--optimizer must be adam or sgd, got '", f.optimizer, "'");
  o.optimizer = *optimizer;
  o.learning_rate = f.learning_rate;
  o.weight_decay = f.weight_decay;
  o.momentum = f.momentum;
  const auto schedule = train::parse_schedule_kind(f.schedule);
  if (!schedule) return invalid_argument("--schedule must be cosine, step or none, got '", f.schedule, "'");
  o.schedule = *schedule;
  o.early_stopping = f.early_stopping;
  if (f.class_weights != "auto" && f.class_weights != "none") {
    return invalid_argument("--class-weights must be auto or none, got '", f.class_weights, "'");
  }
  o.class_weights_auto = f.class_weights == "auto";
  const auto monitor = train::parse_monitor(f.monitor);
  if (!monitor) return invalid_argument("--monitor must be val_loss or val_accuracy, got '", f.monitor, "'");
  o.monitor = *monitor;
  if (f.augment != "default" && f.augment != "none") {
    return invalid_argument("--augment must be default or none, got '", f.augment, "'");
  }
  o.augment = f.augment == "default";
  o.seed = f.seed;
  o.threads = f.threads;
  o.workers = f.workers;
  o.output = f.output;
  o.checkpoint = f.checkpoint;
  o.log = f.log;
  o.resume = f.resume;
  return o;
}

}  // namespace gramlite::cli
