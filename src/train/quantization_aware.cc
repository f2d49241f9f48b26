#include "gramlite/train/quantization_aware.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include <nlohmann/json.hpp>

#include "gramlite/ir/passes.h"
#include "train/fake_quant.h"
#include "train/training_hooks.h"
#include "train/torch_graph_internal.h"

namespace gramlite::train {
namespace {

using nlohmann::json;

// Floats as their bit patterns: a resumed run must see exactly the observers' values.
uint32_t bits_of(float v) {
  uint32_t bits = 0;
  std::memcpy(&bits, &v, sizeof(bits));
  return bits;
}
float float_of(uint32_t bits) {
  float v = 0.0f;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

json observers_to_json(const std::vector<MovingAverageObserver>& observers) {
  json list = json::array();
  for (const MovingAverageObserver& o : observers) {
    list.push_back({{"tensor", o.tensor}, {"initialized", o.initialized}, {"min", bits_of(o.min)},
                    {"max", bits_of(o.max)}});
  }
  return list;
}

// Into `observers` (the attached graph's, by position and tensor name).
Status observers_from_json(const json& list, std::vector<MovingAverageObserver>& observers) {
  if (!list.is_array() || list.size() != observers.size()) {
    return corrupt_data("the checkpoint holds ", list.is_array() ? list.size() : 0, " activation observers, the model has ",
                        observers.size());
  }
  for (size_t i = 0; i < observers.size(); ++i) {
    const json& j = list[i];
    if (j.at("tensor").get<std::string>() != observers[i].tensor) {
      return corrupt_data("the checkpoint's observer ", i, " watches '", j.at("tensor").get<std::string>(),
                          "', the model's '", observers[i].tensor, "'");
    }
    observers[i].initialized = j.at("initialized").get<bool>();
    observers[i].min = float_of(j.at("min").get<uint32_t>());
    observers[i].max = float_of(j.at("max").get<uint32_t>());
  }
  return Status::Ok();
}

class QuantizationAwareHooks : public TrainingHooks {
 public:
  QuantizationAwareHooks(const QuantizationAwareOptions& options, int freeze_batch_norm_epoch,
                         int freeze_observers_epoch)
      : options_(options), freeze_batch_norm_epoch_(freeze_batch_norm_epoch),
        freeze_observers_epoch_(freeze_observers_epoch) {}

  const char* fingerprint_key() const override { return "quantization_aware"; }
  const char* state_key() const override { return "quantization"; }

  std::string fingerprint_json() const override {
    return json{{"per_tensor_weights", options_.per_tensor_weights},
                {"weight_bits", options_.weight_bits},
                {"freeze_batch_norm_epoch", freeze_batch_norm_epoch_},
                {"freeze_observers_epoch", freeze_observers_epoch_},
                {"observer_momentum", options_.observer_momentum}}
        .dump();
  }

  Status attach(TorchGraph& torch, const ir::Graph& graph, const std::string& restored_state) override {
    FakeQuantOptions fq;
    fq.per_tensor_weights = options_.per_tensor_weights;
    fq.weight_bits = options_.weight_bits;
    fq.observer_momentum = options_.observer_momentum;
    GRAMLITE_ASSIGN_OR_RETURN(fake_quant_, FakeQuantization::attach(torch, graph, fq));
    if (restored_state.empty()) return Status::Ok();
    try {
      const json state = json::parse(restored_state);
      GRAMLITE_RETURN_IF_ERROR(observers_from_json(state.at("observers"), fake_quant_->observers()));
      if (!state.at("best_observers").is_null()) {
        best_ = fake_quant_->observers();
        GRAMLITE_RETURN_IF_ERROR(observers_from_json(state.at("best_observers"), *best_));
      }
      if (state.at("batch_norm_frozen").get<bool>()) GRAMLITE_RETURN_IF_ERROR(freeze_batch_norms(torch));
      fake_quant_->set_observers_frozen(state.at("observers_frozen").get<bool>());
    } catch (const json::exception& e) {
      return corrupt_data("bad quantization-aware training state: ", e.what());
    }
    return Status::Ok();
  }

  Status start_epoch(TorchGraph& torch, int epoch) override {
    if (epoch >= freeze_batch_norm_epoch_ && !batch_norm_frozen_) GRAMLITE_RETURN_IF_ERROR(freeze_batch_norms(torch));
    if (epoch >= freeze_observers_epoch_) fake_quant_->set_observers_frozen(true);
    return Status::Ok();
  }

  void keep_best() override { best_ = fake_quant_->observers(); }

  std::string state_json() const override {
    return json{{"observers", observers_to_json(fake_quant_->observers())},
                {"best_observers", best_ ? observers_to_json(*best_) : json()},
                {"batch_norm_frozen", batch_norm_frozen_},
                {"observers_frozen", fake_quant_->observers_frozen()}}
        .dump();
  }

  // The kept model's ranges (the trainer's summary.model is the best epoch's when there is one).
  Result<ir::ActivationRanges> ranges() const {
    if (!fake_quant_) return internal_error("quantization-aware training never started");
    return fake_quant_->ranges(best_ ? &*best_ : nullptr);
  }

 private:
  Status freeze_batch_norms(TorchGraph& torch) {
    for (const TorchGraph::Impl::NodeState& state : torch.impl().nodes) {
      if (state.node.kind == ir::OpKind::kBatchNorm) {
        GRAMLITE_RETURN_IF_ERROR(torch.set_batch_norm_frozen(state.node.name, true));
      }
    }
    batch_norm_frozen_ = true;
    return Status::Ok();
  }

  const QuantizationAwareOptions& options_;
  const int freeze_batch_norm_epoch_;
  const int freeze_observers_epoch_;
  std::shared_ptr<FakeQuantization> fake_quant_;
  std::optional<std::vector<MovingAverageObserver>> best_;
  bool batch_norm_frozen_ = false;
};

}  // namespace

Result<QuantizationAwareResult> run_quantization_aware_training(const QuantizationAwareOptions& options,
                                                                const TrainingJobCallbacks& callbacks) {
  const int epochs = options.job.epochs;
  if (epochs < 1) return invalid_argument("epochs must be at least 1, got ", epochs);
  if (options.weight_bits < 2 || options.weight_bits > 8) {
    return invalid_argument("weight bits must be in [2, 8], got ", options.weight_bits);
  }
  if (options.freeze_observers_epoch == 0) {
    return invalid_argument("the observers cannot be frozen from the start (freeze_observers_epoch 0): they need "
                            "at least one epoch of data");
  }
  const int freeze_batch_norm_epoch =
      options.freeze_batch_norm_epoch < 0 ? 2 * epochs / 3 : options.freeze_batch_norm_epoch;
  const int freeze_observers_epoch =
      options.freeze_observers_epoch < 0 ? std::max(1, 3 * epochs / 4) : options.freeze_observers_epoch;
  QuantizationAwareHooks hooks(options, freeze_batch_norm_epoch, freeze_observers_epoch);

  QuantizationAwareResult result;
  GRAMLITE_ASSIGN_OR_RETURN(result.training, run_training_job(options.job, callbacks, &hooks));
  result.prepared_float = result.training.summary.model;
  GRAMLITE_RETURN_IF_ERROR(ir::optimize_for_inference(result.prepared_float));
  GRAMLITE_ASSIGN_OR_RETURN(result.ranges, hooks.ranges());
  // Every activation of the prepared graph the int8 graph quantizes has its range (the model's
  // final Softmax, trained without, stays float and has none).
  for (const ir::Node& node : result.prepared_float.nodes) {
    if (node.kind == ir::OpKind::kSoftmax) continue;
    for (ir::TensorId id : node.outputs) {
      const std::string& name = result.prepared_float.tensor(id).name;
      if (result.ranges.count(name) == 0) return internal_error("no range was learned for tensor '", name, "'");
    }
  }
  return result;
}

}  // namespace gramlite::train
