#include "gramlite/zoo/build_options.h"

#include <cmath>
#include <sstream>

namespace gramlite::zoo {
namespace {

// Beyond 4x width no published configuration exists, and the graph would hold hundreds of
// millions of parameters: far more likely a typo (alpha=10 meant 1.0) than a wish.
constexpr double kMaxAlpha = 4.0;
// Class counts beyond this are a typo too, and would allocate gigabytes for the classifier.
constexpr int kMaxClasses = 100000;
// Large inputs are legal for these fully convolutional trunks but only cost memory; cap them so a
// mistyped size fails with a message instead of exhausting memory later in a session.
constexpr int kMaxInputSize = 4096;

std::string format_double(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

const char* family_name(Family family) {
  switch (family) {
    case Family::kTorchvision: return "torchvision";
    case Family::kKeras: return "keras";
  }
  return "unknown";
}

Result<int> resolve_options(const ArchInfo& info, const BuildOptions& options) {
  const std::string& arch = info.name;
  if (options.num_classes < 1 || options.num_classes > kMaxClasses) {
    return invalid_argument(arch, ": num_classes must be between 1 and ", kMaxClasses, ", got ", options.num_classes);
  }
  if (!std::isfinite(options.alpha) || options.alpha <= 0.0 || options.alpha > kMaxAlpha) {
    return invalid_argument(arch, ": width multiplier alpha must be in (0, ", kMaxAlpha, "], got ",
                            format_double(options.alpha));
  }
  if (!info.has_width_multiplier && options.alpha != 1.0) {
    return invalid_argument(arch, " has no width multiplier: alpha must be 1.0, got ", format_double(options.alpha));
  }
  const int size = options.input_size == 0 ? info.default_input_size : options.input_size;
  if (size < info.min_input_size) {
    return invalid_argument(arch, " needs an input of at least ", info.min_input_size, "x", info.min_input_size,
                            " pixels, got ", size, "x", size);
  }
  if (size > kMaxInputSize) {
    return invalid_argument(arch, ": input size ", size, " exceeds the limit of ", kMaxInputSize, " pixels");
  }
  return size;
}

ir::ModelMetadata make_metadata(const ArchInfo& info, const BuildOptions& options, int input_size,
                                bool ends_in_softmax) {
  ir::ModelMetadata metadata;
  metadata.name = info.name;
  metadata.architecture = info.name;
  metadata.class_names.reserve(static_cast<size_t>(options.num_classes));
  for (int i = 0; i < options.num_classes; ++i) metadata.class_names.push_back("class_" + std::to_string(i));
  if (info.family == Family::kKeras) {
    // keras.applications.mobilenet.preprocess_input ("tf" mode): x / 127.5 - 1, i.e. on [0, 1]
    // pixels (x - 0.5) / 0.5 for every channel.
    metadata.preprocessing.mean = {0.5f, 0.5f, 0.5f};
    metadata.preprocessing.std = {0.5f, 0.5f, 0.5f};
  } else {
    // torchvision's ImageNet normalisation (the ir::Preprocessing defaults, written out here so the
    // zoo does not silently change if those defaults ever do).
    metadata.preprocessing.mean = {0.485f, 0.456f, 0.406f};
    metadata.preprocessing.std = {0.229f, 0.224f, 0.225f};
  }
  metadata.preprocessing.resize = ir::ResizeMode::kStretch;  // Gram-stain tiles are square
  metadata.preprocessing.bgr = false;
  metadata.output_kind = ends_in_softmax ? ir::OutputKind::kProbabilities : ir::OutputKind::kLogits;
  metadata.extra["producer"] = "gramlite zoo";
  metadata.extra["family"] = family_name(info.family);
  metadata.extra["input_size"] = std::to_string(input_size);
  metadata.extra["num_classes"] = std::to_string(options.num_classes);
  metadata.extra["alpha"] = format_double(options.alpha);
  metadata.extra["seed"] = std::to_string(options.seed);
  metadata.extra["weights"] = options.random_weights ? "random" : "zeros";
  return metadata;
}

}  // namespace gramlite::zoo
