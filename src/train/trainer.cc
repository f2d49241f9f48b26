#include "gramlite/train/trainer.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <unordered_set>

#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include "gramlite/base/atomic_file.h"
#include "gramlite/format/model_file.h"
#include "gramlite/ir/passes.h"
#include "train/checkpoint.h"
#include "train/training_hooks.h"
#include "train/optimizer.h"
#include "train/torch_graph_internal.h"
#include "gramlite/zoo/classifier_head.h"

namespace gramlite::train {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Status validate_options(const TrainerOptions& o, bool has_validation, int64_t classes) {
  if (o.epochs < 1) return invalid_argument("epochs must be at least 1, got ", o.epochs);
  if (!std::isfinite(o.learning_rate) || o.learning_rate <= 0) {
    return invalid_argument("the learning rate must be a positive number, got ", o.learning_rate);
  }
  if (!std::isfinite(o.weight_decay) || o.weight_decay < 0) {
    return invalid_argument("weight decay must be >= 0, got ", o.weight_decay);
  }
  if (!std::isfinite(o.momentum) || o.momentum < 0 || o.momentum >= 1) {
    return invalid_argument("momentum must be in [0, 1), got ", o.momentum);
  }
  if (o.early_stopping_patience < 0) return invalid_argument("early-stopping patience must be >= 0");
  if (o.early_stopping_patience > 0 && !has_validation) {
    return invalid_argument("early stopping needs a validation set");
  }
  if (!o.class_weights.empty() && static_cast<int64_t>(o.class_weights.size()) != classes) {
    return invalid_argument(o.class_weights.size(), " class weights for a model with ", classes, " classes");
  }
  for (float w : o.class_weights) {
    if (!std::isfinite(w) || w <= 0) return invalid_argument("class weights must be positive, got ", w);
  }
  if (o.resume && o.checkpoint_path.empty()) return invalid_argument("resume needs a checkpoint path");
  if (o.teacher) {
    if (!std::isfinite(o.distill_temperature) || o.distill_temperature <= 0) {
      return invalid_argument("the distillation temperature must be positive, got ", o.distill_temperature);
    }
    if (!std::isfinite(o.distill_weight) || o.distill_weight < 0 || o.distill_weight > 1) {
      return invalid_argument("the distillation weight must be in [0, 1], got ", o.distill_weight);
    }
  }
  return Status::Ok();
}

json nullable(double v) { return std::isfinite(v) ? json(v) : json(); }
double number_or_nan(const json& j) { return j.is_number() ? j.get<double>() : std::numeric_limits<double>::quiet_NaN(); }

json record_to_json(const EpochRecord& r) {
  return {{"epoch", r.epoch}, {"learning_rate", r.learning_rate}, {"train_loss", nullable(r.train_loss)},
          {"train_accuracy", r.train_accuracy}, {"val_loss", nullable(r.val_loss)},
          {"val_accuracy", nullable(r.val_accuracy)}, {"seconds", r.seconds}, {"train_images", r.train_images},
          {"improved", r.improved}};
}

EpochRecord record_from_json(const json& j) {
  EpochRecord r;
  r.epoch = j.at("epoch").get<int>();
  r.learning_rate = j.at("learning_rate").get<double>();
  r.train_loss = number_or_nan(j.at("train_loss"));
  r.train_accuracy = j.at("train_accuracy").get<double>();
  r.val_loss = number_or_nan(j.at("val_loss"));
  r.val_accuracy = number_or_nan(j.at("val_accuracy"));
  r.seconds = j.at("seconds").get<double>();
  r.train_images = j.at("train_images").get<int64_t>();
  r.improved = j.at("improved").get<bool>();
  return r;
}

// The settings that differ between a checkpoint's fingerprint and this run's, as
// "key: was X, now Y; ..." (nested objects by their dotted path: "pruning.final_sparsity").
void list_changed_settings(const json& stored, const json& expected, const std::string& prefix, std::string& list) {
  const auto note = [&](const std::string& key) {
    list += str_cat(list.empty() ? "" : "; ", prefix, key, ": was ", stored.contains(key) ? stored.at(key).dump() : "unset",
                    ", now ", expected.contains(key) ? expected.at(key).dump() : "unset");
  };
  for (const auto& [key, value] : expected.items()) {
    if (!stored.contains(key)) {
      note(key);
    } else if (stored.at(key).is_object() && value.is_object()) {
      list_changed_settings(stored.at(key), value, prefix + key + ".", list);
    } else if (stored.at(key) != value) {
      note(key);
    }
  }
  for (const auto& [key, value] : stored.items()) {
    if (!expected.contains(key)) note(key);
  }
}

// What resume needs besides the tensors.
struct LoopState {
  int epochs_done = 0;
  std::vector<EpochRecord> history;
  int best_epoch = 0;
  int stale_epochs = 0;  // epochs since the last improvement
  bool early_stopped = false;
};

std::string format_csv(const std::vector<EpochRecord>& history) {
  std::ostringstream out;
  out.precision(6);
  out << "epoch,learning_rate,train_loss,train_accuracy,val_loss,val_accuracy,seconds,train_images,improved\n";
  for (const EpochRecord& r : history) {
    out << r.epoch << ',' << r.learning_rate << ',' << r.train_loss << ',' << r.train_accuracy << ',';
    if (std::isfinite(r.val_loss)) out << r.val_loss;
    out << ',';
    if (std::isfinite(r.val_accuracy)) out << r.val_accuracy;
    out << ',' << r.seconds << ',' << r.train_images << ',' << (r.improved ? 1 : 0) << '\n';
  }
  return out.str();
}

// True when `r` is better than the best so far (`best`, null before the first validated epoch).
bool improves(const EpochRecord& r, const EpochRecord* best, Monitor monitor) {
  if (best == nullptr) return true;
  if (!std::isfinite(r.val_loss)) return false;
  if (monitor == Monitor::kValAccuracy) {
    if (r.val_accuracy != best->val_accuracy) return r.val_accuracy > best->val_accuracy;
    return r.val_loss < best->val_loss;
  }
  return r.val_loss < best->val_loss;
}

class Trainer {
 public:
  Trainer(const TrainerOptions& options, const TrainCallbacks& callbacks, TrainingHooks* hooks)
      : options_(options), callbacks_(callbacks), hooks_(hooks) {}

