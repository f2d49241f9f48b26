// JPEG through libjpeg with gramlite's own error manager (see quiet_decoders.h): errors longjmp
// back with their text, warnings ("Corrupt JPEG data", "Premature end of JPEG file") are dropped,
// as OpenCV's decoder also carried on past them. Functions that call setjmp hold only C data.
#include <cstdio>  // jpeglib.h needs FILE

#include <jpeglib.h>

#include <csetjmp>
#include <cstring>
#include <vector>

#include "base/one_line.h"
#include "data/quiet_decoders.h"

namespace gramlite::data {
namespace {

struct ErrorManager {
  jpeg_error_mgr base;  // first: libjpeg hands back a jpeg_error_mgr*
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_error(j_common_ptr info) {
  auto* errors = reinterpret_cast<ErrorManager*>(info->err);
  errors->base.format_message(info, errors->message);
  std::longjmp(errors->jump, 1);
}

void on_message(j_common_ptr) {}  // warnings and trace messages: not printed

struct JpegHeader {
  int width = 0, height = 0, components = 0;
};

bool read_header(jpeg_decompress_struct* info, ErrorManager* errors, const uint8_t* data, size_t size,
                 JpegHeader* header) {
  if (setjmp(errors->jump) != 0) return false;
  jpeg_create_decompress(info);
  jpeg_mem_src(info, data, static_cast<unsigned long>(size));
  jpeg_read_header(info, TRUE);
  header->width = static_cast<int>(info->image_width);
  header->height = static_cast<int>(info->image_height);
  header->components = info->num_components;
  // What OpenCV asks for: BGR for colour, CMYK kept as CMYK (converted below), grey as grey.
  if (info->num_components == 4) {
    info->out_color_space = JCS_CMYK;
  } else if (info->num_components > 1) {
    info->out_color_space = JCS_EXT_BGR;
  } else {
    info->out_color_space = JCS_GRAYSCALE;
  }
  jpeg_start_decompress(info);
  return true;
}

bool read_rows(jpeg_decompress_struct* info, ErrorManager* errors, JSAMPROW* rows) {
  if (setjmp(errors->jump) != 0) return false;
  while (info->output_scanline < info->output_height) {
    jpeg_read_scanlines(info, rows + info->output_scanline, info->output_height - info->output_scanline);
  }
  jpeg_finish_decompress(info);
  return true;
}

// OpenCV's icvCvt_CMYK2BGR_8u_C4C3R, so CMYK JPEGs decode to the same pixels as before.
cv::Mat cmyk_to_bgr(const cv::Mat& cmyk) {
  cv::Mat bgr(cmyk.rows, cmyk.cols, CV_8UC3);
  for (int y = 0; y < cmyk.rows; ++y) {
    const uint8_t* in = cmyk.ptr<uint8_t>(y);
    uint8_t* out = bgr.ptr<uint8_t>(y);
    for (int x = 0; x < cmyk.cols; ++x, in += 4, out += 3) {
      const int k = in[3];
      out[2] = static_cast<uint8_t>(k - ((255 - in[0]) * k >> 8));
      out[1] = static_cast<uint8_t>(k - ((255 - in[1]) * k >> 8));
      out[0] = static_cast<uint8_t>(k - ((255 - in[2]) * k >> 8));
    }
  }
  return bgr;
}

}  // namespace

bool looks_like_jpeg(const uint8_t* data, size_t size) {
  return size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

Result<cv::Mat> decode_jpeg_quietly(const uint8_t* data, size_t size) {
  jpeg_decompress_struct info{};
  ErrorManager errors{};
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_error;
  errors.base.output_message = on_message;
  struct Guard {
    jpeg_decompress_struct* info;
    ~Guard() { jpeg_destroy_decompress(info); }
  } guard{&info};

  JpegHeader header;
  if (!read_header(&info, &errors, data, size, &header)) return corrupt_data("JPEG: ", one_line(errors.message));
  const int channels = static_cast<int>(info.output_components);
  if (channels != 1 && channels != 3 && channels != 4) return unsupported("JPEG with ", channels, " components");
  cv::Mat image(static_cast<int>(info.output_height), static_cast<int>(info.output_width), CV_8UC(channels));
  std::vector<JSAMPROW> rows(static_cast<size_t>(image.rows));
  for (int y = 0; y < image.rows; ++y) rows[static_cast<size_t>(y)] = image.ptr<JSAMPLE>(y);
  if (!read_rows(&info, &errors, rows.data())) return corrupt_data("JPEG: ", one_line(errors.message));
  return channels == 4 ? cmyk_to_bgr(image) : image;
}

}  // namespace gramlite::data
