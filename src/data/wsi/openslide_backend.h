// OpenSlide backend of open_slide (internal to data_wsi).
#pragma once

#include <memory>
#include <string>

#include "gramlite/data/wsi/slide.h"

namespace gramlite::data::wsi {

// True when OpenSlide recognises the file's format (cheap: reads the header only).
bool openslide_recognises(const std::string& path);

Result<std::unique_ptr<Slide>> open_with_openslide(const std::string& path);

}  // namespace gramlite::data::wsi