  Result<TrainSummary> run(const ir::Graph& model, data::DataLoader& train_loader, data::DataLoader* val_loader);

 private:
  Status restore(const ir::Graph& model);
  Status setup_torch(const FinetunePlan& plan);
  Result<EpochRecord> run_epoch(int epoch, data::DataLoader& train_loader, data::DataLoader* val_loader);
  at::Tensor distillation_loss(const at::Tensor& hard_loss, const at::Tensor& logits, const at::Tensor& x);
  Status save_state();
  Status save_model(const ir::Graph& graph, const std::string& path) const;
  Status write_logs() const;

  const TrainerOptions& options_;
  const TrainCallbacks& callbacks_;
  TrainingHooks* hooks_;               // quantization-aware training; null: plain float training
  std::string restored_hook_state_;    // the hooks' state from the checkpoint resumed
  ir::Graph current_;                  // the model, with the weights after the last finished epoch
  std::optional<ir::Graph> best_;      // the kept model
  LoopState state_;
  int64_t restored_optimizer_steps_ = 0;
  std::vector<CheckpointTensor> restored_optimizer_;
  std::vector<uint8_t> restored_generator_;
  std::unique_ptr<TorchGraph> torch_;
  std::unique_ptr<TorchGraph> teacher_;  // distillation: evaluated, never trained
  std::unique_ptr<Optimizer> optimizer_;
  at::Tensor class_weights_;
  int64_t classes_ = 0;
};

Status Trainer::restore(const ir::Graph& model) {
  GRAMLITE_ASSIGN_OR_RETURN(Checkpoint checkpoint, load_checkpoint(options_.checkpoint_path));
  json state;
  try {
    state = json::parse(checkpoint.state_json);
    const json expected = json::parse(options_.fingerprint_json);
    const json& stored = state.at("fingerprint");
    std::string list;
    list_changed_settings(stored, expected, "", list);
    if (!list.empty()) {
      return invalid_argument("checkpoint '", options_.checkpoint_path,
                              "' belongs to a run with other settings (", list, "); resume with the same settings");
    }
    state_.epochs_done = state.at("epochs_done").get<int>();
    for (const json& r : state.at("history")) state_.history.push_back(record_from_json(r));
    state_.best_epoch = state.at("best_epoch").get<int>();
    state_.stale_epochs = state.at("stale_epochs").get<int>();
    state_.early_stopped = state.at("early_stopped").get<bool>();
    if (hooks_ != nullptr) restored_hook_state_ = state.at(hooks_->state_key()).dump();
  } catch (const json::exception& e) {
    return corrupt_data("checkpoint '", options_.checkpoint_path, "': bad trainer state: ", e.what());
  }
  if (state_.epochs_done < 0 || static_cast<size_t>(state_.epochs_done) != state_.history.size()) {
    return corrupt_data("checkpoint '", options_.checkpoint_path, "': inconsistent epoch count");
  }
  GRAMLITE_ASSIGN_OR_RETURN(zoo::ClassifierHead head, zoo::find_classifier_head(checkpoint.model));
  GRAMLITE_ASSIGN_OR_RETURN(zoo::ClassifierHead expected_head, zoo::find_classifier_head(model));
  if (head.num_classes != expected_head.num_classes || checkpoint.model.tensors.size() != model.tensors.size()) {
    return invalid_argument("checkpoint '", options_.checkpoint_path, "' holds a different model (",
                            head.num_classes, " classes, ", checkpoint.model.tensors.size(), " tensors) than this run (",
                            expected_head.num_classes, " classes, ", model.tensors.size(), " tensors)");
  }
  current_ = std::move(checkpoint.model);
  best_ = std::move(checkpoint.best_model);
  restored_optimizer_steps_ = checkpoint.optimizer_steps;
  restored_optimizer_ = std::move(checkpoint.optimizer);
  restored_generator_ = std::move(checkpoint.generator_state);
  if (callbacks_.on_resume) callbacks_.on_resume(state_.epochs_done);
  return Status::Ok();
}

Status Trainer::setup_torch(const FinetunePlan& plan) {
  GRAMLITE_ASSIGN_OR_RETURN(ir::Graph graph, logits_graph(current_));
  TorchGraphOptions torch_options;
  torch_options.threads = options_.threads;
  torch_options.seed = options_.seed;
  GRAMLITE_ASSIGN_OR_RETURN(torch_, TorchGraph::create(graph, torch_options));

  const std::unordered_set<std::string> trainable(plan.trainable_tensors.begin(), plan.trainable_tensors.end());
  for (const ParameterInfo& p : torch_->parameters()) {
    if (p.trainable) GRAMLITE_RETURN_IF_ERROR(torch_->set_requires_grad(p.tensor, trainable.count(p.tensor) > 0));
  }
  for (const std::string& bn : plan.frozen_batch_norms) GRAMLITE_RETURN_IF_ERROR(torch_->set_batch_norm_frozen(bn, true));
  if (hooks_ != nullptr) GRAMLITE_RETURN_IF_ERROR(hooks_->attach(*torch_, graph, restored_hook_state_));
  if (options_.teacher) {
    GRAMLITE_ASSIGN_OR_RETURN(ir::Graph teacher_graph, logits_graph(*options_.teacher));
    GRAMLITE_ASSIGN_OR_RETURN(zoo::ClassifierHead teacher_head, zoo::find_classifier_head(teacher_graph));
    if (teacher_head.num_classes != classes_) {
      return invalid_argument("the distillation teacher has ", teacher_head.num_classes, " classes, the model ", classes_);
    }
    TorchGraphOptions teacher_options = torch_options;
    teacher_options.threads = 0;  // the student's setting already holds (process-wide)
    GRAMLITE_ASSIGN_OR_RETURN(teacher_, TorchGraph::create(teacher_graph, teacher_options));
    for (const ParameterInfo& p : teacher_->parameters()) {
      if (p.trainable) GRAMLITE_RETURN_IF_ERROR(teacher_->set_requires_grad(p.tensor, false));
    }
  }

  try {
    std::vector<at::Tensor> tensors;
    std::vector<std::string> names;
    for (const TorchGraph::Impl::Constant& c : torch_->impl().constants) {
      if (c.trainable && c.value.requires_grad()) {
        tensors.push_back(c.value);
        names.push_back(c.tensor);
      }
    }
    OptimizerOptions optimizer_options;
    optimizer_options.kind = options_.optimizer == TrainOptimizer::kAdam ? OptimizerKind::kAdam : OptimizerKind::kSgd;
    optimizer_options.weight_decay = options_.weight_decay;
    optimizer_options.momentum = options_.momentum;
    optimizer_ = std::make_unique<Optimizer>(std::move(tensors), std::move(names), optimizer_options);
    if (options_.resume) {
      std::vector<OptimizerStateEntry> entries;
      for (CheckpointTensor& t : restored_optimizer_) {
        at::Tensor value = at::from_blob(t.values.data(), t.shape, at::kFloat).clone();
        entries.push_back({t.parameter, t.slot, value});
      }
      optimizer_->load_state(restored_optimizer_steps_, entries);
      if (!restored_generator_.empty()) {
        at::Tensor generator_state = at::empty({static_cast<int64_t>(restored_generator_.size())}, at::kByte);
        std::memcpy(generator_state.data_ptr(), restored_generator_.data(), restored_generator_.size());
        torch_->impl().generator.set_state(generator_state);
      }
    }
    if (!options_.class_weights.empty()) {
      class_weights_ = at::tensor(at::ArrayRef<float>(options_.class_weights), at::kFloat);
    }
  } catch (const std::exception& e) {
    return invalid_argument("restoring the optimizer from '", options_.checkpoint_path, "': ", internal::describe(e));
  }
  return Status::Ok();
}

Result<EpochRecord> Trainer::run_epoch(int epoch, data::DataLoader& train_loader, data::DataLoader* val_loader) {
  const Clock::time_point start = Clock::now();
  EpochRecord record;
  record.epoch = epoch + 1;
  ScheduleOptions schedule;
  schedule.kind = options_.schedule;
  schedule.epochs = options_.epochs;
  record.learning_rate = learning_rate_at(options_.learning_rate, schedule, epoch);

  torch_->set_training(true);
  train_loader.start_epoch(epoch);
  const int64_t batches = train_loader.batches_per_epoch();
  double loss_sum = 0.0;
  int64_t correct = 0;
  int64_t seen = 0;
  int64_t batch_number = 0;
  while (std::optional<data::Batch> batch = train_loader.next()) {
    const at::Tensor x = at::from_blob(batch->images.data(), {batch->size, batch->channels, batch->height, batch->width},
                                       at::kFloat);
    const at::Tensor y = at::from_blob(batch->labels.data(), {batch->size}, at::kInt).to(at::kLong);
    const int64_t step = optimizer_->steps();
    if (hooks_ != nullptr) GRAMLITE_RETURN_IF_ERROR(hooks_->before_step(*torch_, step));
    const at::Tensor logits = internal::forward(*torch_, {x})[0].reshape({batch->size, -1});
    if (logits.size(1) != classes_) {
      return internal_error("the model produced ", logits.size(1), " outputs per image for ", classes_, " classes");
    }
    at::Tensor loss = at::cross_entropy_loss(logits, y, class_weights_);
    if (teacher_) loss = distillation_loss(loss, logits, x);
    const double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value)) {
      return invalid_argument("training diverged in epoch ", epoch + 1, ", batch ", batch_number + 1, ": the loss is not finite (",
                              loss_value, "); try a lower learning rate");
    }
    optimizer_->zero_grad();
    loss.backward();
    optimizer_->step(record.learning_rate);
    if (hooks_ != nullptr) GRAMLITE_RETURN_IF_ERROR(hooks_->after_step(*torch_, step));
    loss_sum += loss_value * batch->size;
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    seen += batch->size;
    ++batch_number;
    if (callbacks_.on_batch) callbacks_.on_batch(epoch + 1, batch_number, batches, loss_sum / static_cast<double>(seen));
  }
  if (seen == 0) return invalid_argument("no training image could be read in epoch ", epoch + 1);
  // The last step's loss was finite, but that step may have sent the weights to inf or NaN: a model
  // that only outputs NaN must not be kept.
  for (const TorchGraph::Impl::Constant& c : torch_->impl().constants) {
    if (c.value.is_floating_point() && !c.value.isfinite().all().item<bool>()) {
      return invalid_argument("training diverged in epoch ", epoch + 1, ": '", c.tensor,
                              "' is not finite after the last step; try a lower learning rate");
    }
  }
  record.train_loss = loss_sum / static_cast<double>(seen);
  record.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
  record.train_images = seen;

  record.val_loss = std::numeric_limits<double>::quiet_NaN();
  record.val_accuracy = std::numeric_limits<double>::quiet_NaN();
  if (val_loader != nullptr) {
    torch_->set_training(false);
    c10::AutoGradMode no_grad(false);
    val_loader->start_epoch(0);
    double val_loss = 0.0;
    int64_t val_correct = 0;
    int64_t val_seen = 0;
    while (std::optional<data::Batch> batch = val_loader->next()) {
      const at::Tensor x = at::from_blob(batch->images.data(),
                                         {batch->size, batch->channels, batch->height, batch->width}, at::kFloat);
      const at::Tensor y = at::from_blob(batch->labels.data(), {batch->size}, at::kInt).to(at::kLong);
      const at::Tensor logits = internal::forward(*torch_, {x})[0].reshape({batch->size, -1});
      val_loss += at::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
      val_correct += logits.argmax(1).eq(y).sum().item<int64_t>();
      val_seen += batch->size;
    }
    if (val_seen == 0) return invalid_argument("no validation image could be read");
    if (!std::isfinite(val_loss)) {
      return invalid_argument("training diverged in epoch ", epoch + 1, ": the validation loss is not finite (",
                              val_loss / static_cast<double>(val_seen), "); try a lower learning rate");
    }
    record.val_loss = val_loss / static_cast<double>(val_seen);
    record.val_accuracy = static_cast<double>(val_correct) / static_cast<double>(val_seen);
  }
  record.seconds = seconds_since(start);
  return record;
}

