// Slides shared by the data_wsi tests: generated once per test binary into a temporary folder.
#pragma once

#include <string>

namespace gramlite::data::wsi::testing {

// A 4096 x 3072, 4-level synthetic slide at 0.25 um/px (seed 11), with its label map
// (224 px label tiles) next to it. Created on first use; removed at exit.
const std::string& synthetic_slide_path();
// A fresh empty folder for one test.
std::string make_temp_dir(const std::string& name);

}  // namespace gramlite::data::wsi::testing
