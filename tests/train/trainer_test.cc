// The training loop on synthetic Gram-stain tiles: it learns, it freezes what the policy says, and
// an interrupted run resumed from its checkpoint ends exactly where the uninterrupted one does.
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "gramlite/data/dataset/folder_dataset.h"
#include "gramlite/format/model_file.h"
#include "train/checkpoint.h"
#include "gramlite/train/finetune_policy.h"
#include "gramlite/train/trainer.h"
#include "gramlite/zoo/zoo.h"
#include "tile_dataset_test.h"

namespace gramlite::train {
namespace {

namespace fs = std::filesystem;

class TrainerTest : public testing::TileDatasetTest<TrainerTest> {
 protected:
  static void SetUpTestSuite() {
    ASSERT_NO_FATAL_FAILURE(make_root("gramlite_trainer", {{"gram2", 200, 64, 11}}));
  }

  static data::FolderDataset split(const std::string& name) {
    data::FolderDatasetOptions options;
    options.split = name;
    auto dataset = data::open_folder_dataset(data("gram2"), options);
    EXPECT_TRUE(dataset.ok()) << dataset.status().message();
    return std::move(dataset).value();
  }

  static ir::Graph small_model() {
    zoo::BuildOptions options;
    options.num_classes = 2;
    options.alpha = 0.35;
    options.input_size = 64;
    options.seed = 4;
    return zoo::build("mobilenet_v2", options).value();
  }

  static std::unique_ptr<data::DataLoader> loader(const data::FolderDataset& dataset, const ir::Graph& model, bool train,
                                                  size_t limit = 0) {
    data::DataLoaderOptions options;
    options.batch_size = 16;
    options.seed = 9;
    options.shuffle = train;
    options.drop_last = train;
    options.input.width = options.input.height = 64;
    options.input.preprocessing = model.metadata.preprocessing;
    if (train) options.augmentation = data::AugmentationOptions{};
    std::vector<data::DatasetSample> samples = dataset.samples;
    if (limit > 0 && samples.size() > limit) {
      // Both classes: every k-th sample.
      std::vector<data::DatasetSample> kept;
      const size_t step = samples.size() / limit;
      for (size_t i = 0; i < samples.size() && kept.size() < limit; i += step) kept.push_back(samples[i]);
      samples = kept;
    }
    return data::DataLoader::create(samples, options).value();
  }

