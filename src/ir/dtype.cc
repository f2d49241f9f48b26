#include "gramlite/ir/dtype.h"

namespace gramlite::ir {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return 4;
    case DType::kFloat16: return 2;
    case DType::kInt8: return 1;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
    case DType::kCount: break;
  }
  return 0;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "fp32";
    case DType::kFloat16: return "fp16";
    case DType::kInt8: return "int8";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kCount: break;
  }
  return "invalid";
}

bool is_valid_dtype(uint32_t raw) { return raw < static_cast<uint32_t>(DType::kCount); }

}  // namespace gramlite::ir
