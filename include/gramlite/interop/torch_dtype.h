// The element types torch storages hold, as named by their pickled storage classes
// ("torch.FloatStorage", ...), and their conversion to float32 / int64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gramlite::interop {

enum class TorchDType : uint8_t {
  kFloat32,
  kFloat64,
  kFloat16,
  kBFloat16,
  kInt64,
  kInt32,
  kInt16,
  kInt8,
  kUInt8,
  kBool,
};

const char* torch_dtype_name(TorchDType dtype);  // torch spelling: "float32", "float16", "int64", ...
size_t torch_dtype_size(TorchDType dtype);
bool is_floating(TorchDType dtype);

// The dtype of a pickled storage class, given its qualified name ("torch.HalfStorage").
std::optional<TorchDType> dtype_of_storage_class(std::string_view qualified_name);

// Element `index` of little-endian storage bytes, converted. `bytes` need not be aligned.
float load_as_float(const uint8_t* bytes, TorchDType dtype, size_t index);
int64_t load_as_int(const uint8_t* bytes, TorchDType dtype, size_t index);

// bfloat16 bit patterns to float32 (exact: every such value is representable). IEEE half is
// base/float16.h's half_to_float.
float bfloat16_to_float(uint16_t bits);

}  // namespace gramlite::interop
