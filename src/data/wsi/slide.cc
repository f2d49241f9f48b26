#include "gramlite/data/wsi/slide.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "data/wsi/image_backend.h"
#include "data/wsi/openslide_backend.h"
#include "data/wsi/strip_tiff_backend.h"

namespace gramlite::data::wsi {

// Largest region one read_region call returns: 2^28 pixels (768 MiB of RGB, plus OpenSlide's
// 1 GiB ARGB scratch). Larger reads are a caller bug, better refused than swapped.
constexpr int64_t kMaxRegionPixels = int64_t{1} << 28;

Status Slide::check_region(int level, int width, int height) const {
  if (level < 0 || level >= level_count()) {
    return invalid_argument("slide '", path(), "' has no level ", level, " (it has ", level_count(), ")");
  }
  if (width < 1 || height < 1 || int64_t{width} * height > kMaxRegionPixels) {
    return invalid_argument("region ", width, "x", height, " of slide '", path(), "' is empty or too large");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Slide>> open_slide(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return not_found("slide '", path, "' does not exist");
  if (!std::filesystem::is_regular_file(path, ec)) return not_found("slide '", path, "' is not a regular file");
  if (openslide_recognises(path)) return open_with_openslide(path);
  // A pyramid cut short is not recognised by OpenSlide; it must not pass for a plain image.
  GRAMLITE_RETURN_IF_ERROR(check_tiff_directory_chain(path));
  // Untiled TIFFs: strip by strip, rather than decoding the whole image through OpenCV.
  if (is_strip_tiff(path)) return open_strip_tiff(path);
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (is_plain_image_extension(extension)) return open_as_image(path);
  return unsupported("'", path,
                     "' is neither a whole-slide image that OpenSlide recognises (svs, ndpi, mrxs, scn, tiled "
                     "TIFF, ...) nor a plain image (png, jpg, tif, bmp); is the file complete?");
}

}  // namespace gramlite::data::wsi
