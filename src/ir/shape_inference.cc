#include "gramlite/ir/shape_inference.h"

#include <algorithm>

#include "base/checked_math.h"

#include "gramlite/ir/validate.h"

namespace gramlite::ir {
namespace {

Status node_error(const Node& node, const std::string& message) {
  return invalid_argument("node '", node.name, "' (", op_kind_name(node.kind), "): ", message);
}

// Normalises a possibly negative axis against `rank`; -1 if out of range.
int normalize_axis(int64_t axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) return -1;
  return static_cast<int>(axis < 0 ? axis + r : axis);
}

// Output length of a sliding window, PyTorch rules (ceil_mode drops a window that would start in
// the trailing padding).
int64_t window_output_size(int64_t input, int64_t pad_begin, int64_t pad_end, int64_t effective_kernel,
                           int64_t stride, bool ceil_mode) {
  const int64_t span = input + pad_begin + pad_end - effective_kernel;
  if (span < 0) return 0;
  int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil_mode && (out - 1) * stride >= input + pad_begin) --out;
  return out;
}

Result<Shape> broadcast(const Node& node, const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    const int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (da == db) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else if (db == 1) {
      out[i] = da;
    } else {
      return node_error(node, str_cat("cannot broadcast ", shape_to_string(a), " with ", shape_to_string(b)));
    }
  }
  return out;
}

Status expect_rank(const Node& node, const Shape& shape, size_t rank, const char* what) {
  if (shape.size() != rank) {
    return node_error(node, str_cat(what, " has shape ", shape_to_string(shape), ", expected rank ", rank));
  }
  return Status::Ok();
}

Status check_padding(const Node& node, const Padding2d& p) {
  if (p.top < 0 || p.left < 0 || p.bottom < 0 || p.right < 0) return node_error(node, "negative padding");
  return Status::Ok();
}

Result<Shape> infer_conv2d(const Node& node, const std::vector<Shape>& in) {
  const auto& a = node.attr<Conv2dAttrs>();
  GRAMLITE_RETURN_IF_ERROR(expect_rank(node, in[0], 4, "input"));
  GRAMLITE_RETURN_IF_ERROR(expect_rank(node, in[1], 4, "weight"));
  GRAMLITE_RETURN_IF_ERROR(check_padding(node, a.padding));
  const Shape& x = in[0];
  const Shape& w = in[1];
  if (a.groups < 1 || a.stride_h < 1 || a.stride_w < 1 || a.dilation_h < 1 || a.dilation_w < 1 ||
      a.kernel_h < 1 || a.kernel_w < 1) {
    return node_error(node, "kernel, stride, dilation and groups must be >= 1");
  }
  if (w[2] != a.kernel_h || w[3] != a.kernel_w) {
    return node_error(node, str_cat("weight shape ", shape_to_string(w), " does not match kernel ", a.kernel_h,
                                    "x", a.kernel_w));
  }
  if (w[0] % a.groups != 0) return node_error(node, str_cat("out channels ", w[0], " not divisible by groups ", a.groups));
  int64_t expected_channels = 0;
  if (!checked_mul(w[1], a.groups, &expected_channels) || x[1] != expected_channels) {
    return node_error(node, str_cat("input has ", x[1], " channels but weight ", shape_to_string(w), " with groups ",
                                    a.groups, " expects ", saturating_mul(w[1], a.groups)));
  }
  if (in.size() > 2 && (in[2].size() != 1 || in[2][0] != w[0])) {
    return node_error(node, str_cat("bias shape ", shape_to_string(in[2]), " does not match ", w[0], " out channels"));
  }
  const int64_t oh = window_output_size(x[2], a.padding.top, a.padding.bottom,
                                        static_cast<int64_t>(a.dilation_h) * (a.kernel_h - 1) + 1, a.stride_h, false);
  const int64_t ow = window_output_size(x[3], a.padding.left, a.padding.right,
                                        static_cast<int64_t>(a.dilation_w) * (a.kernel_w - 1) + 1, a.stride_w, false);
  if (oh < 1 || ow < 1) {
    return node_error(node, str_cat("input ", shape_to_string(x), " is too small for the kernel"));
  }
  return Shape{x[0], w[0], oh, ow};
}

