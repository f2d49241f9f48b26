// The oneDNN backend's table. Everything it declines runs on the next backend.
#include "gramlite/runtime/backend.h"
#include "runtime/onednn/onednn.h"

namespace gramlite::runtime {
namespace {

constexpr KernelRegistration kOnednnKernels[] = {
    {ir::OpKind::kConv2d, ir::DType::kInt8, onednn::create_conv2d_s8, true},
    {ir::OpKind::kConv2d, ir::DType::kFloat32, onednn::create_conv2d_f32, true},
};

}  // namespace

const Backend& onednn_backend() {
  static const TableBackend backend("onednn", kOnednnKernels, std::size(kOnednnKernels));
  return backend;
}

}  // namespace gramlite::runtime
