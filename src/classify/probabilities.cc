#include "gramlite/classify/probabilities.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gramlite::classify {

void softmax_rows(std::vector<float>& values, size_t classes) {
  if (classes == 0) return;
  for (size_t start = 0; start + classes <= values.size(); start += classes) {
    float* row = values.data() + start;
    const float peak = *std::max_element(row, row + classes);
    double sum = 0;
    for (size_t c = 0; c < classes; ++c) sum += row[c] = std::exp(row[c] - peak);
    for (size_t c = 0; c < classes; ++c) row[c] = static_cast<float>(row[c] / sum);
  }
}

bool all_finite(const float* values, size_t count) {
  return std::all_of(values, values + count, [](float v) { return std::isfinite(v); });
}

std::string class_name(const std::vector<std::string>& class_names, size_t index) {
  return index < class_names.size() ? class_names[index] : "class_" + std::to_string(index);
}

std::vector<ClassScore> top_classes(const std::vector<float>& probabilities, size_t k,
                                    const std::vector<std::string>& class_names) {
  std::vector<size_t> order(probabilities.size());
  std::iota(order.begin(), order.end(), 0);
  k = std::min(k, order.size());
  // Stable on ties, so the order does not depend on the sort's implementation.
  std::partial_sort(order.begin(), order.begin() + static_cast<long>(k), order.end(), [&](size_t a, size_t b) {
    return probabilities[a] > probabilities[b] || (probabilities[a] == probabilities[b] && a < b);
  });
  std::vector<ClassScore> top;
  for (size_t i = 0; i < k; ++i) top.push_back({order[i], class_name(class_names, order[i]), probabilities[order[i]]});
  return top;
}

}  // namespace gramlite::classify
