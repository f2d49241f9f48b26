// Reading back the metadata_props that `gramlite export --format onnx` writes (class names,
// preprocessing, architecture, extra entries: docs/onnx-export.md), so that an exported model
// re-imports as the same classifier rather than as "class_0, class_1" with ImageNet's
// normalisation. Files from other producers carry none of these keys and are unaffected.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gramlite/ir/metadata.h"

namespace gramlite::interop {

struct GramliteOnnxMetadata {
  std::optional<std::vector<std::string>> class_names;
  std::optional<ir::Preprocessing> preprocessing;
  std::string architecture;
  std::map<std::string, std::string> extra;  // the gramlite.extra.* entries, prefix removed
  std::vector<std::string> notes;            // entries that were present but unreadable (ignored)
};

// `props`: the model's metadata_props as key -> value.
GramliteOnnxMetadata read_gramlite_onnx_metadata(const std::map<std::string, std::string>& props);

}  // namespace gramlite::interop
