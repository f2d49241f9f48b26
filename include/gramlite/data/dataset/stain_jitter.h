// Colour jitter in stain space for Gram-stained images.
//
// A Gram stain has two dyes: crystal violet (Gram-positive cells, purple) and safranin (the
// counterstain, Gram-negative cells, red-pink). Staining time, dye batch and scanner make the
// same slide look different from lab to lab, and the model should not care. Jittering hue or
// saturation in RGB/HSV moves colours in directions no slide ever takes; jittering each dye's
// amount does not. Following Ruifrok & Johnston's colour deconvolution (as used for H&E, e.g.
// Tellez et al. 2018 "H&E-like" augmentation), each pixel becomes optical density (Beer-Lambert:
// OD = -log10(I / I0)), is projected on the two stain vectors plus a residual third vector, each
// dye's concentration is scaled and shifted, and the pixel is recomposed.
//
// The stain vectors are fixed (Ruifrok), not estimated per image (Macenko): augmentation needs a
// consistent basis, and per-image estimation is unstable on the mostly-empty background of a
// Gram tile. They are the absorbance directions of the synthetic generator's stain model
// (src/data/synth/stain_style.h, which uses natural-log OD; only the direction matters here), so
// jitter on synthetic tiles moves exactly the generator's dyes. OD in R, G, B before normalising
// to unit length:
//   crystal violet  (0.62, 1.00, 0.38): absorbs at ~590 nm, transmits blue and some red; the unit
//                                       vector at OD 1 (log10) renders as (80, 39, 125), violet
//   safranin        (0.10, 1.00, 0.62): absorbs at ~530 nm, transmits red; renders as
//                                       (210, 35, 75), crimson
//   residual        cross product of the two, normalised (carries what neither dye explains)
#pragma once

#include <array>

#include "gramlite/data/image.h"

namespace gramlite::data {

// Unit optical-density vectors (R, G, B) of the two dyes; the residual is their cross product.
std::array<float, 3> crystal_violet_od_vector();
std::array<float, 3> safranin_od_vector();

// Per-dye change of concentration: c' = c * scale + shift (shift in OD units). Index 0 is
// crystal violet, 1 safranin. {1, 1} and {0, 0} leave the image unchanged up to rounding.
struct StainFactors {
  std::array<float, 2> scale = {1.0f, 1.0f};
  std::array<float, 2> shift = {0.0f, 0.0f};
};

// Applies `factors` to every pixel in place; the residual component is kept as it is.
void apply_stain_factors(RgbImage& image, const StainFactors& factors);

// Per-pixel concentrations (crystal violet, safranin) in OD units, for tests and inspection.
std::array<float, 2> stain_concentrations(uint8_t r, uint8_t g, uint8_t b);

}  // namespace gramlite::data