  static std::vector<float> values(const ir::Graph& graph, const std::string& name) {
    const ir::Tensor& t = graph.tensor(*graph.find_tensor(name));
    return std::vector<float>(t.data.as<float>(), t.data.as<float>() + t.element_count());
  }

};

TEST_F(TrainerTest, SmallModelLearnsWellAboveChance) {
  const ir::Graph model = small_model();
  auto train_loader = loader(split("train"), model, true);
  auto val_loader = loader(split("val"), model, false);
  TrainerOptions options;
  options.epochs = 8;
  options.learning_rate = 1e-2;
  options.threads = 1;  // libtorch's OpenMP threads spin; on a busy 2-core machine 2 threads can be 50x slower
  auto summary = train_classifier(model, *train_loader, val_loader.get(), options);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  ASSERT_EQ(summary->history.size(), 8u);
  const EpochRecord& best = summary->history[static_cast<size_t>(summary->best_epoch - 1)];
  // 80 validation tiles, two balanced classes: chance is 0.5 (sd 0.056).
  EXPECT_GE(best.val_accuracy, 0.75) << "best epoch " << summary->best_epoch;
  EXPECT_LT(summary->history.back().train_loss, summary->history.front().train_loss);
}

TEST_F(TrainerTest, FrozenLayersKeepWeightsAndBatchNormStatistics) {
  const ir::Graph model = small_model();
  auto plan = plan_finetune(model, 0.25);
  ASSERT_TRUE(plan.ok());
  auto train_loader = loader(split("train"), model, true, 64);
  TrainerOptions options;
  options.epochs = 1;
  options.finetune_fraction = 0.25;
  auto summary = train_classifier(model, *train_loader, nullptr, options);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->unfrozen_layers, 13);
  const ir::Graph& trained = summary->model;
  const int first_trained = static_cast<int>(plan->backbone.size()) - plan->unfrozen_layers;
  for (size_t i = 0; i < plan->backbone.size(); ++i) {
    const WeightLayer& layer = plan->backbone[i];
    const bool trains = static_cast<int>(i) >= first_trained;
    for (const std::string& tensor : layer.tensors) {
      if (trains) {
        EXPECT_NE(values(trained, tensor), values(model, tensor)) << tensor << " should have trained";
      } else {
        EXPECT_EQ(values(trained, tensor), values(model, tensor)) << tensor << " should be frozen";
      }
    }
    // Running statistics: updated by training-mode BatchNorms only.
    for (const std::string& bn : layer.batch_norms) {
      const ir::Node& node = model.nodes[static_cast<size_t>(*model.find_node(bn))];
      for (size_t k = 3; k <= 4; ++k) {
        const std::string& stat = model.tensor(node.inputs[k]).name;
        EXPECT_EQ(values(trained, stat) == values(model, stat), !trains) << stat;
      }
    }
  }
  for (const std::string& tensor : plan->head.tensors) EXPECT_NE(values(trained, tensor), values(model, tensor));
  EXPECT_LT(summary->trainable_parameters, summary->total_parameters);
}

TEST_F(TrainerTest, ResumeReproducesTheUninterruptedRun) {
  const ir::Graph model = small_model();
  const data::FolderDataset train_split = split("train");
  const data::FolderDataset val_split = split("val");
  TrainerOptions options;
  options.epochs = 3;
  options.threads = 1;
  options.seed = 5;
  options.fingerprint_json = R"({"test":1})";

  options.checkpoint_path = file("whole.ckpt");
  auto whole = train_classifier(model, *loader(train_split, model, true, 96), loader(val_split, model, false, 32).get(), options);
  ASSERT_TRUE(whole.ok()) << whole.status().message();

  // The same run, stopped after its second epoch (its checkpoint written), then resumed.
  options.checkpoint_path = file("split.ckpt");
  TrainCallbacks stop;
  stop.on_epoch = [](const EpochRecord& r) {
    if (r.epoch == 2) throw testing::StopAfter();
  };
  auto interrupted = train_classifier(model, *loader(train_split, model, true, 96),
                                      loader(val_split, model, false, 32).get(), options, stop);
  ASSERT_FALSE(interrupted.ok());
  auto checkpoint = load_checkpoint(options.checkpoint_path);
  ASSERT_TRUE(checkpoint.ok());
  options.resume = true;
  int resumed_after = -1;
  TrainCallbacks note;
  note.on_resume = [&](int done) { resumed_after = done; };
  auto resumed = train_classifier(model, *loader(train_split, model, true, 96),
                                  loader(val_split, model, false, 32).get(), options, note);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(resumed_after, 2);
  ASSERT_EQ(resumed->history.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(resumed->history[i].train_loss, whole->history[i].train_loss) << "epoch " << i + 1;
    EXPECT_EQ(resumed->history[i].val_loss, whole->history[i].val_loss) << "epoch " << i + 1;
  }
  EXPECT_EQ(resumed->best_epoch, whole->best_epoch);
  EXPECT_EQ(format::serialize_model(resumed->model).value(), format::serialize_model(whole->model).value());
  auto last_whole = load_checkpoint(file("whole.ckpt"));
  auto last_resumed = load_checkpoint(file("split.ckpt"));
  ASSERT_TRUE(last_whole.ok() && last_resumed.ok());
  EXPECT_EQ(format::serialize_model(last_resumed->model).value(), format::serialize_model(last_whole->model).value());

  // A different setting is refused, naming it.
  options.fingerprint_json = R"({"test":2})";
  auto refused = train_classifier(model, *loader(train_split, model, true, 96), nullptr, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("test: was 1, now 2"), std::string::npos) << refused.status().message();
}

// With a learning rate too small to matter, validation loss stops improving at once: patience 1
// ends the run one epoch after its best, and the kept model is the best epoch's.
TEST_F(TrainerTest, EarlyStoppingEndsTheRunAfterPatienceEpochs) {
  const ir::Graph model = small_model();
  auto train_loader = loader(split("train"), model, true, 32);
  auto val_loader = loader(split("val"), model, false, 32);
  TrainerOptions options;
  options.epochs = 20;
  options.learning_rate = 1e-12;
  options.finetune_fraction = 0.0;  // head only, batch norms frozen: nothing else moves
  options.early_stopping_patience = 1;
  auto summary = train_classifier(model, *train_loader, val_loader.get(), options);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_TRUE(summary->early_stopped);
  EXPECT_LT(summary->history.size(), 20u);
  EXPECT_EQ(summary->history.size(), static_cast<size_t>(summary->best_epoch) + 1);
  EXPECT_FALSE(summary->history.back().improved);
}

TEST_F(TrainerTest, BadOptionsAreRefused) {
  const ir::Graph model = small_model();
  auto train_loader = loader(split("train"), model, true, 32);
  const auto refuse = [&](TrainerOptions options, const std::string& words) {
    auto result = train_classifier(model, *train_loader, nullptr, options);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.status().message().find(words), std::string::npos) << result.status().message();
  };
  TrainerOptions o;
  o.epochs = 0;
  refuse(o, "epochs");
  o = {};
  o.learning_rate = -1;
  refuse(o, "learning rate");
  o = {};
  o.class_weights = {1, 2, 3};
  refuse(o, "class weights");
  o = {};
  o.early_stopping_patience = 2;
  refuse(o, "validation");
  o = {};
  o.finetune_fraction = 2;
  refuse(o, "fraction");
  o = {};
  o.resume = true;
  refuse(o, "checkpoint");
  o.checkpoint_path = file("none.ckpt");
  refuse(o, "none.ckpt");
}

}  // namespace
}  // namespace gramlite::train
