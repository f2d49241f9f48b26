// Pruning during fine-tuning on synthetic Gram-stain tiles: the masks hold through optimizer
// steps, checkpoints and the model file; a killed and resumed prune ends exactly where the
// uninterrupted one does; the kept epoch has the final sparsity; the allocations; distillation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "gramlite/compress/pruning.h"
#include "gramlite/format/model_file.h"
#include "gramlite/train/pruning.h"
#include "gramlite/train/training_job.h"
#include "tile_dataset_test.h"
#include "train/checkpoint.h"

namespace gramlite::train {
namespace {

namespace fs = std::filesystem;

class PruningJobTest : public testing::TileDatasetTest<PruningJobTest> {
 protected:
  static void SetUpTestSuite() {
    ASSERT_NO_FATAL_FAILURE(make_root("gramlite_prune", {{"tiles", 24, 48, 3}}));
    // The dense model every test prunes: MobileNet v1 at width 0.25, one epoch.
    TrainingJobOptions job;
    job.model.arch = "mobilenet_v1";
    job.model.alpha = 0.25;
    job.model.input_size = 48;
    job.data = data("tiles");
    job.epochs = 1;
    job.batch = 8;
    job.seed = 2;
    job.threads = 1;
    job.workers = 1;
    job.output = data("dense.gramlite");
    auto trained = run_training_job(job);
    ASSERT_TRUE(trained.ok()) << trained.status().message();
  }

  UnstructuredPruningOptions options(double sparsity, int epochs) const {
    UnstructuredPruningOptions o;
    o.job.model.model_file = data("dense.gramlite");
    o.job.data = data("tiles");
    o.job.epochs = epochs;
    o.job.batch = 8;
    o.job.learning_rate = 1e-3;
    o.job.seed = 6;
    o.job.threads = 1;
    o.job.workers = 1;
    o.job.output = file("pruned.gramlite");
    o.schedule.final_sparsity = sparsity;
    return o;
  }

