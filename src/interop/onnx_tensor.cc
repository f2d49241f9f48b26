#include "interop/onnx_tensor.h"

#include <cmath>
#include <cstring>

#include "base/checked_math.h"
#include "base/float16.h"

namespace gramlite::interop::onnx_detail {
namespace {

size_t element_size(int32_t data_type) {
  switch (data_type) {
    case onnx::TensorProto::FLOAT: return 4;
    case onnx::TensorProto::FLOAT16: return 2;
    case onnx::TensorProto::DOUBLE: return 8;
    case onnx::TensorProto::INT64: return 8;
    case onnx::TensorProto::INT32: return 4;
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL: return 1;
    default: return 0;
  }
}

// Reads element i of little-endian raw_data as T (memcpy: raw_data carries no alignment).
template <typename T>
T raw_at(const std::string& raw, size_t i) {
  T value;
  std::memcpy(&value, raw.data() + i * sizeof(T), sizeof(T));
  return value;
}

}  // namespace

std::vector<float> ConstantValue::as_floats() const {
  if (!is_integer) return floats;
  std::vector<float> out(ints.size());
  for (size_t i = 0; i < ints.size(); ++i) out[i] = static_cast<float>(ints[i]);
  return out;
}

const char* onnx_type_name(int32_t data_type) {
  if (!onnx::TensorProto_DataType_IsValid(data_type)) return "an invalid type";
  // The generated name table outlives every caller (a static of the protobuf runtime).
  return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(data_type)).c_str();
}

Result<ConstantValue> decode_tensor(const onnx::TensorProto& tensor, bool* converted) {
  const std::string what = str_cat("tensor '", tensor.name(), "'");
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL || tensor.external_data_size() > 0) {
    return unsupported(what, " keeps its data in an external file; save the model with all data inside it "
                             "(onnx.save_model(model, path, save_as_external_data=False))");
  }
  if (tensor.has_segment()) return unsupported(what, " is segmented");
  ConstantValue value;
  value.source_type = onnx_type_name(tensor.data_type());
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || d > ir::kMaxElementCount) return corrupt_data(what, " has invalid dimension ", d);
    if (!checked_mul(count, d, &count) || count > ir::kMaxElementCount) return corrupt_data(what, " is too large");
    value.shape.push_back(d);
  }
  const size_t n = static_cast<size_t>(count);
  const int32_t type = tensor.data_type();
  const size_t width = element_size(type);
  if (width == 0) return unsupported(what, " has element type ", value.source_type, " (float, float16, double and integer tensors are supported)");
  const std::string& raw = tensor.raw_data();
  const bool use_raw = tensor.has_raw_data();
  if (use_raw && raw.size() != n * width) {
    return corrupt_data(what, " holds ", raw.size(), " bytes of raw data but its shape ", ir::shape_to_string(value.shape),
                        " of ", value.source_type, " needs ", n * width);
  }
  const auto check_count = [&](int field_size) -> Status {
    if (static_cast<size_t>(field_size) != n) {
      return corrupt_data(what, " holds ", field_size, " values but its shape ", ir::shape_to_string(value.shape), " has ", n);
    }
    return Status::Ok();
  };
  switch (type) {
    case onnx::TensorProto::FLOAT:
      if (!use_raw) GRAMLITE_RETURN_IF_ERROR(check_count(tensor.float_data_size()));
      value.floats.resize(n);
      for (size_t i = 0; i < n; ++i) value.floats[i] = use_raw ? raw_at<float>(raw, i) : tensor.float_data(static_cast<int>(i));
      break;
    case onnx::TensorProto::FLOAT16:
      // Without raw_data, float16 bit patterns are stored one per int32_data entry.
      if (!use_raw) GRAMLITE_RETURN_IF_ERROR(check_count(tensor.int32_data_size()));
      value.floats.resize(n);
      for (size_t i = 0; i < n; ++i) {
        const uint16_t bits = use_raw ? raw_at<uint16_t>(raw, i)
                                      : static_cast<uint16_t>(tensor.int32_data(static_cast<int>(i)) & 0xffff);
        value.floats[i] = half_to_float(bits);
      }
      if (converted != nullptr) *converted = true;
      break;
    case onnx::TensorProto::DOUBLE:
      if (!use_raw) GRAMLITE_RETURN_IF_ERROR(check_count(tensor.double_data_size()));
      value.floats.resize(n);
      for (size_t i = 0; i < n; ++i) {
        value.floats[i] = static_cast<float>(use_raw ? raw_at<double>(raw, i) : tensor.double_data(static_cast<int>(i)));
      }
      if (converted != nullptr) *converted = true;
      break;
    case onnx::TensorProto::INT64:
      if (!use_raw) GRAMLITE_RETURN_IF_ERROR(check_count(tensor.int64_data_size()));
      value.is_integer = true;
      value.ints.resize(n);
      for (size_t i = 0; i < n; ++i) value.ints[i] = use_raw ? raw_at<int64_t>(raw, i) : tensor.int64_data(static_cast<int>(i));
      break;
    default:  // INT32, INT8, UINT8, BOOL: int32_data without raw_data
      if (!use_raw) GRAMLITE_RETURN_IF_ERROR(check_count(tensor.int32_data_size()));
      value.is_integer = true;
      value.ints.resize(n);
      for (size_t i = 0; i < n; ++i) {
        if (!use_raw) {
          value.ints[i] = tensor.int32_data(static_cast<int>(i));
        } else if (type == onnx::TensorProto::INT32) {
          value.ints[i] = raw_at<int32_t>(raw, i);
        } else if (type == onnx::TensorProto::INT8) {
          value.ints[i] = raw_at<int8_t>(raw, i);
        } else {
          value.ints[i] = raw_at<uint8_t>(raw, i);
        }
      }
      break;
  }
  return value;
}

}  // namespace gramlite::interop::onnx_detail
