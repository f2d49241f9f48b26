#include "gramlite/train/pruning.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include "train/training_hooks.h"
#include "train/torch_graph_internal.h"

namespace gramlite::train {
namespace {

// The settings TF-MOT leaves to the user, filled in from the run's length: the polynomial schedule
// reaches its target at 2/3 of the steps, and the mask is updated about 20 times over the span (at
// most every 100 steps, TF-MOT's default frequency).
compress::PruningSchedule resolve_schedule(compress::PruningSchedule s, int64_t total_steps) {
  if (s.kind == compress::PruningScheduleKind::kPolynomial && s.end_step < 0) {
    s.end_step = std::max(s.begin_step + 1, total_steps * 2 / 3);
  }
  if (s.frequency <= 0) {
    const int64_t span = s.end_step >= 0 ? s.end_step - s.begin_step : total_steps - s.begin_step;
    s.frequency = std::min<int64_t>(100, std::max<int64_t>(1, span / 20));
  }
  return s;
}

using nlohmann::json;

// Masks in the checkpoint: one bit per weight (set = pruned), base64.
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string to_base64(const std::vector<uint8_t>& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t b0 = bytes[i];
    const uint32_t b1 = i + 1 < bytes.size() ? bytes[i + 1] : 0;
    const uint32_t b2 = i + 2 < bytes.size() ? bytes[i + 2] : 0;
    const uint32_t v = (b0 << 16) | (b1 << 8) | b2;
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kBase64[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kBase64[v & 63] : '=';
  }
  return out;
}

Result<std::vector<uint8_t>> from_base64(const std::string& text) {
  if (text.size() % 4 != 0) return corrupt_data("a pruning mask is not base64 (length ", text.size(), ")");
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  const auto value = [](char c) -> int {
    const char* p = std::find(kBase64, kBase64 + 64, c);
    return p == kBase64 + 64 ? -1 : static_cast<int>(p - kBase64);
  };
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int padding = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + static_cast<size_t>(k)];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++padding;
        continue;
      }
      v[k] = value(c);
      if (v[k] < 0 || padding > 0) return corrupt_data("a pruning mask is not base64");
    }
    const uint32_t bits = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                          (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out.push_back(static_cast<uint8_t>(bits >> 16));
    if (padding < 2) out.push_back(static_cast<uint8_t>(bits >> 8));
    if (padding < 1) out.push_back(static_cast<uint8_t>(bits));
  }
  return out;
}

std::vector<uint8_t> pack_bits(const at::Tensor& pruned) {
  const at::Tensor flat = pruned.to(at::kByte).contiguous().reshape({-1});
  const uint8_t* p = flat.data_ptr<uint8_t>();
  std::vector<uint8_t> bytes(static_cast<size_t>((flat.numel() + 7) / 8), 0);
  for (int64_t i = 0; i < flat.numel(); ++i) {
    if (p[i]) bytes[static_cast<size_t>(i / 8)] |= static_cast<uint8_t>(1u << (i % 8));
  }
  return bytes;
}

at::Tensor unpack_bits(const std::vector<uint8_t>& bytes, const ir::Shape& shape) {
  at::Tensor flat = at::zeros({ir::element_count(shape)}, at::kByte);
  uint8_t* p = flat.data_ptr<uint8_t>();
  for (int64_t i = 0; i < flat.numel(); ++i) p[i] = (bytes[static_cast<size_t>(i / 8)] >> (i % 8)) & 1u;
  return flat.to(at::kBool).reshape(shape);
}