at::Tensor Trainer::distillation_loss(const at::Tensor& hard_loss, const at::Tensor& logits, const at::Tensor& x) {
  at::Tensor teacher_logits;
  {
    c10::AutoGradMode no_grad(false);
    teacher_logits = internal::forward(*teacher_, {x})[0].reshape({x.size(0), -1});
  }
  const double t = options_.distill_temperature;
  const double w = options_.distill_weight;
  const at::Tensor student_log_p = at::log_softmax(logits / t, 1);
  const at::Tensor teacher_log_p = at::log_softmax(teacher_logits / t, 1);
  // KL(teacher || student), summed over classes, averaged over the batch.
  const at::Tensor kl = (teacher_log_p.exp() * (teacher_log_p - student_log_p)).sum(1).mean();
  return hard_loss * (1.0 - w) + kl * (w * t * t);
}

Status Trainer::save_model(const ir::Graph& graph, const std::string& path) const {
  if (path.empty()) return Status::Ok();
  return format::save_model(graph, path);
}

Status Trainer::write_logs() const {
  if (!options_.log_csv_path.empty()) {
    GRAMLITE_RETURN_IF_ERROR(write_text_file_atomically(options_.log_csv_path, format_csv(state_.history)));
  }
  if (!options_.log_json_path.empty()) {
    json log = {{"settings", json::parse(options_.fingerprint_json)}, {"best_epoch", state_.best_epoch},
                {"early_stopped", state_.early_stopped}, {"epochs", json::array()}};
    for (const EpochRecord& r : state_.history) log["epochs"].push_back(record_to_json(r));
    GRAMLITE_RETURN_IF_ERROR(write_text_file_atomically(options_.log_json_path, log.dump(2) + "\n"));
  }
  return Status::Ok();
}

