#include "data/wsi/level_choice.h"

namespace gramlite::data::wsi {

int best_level_for_downsample(const Slide& slide, double downsample) {
  int best = 0;
  for (int i = 0; i < slide.level_count(); ++i) {
    const double ds = slide.level(i).downsample;
    if (ds <= downsample * 1.01 && ds > slide.level(best).downsample) best = i;
  }
  return best;
}

}  // namespace gramlite::data::wsi
