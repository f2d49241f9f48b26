// TF-MOT's magnitude mask (pruning_impl.py, _update_mask and _maybe_do_block_pooling) over
// gramlite's weight layouts.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "gramlite/compress/pruning.h"
#include "gramlite/ir/stats.h"

namespace gramlite::compress {
namespace {

// The weight as a matrix [rows, cols]: output channels by everything else.
struct MatrixView {
  int64_t rows = 0;
  int64_t cols = 0;
};

MatrixView matrix_view(const ir::Shape& shape) {
  MatrixView m;
  m.rows = shape.empty() ? 1 : shape[0];
  m.cols = 1;
  for (size_t i = 1; i < shape.size(); ++i) m.cols *= shape[i];
  return m;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

std::optional<PruningBlock> parse_pruning_block(const std::string& text) {
  const size_t x = text.find('x');
  if (x == std::string::npos || x == 0 || x + 1 >= text.size()) return std::nullopt;
  const auto parse = [](const std::string& part) -> int {
    if (part.empty() || part.size() > 2) return 0;
    for (char c : part) {
      if (c < '0' || c > '9') return 0;
    }
    return std::stoi(part);
  };
  const int rows = parse(text.substr(0, x));
  const int cols = parse(text.substr(x + 1));
  if (rows < 1 || rows > 64 || cols < 1 || cols > 64) return std::nullopt;
  return PruningBlock{rows, cols};
}

std::string pruning_block_name(const PruningBlock& block) {
  return std::to_string(block.rows) + "x" + std::to_string(block.cols);
}

int64_t blocks_to_keep(int64_t count, double sparsity) {
  // As TF-MOT: the product in float32, tf.round (half to even), at least one.
  const float product = static_cast<float>(count) * (1.0f - static_cast<float>(sparsity));
  const auto kept = static_cast<int64_t>(std::nearbyint(product));
  return std::max<int64_t>(kept, 1);
}

std::vector<float> block_scores(const std::vector<float>& weights, const ir::Shape& shape, const PruningBlock& block) {
  const MatrixView m = matrix_view(shape);
  const int64_t block_rows = ceil_div(m.rows, block.rows);
  const int64_t block_cols = ceil_div(m.cols, block.cols);
  std::vector<float> scores(static_cast<size_t>(block_rows * block_cols), 0.0f);
  if (block.size() == 1) {
    for (size_t i = 0; i < weights.size(); ++i) scores[i] = std::fabs(weights[i]);
    return scores;
  }
  for (int64_t br = 0; br < block_rows; ++br) {
    for (int64_t bc = 0; bc < block_cols; ++bc) {
      const int64_t r_end = std::min(m.rows, (br + 1) * block.rows);
      const int64_t c_end = std::min(m.cols, (bc + 1) * block.cols);
      double sum = 0.0;
      int64_t n = 0;
      for (int64_t r = br * block.rows; r < r_end; ++r) {
        for (int64_t c = bc * block.cols; c < c_end; ++c) {
          sum += std::fabs(weights[static_cast<size_t>(r * m.cols + c)]);
          ++n;
        }
      }
      scores[static_cast<size_t>(br * block_cols + bc)] = static_cast<float>(sum / static_cast<double>(n));
    }
  }
  return scores;
}

std::vector<uint8_t> expand_block_mask(const std::vector<float>& scores, float threshold, const ir::Shape& shape,
                                       const PruningBlock& block) {
  const MatrixView m = matrix_view(shape);
  const int64_t block_cols = ceil_div(m.cols, block.cols);
  std::vector<uint8_t> mask(static_cast<size_t>(m.rows * m.cols));
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t c = 0; c < m.cols; ++c) {
      const float score = scores[static_cast<size_t>((r / block.rows) * block_cols + c / block.cols)];
      mask[static_cast<size_t>(r * m.cols + c)] = score >= threshold ? 1 : 0;
    }
  }
  return mask;
}

std::vector<uint8_t> magnitude_mask(const std::vector<float>& weights, const ir::Shape& shape, double sparsity,
                                    const PruningBlock& block) {
  const std::vector<float> scores = block_scores(weights, shape, block);
  const int64_t keep = blocks_to_keep(static_cast<int64_t>(scores.size()), sparsity);
  std::vector<float> sorted = scores;
  std::nth_element(sorted.begin(), sorted.begin() + (keep - 1), sorted.end(), std::greater<float>());
  return expand_block_mask(scores, sorted[static_cast<size_t>(keep - 1)], shape, block);
}

void record_pruning_target(ir::Tensor& weight, double sparsity, const PruningBlock& block) {
  weight.sparsity.target_sparsity = static_cast<float>(sparsity);
  weight.sparsity.block_shape.clear();
  if (!(block == PruningBlock{})) weight.sparsity.block_shape = {block.rows, block.cols};
}

int64_t prune_weight_once(ir::Tensor& weight, double sparsity, const PruningBlock& block) {
  if (!weight.is_constant() || weight.dtype != ir::DType::kFloat32 || weight.element_count() <= 0) return 0;
  const float* data = weight.data.as<float>();
  std::vector<float> values(data, data + weight.element_count());
  const std::vector<uint8_t> keep = magnitude_mask(values, weight.shape, sparsity, block);
  int64_t zeroed = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (keep[i] != 0) continue;
    values[i] = 0.0f;
    ++zeroed;
  }
  weight.data = Buffer::copy_of(values.data(), values.size() * sizeof(float));
  record_pruning_target(weight, sparsity, block);
  return zeroed;
}

