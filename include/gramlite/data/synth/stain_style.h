// The stain model: Beer-Lambert absorbance of crystal violet and safranin, and how it varies from
// slide to slide.
//
// A pixel's colour is illumination * exp(-(cv * crystal_violet_od + saf * safranin_od +
// neutral * neutral_od)), per channel, where cv / saf / neutral are the amounts of each dye
// (optical densities at the dye's peak) along the light path. Overlapping cells add densities,
// as they do under a microscope, so overlaps darken instead of painting over each other.
#pragma once

#include <array>
#include <cstdint>

namespace gramlite::data::synth {

struct StainStyle {
  // Absorbance per unit dye in R, G, B (the green channel, near both dyes' peaks, is 1).
  std::array<float, 3> crystal_violet_od{0.62f, 1.0f, 0.38f};  // transmits blue + some red: violet
  std::array<float, 3> safranin_od{0.10f, 1.0f, 0.62f};        // transmits red: pink-red
  std::array<float, 3> neutral_od{0.55f, 0.62f, 0.75f};        // debris, unstained material: grey-brown
  // Dye taken up by a fully stained cell (optical density at the peak).
  float crystal_violet_intensity = 1.9f;  // gram-positive walls, precipitate
  float safranin_intensity = 1.15f;       // gram-negative walls, decolourised cells (paler than violet)
  float background_protein = 0.22f;       // safranin density of the proteinaceous background
  // >0: the slide was over-decolourised (more gram-positive cells look pink); <0: under-decolourised
  // (more gram-negative cells keep violet). In [-1, 1].
  float decolourisation_bias = 0.0f;
  std::array<float, 3> illumination{0.97f, 0.97f, 0.98f};  // lamp colour and brightness (white balance)
};

// One slide's stain: dye hues jittered ~+-12 %, intensities +-30 %, background and lamp colour
// varied, decolourisation bias in [-0.6, 0.6]. Pure function of `seed`.
StainStyle sample_stain_style(uint64_t seed);

}  // namespace gramlite::data::synth
