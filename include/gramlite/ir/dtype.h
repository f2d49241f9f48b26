// Element types a tensor can hold. Values are stored in the model file: append only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gramlite::ir {

enum class DType : uint8_t {
  kFloat32 = 0,
  kFloat16 = 1,
  kInt8 = 2,
  kInt32 = 3,
  kInt64 = 4,  // shape-like constants and imported index tensors
  kCount
};

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);
bool is_valid_dtype(uint32_t raw);

}  // namespace gramlite::ir