Result<Shape> infer_pool(const Node& node, const std::vector<Shape>& in) {
  const auto& a = node.attr<Pool2dAttrs>();
  GRAMLITE_RETURN_IF_ERROR(expect_rank(node, in[0], 4, "input"));
  GRAMLITE_RETURN_IF_ERROR(check_padding(node, a.padding));
  if (a.kernel_h < 1 || a.kernel_w < 1 || a.stride_h < 1 || a.stride_w < 1) {
    return node_error(node, "kernel and stride must be >= 1");
  }
  const auto twice = [](int32_t v) { return int64_t{v} * 2; };
  if (twice(a.padding.top) > a.kernel_h || twice(a.padding.bottom) > a.kernel_h || twice(a.padding.left) > a.kernel_w ||
      twice(a.padding.right) > a.kernel_w) {
    return node_error(node, "padding must be at most half the kernel size");
  }
  const Shape& x = in[0];
  const int64_t oh = window_output_size(x[2], a.padding.top, a.padding.bottom, a.kernel_h, a.stride_h, a.ceil_mode);
  const int64_t ow = window_output_size(x[3], a.padding.left, a.padding.right, a.kernel_w, a.stride_w, a.ceil_mode);
  if (oh < 1 || ow < 1) return node_error(node, str_cat("input ", shape_to_string(x), " is too small for the window"));
  return Shape{x[0], x[1], oh, ow};
}

Result<Shape> infer_reshape(const Node& node, const Shape& x) {
  const auto& target = node.attr<ReshapeAttrs>().shape;
  Shape out(target.size());
  int infer_at = -1;
  bool dynamic_batch = false;
  int64_t known = 1;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0) {
      if (i >= x.size()) return node_error(node, "shape entry 0 copies a dimension the input does not have");
      d = x[i];
      if (d == kDynamicDim) {
        if (i != 0) return node_error(node, "only dim 0 may be dynamic");
        dynamic_batch = true;
        out[i] = kDynamicDim;
        continue;
      }
    }
    if (d == -1) {
      if (infer_at >= 0) return node_error(node, "more than one -1 in the target shape");
      infer_at = static_cast<int>(i);
      continue;
    }
    if (d < 0 || d > kMaxElementCount) return node_error(node, str_cat("invalid target dimension ", d));
    out[i] = d;
    if (!checked_mul(known, d, &known) || known > kMaxElementCount) return node_error(node, "target shape is too large");
  }
  // Elements per batch item when dim 0 of the input is dynamic, else the total.
  int64_t input_count = 1;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] == kDynamicDim) {
      if (i != 0) return node_error(node, "only dim 0 may be dynamic");
      if (!dynamic_batch && infer_at != 0) {
        return node_error(node, "the target shape must keep the dynamic batch dim (0 or -1 at dim 0)");
      }
      continue;
    }
    if (!checked_mul(input_count, x[i], &input_count)) return node_error(node, "input shape is too large");
  }
  if (infer_at >= 0) {
    if (infer_at == 0 && !x.empty() && x[0] == kDynamicDim) {
      if (known == 0 || input_count % known != 0 || input_count / known != 1) {
        // dim 0 stays the dynamic batch only when the other dims hold exactly one batch item
        return node_error(node, str_cat("cannot reshape ", shape_to_string(x), " to ", shape_to_string(target)));
      }
      out[0] = kDynamicDim;
      return out;
    }
    if (known == 0 || input_count % known != 0) {
      return node_error(node, str_cat("cannot reshape ", shape_to_string(x), " to ", shape_to_string(target)));
    }
    out[static_cast<size_t>(infer_at)] = input_count / known;
  } else if (known != input_count) {
    return node_error(node, str_cat("cannot reshape ", shape_to_string(x), " (", input_count, " elements) to ",
                                    shape_to_string(target)));
  }
  return out;
}

}  // namespace

