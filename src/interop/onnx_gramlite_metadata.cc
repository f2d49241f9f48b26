#include "interop/onnx_gramlite_metadata.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace gramlite::interop {
namespace {

constexpr const char* kExtraPrefix = "gramlite.extra.";

std::optional<std::vector<std::string>> parse_class_names(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array() || j.empty()) return std::nullopt;
  std::vector<std::string> names;
  for (const nlohmann::json& name : j) {
    if (!name.is_string()) return std::nullopt;
    names.push_back(name.get<std::string>());
  }
  return names;
}

std::optional<std::vector<float>> parse_floats(const nlohmann::json& j, bool positive) {
  if (!j.is_array() || j.empty()) return std::nullopt;
  std::vector<float> values;
  for (const nlohmann::json& v : j) {
    if (!v.is_number()) return std::nullopt;
    const auto value = v.get<float>();
    if (!std::isfinite(value) || (positive && !(value > 0.0f))) return std::nullopt;
    values.push_back(value);
  }
  return values;
}

std::optional<ir::Preprocessing> parse_preprocessing(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("mean") || !j.contains("std")) return std::nullopt;
  ir::Preprocessing p;
  const auto mean = parse_floats(j["mean"], false);
  const auto std = parse_floats(j["std"], true);
  if (!mean || !std || mean->size() != std->size()) return std::nullopt;
  p.mean = *mean;
  p.std = *std;
  const std::string resize = j.value("resize", "stretch");
  if (resize == "stretch") {
    p.resize = ir::ResizeMode::kStretch;
  } else if (resize == "shorter_side_crop") {
    p.resize = ir::ResizeMode::kShorterSideCrop;
  } else {
    return std::nullopt;
  }
  const std::string order = j.value("channel_order", "RGB");
  if (order != "RGB" && order != "BGR") return std::nullopt;
  p.bgr = order == "BGR";
  return p;
}

}  // namespace

GramliteOnnxMetadata read_gramlite_onnx_metadata(const std::map<std::string, std::string>& props) {
  GramliteOnnxMetadata m;
  for (const auto& [key, value] : props) {
    if (key == "gramlite.class_names") {
      m.class_names = parse_class_names(value);
      if (!m.class_names) m.notes.push_back("ignored gramlite.class_names: not a JSON array of strings");
    } else if (key == "gramlite.preprocessing") {
      m.preprocessing = parse_preprocessing(value);
      if (!m.preprocessing) {
        m.notes.push_back("ignored gramlite.preprocessing: not the {mean, std, resize, channel_order} object "
                          "gramlite writes (positive finite std)");
      }
    } else if (key == "gramlite.architecture") {
      m.architecture = value;
    } else if (key.rfind(kExtraPrefix, 0) == 0) {
      m.extra[key.substr(std::char_traits<char>::length(kExtraPrefix))] = value;
    }
  }
  return m;
}

}  // namespace gramlite::interop
