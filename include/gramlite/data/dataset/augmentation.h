// Training-time augmentation of 8-bit RGB images, deterministic by seed.
//
// Each transform fires with its own probability; AugmentationOptions{} holds training defaults
// chosen for Gram-stained microscopy (no natural orientation, so flips and quarter turns are
// free; colour varies with the dye, so jitter happens in stain space), and
// AugmentationOptions::none() turns everything off for evaluation. All random choices come from
// the SampleRng passed in, which the loader derives from (seed, epoch, sample index), so a
// sample's pixels never depend on thread count or order.
#pragma once

#include "gramlite/base/status.h"
#include "gramlite/data/dataset/resize.h"
#include "gramlite/data/dataset/sample_rng.h"
#include "gramlite/data/dataset/stain_jitter.h"
#include "gramlite/data/image.h"
#include "gramlite/ir/metadata.h"

namespace gramlite::data {

struct RandomResizedCropOptions {
  double probability = 1.0;  // otherwise the model's own resize (ir::ResizeMode) is used
  double min_scale = 0.5;    // fraction of the source area kept (torchvision uses 0.08; tiles
  double max_scale = 1.0;    //   hold few cells, so a tighter crop would often lose them all)
  double min_ratio = 3.0 / 4.0;  // aspect ratio (width / height) of the crop, log-uniform
  double max_ratio = 4.0 / 3.0;
};

struct StainJitterOptions {
  double probability = 0.8;
  double scale = 0.2;   // each dye's concentration is multiplied by U(1 - scale, 1 + scale)
  double shift = 0.03;  // and shifted by U(-shift, shift) OD units
};

struct BrightnessContrastOptions {
  double probability = 0.5;
  double brightness = 0.1;  // pixel values multiplied by U(1 - b, 1 + b)
  double contrast = 0.1;    // blended with the mean grey by a factor U(1 - c, 1 + c)
};

struct GaussianBlurOptions {
  double probability = 0.2;
  double min_sigma = 0.1;  // pixels, uniform in [min, max] (scanner focus varies)
  double max_sigma = 1.5;
};

struct AugmentationOptions {
  double horizontal_flip = 0.5;  // probabilities
  double vertical_flip = 0.5;
  double rotate90 = 0.5;  // one, two or three quarter turns, uniform; on non-square inputs only half turns
  RandomResizedCropOptions random_resized_crop;
  StainJitterOptions stain_jitter;
  BrightnessContrastOptions brightness_contrast;
  GaussianBlurOptions gaussian_blur;

  // Everything off: the image is only resized as the model's metadata says (evaluation).
  static AugmentationOptions none();
  // True when any transform has a probability above zero.
  bool any() const;
  // Probabilities in [0, 1], ranges ordered and positive; the error names the field.
  Status validate() const;
};

// The single transforms, each usable on its own.
RgbImage flip_horizontal(const RgbImage& image);
RgbImage flip_vertical(const RgbImage& image);
RgbImage rotate90(const RgbImage& image, int quarter_turns);  // counter-clockwise; any integer
// Pixel values times `brightness`, then blended with their mean grey: c * x + (1 - c) * mean.
void adjust_brightness_contrast(RgbImage& image, double brightness, double contrast);
Status gaussian_blur(RgbImage& image, double sigma);
// A torchvision-style random resized crop box inside a width x height image (10 tries, then
// the largest centred box within the ratio range).
CropBox random_crop_box(int width, int height, const RandomResizedCropOptions& options, SampleRng& rng);

// The full chain for one sample: crop-and-resize (or the model's resize) to width x height, then
// flips, quarter turns, stain jitter, brightness/contrast and blur, in that order.
Result<RgbImage> augment_to_size(const RgbImage& image, const AugmentationOptions& options, ir::ResizeMode mode,
                                 int width, int height, SampleRng& rng);

}  // namespace gramlite::data
