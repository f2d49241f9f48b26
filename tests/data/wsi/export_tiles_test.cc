#include "data/wsi/export_tiles.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <vector>

#include "test_slides.h"

namespace gramlite::data::wsi {
namespace {

namespace fs = std::filesystem;

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    rows.push_back(cells);
  }
  return rows;
}

TEST(ExportTiles, WritesKeptTilesAndACsvOfTheWholeGrid) {
  const std::string parent = testing::make_temp_dir("export");
  const std::string out = parent + "/tiles";
  ExportOptions options;
  options.tiling.microns_per_pixel = 0.5;
  options.tiling.tile_size = 224;
  options.tiling.threads = 2;
  auto summary = export_tiles(testing::synthetic_slide_path(), out, options);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->tiling.grid.cols, 9);  // 2048 / 224
  EXPECT_EQ(summary->tiling.grid.rows, 6);  // 1536 / 224
  EXPECT_EQ(summary->tiles_written, summary->tiling.tiles_kept);
  const auto rows = read_csv(summary->csv_path);
  ASSERT_EQ(rows.size(), 1u + 54);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"file", "x", "y", "width", "height", "level", "mpp", "tissue_fraction", "kept"}));
  int64_t pngs = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 9u);
    const int64_t index = static_cast<int64_t>(i - 1);
    EXPECT_EQ(std::stoll(rows[i][1]), (index % 9) * 448);
    EXPECT_EQ(std::stoll(rows[i][2]), (index / 9) * 448);
    EXPECT_EQ(rows[i][3], "448");
    EXPECT_EQ(rows[i][5], "1");
    EXPECT_EQ(rows[i][6], "0.5");
    EXPECT_EQ(rows[i][8] == "1", !rows[i][0].empty());
    if (!rows[i][0].empty()) {
      EXPECT_EQ(rows[i][0], "tile_x" + rows[i][1] + "_y" + rows[i][2] + ".png");
      const cv::Mat png = cv::imread(out + "/" + rows[i][0]);
      ASSERT_FALSE(png.empty()) << rows[i][0];
      EXPECT_EQ(png.cols, 224);
      EXPECT_EQ(png.rows, 224);
      ++pngs;
    }
  }
  EXPECT_EQ(pngs, summary->tiles_written);
  EXPECT_GT(pngs, 5);
  int64_t files = 0;
  for (const auto& entry : fs::directory_iterator(out)) files += entry.is_regular_file();
  EXPECT_EQ(files, pngs + 1);
  // Only the output folder is left in the parent: the temporary one was renamed.
  int64_t siblings = 0;
  for (const auto& entry : fs::directory_iterator(parent)) siblings += entry.exists();
  EXPECT_EQ(siblings, 1);

  // A non-empty output folder is refused; a missing slide leaves nothing behind.
  EXPECT_EQ(export_tiles(testing::synthetic_slide_path(), out, options).status().code(), StatusCode::kInvalidArgument);
  const auto missing = export_tiles(parent + "/none.svs", parent + "/other", options);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(parent + "/other"));
}

}  // namespace
}  // namespace gramlite::data::wsi
