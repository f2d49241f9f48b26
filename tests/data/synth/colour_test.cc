// Rendered colours: gram-positive cells purple and gram-negative cells pink-red under every sampled
// stain style, and enough gram-variable cells that colour alone cannot separate the classes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "data/synth/field_renderer.h"
#include "gramlite/data/synth/tile_dataset_writer.h"

namespace gramlite::data::synth {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Hue in degrees [0, 360).
double hue_of(const uint8_t* rgb) {
  const double r = rgb[0], g = rgb[1], b = rgb[2];
  const double mx = std::max({r, g, b}), mn = std::min({r, g, b});
  if (mx == mn) return 0;
  double h;
  if (mx == r) h = 60 * std::fmod((g - b) / (mx - mn), 6.0);
  else if (mx == g) h = 60 * ((b - r) / (mx - mn) + 2);
  else h = 60 * ((r - g) / (mx - mn) + 4);
  return h < 0 ? h + 360 : h;
}

// Mean of a circular quantity (hue) in degrees.
double circular_mean(const std::vector<double>& degrees) {
  double s = 0, c = 0;
  for (double d : degrees) s += std::sin(d * kPi / 180), c += std::cos(d * kPi / 180);
  const double m = std::atan2(s, c) * 180 / kPi;
  return m < 0 ? m + 360 : m;
}

struct Hues {
  std::vector<double> positive, negative;
};

// Hue at the centre pixel of every bacterium that lies well inside the rendered field.
Hues measure(const FieldSpec& spec, uint64_t seed) {
  const int side = 400;
  Hues hues;
  auto image = render_field(spec, seed, 0, 0, side, side);
  auto list = objects_in_field(spec, seed, 0, 0, side, side);
  EXPECT_TRUE(image.ok() && list.ok());
  if (!image.ok() || !list.ok()) return hues;
  for (const RenderedObject& o : *list) {
    if (o.kind != ObjectKind::kCoccus && o.kind != ObjectKind::kRod) continue;
    const int px = static_cast<int>(o.x_um / spec.microns_per_pixel), py = static_cast<int>(o.y_um / spec.microns_per_pixel);
    if (px < 2 || py < 2 || px >= side - 2 || py >= side - 2) continue;
    const double h = hue_of(&image->pixels[(static_cast<size_t>(py) * side + px) * 3]);
    (o.gram_positive ? hues.positive : hues.negative).push_back(h);
  }
  return hues;
}

bool is_purple(double hue) { return hue >= 240 && hue <= 320; }
bool is_pink_red(double hue) { return hue > 320 || hue <= 20; }

TEST(Colours, GramPositivePurpleGramNegativePinkRedUnderEveryStainStyle) {
  for (uint64_t style = 0; style < 12; ++style) {
    FieldSpec spec;
    spec.organism_density = {4, 4, 6};
    spec.precipitate = 0;
    spec.decolourisation_variability = 0;  // the true reactions only
    spec.blur = 0;
    spec.noise = 0;
    spec.stain = sample_stain_style(style);
    const Hues hues = measure(spec, 100 + style);
    ASSERT_GT(hues.positive.size(), 20u);
    ASSERT_GT(hues.negative.size(), 20u);
    const double pos = circular_mean(hues.positive), neg = circular_mean(hues.negative);
    EXPECT_TRUE(is_purple(pos)) << "style " << style << ": gram-positive mean hue " << pos;
    EXPECT_TRUE(is_pink_red(neg)) << "style " << style << ": gram-negative mean hue " << neg;
    // Nearly every single cell, not just the mean.
    const auto purple = std::count_if(hues.positive.begin(), hues.positive.end(), is_purple);
    const auto pink = std::count_if(hues.negative.begin(), hues.negative.end(), is_pink_red);
    EXPECT_GE(purple, static_cast<long>(hues.positive.size() * 9 / 10)) << "style " << style;
    EXPECT_GE(pink, static_cast<long>(hues.negative.size() * 9 / 10)) << "style " << style;
  }
}

TEST(Colours, UnevenDecolourisationMakesSomeCellsLookLikeTheOtherReaction) {
  FieldSpec spec;
  spec.organism_density = {6, 6, 8};
  spec.decolourisation_variability = 0.3f;
  spec.blur = 0;
  spec.noise = 0;
  spec.stain = sample_stain_style(1);
  spec.stain.decolourisation_bias = 0;
  auto list = objects_in_field(spec, 7, 0, 0, 3000, 3000);
  ASSERT_TRUE(list.ok());
  int positives = 0, pink_positives = 0, negatives = 0, violet_negatives = 0;
  for (const RenderedObject& o : *list) {
    if (o.kind != ObjectKind::kCoccus && o.kind != ObjectKind::kRod) continue;
    if (o.gram_positive) {
      ++positives;
      pink_positives += o.gram_variable;
    } else {
      ++negatives;
      violet_negatives += o.gram_variable;
    }
  }
  // Expected rates: 0.3 and 0.15, times local factors averaging ~1.
  EXPECT_NEAR(static_cast<double>(pink_positives) / positives, 0.3, 0.12);
  EXPECT_NEAR(static_cast<double>(violet_negatives) / negatives, 0.15, 0.08);
  // And the rendered gram-variable positives are really not purple.
  spec.decolourisation_variability = 1.0f;
  spec.stain.decolourisation_bias = 0.6f;
  const Hues hues = measure(spec, 8);
  const auto purple = std::count_if(hues.positive.begin(), hues.positive.end(), is_purple);
  EXPECT_LT(purple, static_cast<long>(hues.positive.size() * 8 / 10));
}

// Share of a tile's pixels that are dark violet: the obvious colour-only feature.
double dark_violet_fraction(const RgbImage& image) {
  int64_t n = 0;
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    const uint8_t* p = &image.pixels[i];
    n += is_purple(hue_of(p)) && std::max({p[0], p[1], p[2]}) < 153;
  }
  return static_cast<double>(n) / static_cast<double>(image.pixels.size() / 3);
}

