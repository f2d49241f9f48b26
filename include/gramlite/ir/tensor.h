// Tensor descriptions: every value in a graph (input, activation, weight) is a Tensor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gramlite/base/buffer.h"
#include "gramlite/ir/dtype.h"

namespace gramlite::ir {

// A dimension of -1 is dynamic: only the batch dimension (dim 0) of activations may be dynamic;
// it becomes concrete when a runtime session is prepared for a batch size.
inline constexpr int64_t kDynamicDim = -1;
// No tensor may hold more elements than this (2^48): shapes come from files, so every product of
// dimensions is checked against it instead of being allowed to overflow.
inline constexpr int64_t kMaxElementCount = int64_t{1} << 48;
using Shape = std::vector<int64_t>;

// Number of elements; -1 if any dimension is dynamic; kMaxElementCount + 1 if it would exceed
// kMaxElementCount.
int64_t element_count(const Shape& shape);
std::string shape_to_string(const Shape& shape);

// Affine quantization: real = scale * (q - zero_point). Per-tensor when scales has one entry,
// per-channel along `axis` otherwise. Empty scales: not quantized.
struct QuantParams {
  std::vector<float> scales;
  std::vector<int32_t> zero_points;
  int32_t axis = -1;

  bool empty() const { return scales.empty(); }
  bool per_channel() const { return scales.size() > 1; }
  bool operator==(const QuantParams& o) const {
    return scales == o.scales && zero_points == o.zero_points && axis == o.axis;
  }
};

// How a constant's bytes are stored in a model file (docs/model-format.md, "Compact sparse
// storage"). In memory every tensor is kDense: the loader decodes the compact encodings and the
// writer picks, per constant, the smallest of dense, bitmap and index. kBlockCsr is reserved (no
// gramlite reads or writes it). Stored in model files: append only.
enum class SparsityEncoding : uint8_t {
  kDense = 0,
  kBitmap = 1,    // an occupancy bitmap, then the non-zero elements
  kBlockCsr = 2,  // reserved
  kIndex = 3,     // one u8 gap per stored element, then the stored elements
  kCount = 4,
};
const char* sparsity_encoding_name(SparsityEncoding encoding);

struct Sparsity {
  SparsityEncoding encoding = SparsityEncoding::kDense;
  std::vector<int32_t> block_shape;  // e.g. {1, 4}: blocks of 4 along the input dim; empty = 1x1
  float target_sparsity = 0.0f;      // the fraction of zeros the pruning schedule aimed at

  bool operator==(const Sparsity& o) const {
    return encoding == o.encoding && block_shape == o.block_shape && target_sparsity == o.target_sparsity;
  }
};

struct Tensor {
  std::string name;
  Shape shape;
  DType dtype = DType::kFloat32;
  QuantParams quant;
  Sparsity sparsity;
  // Constant data (weights); empty for activations and graph inputs. For kDense the size is
  // element_count(shape) * dtype_size(dtype).
  Buffer data;

  bool is_constant() const { return data.data() != nullptr; }
  int64_t element_count() const { return ir::element_count(shape); }
  // Byte size of dense storage (-1 if the shape is dynamic).
  int64_t dense_byte_size() const;
};

}  // namespace gramlite::ir
