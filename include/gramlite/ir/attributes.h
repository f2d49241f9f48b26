// Per-op attributes. Each op kind has at most one attribute struct; ops without attributes use
// std::monostate. Padding is always explicit (top/left/bottom/right) so asymmetric "same" padding
// from Keras/TFLite models is representable without a separate Pad node.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "gramlite/ir/op_kind.h"

namespace gramlite::ir {

struct Padding2d {
  int32_t top = 0;
  int32_t left = 0;
  int32_t bottom = 0;
  int32_t right = 0;
  bool operator==(const Padding2d& o) const {
    return top == o.top && left == o.left && bottom == o.bottom && right == o.right;
  }
};

struct Conv2dAttrs {
  int32_t kernel_h = 1;
  int32_t kernel_w = 1;
  int32_t stride_h = 1;
  int32_t stride_w = 1;
  int32_t dilation_h = 1;
  int32_t dilation_w = 1;
  Padding2d padding;
  int32_t groups = 1;  // groups == in_channels == out_channels/multiplier: depthwise
};

struct BatchNormAttrs {
  float epsilon = 1e-5f;
};

// MaxPool and AvgPool. count_include_pad: whether padded zeros count in the average divisor
// (PyTorch's default is true, Keras/TFLite "same" pooling excludes them).
struct Pool2dAttrs {
  int32_t kernel_h = 1;
  int32_t kernel_w = 1;
  int32_t stride_h = 1;
  int32_t stride_w = 1;
  Padding2d padding;
  bool ceil_mode = false;
  bool count_include_pad = true;
};

struct ConcatAttrs {
  int32_t axis = 1;
};

// Flattens dims [axis, rank) into one: [N, C, H, W] with axis 1 -> [N, C*H*W].
struct FlattenAttrs {
  int32_t axis = 1;
};

// ONNX semantics: 0 copies the input's dim at that position, -1 (at most once) is inferred.
struct ReshapeAttrs {
  std::vector<int64_t> shape;
};

struct SoftmaxAttrs {
  int32_t axis = -1;
};

// ONNX order: pads = [begin_0, ..., begin_{r-1}, end_0, ..., end_{r-1}]; constant mode only.
struct PadAttrs {
  std::vector<int64_t> pads;
  float value = 0.0f;
};

struct DropoutAttrs {
  float ratio = 0.5f;
};

using Attributes = std::variant<std::monostate, Conv2dAttrs, BatchNormAttrs, Pool2dAttrs, ConcatAttrs,
                                FlattenAttrs, ReshapeAttrs, SoftmaxAttrs, PadAttrs, DropoutAttrs>;

// The attribute alternative a node of `kind` must hold (index into Attributes).
size_t expected_attributes_index(OpKind kind);
// A default-constructed attribute value of the right alternative for `kind`.
Attributes default_attributes(OpKind kind);

}  // namespace gramlite::ir
