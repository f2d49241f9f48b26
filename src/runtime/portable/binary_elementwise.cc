#include "runtime/portable/binary_elementwise.h"

#include "runtime/reference/binary_elementwise.h"

namespace gramlite::runtime::portable {

Result<std::unique_ptr<Kernel>> create_binary_elementwise_kernel(const KernelContext& context) {
  return reference::create_binary_elementwise_kernel_with_plans(context, /*fast_paths=*/true);
}

}  // namespace gramlite::runtime::portable
