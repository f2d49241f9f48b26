#include "gramlite/train/structured_pruning.h"

#include <algorithm>
#include <filesystem>

#include <c10/core/GradMode.h>

#include "gramlite/format/model_file.h"
#include "gramlite/ir/stats.h"
#include "gramlite/train/dataset_split.h"
#include "gramlite/train/threads.h"
#include "train/layer_latency.h"
#include "train/torch_graph_internal.h"
#include "train/training_hooks.h"

namespace gramlite::train {
namespace {

namespace fs = std::filesystem;

Result<int64_t> total_macs(const ir::Graph& graph) {
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<ir::NodeCost> costs, ir::node_costs(graph));
  int64_t macs = 0;
  for (const ir::NodeCost& c : costs) macs += c.macs;
  return macs;
}

// The training images in a fixed order, without augmentation: what the Taylor scores sum over.
Result<std::unique_ptr<data::DataLoader>> taylor_loader(const TrainingJobOptions& job, const ir::Graph& model) {
  GRAMLITE_ASSIGN_OR_RETURN(TrainingSplits splits, open_training_splits(job.data, job.val_fraction, job.seed));
  const ir::Shape& input = model.tensor(model.inputs[0]).shape;
  if (input.size() != 4) return unsupported("the model's input is not an image batch (", ir::shape_to_string(input), ")");
  data::DataLoaderOptions options;
  options.batch_size = job.batch;
  options.seed = job.seed;
  options.workers = resolve_training_threads(job.threads, job.workers).workers;
  options.input.width = static_cast<int>(input[3]);
  options.input.height = static_cast<int>(input[2]);
  options.input.preprocessing = model.metadata.preprocessing;
  return data::DataLoader::create(splits.train, options);
}

// Epochs of step `step` (1-based) of `steps`: an equal share, the remainder to the last step, at
// least one each unless there is no fine-tuning at all.
int step_epochs(int epochs, int step, int steps) {
  if (epochs <= 0) return 0;
  const int share = std::max(1, epochs / steps);
  return step == steps ? std::max(share, epochs - share * (steps - 1)) : share;
}

}  // namespace

Result<compress::TaylorScores> accumulate_taylor_scores(const ir::Graph& model, data::DataLoader& loader, int batches,
                                                        int threads) {
  if (batches < 1) return invalid_argument("Taylor scores need at least one batch, got ", batches);
  GRAMLITE_ASSIGN_OR_RETURN(ir::Graph graph, logits_graph(model));
  TorchGraphOptions torch_options;
  torch_options.threads = threads;
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<TorchGraph> torch, TorchGraph::create(graph, torch_options));
  for (const ParameterInfo& p : torch->parameters()) {
    if (p.trainable) GRAMLITE_RETURN_IF_ERROR(torch->set_requires_grad(p.tensor, true));
  }
  torch->set_training(false);
  compress::TaylorScores scores;
  try {
    std::vector<at::Tensor> sums;
    std::vector<const TorchGraph::Impl::Constant*> parameters;
    for (const TorchGraph::Impl::Constant& c : torch->impl().constants) {
      if (!c.trainable) continue;
      parameters.push_back(&c);
      sums.push_back(at::zeros_like(c.value, at::kDouble));
    }
    loader.start_epoch(0);
    int done = 0;
    while (done < batches) {
      std::optional<data::Batch> batch = loader.next();
      if (!batch) break;
      const at::Tensor x =
          at::from_blob(batch->images.data(), {batch->size, batch->channels, batch->height, batch->width}, at::kFloat);
      const at::Tensor y = at::from_blob(batch->labels.data(), {batch->size}, at::kInt).to(at::kLong);
      for (const TorchGraph::Impl::Constant* c : parameters) {
        if (c->value.grad().defined()) c->value.mutable_grad().zero_();
      }
      const at::Tensor logits = internal::forward(*torch, {x})[0].reshape({batch->size, -1});
      at::cross_entropy_loss(logits, y).backward();
      for (size_t i = 0; i < parameters.size(); ++i) {
        const at::Tensor& g = parameters[i]->value.grad();
        if (g.defined()) sums[i] += (parameters[i]->value.detach() * g).to(at::kDouble);
      }
      ++done;
    }
    if (done == 0) return invalid_argument("no training image could be read for the Taylor scores");
    for (size_t i = 0; i < parameters.size(); ++i) {
      const at::Tensor s = sums[i].to(at::kFloat).contiguous();
      scores[parameters[i]->tensor] = std::vector<float>(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
    }
  } catch (const std::exception& e) {
    return internal_error("Taylor scores: ", internal::describe(e));
  }
  return scores;
}

