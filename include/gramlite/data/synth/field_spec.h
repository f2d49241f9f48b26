// What a synthetic field of view contains, and how a single difficulty knob chooses it.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "gramlite/base/status.h"
#include "gramlite/data/synth/stain_style.h"

namespace gramlite::data::synth {

// 0.1 um per pixel: a 100x oil objective on a typical scientific camera (6.5 um pixels behind 65x
// total magnification) or a 40x scanner upsampled; a 224-px tile spans 22.4 um.
inline constexpr double kDefaultMicronsPerPixel = 0.1;

enum class Organism {
  kNone,                       // no bacteria (host cells, debris and artefacts only)
  kGramPositiveCocciClusters,  // staphylococci: grape-like clusters
  kGramPositiveCocciChains,    // streptococci / diplococci: chains and pairs
  kGramNegativeRods,           // enterobacteria-like rods
};
const char* organism_name(Organism organism);  // "none", "gram_positive_cocci_clusters", ...

// One knob, 0 (easy) .. 1 (hard). It widens the ranges sample_field_spec() draws from: lower
// organism densities, more precipitate and precipitate that looks like cocci, more gram-variable
// cells, more blur, noise and JPEG loss. 0.5 is the default and is not separable by colour alone.
struct Difficulty {
  float level = 0.5f;
};

struct FieldSpec {
  // Expected organisms (individual cells) per 100 um^2 for clusters, chains, rods; 0 = none.
  std::array<float, 3> organism_density{0.0f, 0.0f, 0.0f};
  // 0 = bacteria scattered uniformly (Poisson); 1 = their local density swings between 0 and 2x the
  // mean over ~50 um (clumps and empty stretches, as in real smears). [0, 1].
  float clumping = 0.0f;
  float background_density = 0.25f;  // host cells per 100 um^2 (40 % neutrophils, 60 % red-cell ghosts)
  float debris = 1.0f;                // debris particles and mucus strands per 100 um^2
  float precipitate = 1.0f;           // crystal-violet precipitate granules per 100 um^2
  float precipitate_mimicry = 0.3f;   // fraction of granules that are round and coccus-sized, in [0, 1]
  // Base probability that a cell shows the opposite Gram reaction (gram-variable); scaled per slide
  // by stain.decolourisation_bias and locally by a slow noise field (uneven decolourisation). [0, 1].
  float decolourisation_variability = 0.1f;
  float blur = 0.08f;        // defocus: Gaussian sigma in um (0 = sharp)
  float vignetting = 0.15f;  // fractional light loss at the corner of a camera frame, [0, 0.9]
  float noise = 0.012f;      // sensor noise std dev at full scale, as a fraction of 255
  int jpeg_quality = 0;      // 0 = no JPEG artefacts; 1..100 = round trip through JPEG at that quality
  Difficulty difficulty;     // the knob that produced these values; a record, render_field ignores it
  StainStyle stain;
  double microns_per_pixel = kDefaultMicronsPerPixel;
};

// Checks ranges; the message names the field.
Status validate_field_spec(const FieldSpec& spec);

// Draws a field for `organism` at `difficulty`: stain style, densities and artefact rates.
// Pure function of its arguments. See docs/synthetic-data.md for the ranges.
FieldSpec sample_field_spec(Organism organism, Difficulty difficulty, uint64_t seed);

}  // namespace gramlite::data::synth
