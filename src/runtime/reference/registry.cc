#include "runtime/reference/registry.h"

#include <array>

#include "runtime/reference/activation.h"
#include "runtime/reference/avg_pool.h"
#include "runtime/reference/batch_norm.h"
#include "runtime/reference/binary_elementwise.h"
#include "runtime/reference/concat.h"
#include "runtime/reference/conv2d.h"
#include "runtime/reference/global_avg_pool.h"
#include "runtime/reference/linear.h"
#include "runtime/reference/max_pool.h"
#include "runtime/reference/pad.h"
#include "runtime/reference/softmax.h"
#include "runtime/reference/view_ops.h"

namespace gramlite::runtime::reference {
namespace {

using ir::OpKind;

// In OpKind order; the static_assert below makes adding an op kind fail here until it has a line.
constexpr std::array<KernelRegistration, static_cast<size_t>(OpKind::kCount)> kRegistrations = {{
    {OpKind::kConv2d, create_conv2d_kernel},
    {OpKind::kBatchNorm, create_batch_norm_kernel},
    {OpKind::kRelu, create_activation_kernel},
    {OpKind::kRelu6, create_activation_kernel},
    {OpKind::kHardSwish, create_activation_kernel},
    {OpKind::kHardSigmoid, create_activation_kernel},
    {OpKind::kSigmoid, create_activation_kernel},
    {OpKind::kAdd, create_binary_elementwise_kernel},
    {OpKind::kMul, create_binary_elementwise_kernel},
    {OpKind::kConcat, create_concat_kernel},
    {OpKind::kMaxPool, create_max_pool_kernel},
    {OpKind::kAvgPool, create_avg_pool_kernel},
    {OpKind::kGlobalAvgPool, create_global_avg_pool_kernel},
    {OpKind::kFlatten, create_view_kernel, true},
    {OpKind::kReshape, create_view_kernel, true},
    {OpKind::kLinear, create_linear_kernel},
    {OpKind::kDropout, create_view_kernel, true},
    {OpKind::kSoftmax, create_softmax_kernel},
    {OpKind::kPad, create_pad_kernel},
}};

constexpr bool registrations_in_order() {
  for (size_t i = 0; i < kRegistrations.size(); ++i) {
    if (static_cast<size_t>(kRegistrations[i].kind) != i) return false;
  }
  return true;
}
static_assert(static_cast<int>(OpKind::kCount) == 19, "a new op kind needs a reference kernel line here");
static_assert(registrations_in_order(), "kRegistrations must list every op kind once, in OpKind order");

}  // namespace

const KernelRegistration* find_reference_kernel(ir::OpKind kind) {
  const auto index = static_cast<size_t>(kind);
  return index < kRegistrations.size() ? &kRegistrations[index] : nullptr;
}

}  // namespace gramlite::runtime::reference
