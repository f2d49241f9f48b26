#include "gramlite/data/wsi/export_tiles.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
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
  ThreadPool pool(2);
  auto summary = export_tiles(testing::synthetic_slide_path(), out, options, &pool);
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

// Outputs that cannot be right fail with an error that says why, before anything is written:
// an existing file (the slide itself included) is "not a folder", not "not empty"; a grid with no
// tile in it (slide smaller than one tile) is an error, not an empty folder and exit code 0.
TEST(ExportTiles, RefusesAFileAsOutputAndAGridWithoutTiles) {
  const std::string parent = testing::make_temp_dir("export_refusals");
  const std::string file = parent + "/notes.txt";
  std::ofstream(file) << "keep me";
  ExportOptions options;
  options.tiling.tile_size = 256;
  auto result = export_tiles(testing::synthetic_slide_path(), file, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("not a folder"), std::string::npos) << result.status().message();
  std::ifstream in(file);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "keep me");

  options.tiling.tile_size = 4096;  // the test slide is 2048 x 1536
  result = export_tiles(testing::synthetic_slide_path(), parent + "/none", options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("4096"), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("pad"), std::string::npos) << result.status().message();
  EXPECT_FALSE(fs::exists(parent + "/none"));
  int64_t entries = 0;
  for (const auto& entry : fs::directory_iterator(parent)) entries += entry.exists();
  EXPECT_EQ(entries, 1);  // notes.txt only: no temporary folder left
  // Padding the edges gives the one partial tile.
  options.tiling.edge_tiles = EdgeTiles::kPadWhite;
  options.tiling.reject_background = false;
  result = export_tiles(testing::synthetic_slide_path(), parent + "/padded", options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->tiling.tiles_total, 1);
}

// "out/" (a trailing slash, as shell completion writes folders) names the folder "out": the
// temporary folder is its sibling, not a child that the final rename cannot move onto its parent.
TEST(ExportTiles, OutputFolderWithATrailingSlash) {
  const std::string parent = testing::make_temp_dir("export_slash");
  ExportOptions options;
  options.tiling.tile_size = 512;
  options.tiling.reject_background = false;
  for (const std::string name : {"new", "existing"}) {
    if (name == "existing") fs::create_directories(parent + "/" + name);
    const auto summary = export_tiles(testing::synthetic_slide_path(), parent + "/" + name + "/", options);
    ASSERT_TRUE(summary.ok()) << name << ": " << summary.status().message();
    EXPECT_TRUE(fs::is_regular_file(parent + "/" + name + "/tiles.csv"));
    EXPECT_GT(summary->tiles_written, 0);
    EXPECT_EQ(summary->tiles_written, summary->tiling.tiles_total);
    int64_t entries = 0;
    for (const auto& entry : fs::directory_iterator(parent + "/" + name)) entries += entry.exists();
    EXPECT_EQ(entries, summary->tiles_written + 1) << "the PNGs and tiles.csv, no temporary folder";
  }
}

}  // namespace
}  // namespace gramlite::data::wsi