  static const ir::Tensor& tensor(const ir::Graph& g, const std::string& name) {
    const std::optional<ir::TensorId> id = g.find_tensor(name);
    if (!id) throw std::runtime_error("no tensor '" + name + "'");
    return g.tensor(*id);
  }

};

TEST_F(PruningJobTest, EveryLayerEndsAtItsTargetAndTheFileKeepsTheZeros) {
  for (auto kind : {compress::PruningScheduleKind::kPolynomial, compress::PruningScheduleKind::kConstant}) {
    UnstructuredPruningOptions o = options(0.8, 3);
    o.schedule.kind = kind;
    auto r = run_unstructured_pruning(o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    const ir::Graph& model = r->training.summary.model;
    ASSERT_EQ(r->layers.size(), 14u);  // 13 pointwise convolutions and the classifier
    for (const PrunedLayer& layer : r->layers) {
      // Exactly TF-MOT's count of zeros: the final mask update, then masks held through every step.
      const int64_t kept = compress::blocks_to_keep(layer.elements, 0.8);
      EXPECT_EQ(std::llround(layer.achieved_sparsity * static_cast<double>(layer.elements)), layer.elements - kept)
          << layer.tensor;
      EXPECT_FLOAT_EQ(tensor(model, layer.tensor).sparsity.target_sparsity, 0.8f);
    }
    // The first convolution and the depthwise ones stay dense.
    for (const ir::Node& node : model.nodes) {
      if (node.kind != ir::OpKind::kConv2d) continue;
      EXPECT_EQ(compress::zero_fraction(model.tensor(node.inputs[1])), 0.0) << node.name;
      break;
    }
    // The kept epoch is one at the final sparsity; the file holds the same zeros and targets.
    ASSERT_GT(r->training.summary.best_epoch, 0);
    auto loaded = format::load_model(o.job.output);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    for (const PrunedLayer& layer : r->layers) {
      EXPECT_EQ(compress::zero_fraction(tensor(*loaded, layer.tensor)), layer.achieved_sparsity);
      EXPECT_FLOAT_EQ(tensor(*loaded, layer.tensor).sparsity.target_sparsity, 0.8f);
    }
    EXPECT_EQ(loaded->metadata.extra.at("pruning.schedule"), compress::pruning_schedule_name(kind));
    fs::remove(o.job.output);
    fs::remove(checkpoint_path(o.job));
  }
}

TEST_F(PruningJobTest, AnEarlierDenserEpochIsNeverKept) {
  // The polynomial schedule reaches 0.9 at 2/3 of the run: epochs 1 and 2 end below it.
  UnstructuredPruningOptions o = options(0.9, 3);
  auto r = run_unstructured_pruning(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const int64_t steps_per_epoch = r->total_steps / 3;
  const int64_t first_final_epoch = r->schedule.end_step / steps_per_epoch + 1;
  EXPECT_GE(r->training.summary.best_epoch, first_final_epoch);
  for (const EpochRecord& e : r->training.summary.history) {
    if (e.epoch < first_final_epoch) {
      EXPECT_FALSE(e.improved) << e.epoch;
    }
  }
  EXPECT_NEAR(static_cast<double>(r->zero_elements) / static_cast<double>(r->pruned_elements), 0.9, 0.001);
}

TEST_F(PruningJobTest, ResumeReproducesTheUninterruptedRun) {
  UnstructuredPruningOptions o = options(0.85, 3);
  o.schedule.frequency = 2;
  o.job.checkpoint = file("whole.ckpt");
  auto whole = run_unstructured_pruning(o);
  ASSERT_TRUE(whole.ok()) << whole.status().message();

  o.job.output = file("split.gramlite");
  o.job.checkpoint = file("split.ckpt");
  TrainingJobCallbacks stop;
  stop.trainer.on_epoch = [](const EpochRecord& r) {
    if (r.epoch == 1) throw testing::StopAfter();
  };
  ASSERT_FALSE(run_unstructured_pruning(o, stop).ok());
  o.job.resume = true;
  int resumed_after = -1;
  TrainingJobCallbacks note;
  note.trainer.on_resume = [&](int done) { resumed_after = done; };
  auto resumed = run_unstructured_pruning(o, note);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(resumed_after, 1);
  const auto& a = whole->training.summary.history;
  const auto& b = resumed->training.summary.history;
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(b[i].train_loss, a[i].train_loss) << "epoch " << i + 1;
  EXPECT_EQ(format::serialize_model(resumed->training.summary.model).value(),
            format::serialize_model(whole->training.summary.model).value());
  // The masks in the two final checkpoints are the same.
  auto last_whole = load_checkpoint(file("whole.ckpt"));
  auto last_split = load_checkpoint(file("split.ckpt"));
  ASSERT_TRUE(last_whole.ok() && last_split.ok());
  const auto masks = [](const std::string& state) {
    const size_t begin = state.find("\"masks\":");
    return begin == std::string::npos ? std::string() : state.substr(begin, state.find(']', begin) - begin);
  };
  EXPECT_FALSE(masks(last_whole->state_json).empty());
  EXPECT_TRUE(masks(last_whole->state_json) == masks(last_split->state_json));
  // Another sparsity is another run: resume refuses it, naming the setting.
  o.schedule.final_sparsity = 0.5;
  auto refused = run_unstructured_pruning(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("final_sparsity"), std::string::npos) << refused.status().message();
}

TEST_F(PruningJobTest, GlobalAndSensitivityAllocationsMeetTheOverallTarget) {
  for (auto allocation : {compress::SparsityAllocation::kGlobal, compress::SparsityAllocation::kSensitivity}) {
    UnstructuredPruningOptions o = options(0.7, 2);
    o.allocation = allocation;
    o.probe_images = 8;
    int probed = 0;
    o.on_probe = [&](int, int) { ++probed; };
    auto r = run_unstructured_pruning(o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    const double overall = static_cast<double>(r->zero_elements) / static_cast<double>(r->pruned_elements);
    EXPECT_NEAR(overall, 0.7, 0.01) << compress::sparsity_allocation_name(allocation);
    bool layers_differ = false;
    for (const PrunedLayer& l : r->layers) layers_differ |= std::fabs(l.achieved_sparsity - 0.7) > 0.02;
    EXPECT_TRUE(layers_differ) << compress::sparsity_allocation_name(allocation);
    if (allocation == compress::SparsityAllocation::kSensitivity) {
      EXPECT_EQ(probed, 14);
      for (const PrunedLayer& l : r->layers) EXPECT_EQ(l.probe_losses.size(), compress::sensitivity_probe_levels().size());
    }
    fs::remove(o.job.output);
    fs::remove(checkpoint_path(o.job));
  }
}

TEST_F(PruningJobTest, BlockPruningRemovesWholeBlocks) {
  UnstructuredPruningOptions o = options(0.75, 2);
  o.block = {1, 4};
  auto r = run_unstructured_pruning(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  for (const PrunedLayer& layer : r->layers) {
    const ir::Tensor& t = tensor(r->training.summary.model, layer.tensor);
    EXPECT_NEAR(compress::zero_block_fraction(t, {1, 4}), 0.75, 0.02) << layer.tensor;
    EXPECT_EQ(t.sparsity.block_shape, (std::vector<int32_t>{1, 4}));
  }
}

TEST_F(PruningJobTest, DistillationWithWeightZeroIsThePlainRunAndOtherwiseNot) {
  UnstructuredPruningOptions plain = options(0.5, 1);
  auto a = run_unstructured_pruning(plain);
  ASSERT_TRUE(a.ok()) << a.status().message();
  UnstructuredPruningOptions taught = options(0.5, 1);
  taught.job.output = file("taught.gramlite");
  auto teacher = format::load_model(plain.job.model.model_file);
  ASSERT_TRUE(teacher.ok());
  taught.job.teacher = std::make_shared<const ir::Graph>(*teacher);
  taught.job.teacher_description = "dense";
  taught.job.distill_weight = 0.0;
  auto b = run_unstructured_pruning(taught);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(format::serialize_model(a->training.summary.model).value().size() > 0, true);
  EXPECT_EQ(a->training.summary.history[0].train_loss, b->training.summary.history[0].train_loss);
  taught.job.output = file("taught2.gramlite");
  taught.job.distill_weight = 0.7;
  auto c = run_unstructured_pruning(taught);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_NE(a->training.summary.history[0].train_loss, c->training.summary.history[0].train_loss);
  taught.job.distill_weight = 1.5;
  auto bad = run_unstructured_pruning(taught);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("distillation weight"), std::string::npos) << bad.status().message();
}

TEST_F(PruningJobTest, ScheduleThatOutlastsTheRunIsRefusedBeforeTraining) {
  UnstructuredPruningOptions o = options(0.5, 1);
  o.schedule.end_step = 100000;
  auto r = run_unstructured_pruning(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ends at step 100000"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(o.job.output));
}

}  // namespace
}  // namespace gramlite::train
