#include "runtime/layout_conversion.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace gramlite::runtime {
namespace {

// Tiles of 32 x 32 elements keep both the rows read and the rows written in L1.
constexpr int64_t kTile = 32;

template <typename T>
void transpose_tile_rows(const T* source, T* destination, int64_t rows, int64_t cols, int64_t row_begin,
                         int64_t row_end) {
  for (int64_t r0 = row_begin; r0 < row_end; r0 += kTile) {
    const int64_t r1 = std::min(r0 + kTile, row_end);
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const int64_t c1 = std::min(c0 + kTile, cols);
      for (int64_t r = r0; r < r1; ++r) {
        const T* in = source + r * cols;
        for (int64_t c = c0; c < c1; ++c) destination[c * rows + r] = in[c];
      }
    }
  }
}

template <typename T>
void transpose_typed(const void* source, void* destination, int64_t planes, int64_t rows, int64_t cols,
                     ThreadPool* pool) {
  const auto* in = static_cast<const T*>(source);
  auto* out = static_cast<T*>(destination);
  const int64_t plane = rows * cols;
  // Work items: (plane, tile of rows), so one image splits over threads too.
  const int64_t row_tiles = (rows + kTile - 1) / kTile;
  parallel_for(pool, planes * row_tiles, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t p = item / row_tiles;
      const int64_t r0 = (item % row_tiles) * kTile;
      transpose_tile_rows(in + p * plane, out + p * plane, rows, cols, r0, std::min(r0 + kTile, rows));
    }
  });
}

struct Conversion {
  int64_t planes = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t element_bytes = 4;
};

class LayoutConversionKernel final : public Kernel {
 public:
  LayoutConversionKernel(Layout from, Layout to, ir::DType dtype, const ir::Shape& shape)
      : from_(from), to_(to), name_(std::string("convert_") + layout_name(from) + "_to_" + layout_name(to) + "_" +
                                    ir::dtype_name(dtype)) {
    const int64_t channels = shape[1];
    const int64_t pixels = shape[2] * shape[3];
    conversion_ = {shape[0], from == Layout::kNchw ? channels : pixels, from == Layout::kNchw ? pixels : channels,
                   ir::dtype_size(dtype)};
  }
  const char* name() const override { return name_.c_str(); }
  Status reshape(const KernelContext&) override { return Status::Ok(); }
  Layout input_layout(size_t) const override { return from_; }
  Layout output_layout(size_t) const override { return to_; }
  void run(const KernelIo& io, ThreadPool* pool) const override {
    transpose_planes(io.inputs[0], io.outputs[0], conversion_.planes, conversion_.rows, conversion_.cols,
                     conversion_.element_bytes, pool);
  }

 private:
  Layout from_;
  Layout to_;
  std::string name_;
  Conversion conversion_;
};

}  // namespace

void transpose_planes(const void* source, void* destination, int64_t planes, int64_t rows, int64_t cols,
                      size_t element_bytes, ThreadPool* pool) {
  switch (element_bytes) {
    case 1: transpose_typed<uint8_t>(source, destination, planes, rows, cols, pool); break;
    case 2: transpose_typed<uint16_t>(source, destination, planes, rows, cols, pool); break;
    case 4: transpose_typed<uint32_t>(source, destination, planes, rows, cols, pool); break;
    default: transpose_typed<uint64_t>(source, destination, planes, rows, cols, pool); break;
  }
}

std::unique_ptr<Kernel> make_layout_conversion(Layout from, Layout to, ir::DType dtype, const ir::Shape& nchw_shape) {
  return std::make_unique<LayoutConversionKernel>(from, to, dtype, nchw_shape);
}

}  // namespace gramlite::runtime
