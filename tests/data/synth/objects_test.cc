// objects_in_field: geometry of organisms and artefacts against the documented ranges.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "data/synth/field_objects.h"

namespace gramlite::data::synth {
namespace {

constexpr int kSide = 3000;  // px = 300 um: 900 "100-um^2" units

FieldSpec organisms_only(float clusters, float chains, float rods) {
  FieldSpec spec;
  spec.organism_density = {clusters, chains, rods};
  spec.background_density = 0;
  spec.debris = 0;
  spec.precipitate = 0;
  return spec;
}

std::vector<RenderedObject> objects(const FieldSpec& spec, uint64_t seed = 3) {
  auto result = objects_in_field(spec, seed, 0, 0, kSide, kSide);
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? std::move(result).value() : std::vector<RenderedObject>{};
}

// Objects whose centre is inside the region (the list also holds ones that only overlap it).
int64_t count_inside(const std::vector<RenderedObject>& list, ObjectKind kind, double mpp = 0.1) {
  return std::count_if(list.begin(), list.end(), [&](const RenderedObject& o) {
    return o.kind == kind && o.x_um >= 0 && o.y_um >= 0 && o.x_um < kSide * mpp && o.y_um < kSide * mpp;
  });
}

TEST(FieldObjects, CocciAreZeroPointEightToOneMicron) {
  const auto list = objects(organisms_only(5, 5, 0));
  int n = 0;
  for (const RenderedObject& o : list) {
    if (o.kind != ObjectKind::kCoccus) continue;
    ++n;
    EXPECT_GE(o.width_um, 0.8);
    EXPECT_LE(o.length_um, 1.0);
    EXPECT_TRUE(o.gram_positive);
  }
  EXPECT_GT(n, 1000);
}

TEST(FieldObjects, RodsAreHalfAMicronWideAndOneAndAHalfToThreeLong) {
  const auto list = objects(organisms_only(0, 0, 5));
  double width_sum = 0;
  int n = 0;
  for (const RenderedObject& o : list) {
    ASSERT_EQ(o.kind, ObjectKind::kRod);
    ++n;
    width_sum += o.width_um;
    EXPECT_GE(o.length_um, 1.5);
    EXPECT_LE(o.length_um, 3.0);
    EXPECT_GE(o.width_um, 0.38);
    EXPECT_LE(o.width_um, 0.67);
    EXPECT_FALSE(o.gram_positive);
  }
  ASSERT_GT(n, 1000);
  EXPECT_NEAR(width_sum / n, 0.52, 0.04);
}

// Span (largest centre distance) per coccus: a chain is long and thin, a cluster compact.
double mean_span_per_coccus(const std::vector<RenderedObject>& list, Organism organism) {
  std::map<uint64_t, std::vector<const RenderedObject*>> groups;
  for (const RenderedObject& o : list) {
    if (o.organism == organism) groups[o.group_id].push_back(&o);
  }
  double sum = 0;
  int n = 0;
  for (const auto& [id, members] : groups) {
    if (members.size() < 6) continue;
    double span = 0;
    for (const auto* a : members) {
      for (const auto* b : members) span = std::max(span, std::hypot(a->x_um - b->x_um, a->y_um - b->y_um));
    }
    sum += span / static_cast<double>(members.size() - 1);
    ++n;
  }
  EXPECT_GT(n, 20);
  return n ? sum / n : 0;
}

TEST(FieldObjects, ClustersAreCompactAndChainsAreLong) {
  const auto list = objects(organisms_only(5, 5, 0));
  const double cluster = mean_span_per_coccus(list, Organism::kGramPositiveCocciClusters);
  const double chain = mean_span_per_coccus(list, Organism::kGramPositiveCocciChains);
  EXPECT_LT(cluster, 0.5);
  EXPECT_GT(chain, 0.75);
  // Neighbours in a chain touch: consecutive centres about one diameter apart.
  std::map<uint64_t, std::vector<const RenderedObject*>> chains;
  for (const RenderedObject& o : list) {
    if (o.organism == Organism::kGramPositiveCocciChains) chains[o.group_id].push_back(&o);
  }
  for (const auto& [id, members] : chains) {
    for (size_t i = 1; i < members.size(); ++i) {
      const double d = std::hypot(members[i]->x_um - members[i - 1]->x_um, members[i]->y_um - members[i - 1]->y_um);
      EXPECT_GT(d, 0.65);
      EXPECT_LT(d, 1.1);
    }
  }
}

TEST(FieldObjects, CountsFollowDensity) {
  const double area_units = (kSide * 0.1) * (kSide * 0.1) / 100.0;
  for (int kind = 0; kind < 3; ++kind) {
    for (float density : {1.0f, 6.0f}) {
      std::array<float, 3> d{0, 0, 0};
      d[kind] = density;
      const auto list = objects(organisms_only(d[0], d[1], d[2]));
      const int64_t n = count_inside(list, kind == 2 ? ObjectKind::kRod : ObjectKind::kCoccus);
      // Groups are Poisson; +-25 % is several standard deviations at these counts.
      EXPECT_NEAR(static_cast<double>(n) / (density * area_units), 1.0, 0.25) << "kind " << kind << " density " << density;
    }
  }
}

// Rods per 20-um window over the field: mean and coefficient of variation.
std::pair<double, double> window_statistics(const std::vector<RenderedObject>& list) {
  const int windows = kSide / 200;
  std::vector<double> counts(static_cast<size_t>(windows * windows), 0.0);
  for (const RenderedObject& o : list) {
    const int wx = static_cast<int>(o.x_um / 20), wy = static_cast<int>(o.y_um / 20);
    if (o.kind == ObjectKind::kRod && o.x_um >= 0 && o.y_um >= 0 && wx < windows && wy < windows) {
      counts[static_cast<size_t>(wy * windows + wx)] += 1;
    }
  }
  double mean = 0, var = 0;
  for (double c : counts) mean += c;
  mean /= static_cast<double>(counts.size());
  for (double c : counts) var += (c - mean) * (c - mean);
  var /= static_cast<double>(counts.size());
  return {mean, std::sqrt(var) / mean};
}

TEST(FieldObjects, ClumpingVariesLocalDensityButKeepsTheMean) {
  FieldSpec spec = organisms_only(0, 0, 4);
  const auto uniform = window_statistics(objects(spec));
  spec.clumping = 1.0f;
  const auto clumped = window_statistics(objects(spec));
  EXPECT_NEAR(clumped.first / uniform.first, 1.0, 0.3);
  EXPECT_GT(clumped.second, 1.5 * uniform.second);
}

TEST(FieldObjects, PrecipitateAtTheConfiguredRate) {
  FieldSpec spec = organisms_only(0, 0, 0);
  const double area_units = (kSide * 0.1) * (kSide * 0.1) / 100.0;
  for (float rate : {2.0f, 10.0f}) {
    spec.precipitate = rate;
    spec.precipitate_mimicry = 0.5f;
    const auto list = objects(spec);
    const int64_t n = count_inside(list, ObjectKind::kPrecipitate);
    EXPECT_NEAR(static_cast<double>(n) / (rate * area_units), 1.0, 0.3) << rate;
    // Some granules mimic cocci (round, coccus-sized, violet): the artefact the classifier must learn.
    const int64_t mimics = std::count_if(list.begin(), list.end(), [](const RenderedObject& o) {
      return o.kind == ObjectKind::kPrecipitate && o.irregularity < 0.07 && o.length_um >= 0.7 && o.length_um <= 1.05;
    });
    EXPECT_GT(mimics, n / 4);
  }
  spec.precipitate = 0;
  EXPECT_EQ(count_inside(objects(spec), ObjectKind::kPrecipitate), 0);
}

TEST(FieldObjects, BackgroundHasHostCellsAndDebrisButNoBacteria) {
  FieldSpec spec;  // defaults: host cells, debris, precipitate, no organisms
  const auto list = objects(spec);
  EXPECT_GT(count_inside(list, ObjectKind::kNeutrophil), 0);
  EXPECT_GT(count_inside(list, ObjectKind::kRedCellGhost), 0);
  EXPECT_GT(count_inside(list, ObjectKind::kDebris), 0);
  EXPECT_EQ(count_inside(list, ObjectKind::kCoccus) + count_inside(list, ObjectKind::kRod), 0);
}

TEST(FieldObjects, SameObjectWhicheverRegionFindsIt) {
  FieldSpec spec = organisms_only(5, 5, 5);
  spec.precipitate = 3;
  auto big = objects_in_field(spec, 9, 0, 0, 1000, 1000);
  auto small = objects_in_field(spec, 9, 400, 400, 100, 100);
  ASSERT_TRUE(big.ok() && small.ok());
  ASSERT_FALSE(small->empty());
  for (const RenderedObject& s : *small) {
    const bool found = std::any_of(big->begin(), big->end(), [&](const RenderedObject& b) {
      return b.shape_seed == s.shape_seed && b.x_um == s.x_um && b.y_um == s.y_um && b.kind == s.kind;
    });
    EXPECT_TRUE(found);
  }
}

}  // namespace
}  // namespace gramlite::data::synth
