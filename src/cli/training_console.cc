#include "cli/training_console.h"

#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace gramlite::cli {

std::string format_record(const train::EpochRecord& r, int epochs) {
  std::ostringstream out;
  out << std::fixed << "epoch " << r.epoch << "/" << epochs << "  lr " << std::setprecision(6) << r.learning_rate
      << std::setprecision(4) << "  train loss " << r.train_loss << " acc " << r.train_accuracy;
  if (std::isfinite(r.val_loss)) out << "  val loss " << r.val_loss << " acc " << r.val_accuracy;
  out << std::setprecision(1) << "  " << r.seconds << " s" << (r.improved ? "  *" : "");
  return out.str();
}

// The console side of a run: what it trains on, then progress.
train::TrainingJobCallbacks console_callbacks(const TrainFlags& flags, std::shared_ptr<train::TrainingJobSetup> setup,
                                              std::shared_ptr<std::unique_ptr<Progress>> progress) {
  train::TrainingJobCallbacks callbacks;
  callbacks.on_setup = [setup, &flags](const train::TrainingJobSetup& s) {
    *setup = s;
    std::cout << "model   " << s.model_description << ", input " << s.input_height << "x" << s.input_width << "\n";
    std::cout << "data    " << flags.data << ": " << s.train_images << " train images, " << s.val_images
              << " validation images from " << s.val_source << ", classes";
    for (const std::string& name : s.class_names) std::cout << " " << name;
    std::cout << "\n";
  };
  callbacks.trainer.on_start = [setup, &flags](const train::FinetunePlan& plan, int64_t trainable, int64_t total) {
    std::cout << "train   " << plan.unfrozen_layers << " of " << plan.backbone.size() << " backbone layers and the head '"
              << plan.head.node << "' (" << with_thousands(trainable) << " of " << with_thousands(total)
              << " parameters), " << flags.optimizer << " lr " << flags.learning_rate << " " << flags.schedule
              << ", batch " << flags.batch << ", " << setup->threads << " thread" << (setup->threads == 1 ? "" : "s")
              << std::endl;
  };
  callbacks.trainer.on_resume = [setup](int done) {
    std::cout << "resume  from " << setup->checkpoint_path << " after epoch " << done << std::endl;
  };
  callbacks.trainer.on_batch = [progress, &flags](int epoch, int64_t batch, int64_t batches, double) {
    if (batch == 1) *progress = std::make_unique<Progress>(str_cat("epoch ", epoch, "/", flags.epochs), batches);
    (*progress)->update(batch);
  };
  callbacks.trainer.on_epoch = [progress, &flags](const train::EpochRecord& record) {
    if (*progress) (*progress)->finish();
    progress->reset();
    std::cout << format_record(record, flags.epochs) << std::endl;
  };
  return callbacks;
}

}  // namespace gramlite::cli
