// Empirical bias correction (Nagel et al. 2019, section 4.2): quantizing a layer's weights adds
// (W_q - W) x to its output, whose mean over the data is a per-channel shift that biases every
// later layer. Subtracting it from the bias removes the shift.
//
// The paper multiplies by the per-channel mean E[x_i]; here each filter tap gets the mean of
// what it reads (padding reads 0, so border taps see less), which makes the correction exact on
// the calibration set: the corrected layer with W_q has, per channel, the float layer's mean
// output there (given the float input). It costs a pass as cheap as a depthwise convolution.
#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "gramlite/compress/equalization.h"
#include "gramlite/runtime/session.h"
#include "layer_weights.h"

namespace gramlite::compress {
namespace {

// The running sums of what each tap of one layer reads: sum[i * taps + k] adds x[i] at tap k
// over images and output positions (0 where the tap falls on padding).
struct TapMean {
  bool convolution = true;
  ir::Conv2dAttrs attrs;  // convolution only
  int64_t channels = 0;
  int64_t taps = 1;
  std::vector<double> sum;
  double positions = 0;  // output positions seen (per channel and tap)

  void add(const float* data, const ir::Shape& shape) {
    if (!convolution) {  // Linear: x [..., channels]
      if (shape.empty() || shape.back() != channels) return;
      const int64_t rows = ir::element_count(shape) / channels;
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < channels; ++c) sum[static_cast<size_t>(c)] += data[r * channels + c];
      }
      positions += static_cast<double>(rows);
      return;
    }
    if (shape.size() != 4 || shape[1] != channels) return;
    const int64_t h = shape[2], w = shape[3];
    const int64_t out_h = (h + attrs.padding.top + attrs.padding.bottom - attrs.dilation_h * (attrs.kernel_h - 1) - 1) / attrs.stride_h + 1;
    const int64_t out_w = (w + attrs.padding.left + attrs.padding.right - attrs.dilation_w * (attrs.kernel_w - 1) - 1) / attrs.stride_w + 1;
    if (out_h < 1 || out_w < 1) return;
    for (int64_t n = 0; n < shape[0]; ++n) {
      for (int64_t c = 0; c < channels; ++c) {
        const float* plane = data + (n * channels + c) * h * w;
        for (int64_t kh = 0; kh < attrs.kernel_h; ++kh) {
          for (int64_t kw = 0; kw < attrs.kernel_w; ++kw) {
            double s = 0.0;
            for (int64_t oh = 0; oh < out_h; ++oh) {
              const int64_t ih = oh * attrs.stride_h - attrs.padding.top + kh * attrs.dilation_h;
              if (ih < 0 || ih >= h) continue;
              for (int64_t ow = 0; ow < out_w; ++ow) {
                const int64_t iw = ow * attrs.stride_w - attrs.padding.left + kw * attrs.dilation_w;
                if (iw >= 0 && iw < w) s += plane[ih * w + iw];
              }
            }
            sum[static_cast<size_t>(c * taps + kh * attrs.kernel_w + kw)] += s;
          }
        }
      }
    }
    positions += static_cast<double>(shape[0] * out_h * out_w);
  }
  double mean(int64_t channel, int64_t tap) const {
    return positions > 0 ? sum[static_cast<size_t>(channel * taps + tap)] / positions : 0.0;
  }
};

// The layers to correct (node index -> its tap sums, empty).
std::map<int, TapMean> plan(const ir::Graph& graph, const Int8Options& options) {
  const std::set<std::string> keep_float(options.keep_float.begin(), options.keep_float.end());
  std::map<int, TapMean> layers;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    if (!detail::is_editable_weight_layer(graph, node) || keep_float.count(node.name) > 0) continue;
    const ir::Shape& w = graph.tensor(node.inputs[1]).shape;
    TapMean mean;
    mean.convolution = node.kind == ir::OpKind::kConv2d;
    if (mean.convolution) {
      mean.attrs = node.attr<ir::Conv2dAttrs>();
      mean.channels = w[1] * mean.attrs.groups;
      mean.taps = w[2] * w[3];
    } else {
      mean.channels = w[1];
    }
    mean.sum.assign(static_cast<size_t>(mean.channels * mean.taps), 0.0);
    layers.emplace(static_cast<int>(n), std::move(mean));
  }
  return layers;
}

