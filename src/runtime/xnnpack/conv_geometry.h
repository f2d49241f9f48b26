// The geometry of XNNPACK's convolution operators, and their weight order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gramlite/ir/attributes.h"

namespace gramlite::runtime::xnnpack {

// The geometry XNNPACK's convolution operator takes.
struct ConvGeometry {
  uint32_t pad_top = 0, pad_right = 0, pad_bottom = 0, pad_left = 0;
  uint32_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  uint32_t groups = 1;
  size_t group_in = 1, group_out = 1;
};

inline ConvGeometry conv_geometry(const ir::Conv2dAttrs& a, int64_t in_channels, int64_t out_channels) {
  ConvGeometry g;
  g.pad_top = static_cast<uint32_t>(a.padding.top);
  g.pad_right = static_cast<uint32_t>(a.padding.right);
  g.pad_bottom = static_cast<uint32_t>(a.padding.bottom);
  g.pad_left = static_cast<uint32_t>(a.padding.left);
  g.kernel_h = static_cast<uint32_t>(a.kernel_h);
  g.kernel_w = static_cast<uint32_t>(a.kernel_w);
  g.stride_h = static_cast<uint32_t>(a.stride_h);
  g.stride_w = static_cast<uint32_t>(a.stride_w);
  g.dilation_h = static_cast<uint32_t>(a.dilation_h);
  g.dilation_w = static_cast<uint32_t>(a.dilation_w);
  g.groups = static_cast<uint32_t>(a.groups);
  g.group_in = static_cast<size_t>(in_channels / a.groups);
  g.group_out = static_cast<size_t>(out_channels / a.groups);
  return g;
}

// XNNPACK wants [groups][group_out][kh][kw][group_in]; the IR stores [out][group_in][kh][kw]. A
// depthwise weight (group_in = group_out = 1) is the same either way.
template <typename T>
std::vector<T> weights_ohwi(const T* oihw, const ConvGeometry& g) {
  const size_t out = g.groups * g.group_out;
  const size_t taps = size_t{g.kernel_h} * g.kernel_w;
  std::vector<T> ohwi(out * taps * g.group_in);
  for (size_t o = 0; o < out; ++o) {
    for (size_t i = 0; i < g.group_in; ++i) {
      for (size_t t = 0; t < taps; ++t) ohwi[(o * taps + t) * g.group_in + i] = oihw[(o * g.group_in + i) * taps + t];
    }
  }
  return ohwi;
}

}  // namespace gramlite::runtime::xnnpack