Status Trainer::save_state() {
  if (options_.checkpoint_path.empty()) return Status::Ok();
  Checkpoint checkpoint;
  checkpoint.model = current_;
  checkpoint.best_model = best_;
  json state = {{"version", 1}, {"fingerprint", json::parse(options_.fingerprint_json)},
                {"epochs_done", state_.epochs_done}, {"best_epoch", state_.best_epoch},
                {"stale_epochs", state_.stale_epochs}, {"early_stopped", state_.early_stopped},
                {"history", json::array()}};
  for (const EpochRecord& r : state_.history) state["history"].push_back(record_to_json(r));
  if (hooks_ != nullptr) state[hooks_->state_key()] = json::parse(hooks_->state_json());
  checkpoint.state_json = state.dump();
  try {
    checkpoint.optimizer_steps = optimizer_->steps();
    for (const OptimizerStateEntry& entry : optimizer_->state()) {
      const at::Tensor value = entry.value.detach().contiguous().to(at::kFloat);
      CheckpointTensor t;
      t.parameter = entry.parameter;
      t.slot = entry.slot;
      t.shape = value.sizes().vec();
      t.values.assign(value.data_ptr<float>(), value.data_ptr<float>() + value.numel());
      checkpoint.optimizer.push_back(std::move(t));
    }
    const at::Tensor generator_state = torch_->impl().generator.get_state();
    const auto* bytes = generator_state.data_ptr<uint8_t>();
    checkpoint.generator_state.assign(bytes, bytes + generator_state.numel());
  } catch (const std::exception& e) {
    return internal_error("collecting the optimizer state: ", internal::describe(e));
  }
  return save_checkpoint(options_.checkpoint_path, checkpoint);
}

