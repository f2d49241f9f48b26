// render_field: determinism, seamless tiling, argument errors.
#include <gtest/gtest.h>

#include "data/synth/field_renderer.h"

namespace gramlite::data::synth {
namespace {

// Everything switched on, so seams from any stage (blur, noise, vignetting, JPEG) would show.
FieldSpec busy_spec(int jpeg_quality) {
  FieldSpec spec;
  spec.organism_density = {4.0f, 4.0f, 6.0f};
  spec.background_density = 0.5f;
  spec.debris = 2.0f;
  spec.precipitate = 6.0f;
  spec.precipitate_mimicry = 0.5f;
  spec.decolourisation_variability = 0.3f;
  spec.blur = 0.25f;
  spec.vignetting = 0.3f;
  spec.noise = 0.02f;
  spec.jpeg_quality = jpeg_quality;
  spec.stain = sample_stain_style(11);
  return spec;
}

TEST(RenderField, SameSeedSameBytesDifferentSeedDifferent) {
  const FieldSpec spec = busy_spec(80);
  auto a = render_field(spec, 5, 100, 200, 96, 64);
  auto b = render_field(spec, 5, 100, 200, 96, 64);
  auto c = render_field(spec, 6, 100, 200, 96, 64);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok() && c.ok());
  EXPECT_EQ(a->width, 96);
  EXPECT_EQ(a->height, 64);
  EXPECT_EQ(a->pixels.size(), 96u * 64u * 3u);
  EXPECT_EQ(a->pixels, b->pixels);
  EXPECT_NE(a->pixels, c->pixels);
}

void expect_seamless(const FieldSpec& spec, int64_t x0, int64_t y0) {
  const int tile = 83;  // odd, and not a multiple of the 16-px JPEG grid
  auto whole = render_field(spec, 42, x0, y0, 2 * tile, 2 * tile);
  ASSERT_TRUE(whole.ok()) << whole.status().message();
  int64_t differing = 0;
  for (int ty = 0; ty < 2; ++ty) {
    for (int tx = 0; tx < 2; ++tx) {
      auto part = render_field(spec, 42, x0 + tx * tile, y0 + ty * tile, tile, tile);
      ASSERT_TRUE(part.ok()) << part.status().message();
      for (int y = 0; y < tile; ++y) {
        for (int x = 0; x < tile * 3; ++x) {
          const uint8_t expected = whole->pixels[((ty * tile + y) * 2 * tile + tx * tile) * 3 + x];
          differing += part->pixels[(y * tile) * 3 + x] != expected;
        }
      }
    }
  }
  EXPECT_EQ(differing, 0) << "tiles differ from the field rendered whole";
}

TEST(RenderField, TilesJoinSeamlessly) { expect_seamless(busy_spec(0), 1003, -517); }
TEST(RenderField, TilesJoinSeamlesslyWithJpegArtefacts) { expect_seamless(busy_spec(70), -2001, 3333); }

TEST(RenderField, CameraFrameBoundaryIsStillTileIndependent) {
  // 1280 px is the camera frame at 0.1 um/px: straddle it.
  expect_seamless(busy_spec(0), 1280 - 83, 1280 - 40);
}

TEST(RenderField, RejectsBadArguments) {
  FieldSpec spec = busy_spec(0);
  EXPECT_EQ(render_field(spec, 1, 0, 0, 0, 10).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(render_field(spec, 1, 0, 0, 10, kMaxFieldSide + 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(render_field(spec, 1, int64_t{1} << 41, 0, 10, 10).status().code(), StatusCode::kInvalidArgument);
  spec.blur = -1;
  auto bad = render_field(spec, 1, 0, 0, 10, 10);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("blur"), std::string::npos) << bad.status().message();
  spec = busy_spec(0);
  spec.organism_density[2] = 1e9f;
  EXPECT_NE(render_field(spec, 1, 0, 0, 10, 10).status().message().find("organism_density[rods]"), std::string::npos);
}

TEST(RenderField, SampledSpecsAreValidAcrossDifficulty) {
  for (float level : {0.0f, 0.5f, 1.0f}) {
    for (uint64_t seed = 0; seed < 50; ++seed) {
      for (Organism o : {Organism::kNone, Organism::kGramPositiveCocciClusters, Organism::kGramPositiveCocciChains,
                         Organism::kGramNegativeRods}) {
        const FieldSpec spec = sample_field_spec(o, Difficulty{level}, seed);
        const Status status = validate_field_spec(spec);
        ASSERT_TRUE(status.ok()) << status.message();
        EXPECT_EQ(spec.organism_density[0] > 0, o == Organism::kGramPositiveCocciClusters);
        EXPECT_EQ(spec.organism_density[2] > 0, o == Organism::kGramNegativeRods);
      }
    }
  }
}

}  // namespace
}  // namespace gramlite::data::synth
