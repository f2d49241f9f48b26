// From a classifier's raw output rows to probabilities and ranked classes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace gramlite::classify {

// Turns each row of `values` (rows of `classes` logits) into probabilities, numerically stable
// (the row's maximum is subtracted first). A row holding NaN or +infinity becomes NaN: check
// rows with all_finite() first where that matters.
void softmax_rows(std::vector<float>& values, size_t classes);

// Whether every one of `count` values at `values` is finite (no NaN, no infinity).
bool all_finite(const float* values, size_t count);

struct ClassScore {
  size_t index = 0;
  std::string name;
  float probability = 0;
};

// The name of class `index`: class_names[index], or "class_<index>" where the model names none.
std::string class_name(const std::vector<std::string>& class_names, size_t index);

// The `k` most probable classes of one row, most probable first (ties: lower index first).
std::vector<ClassScore> top_classes(const std::vector<float>& probabilities, size_t k,
                                    const std::vector<std::string>& class_names);

}  // namespace gramlite::classify