// Accuracy of the best single threshold on the feature (either direction).
double best_threshold_accuracy(const std::vector<double>& a, const std::vector<double>& b) {
  double best = 0;
  for (const auto* list : {&a, &b}) {
    for (double t : *list) {
      int correct = 0;
      for (double x : a) correct += x <= t;
      for (double x : b) correct += x > t;
      const double accuracy = static_cast<double>(correct) / static_cast<double>(a.size() + b.size());
      best = std::max({best, accuracy, 1 - accuracy});
    }
  }
  return best;
}

// The generator must not be trivially separable by colour: a threshold on the dark-violet share
// must stay well short of perfect at the default difficulty, and get worse as difficulty rises.
TEST(Colours, ColourAloneDoesNotSeparateTheClasses) {
  auto accuracies = [](float level) {
    std::vector<double> background, positive, negative;
    for (int i = 0; i < 40; ++i) {
      auto b = make_tile(TileTask::kMorphology4, 0, i, 160, Difficulty{level}, 1);
      auto p = make_tile(TileTask::kGram2, 0, i, 160, Difficulty{level}, 1);
      auto n = make_tile(TileTask::kGram2, 1, i, 160, Difficulty{level}, 1);
      EXPECT_TRUE(b.ok() && p.ok() && n.ok());
      if (!b.ok() || !p.ok() || !n.ok()) break;
      background.push_back(dark_violet_fraction(b->image));
      positive.push_back(dark_violet_fraction(p->image));
      negative.push_back(dark_violet_fraction(n->image));
    }
    return std::make_pair(best_threshold_accuracy(background, positive), best_threshold_accuracy(negative, positive));
  };
  const auto easy = accuracies(0.0f), normal = accuracies(0.5f), hard = accuracies(1.0f);
  std::printf("colour-only threshold accuracy (background vs gram+, gram- vs gram+): easy %.2f %.2f, default %.2f "
              "%.2f, hard %.2f %.2f\n",
              easy.first, easy.second, normal.first, normal.second, hard.first, hard.second);
  EXPECT_LT(normal.first, 0.96);
  EXPECT_LT(normal.second, 0.92);
  EXPECT_LT(hard.first, 0.85);
  EXPECT_LT(hard.second, 0.85);
  EXPECT_LE(hard.first, easy.first);
  EXPECT_LE(hard.second, easy.second);
}

TEST(Colours, StainStylesDifferBetweenSlides) {
  const StainStyle a = sample_stain_style(1), b = sample_stain_style(2);
  EXPECT_NE(a.crystal_violet_intensity, b.crystal_violet_intensity);
  EXPECT_NE(a.background_protein, b.background_protein);
  const StainStyle again = sample_stain_style(1);
  EXPECT_EQ(a.crystal_violet_od, again.crystal_violet_od);
  EXPECT_EQ(a.illumination, again.illumination);
}

}  // namespace
}  // namespace gramlite::data::synth
