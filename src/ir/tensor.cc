#include "gramlite/ir/tensor.h"

#include <sstream>

#include "base/checked_math.h"

namespace gramlite::ir {

int64_t element_count(const Shape& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0) return -1;
    if (!checked_mul(count, dim, &count) || count > kMaxElementCount) count = kMaxElementCount + 1;
  }
  return count;
}

std::string shape_to_string(const Shape& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out << ", ";
    if (shape[i] == kDynamicDim) {
      out << 'N';
    } else {
      out << shape[i];
    }
  }
  out << ']';
  return out.str();
}

const char* sparsity_encoding_name(SparsityEncoding encoding) {
  switch (encoding) {
    case SparsityEncoding::kDense: return "dense";
    case SparsityEncoding::kBitmap: return "bitmap";
    case SparsityEncoding::kBlockCsr: return "block-csr";
    case SparsityEncoding::kIndex: return "index";
    case SparsityEncoding::kCount: break;
  }
  return "invalid";
}

int64_t Tensor::dense_byte_size() const {
  const int64_t count = element_count();
  return count < 0 ? -1 : saturating_mul(count, static_cast<int64_t>(dtype_size(dtype)));
}

}  // namespace gramlite::ir
