#include "gramlite/data/dataset/augmentation.h"

#include <cmath>
#include <cstdlib>

#include "test_images.h"

namespace gramlite::data {
namespace {

using testing::random_image;

const uint8_t* pixel(const RgbImage& image, int x, int y) {
  return &image.pixels[(static_cast<size_t>(y) * image.width + x) * 3];
}

double variance(const RgbImage& image) {
  double sum = 0, sum_sq = 0;
  for (uint8_t v : image.pixels) {
    sum += v;
    sum_sq += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(image.pixels.size());
  return sum_sq / n - (sum / n) * (sum / n);
}

TEST(AugmentationTest, FlipsAreExactMirrors) {
  const RgbImage image = random_image(7, 5);
  const RgbImage h = flip_horizontal(image);
  const RgbImage v = flip_vertical(image);
  for (int y = 0; y < 5; ++y) {
    for (int x = 0; x < 7; ++x) {
      for (int c = 0; c < 3; ++c) {
        ASSERT_EQ(pixel(h, x, y)[c], pixel(image, 6 - x, y)[c]);
        ASSERT_EQ(pixel(v, x, y)[c], pixel(image, x, 4 - y)[c]);
      }
    }
  }
  EXPECT_EQ(flip_horizontal(h).pixels, image.pixels);
}

TEST(AugmentationTest, QuarterTurnsMovePixelsAndFourAreIdentity) {
  const RgbImage image = random_image(6, 4);
  const RgbImage once = rotate90(image, 1);
  ASSERT_EQ(once.width, 4);
  ASSERT_EQ(once.height, 6);
  // Counter-clockwise: the top-right corner becomes the top-left.
  for (int c = 0; c < 3; ++c) EXPECT_EQ(pixel(once, 0, 0)[c], pixel(image, 5, 0)[c]);
  EXPECT_NE(once.pixels, image.pixels);
  RgbImage turned = image;
  for (int i = 0; i < 4; ++i) turned = rotate90(turned, 1);
  EXPECT_EQ(turned.pixels, image.pixels);
  EXPECT_EQ(rotate90(image, 2).pixels, flip_vertical(flip_horizontal(image)).pixels);
  EXPECT_EQ(rotate90(image, -1).pixels, rotate90(image, 3).pixels);
}

TEST(AugmentationTest, StainJitterWithoutChangeIsIdentityUpToRounding) {
  RgbImage image = random_image(32, 32, 5);
  const RgbImage original = image;
  apply_stain_factors(image, StainFactors{});
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    ASSERT_LE(std::abs(image.pixels[i] - original.pixels[i]), 1) << i;
  }
}

TEST(AugmentationTest, StainJitterMovesEachDyeAlongItsOwnVector) {
  // A pixel of pure crystal violet at concentration 1 (OD = the unit vector, log10).
  const auto cv = crystal_violet_od_vector();
  RgbImage purple;
  purple.width = purple.height = 1;
  for (int c = 0; c < 3; ++c) purple.pixels.push_back(static_cast<uint8_t>(std::lround(256 * std::pow(10.0, -cv[c]) - 1)));
  const auto before = stain_concentrations(purple.pixels[0], purple.pixels[1], purple.pixels[2]);
  EXPECT_NEAR(before[0], 1.0f, 0.02f);
  EXPECT_NEAR(before[1], 0.0f, 0.02f);
  StainFactors more_violet;
  more_violet.scale = {1.5f, 1.0f};
  const int sum_before = purple.pixels[0] + purple.pixels[1] + purple.pixels[2];
  apply_stain_factors(purple, more_violet);
  const auto after = stain_concentrations(purple.pixels[0], purple.pixels[1], purple.pixels[2]);
  EXPECT_NEAR(after[0], 1.5f, 0.05f);
  EXPECT_NEAR(after[1], 0.0f, 0.05f);
  EXPECT_LT(purple.pixels[0] + purple.pixels[1] + purple.pixels[2], sum_before);

  // More safranin leaves the violet amount alone.
  RgbImage mixed = purple;
  StainFactors more_safranin;
  more_safranin.shift = {0.0f, 0.3f};
  apply_stain_factors(mixed, more_safranin);
  const auto shifted = stain_concentrations(mixed.pixels[0], mixed.pixels[1], mixed.pixels[2]);
  EXPECT_NEAR(shifted[0], after[0], 0.05f);
  EXPECT_NEAR(shifted[1], after[1] + 0.3f, 0.05f);
}

TEST(AugmentationTest, BlurReducesVarianceAndBrightnessContrastChangePixels) {
  RgbImage image = random_image(40, 40, 9);
  const double before = variance(image);
  ASSERT_TRUE(gaussian_blur(image, 1.0).ok());
  EXPECT_LT(variance(image), before * 0.5);
  EXPECT_FALSE(gaussian_blur(image, 0.0).ok());

  RgbImage lit = random_image(16, 16, 2);
  const RgbImage original = lit;
  adjust_brightness_contrast(lit, 1.0, 1.0);
  EXPECT_EQ(lit.pixels, original.pixels);
  adjust_brightness_contrast(lit, 1.0, 0.5);
  EXPECT_LT(variance(lit), variance(original));
}

TEST(AugmentationTest, RandomCropBoxesStayInsideWithinTheScaleRange) {
  RandomResizedCropOptions options;
  SampleRng rng(4);
  for (int i = 0; i < 200; ++i) {
    const CropBox box = random_crop_box(300, 200, options, rng);
    ASSERT_GE(box.x, 0);
    ASSERT_GE(box.y, 0);
    ASSERT_LE(box.x + box.width, 300);
    ASSERT_LE(box.y + box.height, 200);
    const double area = static_cast<double>(box.width) * box.height / (300.0 * 200.0);
    ASSERT_GE(area, options.min_scale * 0.95);
  }
}

// One option at a time with probability 1: deterministic per seed and it changes the pixels.
TEST(AugmentationTest, EachTransformIsDeterministicBySeedAndChangesPixels) {
  const RgbImage image = random_image(48, 48, 11);
  std::vector<std::pair<const char*, AugmentationOptions>> cases;
  auto add = [&](const char* name, auto set) {
    AugmentationOptions o = AugmentationOptions::none();
    set(o);
    cases.emplace_back(name, o);
  };
  add("hflip", [](AugmentationOptions& o) { o.horizontal_flip = 1; });
  add("vflip", [](AugmentationOptions& o) { o.vertical_flip = 1; });
  add("rot90", [](AugmentationOptions& o) { o.rotate90 = 1; });
  add("crop", [](AugmentationOptions& o) { o.random_resized_crop.probability = 1; });
  add("stain", [](AugmentationOptions& o) { o.stain_jitter.probability = 1; o.stain_jitter.shift = 0.2; });
  add("colour", [](AugmentationOptions& o) { o.brightness_contrast.probability = 1; o.brightness_contrast.brightness = 0.5; });
  add("blur", [](AugmentationOptions& o) { o.gaussian_blur.probability = 1; });
  add("default", [](AugmentationOptions& o) { o = AugmentationOptions{}; });
  for (const auto& [name, options] : cases) {
    ASSERT_TRUE(options.validate().ok()) << name;
    SampleRng a = SampleRng::for_sample(42, 3, 17), b = SampleRng::for_sample(42, 3, 17);
    auto first = augment_to_size(image, options, ir::ResizeMode::kStretch, 32, 32, a);
    auto second = augment_to_size(image, options, ir::ResizeMode::kStretch, 32, 32, b);
    ASSERT_TRUE(first.ok() && second.ok()) << name;
    EXPECT_EQ(first->pixels, second->pixels) << name;
    SampleRng plain_rng(0);
    auto plain = augment_to_size(image, AugmentationOptions::none(), ir::ResizeMode::kStretch, 32, 32, plain_rng);
    ASSERT_TRUE(plain.ok());
    EXPECT_NE(first->pixels, plain->pixels) << name << " did not change the image";
    // Another sample index draws differently (across a few, since a flip is a coin toss per draw).
    bool differs = false;
    for (int other = 0; other < 8 && !differs; ++other) {
      SampleRng c = SampleRng::for_sample(42, 3, 100 + other);
      auto third = augment_to_size(image, options, ir::ResizeMode::kStretch, 32, 32, c);
      differs = third->pixels != first->pixels;
    }
    if (std::string(name) != "hflip" && std::string(name) != "vflip") {
      EXPECT_TRUE(differs) << name;
    }
  }
}

TEST(AugmentationTest, NonSquareTargetsKeepTheirShapeUnderRotation) {
  AugmentationOptions options = AugmentationOptions::none();
  options.rotate90 = 1;
  SampleRng rng(1);
  auto out = augment_to_size(random_image(50, 30), options, ir::ResizeMode::kStretch, 40, 20, rng);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->width, 40);
  EXPECT_EQ(out->height, 20);
}

TEST(AugmentationTest, ValidateNamesTheBadField) {
  AugmentationOptions options;
  options.gaussian_blur.probability = 1.5;
  const Status status = options.validate();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("gaussian_blur"), std::string::npos);
  EXPECT_FALSE(AugmentationOptions::none().any());
  EXPECT_TRUE(AugmentationOptions{}.any());
}

TEST(SampleRngTest, StreamsDependOnSeedEpochAndIndexOnly) {
  EXPECT_EQ(SampleRng::for_sample(1, 2, 3).next_u64(), SampleRng::for_sample(1, 2, 3).next_u64());
  EXPECT_NE(SampleRng::for_sample(1, 2, 3).next_u64(), SampleRng::for_sample(1, 2, 4).next_u64());
  EXPECT_NE(SampleRng::for_sample(1, 2, 3).next_u64(), SampleRng::for_sample(1, 3, 3).next_u64());
  EXPECT_NE(SampleRng::for_sample(1, 2, 3).next_u64(), SampleRng::for_sample(2, 2, 3).next_u64());
  SampleRng rng(7);
  for (int i = 0; i < 1000; ++i) {
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

}  // namespace
}  // namespace gramlite::data
