// PNG through libpng with gramlite's own error and warning handlers (see quiet_decoders.h). libpng
// reports errors by longjmp, so the functions that call setjmp hold only plain C data; every C++
// object (the cv::Mat, the row table) lives in the caller.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include "base/one_line.h"
#include "data/quiet_decoders.h"

namespace gramlite::data {
namespace {

struct PngSource {
  const uint8_t* data;
  size_t size;
  size_t offset;
  char error[256];
};

void on_error(png_structp png, png_const_charp message) {
  auto* source = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(source->error, sizeof(source->error), "%s", message != nullptr ? message : "unknown error");
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // warnings (an odd sRGB profile) are not errors

void read_bytes(png_structp png, png_bytep out, png_size_t count) {
  auto* source = static_cast<PngSource*>(png_get_io_ptr(png));
  if (count > source->size - source->offset) png_error(png, "the file ends inside the image data");
  std::memcpy(out, source->data + source->offset, count);
  source->offset += count;
}

struct PngHeader {
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, channels = 0;
};

// Reads the header and sets the transforms OpenCV's PngDecoder sets for IMREAD_UNCHANGED.
bool read_header(png_structp png, png_infop info, PngHeader* header) {
  if (setjmp(png_jmpbuf(png)) != 0) return false;
  png_read_info(png, info);
  png_get_IHDR(png, info, &header->width, &header->height, &header->bit_depth, &header->color_type, nullptr, nullptr,
               nullptr);
  const bool has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  switch (header->color_type) {
    case PNG_COLOR_TYPE_RGB:
    case PNG_COLOR_TYPE_PALETTE: header->channels = has_trns ? 4 : 3; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
    case PNG_COLOR_TYPE_RGB_ALPHA: header->channels = 4; break;
    default: header->channels = 1; break;
  }
  if (header->bit_depth == 16) png_set_swap(png);  // little-endian 16-bit samples, as cv::Mat holds them
  if (header->channels < 4) {
    png_set_strip_alpha(png);
  } else {
    png_set_tRNS_to_alpha(png);
  }
  if (header->color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  const bool colour = (header->color_type & PNG_COLOR_MASK_COLOR) != 0;
  if (!colour && header->bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (colour && header->channels > 1) png_set_bgr(png);
  if (!colour && header->channels > 1) png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  return true;
}

bool read_rows(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png)) != 0) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

}  // namespace

bool looks_like_png(const uint8_t* data, size_t size) { return size >= 8 && png_sig_cmp(data, 0, 8) == 0; }

Result<cv::Mat> decode_png_quietly(const uint8_t* data, size_t size) {
  PngSource source{data, size, 0, {}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, on_error, on_warning);
  if (png == nullptr) return io_error("out of memory starting the PNG decoder");
  png_infop info = png_create_info_struct(png);
  struct Guard {
    png_structp* png;
    png_infop* info;
    ~Guard() { png_destroy_read_struct(png, info, nullptr); }
  } guard{&png, &info};
  if (info == nullptr) return io_error("out of memory starting the PNG decoder");
  png_set_read_fn(png, &source, read_bytes);

  PngHeader header;
  if (!read_header(png, info, &header)) return corrupt_data("PNG: ", one_line(source.error));
  const int depth = header.bit_depth == 16 ? CV_16U : CV_8U;
  cv::Mat image(static_cast<int>(header.height), static_cast<int>(header.width), CV_MAKETYPE(depth, header.channels));
  if (png_get_rowbytes(png, info) != image.step[0]) {
    return corrupt_data("PNG: row size ", png_get_rowbytes(png, info), " does not match ", image.step[0]);
  }
  std::vector<png_bytep> rows(static_cast<size_t>(image.rows));
  for (int y = 0; y < image.rows; ++y) rows[static_cast<size_t>(y)] = image.ptr<png_byte>(y);
  if (!read_rows(png, rows.data())) return corrupt_data("PNG: ", one_line(source.error));
  return image;
}

}  // namespace gramlite::data
