// Class weights for an imbalanced training set (`--class-weights auto`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gramlite::data {

// Inverse frequency, scaled so that a balanced set gets 1 for every class:
// weight[c] = total / (classes_present * count[c]) (scikit-learn's "balanced"). A class with no
// samples gets 0, since it can contribute no loss, and does not count in classes_present.
std::vector<float> inverse_frequency_class_weights(const std::vector<int64_t>& class_counts);

}  // namespace gramlite::data
