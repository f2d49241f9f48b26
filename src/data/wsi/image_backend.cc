#include "data/wsi/image_backend.h"

#include <algorithm>
#include <cstring>

namespace gramlite::data::wsi {
namespace {

class ImageSlide final : public Slide {
 public:
  ImageSlide(SlideInfo info, RgbImage image) : Slide(std::move(info)), image_(std::move(image)) {}

  Result<RgbImage> read_region(int level, int64_t x0, int64_t y0, int width, int height) const override {
    GRAMLITE_RETURN_IF_ERROR(check_region(level, width, height));
    RgbImage out;
    out.width = width;
    out.height = height;
    out.pixels.assign(static_cast<size_t>(width) * height * 3, 255);  // outside the image: white
    const int64_t left = std::max<int64_t>(x0, 0), right = std::min<int64_t>(x0 + width, image_.width);
    const int64_t top = std::max<int64_t>(y0, 0), bottom = std::min<int64_t>(y0 + height, image_.height);
    for (int64_t y = top; y < bottom && left < right; ++y) {
      std::memcpy(out.pixels.data() + (static_cast<size_t>(y - y0) * width + (left - x0)) * 3,
                  image_.pixels.data() + (static_cast<size_t>(y) * image_.width + left) * 3,
                  static_cast<size_t>(right - left) * 3);
    }
    return out;
  }

 private:
  RgbImage image_;
};

}  // namespace

bool is_plain_image_extension(const std::string& extension) {
  for (const char* known : {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".jp2", ".pnm", ".ppm"}) {
    if (extension == known) return true;
  }
  return false;
}

Result<std::unique_ptr<Slide>> open_as_image(const std::string& path) {
  // A plain image opened as a slide may be far larger than a classification input; OpenCV's own
  // bound (2^30 pixels) applies instead of kDefaultMaxImagePixels.
  GRAMLITE_ASSIGN_OR_RETURN(RgbImage image, read_rgb_image(path, int64_t{1} << 30));
  SlideInfo info;
  info.path = path;
  info.vendor = "image";
  info.levels.push_back({image.width, image.height, 1.0});
  // Plain images carry no trustworthy physical size (PNG pHYs and JPEG density are mostly
  // screen DPI), so mpp stays unknown and the tiler works at level 0.
  return std::unique_ptr<Slide>(new ImageSlide(std::move(info), std::move(image)));
}

}  // namespace gramlite::data::wsi