std::vector<std::vector<uint8_t>> global_magnitude_masks(const std::vector<PrunableWeight>& layers,
                                                         const std::vector<const std::vector<float>*>& weights,
                                                         double sparsity, const PruningBlock& block) {
  std::vector<std::vector<float>> scores(layers.size());
  std::vector<float> pooled;
  for (size_t i = 0; i < layers.size(); ++i) {
    scores[i] = block_scores(*weights[i], layers[i].shape, block);
    pooled.insert(pooled.end(), scores[i].begin(), scores[i].end());
  }
  const int64_t keep = blocks_to_keep(static_cast<int64_t>(pooled.size()), sparsity);
  std::nth_element(pooled.begin(), pooled.begin() + (keep - 1), pooled.end(), std::greater<float>());
  const float threshold = pooled[static_cast<size_t>(keep - 1)];
  std::vector<std::vector<uint8_t>> masks(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    // A layer wholly below the global threshold would cut the network; it keeps its best block.
    const float best = *std::max_element(scores[i].begin(), scores[i].end());
    masks[i] = expand_block_mask(scores[i], std::min(threshold, best), layers[i].shape, block);
  }
  return masks;
}

double zero_fraction(const ir::Tensor& tensor) {
  const int64_t n = tensor.element_count();
  if (n <= 0) return 0.0;
  return static_cast<double>(ir::count_zero_weights(tensor)) / static_cast<double>(n);
}

double zero_block_fraction(const ir::Tensor& tensor, const PruningBlock& block) {
  const int64_t n = tensor.element_count();
  if (n <= 0 || !tensor.is_constant()) return 0.0;
  if (tensor.dtype != ir::DType::kFloat32 && tensor.dtype != ir::DType::kInt8) return 0.0;
  const MatrixView m = matrix_view(tensor.shape);
  const auto nonzero = [&](int64_t i) {
    if (tensor.dtype == ir::DType::kFloat32) return reinterpret_cast<const float*>(tensor.data.data())[i] != 0.0f;
    return reinterpret_cast<const int8_t*>(tensor.data.data())[i] != 0;
  };
  const int64_t block_rows = ceil_div(m.rows, block.rows);
  const int64_t block_cols = ceil_div(m.cols, block.cols);
  int64_t zero_blocks = 0;
  for (int64_t br = 0; br < block_rows; ++br) {
    for (int64_t bc = 0; bc < block_cols; ++bc) {
      bool any = false;
      for (int64_t r = br * block.rows; r < std::min(m.rows, (br + 1) * block.rows) && !any; ++r) {
        for (int64_t c = bc * block.cols; c < std::min(m.cols, (bc + 1) * block.cols) && !any; ++c) {
          any = nonzero(r * m.cols + c);
        }
      }
      zero_blocks += any ? 0 : 1;
    }
  }
  return static_cast<double>(zero_blocks) / static_cast<double>(block_rows * block_cols);
}

}  // namespace gramlite::compress
