// Decoding ONNX TensorProto values (initializers, Constant node values) into plain vectors.
// Internal to the ONNX importer: includes libonnx's generated protobuf header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "gramlite/base/status.h"
#include "gramlite/ir/tensor.h"

namespace gramlite::interop::onnx_detail {

// A tensor whose value is known at import time. Floating-point tensors (float32, and float16 /
// float64 converted to float32) fill `floats`; integer and bool tensors fill `ints`.
struct ConstantValue {
  ir::Shape shape;
  bool is_integer = false;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::string source_type;  // the ONNX element type name, for notes and errors

  int64_t size() const { return is_integer ? static_cast<int64_t>(ints.size()) : static_cast<int64_t>(floats.size()); }
  // The values as float (integers converted), for constants used as float operands.
  std::vector<float> as_floats() const;
};

// Decodes `tensor`. Every count and byte size is checked against the declared shape, so a
// malformed file cannot cause an allocation larger than the data it holds. `converted` is set
// when float16 / float64 data was converted to float32.
Result<ConstantValue> decode_tensor(const onnx::TensorProto& tensor, bool* converted = nullptr);

const char* onnx_type_name(int32_t data_type);

}  // namespace gramlite::interop::onnx_detail
