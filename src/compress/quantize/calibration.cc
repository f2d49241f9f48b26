#include "gramlite/compress/calibration.h"

#include <memory>
#include <vector>

#include "compress/quantize/observers.h"
#include "gramlite/runtime/session.h"

namespace gramlite::compress {

const char* observer_name(ObserverKind kind) {
  switch (kind) {
    case ObserverKind::kMinMax: return "minmax";
    case ObserverKind::kPercentile: return "percentile";
    case ObserverKind::kEntropy: return "entropy";
    case ObserverKind::kMse: return "mse";
  }
  return "invalid";
}

Result<ObserverKind> parse_observer(const std::string& name) {
  for (ObserverKind kind : {ObserverKind::kMinMax, ObserverKind::kPercentile, ObserverKind::kEntropy, ObserverKind::kMse}) {
    if (name == observer_name(kind)) return kind;
  }
  return invalid_argument("unknown observer '", name, "' (expected minmax, percentile, entropy or mse)");
}

int64_t CalibrationSet::image_count() const {
  int64_t per_image = 1;
  for (int64_t d : image_shape) per_image *= d;
  int64_t count = 0;
  for (const auto& batch : batches) count += per_image > 0 ? static_cast<int64_t>(batch.size()) / per_image : 0;
  return count;
}

Result<ir::ActivationRanges> calibrate(const ir::Graph& prepared, const CalibrationSet& set,
                                       const CalibrationOptions& options) {
  if (!(options.percentile > 0.0 && options.percentile <= 100.0)) {
    return invalid_argument("the calibration percentile must be in (0, 100], got ", options.percentile);
  }
  if (prepared.inputs.size() != 1) {
    return unsupported("calibration feeds one image input; the model has ", prepared.inputs.size(), " inputs");
  }
  const ir::Tensor& input = prepared.tensor(prepared.inputs[0]);
  if (set.image_shape.size() != 3 || input.shape.size() != 4) {
    return invalid_argument("calibration images are [C, H, W] for an [N, C, H, W] input; got images ",
                            ir::shape_to_string(set.image_shape), " for input '", input.name, "' ",
                            ir::shape_to_string(input.shape));
  }
  for (size_t d = 0; d < 3; ++d) {
    if (input.shape[d + 1] != set.image_shape[d]) {
      return invalid_argument("calibration images are ", ir::shape_to_string(set.image_shape), " but input '",
                              input.name, "' takes ", ir::shape_to_string(input.shape));
    }
  }
  const int64_t per_image = ir::element_count(set.image_shape);
  if (per_image <= 0) return invalid_argument("calibration images have no pixels");
  for (size_t b = 0; b < set.batches.size(); ++b) {
    if (set.batches[b].empty() || static_cast<int64_t>(set.batches[b].size()) % per_image != 0) {
      return invalid_argument("calibration batch ", b, " holds ", set.batches[b].size(),
                              " floats, not a whole number of ", ir::shape_to_string(set.image_shape), " images");
    }
  }
  const int64_t total = set.image_count();
  if (total == 0) return invalid_argument("the calibration set holds no images");

  auto graph = std::make_shared<const ir::Graph>(prepared);
  std::vector<std::unique_ptr<internal::Observer>> observers(graph->tensors.size());
  const auto observer_for = [&](ir::TensorId id) -> internal::Observer& {
    auto& observer = observers[static_cast<size_t>(id)];
    if (!observer) observer = internal::make_observer(options.observer, options.percentile);
    return *observer;
  };
  ir::TensorId first_not_finite = ir::kNoTensor;
  runtime::SessionOptions session_options;
  session_options.pool = options.pool;
  session_options.optimize = false;  // the prepared graph is what gets quantized: its tensors, its names
  session_options.node_observer = [&](const runtime::NodeOutput& out) {
    if (out.dtype != ir::DType::kFloat32 || out.data == nullptr) return;
    const int64_t count = ir::element_count(*out.shape);
    if (count <= 0) return;
    const size_t skipped =
        observer_for(out.tensor).observe(static_cast<const float*>(out.data), static_cast<size_t>(count));
    if (skipped > 0 && first_not_finite == ir::kNoTensor) first_not_finite = out.tensor;
  };
  GRAMLITE_ASSIGN_OR_RETURN(std::unique_ptr<runtime::Session> session,
                            runtime::Session::create(graph, session_options));
  int64_t prepared_batch = 0;
  int64_t done = 0;
  std::vector<std::vector<float>> outputs(graph->outputs.size());
  for (const std::vector<float>& batch : set.batches) {
    const int64_t n = static_cast<int64_t>(batch.size()) / per_image;
    if (n != prepared_batch) {
      GRAMLITE_RETURN_IF_ERROR(session->reshape(n));
      prepared_batch = n;
      for (size_t o = 0; o < outputs.size(); ++o) {
        outputs[o].resize(static_cast<size_t>(ir::element_count(session->output_shapes()[o])));
      }
    }
    if (observer_for(graph->inputs[0]).observe(batch.data(), batch.size()) > 0 && first_not_finite == ir::kNoTensor) {
      first_not_finite = graph->inputs[0];
    }
    std::vector<float*> output_pointers;
    for (auto& o : outputs) output_pointers.push_back(o.data());
    GRAMLITE_RETURN_IF_ERROR(session->run({batch.data()}, output_pointers));
    if (first_not_finite != ir::kNoTensor) {
      return corrupt_data("tensor '", graph->tensor(first_not_finite).name,
                          "' is not finite (NaN or infinity) on a calibration image: the model's weights or "
                          "preprocessing are broken");
    }
    done += n;
    if (options.progress) options.progress(done, total);
  }
  ir::ActivationRanges ranges;
  for (size_t t = 0; t < observers.size(); ++t) {
    if (observers[t]) ranges[graph->tensors[t].name] = observers[t]->range();
  }
  return ranges;
}

}  // namespace gramlite::compress
