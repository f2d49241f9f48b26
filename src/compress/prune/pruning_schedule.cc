#include <algorithm>
#include <cmath>

#include "gramlite/compress/pruning.h"

namespace gramlite::compress {

const char* pruning_schedule_name(PruningScheduleKind kind) {
  return kind == PruningScheduleKind::kConstant ? "constant" : "polynomial";
}

std::optional<PruningScheduleKind> parse_pruning_schedule(const std::string& name) {
  if (name == "constant") return PruningScheduleKind::kConstant;
  if (name == "polynomial") return PruningScheduleKind::kPolynomial;
  return std::nullopt;
}

Status validate_schedule(const PruningSchedule& s) {
  const auto in_range = [](double v) { return v >= 0.0 && v < 1.0; };
  if (!in_range(s.final_sparsity)) return invalid_argument("the target sparsity must be in [0, 1), got ", s.final_sparsity);
  if (s.begin_step < 0) return invalid_argument("the pruning begin step must be >= 0, got ", s.begin_step);
  if (s.frequency < 1) return invalid_argument("the pruning frequency must be >= 1 step, got ", s.frequency);
  if (s.end_step >= 0 && s.end_step < s.begin_step) {
    return invalid_argument("the pruning end step (", s.end_step, ") is before its begin step (", s.begin_step, ")");
  }
  if (s.kind == PruningScheduleKind::kPolynomial) {
    if (!in_range(s.initial_sparsity)) {
      return invalid_argument("the initial sparsity must be in [0, 1), got ", s.initial_sparsity);
    }
    if (s.initial_sparsity > s.final_sparsity) {
      return invalid_argument("the initial sparsity (", s.initial_sparsity, ") exceeds the final one (", s.final_sparsity, ")");
    }
    if (s.end_step <= s.begin_step) {
      return invalid_argument("a polynomial schedule needs an end step after its begin step (begin ", s.begin_step,
                              ", end ", s.end_step, ")");
    }
    if (!(s.power > 0.0)) return invalid_argument("the polynomial power must be > 0, got ", s.power);
  }
  return Status::Ok();
}

bool should_update_mask(const PruningSchedule& s, int64_t step) {
  const bool in_range = step >= s.begin_step && (s.end_step < 0 || step <= s.end_step);
  if (!in_range) return false;
  return (step - s.begin_step) % s.frequency == 0 || step == s.end_step;
}

double sparsity_at(const PruningSchedule& s, int64_t step) {
  if (s.kind == PruningScheduleKind::kConstant) return s.final_sparsity;
  const double span = static_cast<double>(s.end_step - s.begin_step);
  const double p = std::clamp(static_cast<double>(step - s.begin_step) / span, 0.0, 1.0);
  return (s.initial_sparsity - s.final_sparsity) * std::pow(1.0 - p, s.power) + s.final_sparsity;
}

int64_t last_update_step(const PruningSchedule& s) { return s.end_step; }

}  // namespace gramlite::compress
