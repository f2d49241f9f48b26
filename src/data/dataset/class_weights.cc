#include "gramlite/data/dataset/class_weights.h"

namespace gramlite::data {

std::vector<float> inverse_frequency_class_weights(const std::vector<int64_t>& class_counts) {
  int64_t total = 0;
  int present = 0;
  for (int64_t count : class_counts) {
    if (count > 0) {
      total += count;
      ++present;
    }
  }
  std::vector<float> weights(class_counts.size(), 0.0f);
  for (size_t c = 0; c < class_counts.size(); ++c) {
    if (class_counts[c] > 0) {
      weights[c] = static_cast<float>(static_cast<double>(total) / (static_cast<double>(present) * class_counts[c]));
    }
  }
  return weights;
}

}  // namespace gramlite::data