// Runs the float graph over `set`, adding each layer's input to its tap sums. The graph is
// prepared already: the session runs it as it is, so its tensor ids and node indices are ours.
Status measure(const ir::Graph& graph, const CalibrationSet& set, ThreadPool* pool, std::map<int, TapMean>& layers) {
  std::map<ir::TensorId, std::vector<TapMean*>> readers;
  for (auto& [node, mean] : layers) readers[graph.nodes[static_cast<size_t>(node)].inputs[0]].push_back(&mean);
  const auto add = [&readers](ir::TensorId tensor, const float* data, const ir::Shape& shape) {
    const auto it = readers.find(tensor);
    if (it == readers.end()) return;
    for (TapMean* mean : it->second) mean->add(data, shape);
  };
  runtime::SessionOptions session_options;
  session_options.pool = pool;
  session_options.optimize = false;
  session_options.node_observer = [&add](const runtime::NodeOutput& out) {
    if (out.dtype == ir::DType::kFloat32) add(out.tensor, static_cast<const float*>(out.data), *out.shape);
  };
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<runtime::Session> session,
                            runtime::Session::create(std::make_shared<ir::Graph>(graph), session_options));
  int64_t per_image = 1;
  for (int64_t d : set.image_shape) per_image *= d;
  for (const std::vector<float>& batch : set.batches) {
    const int64_t images = static_cast<int64_t>(batch.size()) / per_image;
    if (images < 1) continue;
    GRAMLITE_RETURN_IF_ERROR(session->reshape(images).with_context("bias correction"));
    const std::vector<float> inputs(batch.begin(), batch.begin() + images * per_image);
    GRAMLITE_ASSIGN_OR_RETURN(std::vector<std::vector<float>> outputs, session->run({inputs}));
    add(graph.inputs[0], inputs.data(), session->input_shapes()[0]);
  }
  return Status::Ok();
}

}  // namespace

Result<int> correct_bias(ir::Graph& prepared, const CalibrationSet& set, const Int8Options& options, ThreadPool* pool) {
  if (set.image_count() < 1 || set.image_shape.size() != 3) {
    return invalid_argument("bias correction needs at least one calibration image of shape [C, H, W]");
  }
  if (prepared.inputs.size() != 1) {
    return unsupported("bias correction: the graph has ", prepared.inputs.size(), " inputs; it supports one image input");
  }
  std::map<int, TapMean> layers = plan(prepared, options);
  if (layers.empty()) return 0;
  GRAMLITE_RETURN_IF_ERROR(measure(prepared, set, pool, layers));

  for (const auto& [node, mean] : layers) {
    GRAMLITE_ASSIGN_OR_RETURN(detail::LayerWeights layer, detail::load_layer_weights(prepared, node));
    if (mean.positions <= 0) {
      return internal_error("bias correction: no input of layer '", prepared.nodes[static_cast<size_t>(node)].name,
                            "' was seen while running the calibration images");
    }
    const std::vector<float> quantized = detail::quantize_dequantize_weight(layer, options);
    // E[y_q] - E[y] for output channel c: sum over its filter of (W_q - W) times the tap's mean.
    for (int64_t c = 0; c < layer.out_channels; ++c) {
      const int64_t first_input = (c / layer.out_per_group()) * layer.in_per_group();
      double shift = 0.0;
      for (int64_t l = 0; l < layer.in_per_group(); ++l) {
        const int64_t base = c * layer.filter_size() + l * layer.kernel_size;
        for (int64_t k = 0; k < layer.kernel_size; ++k) {
          const auto i = static_cast<size_t>(base + k);
          shift += (static_cast<double>(quantized[i]) - static_cast<double>(layer.weight[i])) * mean.mean(first_input + l, k);
        }
      }
      layer.bias[static_cast<size_t>(c)] = static_cast<float>(layer.bias[static_cast<size_t>(c)] - shift);
    }
    GRAMLITE_RETURN_IF_ERROR(detail::store_layer_weights(prepared, layer));
  }
  return static_cast<int>(layers.size());
}

}  // namespace gramlite::compress
