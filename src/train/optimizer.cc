#include "train/optimizer.h"

#include <cmath>
#include <stdexcept>

#include <c10/core/GradMode.h>

#include "gramlite/base/status.h"

namespace gramlite::train {

Optimizer::Optimizer(std::vector<at::Tensor> parameters, std::vector<std::string> names, OptimizerOptions options)
    : parameters_(std::move(parameters)), names_(std::move(names)), slots_(parameters_.size()), options_(options) {}

void Optimizer::zero_grad() {
  for (at::Tensor& p : parameters_) p.mutable_grad().reset();
}

void Optimizer::step(double learning_rate) {
  c10::AutoGradMode no_grad(false);
  ++steps_;
  const double bias_correction1 = 1.0 - std::pow(options_.beta1, static_cast<double>(steps_));
  const double bias_correction2 = 1.0 - std::pow(options_.beta2, static_cast<double>(steps_));
  for (size_t i = 0; i < parameters_.size(); ++i) {
    at::Tensor& p = parameters_[i];
    if (!p.grad().defined()) continue;
    at::Tensor grad = p.grad();
    if (options_.weight_decay != 0.0) grad = grad.add(p, options_.weight_decay);
    Slot& slot = slots_[i];
    if (options_.kind == OptimizerKind::kAdam) {
      if (!slot.first.defined()) {
        slot.first = at::zeros_like(p, at::MemoryFormat::Preserve);
        slot.second = at::zeros_like(p, at::MemoryFormat::Preserve);
      }
      slot.first.mul_(options_.beta1).add_(grad, 1.0 - options_.beta1);
      slot.second.mul_(options_.beta2).addcmul_(grad, grad, 1.0 - options_.beta2);
      const at::Tensor denom = (slot.second.sqrt() / std::sqrt(bias_correction2)).add_(options_.epsilon);
      p.addcdiv_(slot.first, denom, -learning_rate / bias_correction1);
    } else {
      if (options_.momentum != 0.0) {
        if (!slot.first.defined()) {
          slot.first = grad.clone().detach();
        } else {
          slot.first.mul_(options_.momentum).add_(grad);
        }
        grad = options_.nesterov ? grad.add(slot.first, options_.momentum) : slot.first;
      }
      p.add_(grad, -learning_rate);
    }
  }
}

std::vector<OptimizerStateEntry> Optimizer::state() const {
  std::vector<OptimizerStateEntry> entries;
  const bool adam = options_.kind == OptimizerKind::kAdam;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (slots_[i].first.defined()) entries.push_back({names_[i], adam ? "exp_avg" : "momentum_buffer", slots_[i].first});
    if (slots_[i].second.defined()) entries.push_back({names_[i], "exp_avg_sq", slots_[i].second});
  }
  return entries;
}

void Optimizer::load_state(int64_t steps, const std::vector<OptimizerStateEntry>& entries) {
  std::vector<Slot> slots(parameters_.size());
  const bool adam = options_.kind == OptimizerKind::kAdam;
  for (const OptimizerStateEntry& entry : entries) {
    size_t index = 0;
    while (index < names_.size() && names_[index] != entry.parameter) ++index;
    if (index == names_.size()) {
      throw std::invalid_argument(str_cat("optimizer state for '", entry.parameter, "', which is not trained in this run"));
    }
    if (!entry.value.sizes().equals(parameters_[index].sizes())) {
      throw std::invalid_argument(str_cat("optimizer state '", entry.slot, "' of '", entry.parameter,
                                          "' has the wrong shape"));
    }
    if (entry.slot == (adam ? "exp_avg" : "momentum_buffer")) {
      slots[index].first = entry.value.clone();
    } else if (adam && entry.slot == "exp_avg_sq") {
      slots[index].second = entry.value.clone();
    } else {
      throw std::invalid_argument(str_cat("optimizer state slot '", entry.slot, "' does not belong to ",
                                          adam ? "Adam" : "SGD"));
    }
  }
  slots_ = std::move(slots);
  steps_ = steps;
}

}  // namespace gramlite::train
