#include "gramlite/interop/torch_dtype.h"

#include <cmath>
#include <cstring>

#include "base/float16.h"

namespace gramlite::interop {
namespace {

template <typename T>
T load_raw(const uint8_t* bytes, size_t index) {
  // Storage bytes are little-endian (we refuse big-endian archives) and may sit at any address in
  // the legacy format, so read through memcpy rather than a cast.
  T value;
  std::memcpy(&value, bytes + index * sizeof(T), sizeof(T));
  return value;
}

}  // namespace

const char* torch_dtype_name(TorchDType dtype) {
  switch (dtype) {
    case TorchDType::kFloat32: return "float32";
    case TorchDType::kFloat64: return "float64";
    case TorchDType::kFloat16: return "float16";
    case TorchDType::kBFloat16: return "bfloat16";
    case TorchDType::kInt64: return "int64";
    case TorchDType::kInt32: return "int32";
    case TorchDType::kInt16: return "int16";
    case TorchDType::kInt8: return "int8";
    case TorchDType::kUInt8: return "uint8";
    case TorchDType::kBool: return "bool";
  }
  return "?";
}

size_t torch_dtype_size(TorchDType dtype) {
  switch (dtype) {
    case TorchDType::kFloat64:
    case TorchDType::kInt64: return 8;
    case TorchDType::kFloat32:
    case TorchDType::kInt32: return 4;
    case TorchDType::kFloat16:
    case TorchDType::kBFloat16:
    case TorchDType::kInt16: return 2;
    case TorchDType::kInt8:
    case TorchDType::kUInt8:
    case TorchDType::kBool: return 1;
  }
  return 1;
}

bool is_floating(TorchDType dtype) {
  return dtype == TorchDType::kFloat32 || dtype == TorchDType::kFloat64 || dtype == TorchDType::kFloat16 ||
         dtype == TorchDType::kBFloat16;
}

std::optional<TorchDType> dtype_of_storage_class(std::string_view name) {
  struct Entry {
    std::string_view name;
    TorchDType dtype;
  };
  static constexpr Entry kEntries[] = {
      {"torch.FloatStorage", TorchDType::kFloat32}, {"torch.DoubleStorage", TorchDType::kFloat64},
      {"torch.HalfStorage", TorchDType::kFloat16},  {"torch.BFloat16Storage", TorchDType::kBFloat16},
      {"torch.LongStorage", TorchDType::kInt64},    {"torch.IntStorage", TorchDType::kInt32},
      {"torch.ShortStorage", TorchDType::kInt16},   {"torch.CharStorage", TorchDType::kInt8},
      {"torch.ByteStorage", TorchDType::kUInt8},    {"torch.BoolStorage", TorchDType::kBool},
  };
  for (const Entry& entry : kEntries) {
    if (entry.name == name) return entry.dtype;
  }
  return std::nullopt;
}

float bfloat16_to_float(uint16_t bits) {
  const uint32_t widened = static_cast<uint32_t>(bits) << 16;
  float result;
  std::memcpy(&result, &widened, sizeof(result));
  return result;
}

float load_as_float(const uint8_t* bytes, TorchDType dtype, size_t index) {
  switch (dtype) {
    case TorchDType::kFloat32: return load_raw<float>(bytes, index);
    case TorchDType::kFloat64: return static_cast<float>(load_raw<double>(bytes, index));
    case TorchDType::kFloat16: return half_to_float(load_raw<uint16_t>(bytes, index));
    case TorchDType::kBFloat16: return bfloat16_to_float(load_raw<uint16_t>(bytes, index));
    default: return static_cast<float>(load_as_int(bytes, dtype, index));
  }
}

int64_t load_as_int(const uint8_t* bytes, TorchDType dtype, size_t index) {
  switch (dtype) {
    case TorchDType::kInt64: return load_raw<int64_t>(bytes, index);
    case TorchDType::kInt32: return load_raw<int32_t>(bytes, index);
    case TorchDType::kInt16: return load_raw<int16_t>(bytes, index);
    case TorchDType::kInt8: return load_raw<int8_t>(bytes, index);
    case TorchDType::kUInt8: return load_raw<uint8_t>(bytes, index);
    case TorchDType::kBool: return load_raw<uint8_t>(bytes, index) != 0 ? 1 : 0;
    default: return 0;  // floating dtypes are read with load_as_float
  }
}

}  // namespace gramlite::interop
