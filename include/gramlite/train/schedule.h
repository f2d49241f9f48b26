// Learning-rate schedules, stepped once per epoch (the rate is constant within an epoch), with the
// same formulas as PyTorch's schedulers so that a run can be compared with a Python one.
#pragma once

#include <optional>
#include <string>

#include "gramlite/base/status.h"

namespace gramlite::train {

enum class ScheduleKind {
  kNone,    // constant
  kCosine,  // CosineAnnealingLR(T_max = epochs, eta_min = 0): lr * (1 + cos(pi * epoch / epochs)) / 2
  kStep,    // StepLR(step_size, gamma): lr * gamma ^ floor(epoch / step_size)
};

struct ScheduleOptions {
  ScheduleKind kind = ScheduleKind::kCosine;
  int epochs = 1;         // cosine's period
  int step_size = 0;      // step: epochs between decays; 0 = max(1, epochs / 3)
  double gamma = 0.1;     // step: decay factor
};

// The rate for 0-based `epoch`.
double learning_rate_at(double base_rate, const ScheduleOptions& options, int epoch);

std::optional<ScheduleKind> parse_schedule_kind(const std::string& name);  // "none", "cosine", "step"
const char* schedule_kind_name(ScheduleKind kind);

}  // namespace gramlite::train
