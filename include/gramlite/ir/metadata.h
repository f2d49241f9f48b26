// What a model needs besides its graph: how to prepare an input image and what the outputs mean.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace gramlite::ir {

enum class ResizeMode : uint8_t {
  kStretch = 0,           // resize to the input size, ignoring aspect ratio (tiles are square)
  kShorterSideCrop = 1,   // resize the shorter side to size * 256/224 then centre-crop (ImageNet eval)
};

enum class OutputKind : uint8_t {
  kLogits = 0,         // apply softmax to get probabilities
  kProbabilities = 1,  // the graph ends in a softmax
};

struct Preprocessing {
  // Pixel values are scaled to [0, 1], then normalised per channel: (x - mean) / std.
  std::vector<float> mean = {0.485f, 0.456f, 0.406f};
  std::vector<float> std = {0.229f, 0.224f, 0.225f};
  ResizeMode resize = ResizeMode::kStretch;
  bool bgr = false;  // channel order the model expects (RGB unless a model says otherwise)
};

struct ModelMetadata {
  std::string name;          // free text
  std::string architecture;  // zoo architecture name, e.g. "mobilenet_v2"
  std::vector<std::string> class_names;
  Preprocessing preprocessing;
  OutputKind output_kind = OutputKind::kLogits;
  std::map<std::string, std::string> extra;  // producer, training provenance, ...
};

}  // namespace gramlite::ir
