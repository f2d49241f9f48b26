#include "data/synth_slide/ground_truth.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <fstream>
#include <iomanip>

namespace gramlite::data::synth_slide {

Status write_label_map(const SlideLayout& layout, const std::string& path) {
  // cv::Mat wraps the labels without copying; const_cast is safe, imwrite only reads.
  const cv::Mat labels(layout.rows, layout.cols, CV_8UC1, const_cast<uint8_t*>(layout.labels.data()));
  bool ok = false;
  try {
    ok = cv::imwrite(path, labels);
  } catch (const cv::Exception& e) {
    return io_error("cannot write label map '", path, "': ", e.what());
  }
  if (!ok) return io_error("cannot write label map '", path, "'");
  return Status::Ok();
}

Status write_regions_json(const SlideLayout& layout, const GroundTruthInfo& info, const std::string& path) {
  std::ofstream out(path);
  if (!out) return io_error("cannot create '", path, "'");
  out << std::setprecision(10);
  out << "{\n  \"format\": \"gramlite-synthetic-slide-regions/1\",\n";
  out << "  \"slide\": \"" << info.slide_file << "\",\n";
  out << "  \"width\": " << layout.slide_width << ",\n  \"height\": " << layout.slide_height << ",\n";
  out << "  \"seed\": " << info.seed << ",\n  \"microns_per_pixel\": " << info.microns_per_pixel << ",\n";
  out << "  \"tiff_tile_size\": " << info.tile_size << ",\n  \"levels\": " << info.level_count << ",\n";
  out << "  \"renderer\": \"" << info.renderer << "\",\n";
  out << "  \"label_tile_size\": " << layout.label_tile << ",\n";
  out << "  \"label_map\": {\"cols\": " << layout.cols << ", \"rows\": " << layout.rows
      << ", \"pixel\": \"one label tile; value = class index\"},\n";
  out << "  \"classes\": [";
  for (int c = 0; c < kRegionClassCount; ++c) {
    out << (c ? ", " : "") << "\"" << region_class_name(static_cast<RegionClass>(c)) << "\"";
  }
  out << "],\n  \"regions\": [";
  bool first = true;
  const cv::Mat labels(layout.rows, layout.cols, CV_8UC1, const_cast<uint8_t*>(layout.labels.data()));
  for (int c = 0; c < kRegionClassCount; ++c) {
    cv::Mat mask = labels == c;
    cv::Mat components, stats, centroids;
    const int n = cv::connectedComponentsWithStats(mask, components, stats, centroids, 4, CV_32S);
    for (int i = 1; i < n; ++i) {  // 0 is "not this class"
      const int64_t x = int64_t{stats.at<int>(i, cv::CC_STAT_LEFT)} * layout.label_tile;
      const int64_t y = int64_t{stats.at<int>(i, cv::CC_STAT_TOP)} * layout.label_tile;
      const int64_t w = std::min<int64_t>(int64_t{stats.at<int>(i, cv::CC_STAT_WIDTH)} * layout.label_tile, layout.slide_width - x);
      const int64_t h = std::min<int64_t>(int64_t{stats.at<int>(i, cv::CC_STAT_HEIGHT)} * layout.label_tile, layout.slide_height - y);
      out << (first ? "\n" : ",\n") << "    {\"class\": " << c << ", \"name\": \""
          << region_class_name(static_cast<RegionClass>(c)) << "\", \"bbox\": [" << x << ", " << y << ", " << w << ", "
          << h << "], \"cells\": " << stats.at<int>(i, cv::CC_STAT_AREA) << "}";
      first = false;
    }
  }
  out << "\n  ]\n}\n";
  out.close();
  if (!out) return io_error("cannot write '", path, "'");
  return Status::Ok();
}

}  // namespace gramlite::data::synth_slide
