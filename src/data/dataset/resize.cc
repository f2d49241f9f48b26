#include "gramlite/data/dataset/resize.h"

#include <opencv2/imgproc.hpp>

#include "data/dataset/opencv_view.h"

namespace gramlite::data {
namespace {

// The interpolation image_to_tensor uses: area when shrinking (no aliasing), bilinear otherwise.
void resize_into(const cv::Mat& src, cv::Mat& dst, int width, int height) {
  const bool shrinking = width < src.cols || height < src.rows;
  cv::resize(src, dst, cv::Size(width, height), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
}

}  // namespace

Result<RgbImage> crop_and_resize(const RgbImage& image, const CropBox& box, int width, int height) {
  GRAMLITE_RETURN_IF_ERROR(check_rgb_image(image));
  if (width < 1 || height < 1) return invalid_argument("target size must be positive");
  if (box.width < 1 || box.height < 1 || box.x < 0 || box.y < 0 || box.x + box.width > image.width ||
      box.y + box.height > image.height) {
    return invalid_argument("crop box ", box.width, "x", box.height, "+", box.x, "+", box.y, " is outside the ",
                            image.width, "x", image.height, " image");
  }
  try {
    const cv::Mat region = internal::mat_view(image)(cv::Rect(box.x, box.y, box.width, box.height));
    RgbImage out = internal::make_image(width, height);
    cv::Mat resized;
    resize_into(region, resized, width, height);
    resized.copyTo(internal::mat_view(out));
    return out;
  } catch (const cv::Exception& e) {
    return internal_error("cropping and resizing: ", e.what());
  }
}

}  // namespace gramlite::data
