// Pad, constant mode, float32, any rank (ONNX Pad / torch.nn.functional.pad(mode="constant")):
//
//   pads = [begin_0, ..., begin_{r-1}, end_0, ..., end_{r-1}] (ONNX order; negative values crop)
//   out_d = in_d + begin_d + end_d
//   y[i_0, ..., i_{r-1}] = x[i_0 - begin_0, ..., i_{r-1} - begin_{r-1}] where that index is inside
//   x, `value` elsewhere.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "gramlite/runtime/kernel.h"

namespace gramlite::runtime::reference {

inline constexpr int kMaxPadRank = 8;

struct PadParams {
  int rank = 0;
  int64_t in_dims[kMaxPadRank] = {};
  int64_t out_dims[kMaxPadRank] = {};
  int64_t begins[kMaxPadRank] = {};
  float value = 0.0f;
};

// Fills params from an input shape and ONNX pads; errors on a rank mismatch or a dim below 0.
Result<PadParams> make_pad_params(const ir::Shape& input_shape, const std::vector<int64_t>& pads, float value);

void pad_f32(const PadParams& params, const float* input, float* output, ThreadPool* pool);

Result<std::unique_ptr<Kernel>> create_pad_kernel(const KernelContext& context);

}  // namespace gramlite::runtime::reference
