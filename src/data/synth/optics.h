// Internal: what the microscope and camera do to the light after the specimen: defocus blur,
// vignetting, sensor noise, 8-bit quantisation and JPEG compression. Every step is a function of
// global pixel coordinates (or works on a region padded past the tile), so tiles stay seamless.
#pragma once

#include <cstdint>
#include <vector>

#include "gramlite/base/status.h"

namespace gramlite::data::synth::internal {

// Half-width of the Gaussian kernel used for `sigma_px` (0 when there is no blur).
int blur_radius(float sigma_px);

// Separable Gaussian blur of interleaved RGB floats (width x height); the result drops `radius`
// pixels on every side ((width - 2r) x (height - 2r)), so no output pixel sees a border rule.
// Hand-written rather than cv::GaussianBlur so each output is the same sum in the same order
// wherever it sits in the buffer (SIMD tails cannot change a tile's edge pixels).
std::vector<float> gaussian_blur_valid(const std::vector<float>& rgb, int width, int height, float sigma_px,
                                       int radius);

struct CameraModel {
  float vignetting = 0;        // light loss at a camera frame's corner
  int64_t frame_px = 1280;     // camera frame size: vignetting repeats per frame (a stitched mosaic)
  float noise = 0;             // noise std dev at full scale (fraction of 255)
  uint64_t noise_seed = 0;
};

// Vignetting, signal-dependent noise (shot + read), quantisation to 8 bits.
std::vector<uint8_t> expose(const std::vector<float>& rgb, int64_t x0, int64_t y0, int width, int height,
                            const CameraModel& camera);

// JPEG encode + decode at `quality`, in place. Callers pass a region aligned to the 16-px MCU grid
// of the global frame with a margin, so every block (and chroma upsampling neighbour) inside the
// tile is the same whichever tile asked.
Status jpeg_round_trip(std::vector<uint8_t>& rgb, int width, int height, int quality);

}  // namespace gramlite::data::synth::internal
