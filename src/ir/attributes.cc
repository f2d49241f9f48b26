#include "ir/attributes.h"

namespace gramlite::ir {

size_t expected_attributes_index(OpKind kind) {
  switch (kind) {
    case OpKind::kConv2d: return 1;
    case OpKind::kBatchNorm: return 2;
    case OpKind::kMaxPool:
    case OpKind::kAvgPool: return 3;
    case OpKind::kConcat: return 4;
    case OpKind::kFlatten: return 5;
    case OpKind::kReshape: return 6;
    case OpKind::kSoftmax: return 7;
    case OpKind::kPad: return 8;
    case OpKind::kDropout: return 9;
    default: return 0;
  }
}

Attributes default_attributes(OpKind kind) {
  switch (expected_attributes_index(kind)) {
    case 1: return Conv2dAttrs{};
    case 2: return BatchNormAttrs{};
    case 3: return Pool2dAttrs{};
    case 4: return ConcatAttrs{};
    case 5: return FlattenAttrs{};
    case 6: return ReshapeAttrs{};
    case 7: return SoftmaxAttrs{};
    case 8: return PadAttrs{};
    case 9: return DropoutAttrs{};
    default: return std::monostate{};
  }
}

}  // namespace gramlite::ir