std::vector<float> values_of(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// keep (1/0 per element) -> pruned (bool tensor of `shape`).
at::Tensor pruned_from_keep(const std::vector<uint8_t>& keep, const ir::Shape& shape) {
  at::Tensor k = at::from_blob(const_cast<uint8_t*>(keep.data()), {static_cast<int64_t>(keep.size())}, at::kByte);
  return k.eq(0).reshape(shape).clone();
}

class PruningHooks : public TrainingHooks {
 public:
  explicit PruningHooks(const UnstructuredPruningOptions& options) : options_(options), schedule_(options.schedule) {}

  const char* fingerprint_key() const override { return "pruning"; }
  const char* state_key() const override { return "pruning"; }

  std::string fingerprint_json() const override {
    const compress::PruningSchedule& s = options_.schedule;
    return json{{"schedule", compress::pruning_schedule_name(s.kind)},
                {"initial_sparsity", s.initial_sparsity},
                {"final_sparsity", s.final_sparsity},
                {"begin_step", s.begin_step},
                {"end_step", s.end_step},
                {"frequency", s.frequency},
                {"power", s.power},
                {"allocation", compress::sparsity_allocation_name(options_.allocation)},
                {"block", compress::pruning_block_name(options_.block)},
                {"include_first_convolution", options_.prunable.include_first_convolution},
                {"include_depthwise", options_.prunable.include_depthwise},
                {"skip", options_.prunable.skip},
                {"probe_images", options_.probe_images}}
        .dump();
  }

  Status attach(TorchGraph& torch, const ir::Graph& graph, const std::string& restored_state) override {
    GRAMLITE_ASSIGN_OR_RETURN(layers_, compress::find_prunable_weights(graph, options_.prunable));
    weights_.clear();
    for (const compress::PrunableWeight& layer : layers_) {
      const auto& constants = torch.impl().constants;
      const auto it = std::find_if(constants.begin(), constants.end(),
                                   [&](const TorchGraph::Impl::Constant& c) { return c.tensor == layer.tensor; });
      if (it == constants.end()) return internal_error("weight '", layer.tensor, "' is not in the torch graph");
      weights_.push_back(it->value);
    }
    pruned_.assign(layers_.size(), at::Tensor());
    targets_.assign(layers_.size(), options_.schedule.final_sparsity);
    if (restored_state.empty()) return Status::Ok();
    try {
      const json state = json::parse(restored_state);
      targets_ = state.at("targets").get<std::vector<double>>();
      base_probe_loss_ = state.at("base_probe_loss").get<double>();
      probe_losses_ = state.at("probe_losses").get<std::vector<std::vector<double>>>();
      const json& masks = state.at("masks");
      if (targets_.size() != layers_.size() || masks.size() != layers_.size()) {
        return corrupt_data("the checkpoint prunes ", masks.size(), " weights, this run ", layers_.size());
      }
      for (size_t l = 0; l < layers_.size(); ++l) {
        const json& m = masks[l];
        if (m.at("tensor").get<std::string>() != layers_[l].tensor) {
          return corrupt_data("the checkpoint's pruning mask ", l, " is for '", m.at("tensor").get<std::string>(),
                              "', this run's for '", layers_[l].tensor, "'");
        }
        if (m.at("bits").is_null()) continue;
        GRAMLITE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, from_base64(m.at("bits").get<std::string>()));
        if (static_cast<int64_t>(bytes.size()) != (layers_[l].elements + 7) / 8) {
          return corrupt_data("the checkpoint's pruning mask for '", layers_[l].tensor, "' has the wrong size");
        }
        pruned_[l] = unpack_bits(bytes, layers_[l].shape);
      }
    } catch (const json::exception& e) {
      return corrupt_data("bad pruning state: ", e.what());
    }
    return Status::Ok();
  }

  Status before_training(TorchGraph& torch, const TrainingContext& context) override {
    total_steps_ = context.steps_per_epoch * context.epochs;
    schedule_ = resolve_schedule(schedule_, total_steps_);
    GRAMLITE_RETURN_IF_ERROR(compress::validate_schedule(schedule_));
    if (final_update_step() >= total_steps_) {
      return invalid_argument("the pruning schedule ends at step ", final_update_step(), " but the run has only ",
                              total_steps_, " steps (", context.epochs, " epochs of ", context.steps_per_epoch,
                              "); lower the end step or train longer");
    }
    if (context.resumed || options_.allocation != compress::SparsityAllocation::kSensitivity) return Status::Ok();
    if (context.val_loader == nullptr) return invalid_argument("sensitivity allocation needs validation data");
    return probe_sensitivity(torch, *context.val_loader);
  }

  Status before_step(TorchGraph&, int64_t step) override {
    if (!compress::should_update_mask(schedule_, step)) return Status::Ok();
    c10::AutoGradMode no_grad(false);
    const double sparsity = compress::sparsity_at(schedule_, step);
    if (options_.allocation == compress::SparsityAllocation::kGlobal) {
      std::vector<std::vector<float>> values(layers_.size());
      std::vector<const std::vector<float>*> pointers;
      for (size_t l = 0; l < layers_.size(); ++l) {
        values[l] = values_of(weights_[l]);
        pointers.push_back(&values[l]);
      }
      const auto masks = compress::global_magnitude_masks(layers_, pointers, sparsity, options_.block);
      for (size_t l = 0; l < layers_.size(); ++l) pruned_[l] = pruned_from_keep(masks[l], layers_[l].shape);
    } else {
      const double target = options_.schedule.final_sparsity;
      for (size_t l = 0; l < layers_.size(); ++l) {
        const double layer_sparsity = target > 0.0 ? sparsity * targets_[l] / target : 0.0;
        const auto keep = compress::magnitude_mask(values_of(weights_[l]), layers_[l].shape, layer_sparsity, options_.block);
        pruned_[l] = pruned_from_keep(keep, layers_[l].shape);
      }
    }
    apply_masks();
    return Status::Ok();
  }

  Status after_step(TorchGraph&, int64_t) override {
    c10::AutoGradMode no_grad(false);
    apply_masks();
    return Status::Ok();
  }

  bool may_keep(int64_t steps_done) const override { return steps_done > final_update_step(); }

  void annotate(ir::Graph& model) const override {
    for (size_t l = 0; l < layers_.size(); ++l) {
      const std::optional<ir::TensorId> id = model.find_tensor(layers_[l].tensor);
      if (!id) continue;
      compress::record_pruning_target(model.tensor(*id), target_of(l), options_.block);
    }
    model.metadata.extra["pruning.schedule"] = compress::pruning_schedule_name(schedule_.kind);
    model.metadata.extra["pruning.target_sparsity"] = str_cat(options_.schedule.final_sparsity);
    model.metadata.extra["pruning.allocation"] = compress::sparsity_allocation_name(options_.allocation);
    model.metadata.extra["pruning.block"] = compress::pruning_block_name(options_.block);
  }

  Status start_epoch(TorchGraph&, int) override { return Status::Ok(); }
  void keep_best() override {}

  std::string state_json() const override {
    json masks = json::array();
    for (size_t l = 0; l < layers_.size(); ++l) {
      masks.push_back({{"tensor", layers_[l].tensor},
                       {"bits", pruned_[l].defined() ? json(to_base64(pack_bits(pruned_[l]))) : json()}});
    }
    return json{{"targets", targets_}, {"base_probe_loss", base_probe_loss_}, {"probe_losses", probe_losses_},
                {"masks", masks}}
        .dump();
  }

  const std::vector<compress::PrunableWeight>& layers() const { return layers_; }
  const compress::PruningSchedule& schedule() const { return schedule_; }
  int64_t total_steps() const { return total_steps_; }
  double base_probe_loss() const { return base_probe_loss_; }
  const std::vector<std::vector<double>>& probe_losses() const { return probe_losses_; }
  // A layer's final target: its allocation (global allocation shares one threshold, not targets).
  double target_of(size_t l) const { return targets_[l]; }

 private:
  // The last step that changes a mask: the end step, or for a constant schedule without end its
  // first update (later ones re-apply the same target).
  int64_t final_update_step() const {
    return schedule_.end_step >= 0 ? schedule_.end_step : schedule_.begin_step;
  }

  void apply_masks() {
    for (size_t l = 0; l < layers_.size(); ++l) {
      // masked_fill writes +0.0 (a multiply by 0 would leave -0.0 for negative weights, which the
      // model file's sparse encodings would store as non-zero).
      if (pruned_[l].defined()) weights_[l].detach().masked_fill_(pruned_[l], 0.0);
    }
  }

  Status probe_sensitivity(TorchGraph& torch, data::DataLoader& val_loader) {
    struct Cached {
      at::Tensor x;
      at::Tensor y;
    };
    std::vector<Cached> batches;
    int64_t images = 0;
    val_loader.start_epoch(0);
    while (images < options_.probe_images) {
      std::optional<data::Batch> batch = val_loader.next();
      if (!batch) break;
      Cached c;
      c.x = at::from_blob(batch->images.data(), {batch->size, batch->channels, batch->height, batch->width}, at::kFloat).clone();
      c.y = at::from_blob(batch->labels.data(), {batch->size}, at::kInt).to(at::kLong);
      images += batch->size;
      batches.push_back(std::move(c));
    }
    if (batches.empty()) return invalid_argument("sensitivity allocation: no validation image could be read");
    const bool was_training = torch.is_training();
    torch.set_training(false);
    c10::AutoGradMode no_grad(false);
    const auto loss = [&]() {
      double sum = 0.0;
      int64_t n = 0;
      for (const Cached& c : batches) {
        const at::Tensor logits = internal::forward(torch, {c.x})[0].reshape({c.x.size(0), -1});
        sum += at::cross_entropy_loss(logits, c.y, {}, at::Reduction::Sum).item<double>();
        n += c.x.size(0);
      }
      return sum / static_cast<double>(n);
    };
    base_probe_loss_ = loss();
    const std::vector<double> levels = compress::sensitivity_probe_levels();
    std::vector<compress::LayerSensitivity> probes;
    probe_losses_.clear();
    for (size_t l = 0; l < layers_.size(); ++l) {
      compress::LayerSensitivity probe{layers_[l].tensor, layers_[l].elements, levels, {}};
      const at::Tensor original = weights_[l].detach().clone();
      const std::vector<float> values = values_of(original);
      for (double level : levels) {
        const auto keep = compress::magnitude_mask(values, layers_[l].shape, level, options_.block);
        weights_[l].detach().masked_fill_(pruned_from_keep(keep, layers_[l].shape), 0.0);
        probe.losses.push_back(loss());
        weights_[l].detach().copy_(original);
      }
      probe_losses_.push_back(probe.losses);
      probes.push_back(std::move(probe));
      if (options_.on_probe) options_.on_probe(static_cast<int>(l + 1), static_cast<int>(layers_.size()));
    }
    torch.set_training(was_training);
    targets_ = compress::allocate_by_sensitivity(probes, base_probe_loss_, options_.schedule.final_sparsity);
    return Status::Ok();
  }

  const UnstructuredPruningOptions& options_;
  compress::PruningSchedule schedule_;  // resolved in before_training
  std::vector<compress::PrunableWeight> layers_;
  std::vector<at::Tensor> weights_;  // the torch parameters, shared with the graph
  std::vector<at::Tensor> pruned_;   // per layer: true where pruned; undefined before the first update
  std::vector<double> targets_;      // per layer final sparsity
  int64_t total_steps_ = 0;
  double base_probe_loss_ = 0.0;
  std::vector<std::vector<double>> probe_losses_;
};

}  // namespace