namespace {

Result<std::vector<Shape>> infer_unchecked(const Node& node, const std::vector<Shape>& in) {
  for (size_t i = 0; i < in.size(); ++i) {
    for (size_t d = 0; d < in[i].size(); ++d) {
      if (in[i][d] == kDynamicDim && d != 0) return node_error(node, str_cat("input ", i, " has a dynamic dim ", d));
      if (in[i][d] < kDynamicDim) return node_error(node, str_cat("input ", i, " has negative dim ", in[i][d]));
      if (in[i][d] > kMaxElementCount) return node_error(node, str_cat("input ", i, " has dim ", in[i][d], ", too large"));
    }
  }
  switch (node.kind) {
    case OpKind::kConv2d: {
      GRAMLITE_ASSIGN_OR_RETURN(Shape s, infer_conv2d(node, in));
      return std::vector<Shape>{s};
    }
    case OpKind::kBatchNorm: {
      if (in[0].size() < 2) return node_error(node, "input must have a channel dim");
      for (size_t i = 1; i < 5; ++i) {
        if (in[i].size() != 1 || in[i][0] != in[0][1]) {
          return node_error(node, str_cat("parameter ", i, " has shape ", shape_to_string(in[i]), ", expected [",
                                          in[0][1], "]"));
        }
      }
      return std::vector<Shape>{in[0]};
    }
    case OpKind::kRelu:
    case OpKind::kRelu6:
    case OpKind::kHardSwish:
    case OpKind::kHardSigmoid:
    case OpKind::kSigmoid:
    case OpKind::kDropout:
      return std::vector<Shape>{in[0]};
    case OpKind::kAdd:
    case OpKind::kMul: {
      GRAMLITE_ASSIGN_OR_RETURN(Shape s, broadcast(node, in[0], in[1]));
      return std::vector<Shape>{s};
    }
    case OpKind::kConcat: {
      const int axis = normalize_axis(node.attr<ConcatAttrs>().axis, in[0].size());
      if (axis < 0) return node_error(node, "axis out of range");
      Shape out = in[0];
      for (size_t i = 1; i < in.size(); ++i) {
        if (in[i].size() != out.size()) return node_error(node, "inputs have different ranks");
        for (size_t d = 0; d < out.size(); ++d) {
          if (static_cast<int>(d) == axis) continue;
          if (in[i][d] != out[d]) {
            return node_error(node, str_cat("input ", i, " shape ", shape_to_string(in[i]), " differs from ",
                                            shape_to_string(in[0]), " outside the concat axis"));
          }
        }
        const auto a = static_cast<size_t>(axis);
        out[a] = (out[a] == kDynamicDim || in[i][a] == kDynamicDim) ? kDynamicDim : out[a] + in[i][a];
        if (out[a] > kMaxElementCount) return node_error(node, "concatenated shape is too large");
      }
      return std::vector<Shape>{out};
    }
    case OpKind::kMaxPool:
    case OpKind::kAvgPool: {
      GRAMLITE_ASSIGN_OR_RETURN(Shape s, infer_pool(node, in));
      return std::vector<Shape>{s};
    }
    case OpKind::kGlobalAvgPool: {
      GRAMLITE_RETURN_IF_ERROR(expect_rank(node, in[0], 4, "input"));
      return std::vector<Shape>{Shape{in[0][0], in[0][1], 1, 1}};
    }
    case OpKind::kFlatten: {
      const int64_t raw_axis = node.attr<FlattenAttrs>().axis;
      const int axis = raw_axis == static_cast<int64_t>(in[0].size()) ? static_cast<int>(raw_axis)
                                                                      : normalize_axis(raw_axis, in[0].size());
      if (axis < 0) return node_error(node, "axis out of range");
      int64_t outer = 1;
      int64_t inner = 1;
      for (size_t d = 0; d < in[0].size(); ++d) {
        const int64_t dim = in[0][d];
        int64_t& target = static_cast<int>(d) < axis ? outer : inner;
        if (target == kDynamicDim || dim == kDynamicDim) {
          target = kDynamicDim;
        } else if (!checked_mul(target, dim, &target) || target > kMaxElementCount) {
          return node_error(node, "flattened shape is too large");
        }
      }
      if (inner == kDynamicDim) return node_error(node, "cannot flatten the dynamic batch dim into the inner dim");
      return std::vector<Shape>{Shape{outer, inner}};
    }
    case OpKind::kReshape: {
      GRAMLITE_ASSIGN_OR_RETURN(Shape s, infer_reshape(node, in[0]));
      return std::vector<Shape>{s};
    }
    case OpKind::kLinear: {
      if (in[0].empty()) return node_error(node, "input must have rank >= 1");
      GRAMLITE_RETURN_IF_ERROR(expect_rank(node, in[1], 2, "weight"));
      if (in[0].back() != in[1][1]) {
        return node_error(node, str_cat("input ", shape_to_string(in[0]), " has ", in[0].back(),
                                        " features but weight ", shape_to_string(in[1]), " expects ", in[1][1]));
      }
      if (in.size() > 2 && (in[2].size() != 1 || in[2][0] != in[1][0])) {
        return node_error(node, str_cat("bias shape ", shape_to_string(in[2]), " does not match ", in[1][0],
                                        " out features"));
      }
      Shape out = in[0];
      out.back() = in[1][0];
      return std::vector<Shape>{out};
    }
    case OpKind::kSoftmax: {
      if (normalize_axis(node.attr<SoftmaxAttrs>().axis, in[0].size()) < 0) return node_error(node, "axis out of range");
      return std::vector<Shape>{in[0]};
    }
    case OpKind::kPad: {
      const auto& pads = node.attr<PadAttrs>().pads;
      const size_t rank = in[0].size();
      if (pads.size() != 2 * rank) {
        return node_error(node, str_cat("pads has ", pads.size(), " entries, expected ", 2 * rank));
      }
      Shape out = in[0];
      for (size_t d = 0; d < rank; ++d) {
        if (pads[d] < 0 || pads[d + rank] < 0) return node_error(node, "negative pads are not supported");
        if (pads[d] > kMaxElementCount || pads[d + rank] > kMaxElementCount) return node_error(node, "pads are too large");
        if (out[d] == kDynamicDim) {
          if (pads[d] != 0 || pads[d + rank] != 0) return node_error(node, "cannot pad the dynamic batch dim");
          continue;
        }
        out[d] += pads[d] + pads[d + rank];
      }
      return std::vector<Shape>{out};
    }
    case OpKind::kQuantize:
    case OpKind::kDequantize:
      return std::vector<Shape>{in[0]};
    case OpKind::kCount:
      break;
  }
  return node_error(node, "unknown op kind");
}

}  // namespace

