#include "gramlite/runtime/backend.h"

namespace gramlite::runtime {

const KernelRegistration* TableBackend::find(ir::OpKind kind, ir::DType dtype) const {
  for (size_t i = 0; i < count_; ++i) {
    if (table_[i].kind == kind && table_[i].dtype == dtype) return &table_[i];
  }
  return nullptr;
}

Result<std::unique_ptr<Kernel>> TableBackend::create_kernel(const KernelContext& context) const {
  const TensorDesc* first = !context.inputs.empty() ? &context.inputs[0]
                            : !context.outputs.empty() ? &context.outputs[0]
                                                       : nullptr;
  const ir::DType dtype = first != nullptr && first->present ? first->dtype : ir::DType::kFloat32;
  const KernelRegistration* registration = find(context.node.kind, dtype);
  if (registration == nullptr) {
    return unsupported(name_, " has no ", ir::op_kind_name(context.node.kind), " kernel for ", ir::dtype_name(dtype));
  }
  if (registration->dtype == ir::DType::kFloat32 && !registration->factory_checks_dtypes) {
    for (const std::vector<TensorDesc>* list : {&context.inputs, &context.outputs}) {
      for (const TensorDesc& desc : *list) {
        if (!desc.present) continue;
        if (desc.dtype != ir::DType::kFloat32) {
          return unsupported(name_, ": tensor '", desc.tensor->name, "' has dtype ", ir::dtype_name(desc.dtype),
                             "; its ", ir::op_kind_name(context.node.kind), " kernel runs float32 only");
        }
        if (desc.tensor->sparsity.encoding != ir::SparsityEncoding::kDense) {
          return unsupported(name_, ": tensor '", desc.tensor->name, "' is stored ",
                             ir::sparsity_encoding_name(desc.tensor->sparsity.encoding),
                             "-encoded; its kernels need dense weights");
        }
      }
    }
  }
  return registration->factory(context);
}

#ifdef GRAMLITE_HAVE_XNNPACK
const Backend& xnnpack_backend();
const Backend* xnnpack_backend_if_built() { return &xnnpack_backend(); }
#else
const Backend* xnnpack_backend_if_built() { return nullptr; }
#endif

#ifdef GRAMLITE_HAVE_ONEDNN
const Backend& onednn_backend();
const Backend* onednn_backend_if_built() { return &onednn_backend(); }
#else
const Backend* onednn_backend_if_built() { return nullptr; }
#endif

const Backend& sparse_backend();  // sparse/registry.cc: every build, first (docs/runtime.md)

const Backend* find_builtin_backend(std::string_view name) {
  if (name == "sparse") return &sparse_backend();
  if (name == "onednn") return onednn_backend_if_built();
  if (name == "xnnpack") return xnnpack_backend_if_built();
  if (name == "portable") return &portable_backend();
  if (name == "reference") return &reference_backend();
  return nullptr;
}

std::vector<std::string> builtin_backend_names() {
  std::vector<std::string> names = {"sparse"};
  if (onednn_backend_if_built() != nullptr) names.push_back("onednn");
  if (xnnpack_backend_if_built() != nullptr) names.push_back("xnnpack");
  names.push_back("portable");
  names.push_back("reference");
  return names;
}

}  // namespace gramlite::runtime