Result<StructuredPruningResult> run_structured_pruning(const StructuredPruningOptions& options,
                                                      const TrainingJobCallbacks& callbacks) {
  const TrainingJobOptions& job = options.job;
  if (job.model.model_file.empty()) return invalid_argument("structured pruning starts from a trained model file");
  if (job.output.empty()) return invalid_argument("structured pruning needs an output file");
  if (options.steps < 1 || options.steps > 100) return invalid_argument("--steps must be in [1, 100], got ", options.steps);
  if (!(options.ratio > 0.0 && options.ratio < 1.0)) {
    return invalid_argument("the structured pruning ratio must be in (0, 1), got ", options.ratio);
  }
  if (options.round_to < 1) return invalid_argument("channel counts must round to a multiple of at least 1");
  const bool taylor = options.criterion == "taylor";
  // The criterion's name is checked before any work (taylor's scores come later, per step).
  GRAMLITE_RETURN_IF_ERROR(
      compress::channel_importance(options.criterion, std::make_shared<const compress::TaylorScores>()).status());
  {
    std::error_code error;
    const fs::path folder = fs::path(job.output).parent_path();
    if (!folder.empty() && !fs::is_directory(folder, error)) {
      return not_found("folder '", folder.string(), "' (for '", job.output, "') does not exist");
    }
  }
  GRAMLITE_ASSIGN_OR_RETURN(ir::Graph current, format::load_model(job.model.model_file));
  // Nothing prunable is found before any training starts.
  GRAMLITE_RETURN_IF_ERROR(compress::find_channel_groups(current).status());

  StructuredPruningResult result;
  GRAMLITE_ASSIGN_OR_RETURN(result.macs_before, total_macs(current));
  result.parameters_before = ir::count_parameters(current).total();
  const std::string stem = output_stem(job.output);
  const bool by_latency = options.target == compress::PruningTarget::kLatency;
  LayerLatencies latency_profile;
  if (by_latency) {
    // Profiled once, on the original model: every step plans from the same figures, and a resumed
    // run reads them back.
    const std::string profile_path = stem + ".latency.json";
    std::error_code error;
    if (job.resume && fs::exists(profile_path, error)) {
      GRAMLITE_ASSIGN_OR_RETURN(latency_profile, load_layer_latency(profile_path));
    } else {
      GRAMLITE_ASSIGN_OR_RETURN(latency_profile, profile_layer_latency(current, options.latency_runs));
      GRAMLITE_RETURN_IF_ERROR(save_layer_latency(profile_path, latency_profile));
    }
    GRAMLITE_ASSIGN_OR_RETURN(const NodeLatencies base, scaled_node_latency(current, latency_profile));
    result.latency_before_ms = base.total();
  }
  double reference = static_cast<double>(result.macs_before);
  if (options.target == compress::PruningTarget::kParameters) reference = static_cast<double>(result.parameters_before);
  if (by_latency) reference = result.latency_before_ms;

  for (int step = 1; step <= options.steps; ++step) {
    const bool last = step == options.steps;
    const std::string prefix = stem + ".step" + std::to_string(step);
    const std::string cut_path = prefix + ".cut.gramlite";
    const std::string step_output = last ? job.output : prefix + ".gramlite";
    const std::string checkpoint = prefix + ".ckpt";
    std::error_code error;
    if (job.resume && !last && fs::exists(step_output, error) && fs::exists(cut_path, error)) {
      GRAMLITE_ASSIGN_OR_RETURN(current, format::load_model(step_output));  // a finished step
      continue;
    }
    const bool resume_step = job.resume && fs::exists(cut_path, error) && fs::exists(checkpoint, error);
    ir::Graph cut;
    if (resume_step) {
      GRAMLITE_ASSIGN_OR_RETURN(cut, format::load_model(cut_path));
    } else {
      std::shared_ptr<const compress::TaylorScores> scores;
      if (taylor) {
        GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<data::DataLoader> loader, taylor_loader(job, current));
        GRAMLITE_ASSIGN_OR_RETURN(compress::TaylorScores s,
                                  accumulate_taylor_scores(current, *loader, options.taylor_batches,
                                                           resolve_training_threads(job.threads, job.workers).threads));
        scores = std::make_shared<const compress::TaylorScores>(std::move(s));
      }
      GRAMLITE_ASSIGN_OR_RETURN(compress::ChannelImportance importance, compress::channel_importance(options.criterion, scores));
      compress::ChannelPruningOptions cut_options;
      cut_options.ratio = compress::iterative_ratio(options.ratio, step, options.steps);
      cut_options.target = options.target;
      cut_options.reference = reference;
      cut_options.round_to = options.round_to;
      cut_options.per_cost = options.per_cost;
      if (by_latency) {
        GRAMLITE_ASSIGN_OR_RETURN(NodeLatencies latency, scaled_node_latency(current, latency_profile));
        cut_options.node_latency = std::move(latency.time);
        cut_options.node_fixed_latency = std::move(latency.fixed);
      }
      GRAMLITE_ASSIGN_OR_RETURN(compress::PrunedGraph pruned, compress::prune_channels(current, importance, cut_options));
      if (options.on_cut) options.on_cut(step, options.steps, pruned.report);
      result.steps.push_back(pruned.report);
      cut = std::move(pruned.graph);
      cut.metadata.extra["pruning.structured_ratio"] = str_cat(options.ratio);
      cut.metadata.extra["pruning.structured_target"] = compress::pruning_target_name(options.target);
      cut.metadata.extra["pruning.structured_per_cost"] = options.per_cost ? "true" : "false";
      cut.metadata.extra["pruning.structured_criterion"] = options.criterion;
      cut.metadata.extra["pruning.structured_steps"] = std::to_string(options.steps);
      GRAMLITE_RETURN_IF_ERROR(format::save_model(cut, cut_path));
    }
    const int epochs = step_epochs(job.epochs, step, options.steps);
    if (epochs == 0) {
      current = std::move(cut);
      if (last) GRAMLITE_RETURN_IF_ERROR(format::save_model(current, job.output));
      continue;
    }
    if (options.on_finetune) options.on_finetune(step, options.steps, epochs);
    TrainingJobOptions step_job = job;
    step_job.model = ModelSourceOptions{};
    step_job.model.model_file = cut_path;
    step_job.epochs = epochs;
    step_job.output = step_output;
    step_job.checkpoint = checkpoint;
    step_job.log = prefix + ".train";
    step_job.resume = resume_step;
    GRAMLITE_ASSIGN_OR_RETURN(TrainingJobResult trained, run_training_job(step_job, callbacks));
    current = trained.summary.model;
    result.training.push_back(std::move(trained));
  }
  GRAMLITE_ASSIGN_OR_RETURN(result.macs_after, total_macs(current));
  result.parameters_after = ir::count_parameters(current).total();
  if (by_latency) {
    GRAMLITE_ASSIGN_OR_RETURN(const NodeLatencies after, scaled_node_latency(current, latency_profile));
    result.latency_after_ms = after.total();
  }
  result.model = std::move(current);
  return result;
}

}  // namespace gramlite::train
