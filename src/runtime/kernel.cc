#include "gramlite/runtime/kernel.h"

#include <cctype>

namespace gramlite::runtime {

const char* layout_name(Layout layout) { return layout == Layout::kNhwc ? "nhwc" : "nchw"; }

bool layouts_differ(const ir::Shape& shape) {
  return shape.size() == 4 && shape[1] > 1 && shape[2] * shape[3] > 1;
}

const float* constant_floats(const KernelContext& context, size_t index) {
  if (!has_input(context.node, index)) return nullptr;
  const ir::Tensor& tensor = context.graph.tensor(context.node.inputs[index]);
  if (!tensor.is_constant() || tensor.dtype != ir::DType::kFloat32) return nullptr;
  return tensor.data.as<float>();
}

Status require_no_fused_activation(const ir::Node& node) {
  if (node.fused_activation == ir::Activation::kNone) return Status::Ok();
  return unsupported("fused activation ", ir::activation_name(node.fused_activation), " on a ",
                     ir::op_kind_name(node.kind), " node is not supported by this kernel");
}

size_t element_count_of(const ir::Shape& shape) {
  const int64_t count = ir::element_count(shape);
  return count < 0 ? 0 : static_cast<size_t>(count);
}

std::string snake_case_op_name(ir::OpKind kind) {
  const std::string name = ir::op_kind_name(kind);
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (std::isupper(c) && i > 0 && !std::isupper(static_cast<unsigned char>(name[i - 1]))) out += '_';
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

}  // namespace gramlite::runtime
