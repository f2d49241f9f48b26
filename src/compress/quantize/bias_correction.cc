// Empirical bias correction (Nagel et al. 2019, section 4.2): quantizing a layer's weights adds
// (W_q - W) x to its output, whose mean over the data, (W_q - W) E[x], is a per-channel shift
// that biases every later layer. Subtracting it from the bias removes the shift.
#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "gramlite/compress/equalization.h"
#include "gramlite/runtime/session.h"
#include "layer_weights.h"

namespace gramlite::compress {
namespace {

// The running per-channel sum of one activation tensor along `axis`.
struct ChannelMean {
  int axis = 1;
  std::vector<double> sum;
  double count = 0;  // values seen per channel

  void add(const float* data, const ir::Shape& shape) {
    if (axis < 0 || static_cast<size_t>(axis) >= shape.size() || shape[static_cast<size_t>(axis)] != static_cast<int64_t>(sum.size())) {
      return;
    }
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < static_cast<size_t>(axis); ++d) outer *= shape[d];
    for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
    const auto channels = static_cast<int64_t>(sum.size());
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t c = 0; c < channels; ++c) {
        const float* row = data + (o * channels + c) * inner;
        double s = 0.0;
        for (int64_t i = 0; i < inner; ++i) s += row[i];
        sum[static_cast<size_t>(c)] += s;
      }
    }
    count += static_cast<double>(outer * inner);
  }
  double mean(int64_t channel) const { return count > 0 ? sum[static_cast<size_t>(channel)] / count : 0.0; }
};

// The channel axis a layer reads its input along: NCHW's C for Conv2d, the last dim for Linear.
int input_channel_axis(const ir::Graph& graph, const ir::Node& node) {
  if (node.kind == ir::OpKind::kConv2d) return 1;
  return static_cast<int>(graph.tensor(node.inputs[0]).shape.size()) - 1;
}

}  // namespace

Result<int> correct_bias(ir::Graph& prepared, const CalibrationSet& set, const Int8Options& options, ThreadPool* pool) {
  if (set.image_count() < 1 || set.image_shape.size() != 3) {
    return invalid_argument("bias correction needs at least one calibration image of shape [C, H, W]");
  }
  if (prepared.inputs.size() != 1) {
    return unsupported("bias correction: the graph has ", prepared.inputs.size(), " inputs; it supports one image input");
  }
  const std::set<std::string> keep_float(options.keep_float.begin(), options.keep_float.end());
  std::vector<int> layers;
  std::map<ir::TensorId, ChannelMean> means;  // by input tensor of a corrected layer
  for (size_t n = 0; n < prepared.nodes.size(); ++n) {
    const ir::Node& node = prepared.nodes[n];
    if (!detail::is_editable_weight_layer(prepared, node) || keep_float.count(node.name) > 0) continue;
    const int axis = input_channel_axis(prepared, node);
    const ir::Shape& w = prepared.tensor(node.inputs[1]).shape;
    const int64_t channels = node.kind == ir::OpKind::kLinear ? w[1] : w[1] * node.attr<ir::Conv2dAttrs>().groups;
    ChannelMean& mean = means[node.inputs[0]];
    if (mean.sum.empty()) {
      mean.axis = axis;
      mean.sum.assign(static_cast<size_t>(channels), 0.0);
    } else if (mean.axis != axis || mean.sum.size() != static_cast<size_t>(channels)) {
      return unsupported("bias correction: tensor '", prepared.tensor(node.inputs[0]).name,
                         "' is read along two different channel axes");
    }
    layers.push_back(static_cast<int>(n));
  }
  if (layers.empty()) return 0;

  // E[x]: one float pass over the set. The graph is prepared already, so the session runs it as
  // it is and its tensor ids are ours.
  runtime::SessionOptions session_options;
  session_options.pool = pool;
  session_options.optimize = false;
  session_options.node_observer = [&means](const runtime::NodeOutput& out) {
    const auto it = means.find(out.tensor);
    if (it != means.end() && out.dtype == ir::DType::kFloat32) it->second.add(static_cast<const float*>(out.data), *out.shape);
  };
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<runtime::Session> session,
                            runtime::Session::create(std::make_shared<ir::Graph>(prepared), session_options));
  int64_t per_image = 1;
  for (int64_t d : set.image_shape) per_image *= d;
  const auto input_mean = means.find(prepared.inputs[0]);
  for (const std::vector<float>& batch : set.batches) {
    const int64_t images = static_cast<int64_t>(batch.size()) / per_image;
    if (images < 1) continue;
    GRAMLITE_RETURN_IF_ERROR(session->reshape(images).with_context("bias correction"));
    const std::vector<float> inputs(batch.begin(), batch.begin() + images * per_image);
    GRAMLITE_ASSIGN_OR_RETURN(std::vector<std::vector<float>> outputs, session->run({inputs}));
    if (input_mean != means.end()) input_mean->second.add(inputs.data(), session->input_shapes()[0]);
  }

  for (int node : layers) {
    GRAMLITE_ASSIGN_OR_RETURN(detail::LayerWeights layer, detail::load_layer_weights(prepared, node));
    const std::vector<float> quantized = detail::quantize_dequantize_weight(layer, options);
    const ChannelMean& mean = means.at(prepared.nodes[static_cast<size_t>(node)].inputs[0]);
    for (int64_t c = 0; c < layer.out_channels; ++c) {
      const int64_t first_input = (c / layer.out_per_group()) * layer.in_per_group();
      double shift = 0.0;
      for (int64_t l = 0; l < layer.in_per_group(); ++l) {
        const double x = mean.mean(first_input + l);
        const int64_t base = c * layer.filter_size() + l * layer.kernel_size;
        for (int64_t k = base; k < base + layer.kernel_size; ++k) {
          const auto i = static_cast<size_t>(k);
          shift += (static_cast<double>(quantized[i]) - static_cast<double>(layer.weight[i])) * x;
        }
      }
      layer.bias[static_cast<size_t>(c)] -= static_cast<float>(shift);
    }
    GRAMLITE_RETURN_IF_ERROR(detail::store_layer_weights(prepared, layer));
  }
  return static_cast<int>(layers.size());
}

}  // namespace gramlite::compress