Result<UnstructuredPruningResult> run_unstructured_pruning(const UnstructuredPruningOptions& options,
                                                          const TrainingJobCallbacks& callbacks) {
  if (options.job.model.model_file.empty()) {
    return invalid_argument("pruning starts from a trained model file (job.model.model_file)");
  }
  if (options.probe_images < 1) return invalid_argument("the probe needs at least 1 image, got ", options.probe_images);
  // Bad settings fail here, before the data loads; the defaults that depend on the run's length
  // are checked again once it is known (before_training).
  GRAMLITE_RETURN_IF_ERROR(
      compress::validate_schedule(resolve_schedule(options.schedule, std::numeric_limits<int32_t>::max())));
  PruningHooks hooks(options);
  UnstructuredPruningResult result;
  GRAMLITE_ASSIGN_OR_RETURN(result.training, run_training_job(options.job, callbacks, &hooks));
  result.schedule = hooks.schedule();
  result.total_steps = hooks.total_steps();
  result.base_probe_loss = hooks.base_probe_loss();
  // The trainer annotated the kept model (PruningHooks::annotate) when it kept it.
  const ir::Graph& model = result.training.summary.model;
  for (size_t l = 0; l < hooks.layers().size(); ++l) {
    const compress::PrunableWeight& w = hooks.layers()[l];
    PrunedLayer layer;
    layer.node = w.node;
    layer.tensor = w.tensor;
    layer.elements = w.elements;
    layer.target_sparsity = hooks.target_of(l);
    if (const std::optional<ir::TensorId> id = model.find_tensor(w.tensor)) {
      layer.achieved_sparsity = compress::zero_fraction(model.tensor(*id));
    }
    if (l < hooks.probe_losses().size()) layer.probe_losses = hooks.probe_losses()[l];
    result.pruned_elements += w.elements;
    result.zero_elements += static_cast<int64_t>(std::llround(layer.achieved_sparsity * static_cast<double>(w.elements)));
    result.layers.push_back(std::move(layer));
  }
  return result;
}

}  // namespace gramlite::train
