#include "data/synth/field_renderer.h"

#include <cmath>

#include "data/synth/dye_planes.h"
#include "data/synth/optics.h"
#include "data/synth/synth_random.h"

namespace gramlite::data::synth {
namespace {

constexpr int64_t kMaxOrigin = int64_t{1} << 40;
constexpr int64_t kJpegBlock = 16;  // a 4:2:0 MCU
constexpr double kCameraFrameUm = 128.0;

int64_t floor_to(int64_t v, int64_t m) { return (v >= 0 ? v / m : -((-v + m - 1) / m)) * m; }

}  // namespace

Result<RgbImage> render_field(const FieldSpec& spec, uint64_t seed, int64_t origin_x, int64_t origin_y, int width,
                              int height) {
  GRAMLITE_RETURN_IF_ERROR(validate_field_spec(spec));
  if (width < 1 || height < 1 || width > kMaxFieldSide || height > kMaxFieldSide) {
    return invalid_argument("render_field: size ", width, "x", height, " is outside 1..", kMaxFieldSide);
  }
  if (origin_x <= -kMaxOrigin || origin_x >= kMaxOrigin || origin_y <= -kMaxOrigin || origin_y >= kMaxOrigin) {
    return invalid_argument("render_field: origin (", origin_x, ", ", origin_y, ") is outside +-2^40");
  }
  const double mpp = spec.microns_per_pixel;

  // Region after exposure: the tile, or for JPEG the tile grown to the global 16-px grid plus one
  // MCU of margin (chroma upsampling reads neighbouring blocks).
  int64_t ex0 = origin_x, ey0 = origin_y, ex1 = origin_x + width, ey1 = origin_y + height;
  if (spec.jpeg_quality > 0) {
    ex0 = floor_to(ex0, kJpegBlock) - kJpegBlock;
    ey0 = floor_to(ey0, kJpegBlock) - kJpegBlock;
    ex1 = floor_to(ex1 + kJpegBlock - 1, kJpegBlock) + kJpegBlock;
    ey1 = floor_to(ey1 + kJpegBlock - 1, kJpegBlock) + kJpegBlock;
  }
  // Region of the specimen: the exposed region plus the blur kernel's reach.
  const float sigma_px = static_cast<float>(spec.blur / mpp);
  const int radius = internal::blur_radius(sigma_px);
  const int64_t rx0 = ex0 - radius, ry0 = ey0 - radius;
  const int rw = static_cast<int>(ex1 - ex0) + 2 * radius, rh = static_cast<int>(ey1 - ey0) + 2 * radius;

  GRAMLITE_ASSIGN_OR_RETURN(const std::vector<RenderedObject> objects,
                            objects_in_field(spec, seed, rx0, ry0, rw, rh));
  internal::DyePlanes planes(rx0, ry0, rw, rh, mpp);
  internal::paint_background(spec, seed, planes);
  for (const RenderedObject& object : objects) internal::paint_object(object, planes);

  // Beer-Lambert: transmitted light per channel.
  const StainStyle& stain = spec.stain;
  std::vector<float> light(static_cast<size_t>(rw) * rh * 3);
  for (size_t k = 0; k < planes.safranin.size(); ++k) {
    const float cv = planes.crystal_violet[k], saf = planes.safranin[k], neutral = planes.neutral[k];
    for (int c = 0; c < 3; ++c) {
      const float od = cv * stain.crystal_violet_od[c] + saf * stain.safranin_od[c] + neutral * stain.neutral_od[c];
      light[k * 3 + c] = stain.illumination[c] * std::exp(-od);
    }
  }
  const std::vector<float> blurred = internal::gaussian_blur_valid(light, rw, rh, sigma_px, radius);

  internal::CameraModel camera;
  camera.vignetting = spec.vignetting;
  camera.frame_px = std::max<int64_t>(64, std::llround(kCameraFrameUm / mpp));
  camera.noise = spec.noise;
  camera.noise_seed = hash_of(seed, 0x5E45ull);
  const int ew = static_cast<int>(ex1 - ex0), eh = static_cast<int>(ey1 - ey0);
  std::vector<uint8_t> exposed = internal::expose(blurred, ex0, ey0, ew, eh, camera);
  if (spec.jpeg_quality > 0) {
    GRAMLITE_RETURN_IF_ERROR(internal::jpeg_round_trip(exposed, ew, eh, spec.jpeg_quality));
  }

  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  const int64_t dx = origin_x - ex0, dy = origin_y - ey0;
  for (int y = 0; y < height; ++y) {
    const uint8_t* src = &exposed[(static_cast<size_t>(y + dy) * ew + static_cast<size_t>(dx)) * 3];
    std::copy(src, src + static_cast<size_t>(width) * 3, &image.pixels[static_cast<size_t>(y) * width * 3]);
  }
  return image;
}

}  // namespace gramlite::data::synth