Result<TrainSummary> Trainer::run(const ir::Graph& model, data::DataLoader& train_loader, data::DataLoader* val_loader) {
  const Clock::time_point start = Clock::now();
  GRAMLITE_ASSIGN_OR_RETURN(zoo::ClassifierHead head, zoo::find_classifier_head(model));
  classes_ = head.num_classes;
  GRAMLITE_RETURN_IF_ERROR(validate_options(options_, val_loader != nullptr, classes_));
  GRAMLITE_ASSIGN_OR_RETURN(FinetunePlan plan, plan_finetune(model, options_.finetune_fraction));
  current_ = model;
  if (options_.resume) GRAMLITE_RETURN_IF_ERROR(restore(model));
  GRAMLITE_RETURN_IF_ERROR(setup_torch(plan));

  TrainSummary summary;
  summary.unfrozen_layers = plan.unfrozen_layers;
  summary.backbone_layers = static_cast<int>(plan.backbone.size());
  for (const ParameterInfo& p : torch_->parameters()) {
    if (!p.trainable) continue;
    summary.total_parameters += p.numel;
    if (p.requires_grad) summary.trainable_parameters += p.numel;
  }
  if (callbacks_.on_start) callbacks_.on_start(plan, summary.trainable_parameters, summary.total_parameters);
  if (hooks_ != nullptr) {
    TrainingContext context;
    context.epochs = options_.epochs;
    context.steps_per_epoch = train_loader.batches_per_epoch();
    context.val_loader = val_loader;
    context.resumed = options_.resume;
    GRAMLITE_RETURN_IF_ERROR(hooks_->before_training(*torch_, context));
  }

  try {
    while (state_.epochs_done < options_.epochs && !state_.early_stopped) {
      if (hooks_ != nullptr) GRAMLITE_RETURN_IF_ERROR(hooks_->start_epoch(*torch_, state_.epochs_done));
      GRAMLITE_ASSIGN_OR_RETURN(EpochRecord record, run_epoch(state_.epochs_done, train_loader, val_loader));
      GRAMLITE_RETURN_IF_ERROR(torch_->write_back(current_));
      const EpochRecord* best =
          state_.best_epoch > 0 ? &state_.history[static_cast<size_t>(state_.best_epoch - 1)] : nullptr;
      // Without validation every epoch is "better": the last one is kept. Hooks may rule an epoch
      // out (a pruned model before its final sparsity): it neither improves nor counts as stale.
      const bool eligible = hooks_ == nullptr || hooks_->may_keep(optimizer_->steps());
      record.improved = eligible && (val_loader == nullptr || improves(record, best, options_.monitor));
      state_.history.push_back(record);
      ++state_.epochs_done;
      if (record.improved) {
        state_.best_epoch = record.epoch;
        state_.stale_epochs = 0;
        best_ = current_;
        if (hooks_ != nullptr) {
          hooks_->keep_best();
          hooks_->annotate(*best_);
        }
        best_->metadata.extra["training.best_epoch"] = std::to_string(record.epoch);
        if (std::isfinite(record.val_accuracy)) {
          best_->metadata.extra["training.val_accuracy"] = std::to_string(record.val_accuracy);
        }
        for (const auto& [key, value] : options_.provenance) best_->metadata.extra[key] = value;
        GRAMLITE_RETURN_IF_ERROR(save_model(*best_, options_.output_path));
      } else if (eligible) {
        ++state_.stale_epochs;
        if (options_.early_stopping_patience > 0 && state_.stale_epochs >= options_.early_stopping_patience) {
          state_.early_stopped = true;
        }
      }
      GRAMLITE_RETURN_IF_ERROR(save_state());
      GRAMLITE_RETURN_IF_ERROR(write_logs());
      if (callbacks_.on_epoch) callbacks_.on_epoch(record);
    }
  } catch (const std::exception& e) {
    return internal_error("libtorch: ", internal::describe(e));
  }
  summary.history = state_.history;
  summary.best_epoch = state_.best_epoch;
  summary.early_stopped = state_.early_stopped;
  summary.seconds = seconds_since(start);
  summary.model = best_ ? *best_ : current_;
  return summary;
}

}  // namespace

