#include "gramlite/data/synth/stain_style.h"

#include "data/synth/synth_random.h"

namespace gramlite::data::synth {

StainStyle sample_stain_style(uint64_t seed) {
  CellRng rng(hash_of(seed, 0x57A1'4E55ull));
  StainStyle style;
  // Jitter the red and blue absorbance relative to green: this shifts the hue of each dye within
  // the range seen between labs and batches (bluish to reddish violet; orange-red to magenta pink)
  // without letting the two dyes swap hue families.
  style.crystal_violet_od[0] *= static_cast<float>(rng.uniform(0.85, 1.15));
  style.crystal_violet_od[2] *= static_cast<float>(rng.uniform(0.80, 1.20));
  style.safranin_od[0] *= static_cast<float>(rng.uniform(0.6, 1.6));
  style.safranin_od[2] *= static_cast<float>(rng.uniform(0.85, 1.15));
  style.crystal_violet_intensity *= static_cast<float>(rng.uniform(0.7, 1.3));
  style.safranin_intensity *= static_cast<float>(rng.uniform(0.7, 1.3));
  style.background_protein = static_cast<float>(rng.uniform(0.05, 0.40));
  style.decolourisation_bias = static_cast<float>(rng.uniform(-0.6, 0.6));
  const double brightness = rng.uniform(0.88, 1.0);
  const double warmth = rng.uniform(-0.05, 0.05);  // halogen (warm) vs LED (cool) lamps
  style.illumination = {static_cast<float>(brightness * (1 + warmth)), static_cast<float>(brightness),
                        static_cast<float>(brightness * (1 - warmth))};
  for (float& c : style.illumination) c = c > 1.0f ? 1.0f : c;
  return style;
}

}  // namespace gramlite::data::synth
