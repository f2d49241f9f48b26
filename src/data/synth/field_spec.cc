#include "gramlite/data/synth/field_spec.h"

#include <cmath>

#include "data/synth/synth_random.h"

namespace gramlite::data::synth {
namespace {

double lerp(double a, double b, double t) { return a + (b - a) * t; }

Status check_range(const char* name, double value, double lo, double hi) {
  if (!(value >= lo && value <= hi)) {
    return invalid_argument("field spec: ", name, " = ", value, " is outside [", lo, ", ", hi, "]");
  }
  return Status::Ok();
}

}  // namespace

const char* organism_name(Organism organism) {
  switch (organism) {
    case Organism::kNone: return "none";
    case Organism::kGramPositiveCocciClusters: return "gram_positive_cocci_clusters";
    case Organism::kGramPositiveCocciChains: return "gram_positive_cocci_chains";
    case Organism::kGramNegativeRods: return "gram_negative_rods";
  }
  return "unknown";
}

Status validate_field_spec(const FieldSpec& spec) {
  // Upper bounds keep the object count per tile (and so render time) bounded.
  static const char* kDensityNames[3] = {"organism_density[clusters]", "organism_density[chains]",
                                         "organism_density[rods]"};
  for (int i = 0; i < 3; ++i) GRAMLITE_RETURN_IF_ERROR(check_range(kDensityNames[i], spec.organism_density[i], 0, 100));
  GRAMLITE_RETURN_IF_ERROR(check_range("clumping", spec.clumping, 0, 1));
  GRAMLITE_RETURN_IF_ERROR(check_range("background_density", spec.background_density, 0, 5));
  GRAMLITE_RETURN_IF_ERROR(check_range("debris", spec.debris, 0, 50));
  GRAMLITE_RETURN_IF_ERROR(check_range("precipitate", spec.precipitate, 0, 100));
  GRAMLITE_RETURN_IF_ERROR(check_range("precipitate_mimicry", spec.precipitate_mimicry, 0, 1));
  GRAMLITE_RETURN_IF_ERROR(check_range("decolourisation_variability", spec.decolourisation_variability, 0, 1));
  GRAMLITE_RETURN_IF_ERROR(check_range("blur", spec.blur, 0, 2));
  GRAMLITE_RETURN_IF_ERROR(check_range("vignetting", spec.vignetting, 0, 0.9));
  GRAMLITE_RETURN_IF_ERROR(check_range("noise", spec.noise, 0, 0.5));
  GRAMLITE_RETURN_IF_ERROR(check_range("jpeg_quality", spec.jpeg_quality, 0, 100));
  GRAMLITE_RETURN_IF_ERROR(check_range("microns_per_pixel", spec.microns_per_pixel, 0.02, 1.0));
  GRAMLITE_RETURN_IF_ERROR(check_range("stain.crystal_violet_intensity", spec.stain.crystal_violet_intensity, 0, 10));
  GRAMLITE_RETURN_IF_ERROR(check_range("stain.safranin_intensity", spec.stain.safranin_intensity, 0, 10));
  GRAMLITE_RETURN_IF_ERROR(check_range("stain.background_protein", spec.stain.background_protein, 0, 5));
  GRAMLITE_RETURN_IF_ERROR(check_range("stain.decolourisation_bias", spec.stain.decolourisation_bias, -1, 1));
  for (int c = 0; c < 3; ++c) {
    GRAMLITE_RETURN_IF_ERROR(check_range("stain.illumination", spec.stain.illumination[c], 0, 1));
    GRAMLITE_RETURN_IF_ERROR(check_range("stain.crystal_violet_od", spec.stain.crystal_violet_od[c], 0, 10));
    GRAMLITE_RETURN_IF_ERROR(check_range("stain.safranin_od", spec.stain.safranin_od[c], 0, 10));
    GRAMLITE_RETURN_IF_ERROR(check_range("stain.neutral_od", spec.stain.neutral_od[c], 0, 10));
  }
  return Status::Ok();
}

FieldSpec sample_field_spec(Organism organism, Difficulty difficulty, uint64_t seed) {
  const double d = difficulty.level < 0 ? 0.0 : (difficulty.level > 1 ? 1.0 : difficulty.level);
  CellRng rng(hash_of(seed, 0xF1E1D5EEull));
  FieldSpec spec;
  spec.difficulty.level = static_cast<float>(d);
  spec.stain = sample_stain_style(hash_of(seed, 0x57A1ull));
  spec.microns_per_pixel = kDefaultMicronsPerPixel;

  // Density is log-uniform: sparse tiles (a handful of organisms) are as common as crowded ones.
  if (organism != Organism::kNone) {
    const double lo = lerp(3.0, 0.25, d), hi = lerp(15.0, 8.0, d);
    const double density = std::exp(rng.uniform(std::log(lo), std::log(hi)));
    spec.organism_density[static_cast<int>(organism) - 1] = static_cast<float>(density);
  }
  spec.background_density = static_cast<float>(rng.uniform(0.0, lerp(0.2, 0.6, d)));
  spec.debris = static_cast<float>(rng.uniform(0.0, lerp(0.8, 3.0, d)));
  // Precipitate is all-or-little on real slides (it depends on whether the dye was filtered).
  spec.precipitate = rng.chance(lerp(0.25, 0.7, d)) ? static_cast<float>(rng.uniform(0.5, lerp(3.0, 14.0, d)))
                                                    : static_cast<float>(rng.uniform(0.0, 0.3));
  spec.precipitate_mimicry = static_cast<float>(rng.uniform(lerp(0.0, 0.3, d), lerp(0.2, 0.7, d)));
  spec.decolourisation_variability = static_cast<float>(rng.uniform(0.0, lerp(0.05, 0.35, d)));
  spec.blur = static_cast<float>(rng.uniform(0.0, lerp(0.06, 0.30, d)));
  spec.vignetting = static_cast<float>(rng.uniform(0.0, lerp(0.10, 0.30, d)));
  spec.noise = static_cast<float>(rng.uniform(0.004, lerp(0.010, 0.030, d)));
  spec.jpeg_quality = rng.chance(lerp(0.1, 0.7, d)) ? rng.uniform_int(static_cast<int>(lerp(85, 55, d)), 95) : 0;
  spec.clumping = static_cast<float>(rng.uniform(0.0, lerp(0.3, 0.9, d)));
  return spec;
}

}  // namespace gramlite::data::synth