// log-softmax inside cross-entropy is the numerically stable form: the loss wants logits.
Result<ir::Graph> logits_graph(const ir::Graph& model) {
  ir::Graph graph = model;
  const std::vector<int> producers = graph.producers();
  const int last = producers[static_cast<size_t>(graph.outputs[0])];
  if (last >= 0 && graph.nodes[static_cast<size_t>(last)].kind == ir::OpKind::kSoftmax) {
    graph.outputs[0] = graph.nodes[static_cast<size_t>(last)].inputs[0];
    GRAMLITE_RETURN_IF_ERROR(ir::remove_dead_nodes(graph).status());
  }
  return graph;
}

Result<TrainSummary> train_classifier(const ir::Graph& model, data::DataLoader& train_loader,
                                      data::DataLoader* val_loader, const TrainerOptions& options,
                                      const TrainCallbacks& callbacks) {
  return train_classifier(model, train_loader, val_loader, options, callbacks, nullptr);
}

Result<TrainSummary> train_classifier(const ir::Graph& model, data::DataLoader& train_loader,
                                      data::DataLoader* val_loader, const TrainerOptions& options,
                                      const TrainCallbacks& callbacks, TrainingHooks* hooks) {
  Trainer trainer(options, callbacks, hooks);
  return trainer.run(model, train_loader, val_loader);
}

}  // namespace gramlite::train
