#include "gramlite/data/dataset/transforms.h"

#include <exception>

namespace gramlite::data {

Status ModelInput::validate() const {
  if (width < 1 || height < 1) return invalid_argument("model input size ", width, "x", height, " is not positive");
  if (preprocessing.mean.size() != 3 || preprocessing.std.size() != 3) {
    return invalid_argument("model preprocessing needs 3 mean and 3 std values");
  }
  for (float s : preprocessing.std) {
    if (!(s > 0.0f)) return invalid_argument("model preprocessing std values must be positive");
  }
  return Status::Ok();
}

Status normalize_resized_image(const RgbImage& resized, const ModelInput& input, float* out) {
  if (resized.width != input.width || resized.height != input.height) {
    return invalid_argument("image is ", resized.width, "x", resized.height, ", the model input ", input.width, "x",
                            input.height);
  }
  return normalize_to_tensor(resized, input.preprocessing, out);
}

Status image_to_model_tensor(const RgbImage& image, const ModelInput& input, const AugmentationOptions& augmentation,
                             SampleRng& rng, float* out) {
  if (!augmentation.any()) return image_to_tensor(image, input.preprocessing, input.width, input.height, out);
  Result<RgbImage> augmented =
      augment_to_size(image, augmentation, input.preprocessing.resize, input.width, input.height, rng);
  if (!augmented.ok()) return augmented.status();
  return normalize_resized_image(*augmented, input, out);
}

Status load_model_tensor(const std::string& path, const ModelInput& input, const AugmentationOptions& augmentation,
                         SampleRng& rng, float* out, int64_t max_image_pixels) {
  // The edge of the module: OpenCV and allocation failures become a Status naming the file.
  try {
    Result<RgbImage> image = read_rgb_image(path, max_image_pixels);
    if (!image.ok()) return image.status();
    return image_to_model_tensor(*image, input, augmentation, rng, out).with_context(str_cat("image '", path, "'"));
  } catch (const std::exception& e) {
    return internal_error("image '", path, "': ", e.what());
  }
}

}  // namespace gramlite::data
