// Images for the end-to-end tests, preprocessed as the model wants them (NCHW floats).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gramlite/ir/metadata.h"

#if GRAMLITE_TEST_HAVE_SYNTH
#include "gramlite/data/dataset/transforms.h"
#include "gramlite/data/synth/tile_dataset_writer.h"
#endif

namespace gramlite::compress::testing {

// A light field with coloured blobs (cell-like): what a stained tile looks like to a network.
inline std::vector<uint8_t> blob_image(int size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> rgb(static_cast<size_t>(size) * size * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = 0.85f + 0.1f * u(rng);
  const int blobs = 4 + static_cast<int>(u(rng) * 12);
  for (int b = 0; b < blobs; ++b) {
    const float cx = u(rng) * size, cy = u(rng) * size, r = 2.0f + u(rng) * size / 6.0f;
    const float colour[3] = {0.3f + 0.5f * u(rng), 0.1f + 0.3f * u(rng), 0.3f + 0.6f * u(rng)};
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        const float d2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (r * r);
        const float a = std::exp(-d2);
        for (int ch = 0; ch < 3; ++ch) {
          float& p = rgb[(static_cast<size_t>(y) * size + x) * 3 + ch];
          p = p * (1.0f - a) + colour[ch] * a;
        }
      }
    }
  }
  std::vector<uint8_t> pixels(rgb.size());
  for (size_t i = 0; i < rgb.size(); ++i) pixels[i] = static_cast<uint8_t>(std::lround(std::clamp(rgb[i], 0.0f, 1.0f) * 255.0f));
  return pixels;
}

// `count` images of size x size, CHW each, normalised by `pre` (mean / std on [0, 1] values).
inline std::vector<float> zoo_images(const ir::Preprocessing& pre, int size, int64_t count, uint32_t seed) {
  const size_t plane = static_cast<size_t>(size) * size;
  std::vector<float> out(static_cast<size_t>(count) * 3 * plane);
  for (int64_t i = 0; i < count; ++i) {
    float* dst = out.data() + static_cast<size_t>(i) * 3 * plane;
#if GRAMLITE_TEST_HAVE_SYNTH
    auto tile = data::synth::make_tile(data::synth::TileTask::kGram2, static_cast<int>(i % 2), i, size,
                                       data::synth::Difficulty{0.5f}, seed);
    data::ModelInput input;
    input.width = input.height = size;
    input.preprocessing = pre;
    if (tile.ok() && data::normalize_resized_image(tile->image, input, dst).ok()) continue;
#endif
    const std::vector<uint8_t> pixels = blob_image(size, seed + static_cast<uint32_t>(i));
    for (size_t p = 0; p < plane; ++p) {
      for (size_t ch = 0; ch < 3; ++ch) {
        const float v = pixels[p * 3 + ch] / 255.0f;
        dst[ch * plane + p] = (v - pre.mean[ch]) / pre.std[ch];
      }
    }
  }
  return out;
}

}  // namespace gramlite::compress::testing
