#include "gramlite/train/schedule.h"

#include <algorithm>
#include <cmath>

namespace gramlite::train {

double learning_rate_at(double base_rate, const ScheduleOptions& options, int epoch) {
  switch (options.kind) {
    case ScheduleKind::kNone: return base_rate;
    case ScheduleKind::kCosine: {
      const double period = std::max(1, options.epochs);
      return base_rate * (1.0 + std::cos(M_PI * std::min<double>(epoch, period) / period)) / 2.0;
    }
    case ScheduleKind::kStep: {
      const int step = options.step_size > 0 ? options.step_size : std::max(1, options.epochs / 3);
      return base_rate * std::pow(options.gamma, epoch / step);
    }
  }
  return base_rate;
}

std::optional<ScheduleKind> parse_schedule_kind(const std::string& name) {
  if (name == "none") return ScheduleKind::kNone;
  if (name == "cosine") return ScheduleKind::kCosine;
  if (name == "step") return ScheduleKind::kStep;
  return std::nullopt;
}

const char* schedule_kind_name(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::kNone: return "none";
    case ScheduleKind::kCosine: return "cosine";
    case ScheduleKind::kStep: return "step";
  }
  return "?";
}

}  // namespace gramlite::train
