#include "gramlite/data/synth_slide/synthetic_slide.h"

#include <gtest/gtest.h>
#include <openslide.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "data/synth_slide/pyramid_tiff_writer.h"
#include "data/synth_slide/slide_layout.h"

namespace gramlite::data::synth_slide {
namespace {

namespace fs = std::filesystem;

class SyntheticSlideTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gramlite_synth_slide_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST(PyramidLevels, HalveUntilBelow1024) {
  EXPECT_EQ(pyramid_level_count(4096, 3072, 1024), 4);  // 4096, 2048, 1024, 512
  EXPECT_EQ(pyramid_level_count(1023, 500, 1024), 1);
  EXPECT_EQ(pyramid_level_count(50000, 50000, 1024), 7);  // ... 1563, 782
}

TEST(SlideLayout, SameSeedSameLayoutWithGlassAndOrganisms) {
  const SlideLayout a = make_slide_layout(20000, 15000, 224, 7);
  const SlideLayout b = make_slide_layout(20000, 15000, 224, 7);
  const SlideLayout c = make_slide_layout(20000, 15000, 224, 8);
  EXPECT_EQ(a.cols, 90);
  EXPECT_EQ(a.rows, 67);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_NE(a.labels, c.labels);
  std::set<int> classes(a.labels.begin(), a.labels.end());
  EXPECT_TRUE(classes.count(0));      // glass outside the smear
  EXPECT_GE(classes.size(), 3u);      // and at least two organism classes
  // The border is glass: the smear never reaches the slide's corners.
  EXPECT_EQ(a.at(0, 0), RegionClass::kEmptyGlass);
  EXPECT_EQ(a.at(a.cols - 1, a.rows - 1), RegionClass::kEmptyGlass);
}

TEST_F(SyntheticSlideTest, FourLevelSlideOpensInOpenSlideWithMppAndGroundTruth) {
  SyntheticSlideOptions options;
  options.output_path = path("slide.tiff");
  options.width = 4096;
  options.height = 3072;
  options.seed = 3;
  options.microns_per_pixel = 0.25;
  options.tile_size = 256;
  const auto start = std::chrono::steady_clock::now();
  ThreadPool pool(2);
  auto files = write_synthetic_slide(options, &pool);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(files.ok()) << files.status().message();
  std::cout << "4096x3072 synthetic slide written in " << seconds << " s, renderer " << files->renderer << "\n";
  EXPECT_EQ(files->level_count, 4);

  openslide_t* osr = openslide_open(files->slide_path.c_str());
  ASSERT_NE(osr, nullptr);
  ASSERT_EQ(openslide_get_error(osr), nullptr) << openslide_get_error(osr);
  EXPECT_STREQ(openslide_get_property_value(osr, "openslide.vendor"), "aperio");
  ASSERT_EQ(openslide_get_level_count(osr), 4);
  const int64_t expected[4][2] = {{4096, 3072}, {2048, 1536}, {1024, 768}, {512, 384}};
  for (int level = 0; level < 4; ++level) {
    int64_t w = 0, h = 0;
    openslide_get_level_dimensions(osr, level, &w, &h);
    EXPECT_EQ(w, expected[level][0]);
    EXPECT_EQ(h, expected[level][1]);
    EXPECT_NEAR(openslide_get_level_downsample(osr, level), 1 << level, 1e-6);
  }
  // The scale twice: TIFF resolution tags (pixels per centimetre = 10^4 / mpp) for TIFF readers,
  // and the Aperio description convention, from which every OpenSlide (3.4 included) reports
  // openslide.mpp-x/y and the objective power.
  ASSERT_NE(openslide_get_property_value(osr, "tiff.ResolutionUnit"), nullptr);
  EXPECT_STREQ(openslide_get_property_value(osr, "tiff.ResolutionUnit"), "centimeter");
  EXPECT_NEAR(std::atof(openslide_get_property_value(osr, "tiff.XResolution")), 1e4 / 0.25, 1e-2);
  EXPECT_NEAR(std::atof(openslide_get_property_value(osr, "tiff.YResolution")), 1e4 / 0.25, 1e-2);
  for (const char* name : {OPENSLIDE_PROPERTY_NAME_MPP_X, OPENSLIDE_PROPERTY_NAME_MPP_Y}) {
    const char* mpp = openslide_get_property_value(osr, name);
    ASSERT_NE(mpp, nullptr) << name;
    EXPECT_NEAR(std::atof(mpp), 0.25, 1e-4) << name;
  }
  ASSERT_NE(openslide_get_property_value(osr, OPENSLIDE_PROPERTY_NAME_OBJECTIVE_POWER), nullptr);
  EXPECT_STREQ(openslide_get_property_value(osr, OPENSLIDE_PROPERTY_NAME_OBJECTIVE_POWER), "100");
  // A read at every level succeeds and the smear's centre is not glass-white.
  for (int level = 0; level < 4; ++level) {
    uint32_t pixel[16];
    openslide_read_region(osr, pixel, 2048, 1536, level, 4, 4);
    EXPECT_EQ(openslide_get_error(osr), nullptr);
    EXPECT_EQ(pixel[0] >> 24, 255u);
  }
  openslide_close(osr);

  const cv::Mat labels = cv::imread(files->label_map_path, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(labels.empty());
  EXPECT_EQ(labels.type(), CV_8UC1);
  EXPECT_EQ(labels.cols, 19);  // ceil(4096 / 224)
  EXPECT_EQ(labels.rows, 14);  // ceil(3072 / 224)
  double lo = 0, hi = 0;
  cv::minMaxLoc(labels, &lo, &hi);
  EXPECT_EQ(lo, 0);
  EXPECT_LE(hi, 4);
  EXPECT_EQ(labels.at<uint8_t>(0, 0), 0);
  const SlideLayout layout = make_slide_layout(4096, 3072, 224, 3);
  EXPECT_TRUE(std::equal(layout.labels.begin(), layout.labels.end(), labels.data));

  std::ifstream regions(files->regions_path);
  std::stringstream json;
  json << regions.rdbuf();
  EXPECT_NE(json.str().find("\"classes\": [\"empty_glass\", \"gram_positive_cocci_clusters\""), std::string::npos);
  EXPECT_NE(json.str().find("\"label_tile_size\": 224"), std::string::npos);
  EXPECT_NE(json.str().find("\"bbox\""), std::string::npos);
  EXPECT_NE(json.str().find("\"seed\": 3"), std::string::npos);

  // Only the three outputs are left: no temporary files or level side files.
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 3);
}

TEST_F(SyntheticSlideTest, OddSizesAnd512TilesRoundTrip) {
  SyntheticSlideOptions options;
  options.output_path = path("odd.tiff");
  options.width = 2500;
  options.height = 1333;
  options.tile_size = 512;
  options.label_tile_size = 100;
  ThreadPool pool(2);
  auto files = write_synthetic_slide(options, &pool);
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(files->level_count, 3);  // 2500, 1250, 625
  openslide_t* osr = openslide_open(files->slide_path.c_str());
  ASSERT_NE(osr, nullptr);
  ASSERT_EQ(openslide_get_error(osr), nullptr);
  int64_t w = 0, h = 0;
  openslide_get_level_dimensions(osr, 2, &w, &h);
  EXPECT_EQ(w, 625);
  EXPECT_EQ(h, 334);
  openslide_close(osr);
}

TEST_F(SyntheticSlideTest, BadOptionsAreRefusedWithoutOutput) {
  SyntheticSlideOptions options;
  options.output_path = path("bad.tiff");
  options.width = 0;
  EXPECT_EQ(write_synthetic_slide(options).status().code(), StatusCode::kInvalidArgument);
  options.width = 1000;
  options.height = 1000;
  options.tile_size = 100;  // not a multiple of 16
  EXPECT_FALSE(write_synthetic_slide(options).ok());
  options.tile_size = 256;
  options.output_path = path("missing_dir/slide.tiff");
  const auto result = write_synthetic_slide(options);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("missing_dir"), std::string::npos) << result.status().message();
  EXPECT_TRUE(fs::is_empty(dir_));
}

// Sizes no TIFF or memory can hold are refused up front with a clear error, not a std::bad_alloc
// (which used to abort the process) or an int overflow of the label grid.
TEST_F(SyntheticSlideTest, ImpossibleSizesAreRefusedNotCrashed) {
  SyntheticSlideOptions options;
  options.output_path = path("huge.tiff");
  for (const auto& [width, height, label_tile] :
       {std::tuple<int64_t, int64_t, int>{100000000000, 100000000000, 224},  // beyond TIFF's 2^32
        std::tuple<int64_t, int64_t, int>{4000000000, 16, 224},             // one band of rows: terabytes
        std::tuple<int64_t, int64_t, int>{200000, 200000, 1}}) {            // 4e10 label cells
    options.width = width;
    options.height = height;
    options.label_tile_size = label_tile;
    const auto result = write_synthetic_slide(options);
    ASSERT_FALSE(result.ok()) << width << "x" << height;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << result.status().message();
    EXPECT_NE(result.status().message().find("huge.tiff"), std::string::npos) << result.status().message();
  }
  EXPECT_TRUE(fs::is_empty(dir_));
}

// An output path that is an existing folder fails before anything is written: no ground truth
// is left next to a slide that was never renamed into place.
TEST_F(SyntheticSlideTest, OutputPathThatIsAFolderIsRefusedWithoutLeftovers) {
  fs::create_directories(path("taken.tiff"));
  SyntheticSlideOptions options;
  options.output_path = path("taken.tiff");
  options.width = 300;
  options.height = 200;
  const auto result = write_synthetic_slide(options);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("taken.tiff"), std::string::npos) << result.status().message();
  EXPECT_FALSE(fs::exists(path("taken.labels.png")));
  EXPECT_FALSE(fs::exists(path("taken.regions.json")));
  EXPECT_TRUE(fs::is_empty(path("taken.tiff")));
}

}  // namespace
}  // namespace gramlite::data::synth_slide