Result<std::vector<Shape>> infer_node_output_shapes(const Graph& graph, const Node& node,
                                                    const std::vector<Shape>& in) {
  (void)graph;
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<Shape> out, infer_unchecked(node, in));
  for (const Shape& shape : out) {
    if (element_count(shape) > kMaxElementCount) {
      return node_error(node, str_cat("output shape ", shape_to_string(shape), " has more than 2^48 elements"));
    }
  }
  return out;
}

Result<std::vector<Shape>> infer_all_shapes(const Graph& graph, const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() != graph.inputs.size()) {
    return invalid_argument("graph has ", graph.inputs.size(), " inputs but ", input_shapes.size(), " shapes were given");
  }
  std::vector<Shape> shapes(graph.tensors.size());
  std::vector<bool> known(graph.tensors.size(), false);
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    if (graph.tensors[t].is_constant()) {
      shapes[t] = graph.tensors[t].shape;
      known[t] = true;
    }
  }
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    const TensorId id = graph.inputs[i];
    if (!graph.is_valid_tensor_id(id)) return invalid_argument("graph input ", i, " refers to missing tensor ", id);
    shapes[static_cast<size_t>(id)] = input_shapes[i];
    known[static_cast<size_t>(id)] = true;
  }
  for (const Node& node : graph.nodes) {
    std::vector<Shape> in;
    in.reserve(node.inputs.size());
    for (TensorId id : node.inputs) {
      if (!graph.is_valid_tensor_id(id) || !known[static_cast<size_t>(id)]) {
        return invalid_argument("node '", node.name, "' (", op_kind_name(node.kind), ") reads tensor ", id,
                                " before it is computed (nodes must be in topological order)");
      }
      in.push_back(shapes[static_cast<size_t>(id)]);
    }
    GRAMLITE_ASSIGN_OR_RETURN(std::vector<Shape> out, infer_node_output_shapes(graph, node, in));
    if (out.size() != node.outputs.size()) {
      return invalid_argument("node '", node.name, "' has ", node.outputs.size(), " outputs, expected ", out.size());
    }
    for (size_t o = 0; o < out.size(); ++o) {
      const TensorId id = node.outputs[o];
      if (!graph.is_valid_tensor_id(id)) return invalid_argument("node '", node.name, "' writes missing tensor ", id);
      shapes[static_cast<size_t>(id)] = std::move(out[o]);
      known[static_cast<size_t>(id)] = true;
    }
  }
  return shapes;
}

Result<std::vector<Shape>> infer_shapes_for_batch(const Graph& graph, int64_t batch) {
  if (batch < 1) return invalid_argument("batch size must be >= 1, got ", batch);
  std::vector<Shape> input_shapes;
  for (TensorId id : graph.inputs) {
    if (!graph.is_valid_tensor_id(id)) return invalid_argument("graph input refers to missing tensor ", id);
    Shape shape = graph.tensor(id).shape;
    if (!shape.empty() && shape[0] == kDynamicDim) shape[0] = batch;
    input_shapes.push_back(std::move(shape));
  }
  return infer_all_shapes(graph, input_shapes);
}

Status update_shapes(Graph& graph) {
  std::vector<Shape> input_shapes;
  for (TensorId id : graph.inputs) {
    if (!graph.is_valid_tensor_id(id)) return invalid_argument("graph input refers to missing tensor ", id);
    input_shapes.push_back(graph.tensor(id).shape);
  }
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<Shape> shapes, infer_all_shapes(graph, input_shapes));
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    if (!graph.tensors[t].is_constant()) graph.tensors[t].shape = std::move(shapes[t]);
  }
  return Status::Ok();
}

}  // namespace gramlite::ir
