#include "zero_smallest.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace gramlite::format::testing {

int64_t zero_smallest_weights(ir::Graph& graph, double fraction) {
  int64_t zeroed = 0;
  for (const ir::Node& node : graph.nodes) {
    if (node.kind != ir::OpKind::kConv2d && node.kind != ir::OpKind::kLinear) continue;
    if (node.inputs.size() < 2 || !graph.is_valid_tensor_id(node.inputs[1])) continue;
    ir::Tensor& weight = graph.tensor(node.inputs[1]);
    if (!weight.is_constant() || weight.dtype != ir::DType::kFloat32) continue;
    const size_t n = weight.data.size() / sizeof(float);
    const auto k = static_cast<size_t>(std::llround(static_cast<double>(n) * fraction));
    if (k == 0) continue;
    Buffer values = Buffer::copy_of(weight.data.data(), weight.data.size());
    float* w = values.mutable_as<float>();
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    const auto smaller = [w](size_t a, size_t b) {
      const float ma = std::fabs(w[a]);
      const float mb = std::fabs(w[b]);
      return ma < mb || (ma == mb && a < b);
    };
    std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k - 1), order.end(), smaller);
    for (size_t i = 0; i < k; ++i) w[order[i]] = 0.0f;
    weight.data = std::move(values);
    weight.sparsity.target_sparsity = static_cast<float>(fraction);
    zeroed += static_cast<int64_t>(k);
  }
  return zeroed;
}

}  // namespace gramlite::format::testing
