// Element addressing along one dim of a dense row-major tensor: what the importance criteria read
// and what the cut and the zeroing write, one channel slice at a time.
#pragma once

#include <cstdint>

#include "gramlite/ir/tensor.h"

namespace gramlite::compress::detail {

// A row-major tensor seen as [outer, size, inner] around dim `dim`.
struct DimLayout {
  int64_t outer = 1;
  int64_t size = 0;
  int64_t inner = 1;
};

inline DimLayout dim_layout(const ir::Shape& shape, int dim) {
  DimLayout l;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    const int64_t n = shape[static_cast<size_t>(d)];
    if (d < dim) l.outer *= n;
    if (d == dim) l.size = n;
    if (d > dim) l.inner *= n;
  }
  return l;
}

// Calls f(flat element index) for every element whose coordinate along the dim is `index`.
template <typename F>
void for_each_in_slice(const DimLayout& l, int64_t index, F&& f) {
  for (int64_t o = 0; o < l.outer; ++o) {
    const int64_t base = (o * l.size + index) * l.inner;
    for (int64_t i = 0; i < l.inner; ++i) f(base + i);
  }
}

}  // namespace gramlite::compress::detail
