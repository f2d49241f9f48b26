// Checks that keep OpenCV's TIFF and BMP decoders off their error path (see quiet_decoders.h).
// When those decoders fail they throw inside cv::imdecode, which prints "imdecode_(''): can't
// read data: ..." to stderr itself before returning an empty image. A file that these checks
// pass decodes; one they refuse is reported as gramlite's one-line error instead.
#include <tiffio.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/one_line.h"
#include "data/quiet_decoders.h"

namespace gramlite::data {
namespace {

// libtiff's client I/O over a byte range.
struct TiffSource {
  const uint8_t* data;
  size_t size;
  toff_t offset;
  std::string error;
};

tmsize_t tiff_read(thandle_t handle, void* out, tmsize_t count) {
  auto* source = static_cast<TiffSource*>(handle);
  if (count < 0 || source->offset >= source->size) return 0;
  const size_t n = std::min(static_cast<size_t>(count), static_cast<size_t>(source->size - source->offset));
  std::memcpy(out, source->data + source->offset, n);
  source->offset += n;
  return static_cast<tmsize_t>(n);
}
tmsize_t tiff_write(thandle_t, void*, tmsize_t) { return 0; }
toff_t tiff_seek(thandle_t handle, toff_t offset, int whence) {
  auto* source = static_cast<TiffSource*>(handle);
  const toff_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? source->offset : source->size;
  source->offset = base + offset;
  return source->offset;
}
int tiff_close(thandle_t) { return 0; }
toff_t tiff_size(thandle_t handle) { return static_cast<TiffSource*>(handle)->size; }
int tiff_map(thandle_t, void**, toff_t*) { return 0; }
void tiff_unmap(thandle_t, void*, toff_t) {}

// Per-handle handlers (libtiff 4.5): the first error is kept, warnings are dropped, nothing is
// printed and the process-wide handlers (OpenCV's) are left alone.
__attribute__((format(printf, 4, 0))) int on_tiff_error(TIFF*, void* user_data, const char* module,
                                                          const char* format, va_list args) {
  auto* source = static_cast<TiffSource*>(user_data);
  if (source->error.empty()) {
    char text[512];
    std::vsnprintf(text, sizeof(text), format, args);
    source->error = one_line(std::string(module != nullptr ? module : "TIFF") + ": " + text);
  }
  return 1;
}
int on_tiff_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

}  // namespace

bool looks_like_tiff(const uint8_t* data, size_t size) {
  if (size < 4) return false;
  const bool little = data[0] == 'I' && data[1] == 'I' && data[3] == 0 && (data[2] == 42 || data[2] == 43);
  const bool big = data[0] == 'M' && data[1] == 'M' && data[2] == 0 && (data[3] == 42 || data[3] == 43);
  return little || big;
}

Status preflight_tiff(const uint8_t* data, size_t size) {
  TiffSource source{data, size, 0, {}};
  TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
  if (options == nullptr) return io_error("out of memory starting the TIFF reader");
  TIFFOpenOptionsSetErrorHandlerExtR(options, on_tiff_error, &source);
  TIFFOpenOptionsSetWarningHandlerExtR(options, on_tiff_warning, &source);
  TIFF* tiff = TIFFClientOpenExt("image", "rm", &source, tiff_read, tiff_write, tiff_seek, tiff_close, tiff_size,
                                 tiff_map, tiff_unmap, options);
  TIFFOpenOptionsFree(options);
  if (tiff == nullptr) return corrupt_data("TIFF: ", source.error.empty() ? "cannot open" : source.error);
  // Decode every strip or tile of the first directory (the page OpenCV reads) into one scratch
  // buffer: the errors OpenCV would hit, without its pixels.
  const bool tiled = TIFFIsTiled(tiff) != 0;
  const tmsize_t chunk = tiled ? TIFFTileSize(tiff) : TIFFStripSize(tiff);
  const uint32_t count = tiled ? TIFFNumberOfTiles(tiff) : TIFFNumberOfStrips(tiff);
  Status status;
  if (chunk <= 0 || count == 0) {
    status = corrupt_data("TIFF: ", source.error.empty() ? "no image data" : source.error);
  } else {
    std::vector<uint8_t> scratch(static_cast<size_t>(chunk));
    for (uint32_t i = 0; i < count && status.ok(); ++i) {
      const tmsize_t got = tiled ? TIFFReadEncodedTile(tiff, i, scratch.data(), chunk)
                                 : TIFFReadEncodedStrip(tiff, i, scratch.data(), chunk);
      if (got < 0) status = corrupt_data("TIFF: ", source.error.empty() ? "cannot decode its image data" : source.error);
    }
  }
  TIFFClose(tiff);
  return status;
}

// Uncompressed BMPs (BI_RGB, BI_BITFIELDS) must hold every row the header promises; OpenCV's
// reader throws "Unexpected end of input stream" on a cut file.
Status preflight_bmp(const uint8_t* data, size_t size) {
  if (size < 34 || data[0] != 'B' || data[1] != 'M') return Status::Ok();
  const auto le32 = [&](size_t at) {
    return static_cast<uint32_t>(data[at]) | static_cast<uint32_t>(data[at + 1]) << 8 |
           static_cast<uint32_t>(data[at + 2]) << 16 | static_cast<uint32_t>(data[at + 3]) << 24;
  };
  const uint32_t header_size = le32(14);
  if (header_size < 40) return Status::Ok();  // OS/2 core headers: left to OpenCV
  const uint64_t offset = le32(10);
  const auto width = static_cast<int32_t>(le32(18));
  const auto height = static_cast<int32_t>(le32(22));
  const uint32_t bits = static_cast<uint32_t>(data[28]) | static_cast<uint32_t>(data[29]) << 8;
  const uint32_t compression = le32(30);
  if (compression != 0 && compression != 3) return Status::Ok();
  const uint64_t w = width < 0 ? 0 - static_cast<int64_t>(width) : width;
  const uint64_t h = height < 0 ? 0 - static_cast<int64_t>(height) : height;
  const uint64_t stride = (w * bits + 31) / 32 * 4;
  if (w > (uint64_t{1} << 31) || h > (uint64_t{1} << 31)) return Status::Ok();  // the header check refuses these
  const uint64_t needed = offset + stride * h;
  if (needed > size) {
    return corrupt_data("BMP: the file holds ", size, " bytes but its ", w, "x", h, " pixels need ", needed);
  }
  return Status::Ok();
}

}  // namespace gramlite::data
