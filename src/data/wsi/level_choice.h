// Which pyramid level to read for a wanted downsample (internal to data_wsi).
#pragma once

#include "gramlite/data/wsi/slide.h"

namespace gramlite::data::wsi {

// The level with the largest downsample not exceeding `downsample` (1% slack, since OpenSlide
// reports e.g. 2.0004 for a level of an odd-sized slide). Reading a finer level and shrinking
// with area averaging never loses detail; reading a coarser one and enlarging would.
int best_level_for_downsample(const Slide& slide, double downsample);

}  // namespace gramlite::data::wsi
