#include "data/image_header.h"

#include <cctype>
#include <cstring>

namespace gramlite::data {
namespace {

// Bounds-checked reads: every offset comes from untrusted bytes.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t size() const { return size_; }
  bool has(size_t offset, size_t count) const { return offset <= size_ && count <= size_ - offset; }
  bool starts_with(size_t offset, const char* text) const {
    const size_t n = std::strlen(text);
    return has(offset, n) && std::memcmp(data_ + offset, text, n) == 0;
  }
  uint8_t u8(size_t offset) const { return has(offset, 1) ? data_[offset] : 0; }
  uint32_t be(size_t offset, int bytes) const {
    if (!has(offset, static_cast<size_t>(bytes))) return 0;
    uint32_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | data_[offset + static_cast<size_t>(i)];
    return v;
  }
  uint64_t le(size_t offset, int bytes) const {
    if (!has(offset, static_cast<size_t>(bytes))) return 0;
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | data_[offset + static_cast<size_t>(i)];
    return v;
  }
  uint64_t get(size_t offset, int bytes, bool little) const { return little ? le(offset, bytes) : be(offset, bytes); }

 private:
  const uint8_t* data_;
  size_t size_;
};

using Size = std::optional<DeclaredImageSize>;

Size make(int64_t width, int64_t height, const char* format) { return DeclaredImageSize{width, height, format}; }

Size png(const Bytes& b) {
  if (!b.starts_with(0, "\x89PNG\r\n\x1a\n") || !b.starts_with(12, "IHDR")) return std::nullopt;
  return make(b.be(16, 4), b.be(20, 4), "PNG");
}

// Walks the marker segments to the first start-of-frame (SOF0-SOF15 except DHT, JPG, DAC).
Size jpeg(const Bytes& b) {
  if (b.u8(0) != 0xFF || b.u8(1) != 0xD8) return std::nullopt;
  size_t at = 2;
  while (b.has(at, 4)) {
    if (b.u8(at) != 0xFF) return std::nullopt;
    const uint8_t marker = b.u8(at + 1);
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
      at += 2;
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // end of image / scan before a frame
    const uint32_t length = b.be(at + 2, 2);
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) return b.has(at + 4, 5) ? make(b.be(at + 7, 2), b.be(at + 5, 2), "JPEG") : std::nullopt;
    if (length < 2) return std::nullopt;
    at += 2 + length;
  }
  return std::nullopt;
}

Size bmp(const Bytes& b) {
  if (!b.starts_with(0, "BM") || !b.has(14, 12)) return std::nullopt;
  const uint64_t header = b.le(14, 4);
  if (header == 12) return make(b.le(18, 2), b.le(20, 2), "BMP");  // OS/2 core header: 16-bit
  const auto width = static_cast<int32_t>(b.le(18, 4));
  const auto height = static_cast<int32_t>(b.le(22, 4));  // negative: rows top-down
  return make(width < 0 ? -static_cast<int64_t>(width) : width, height < 0 ? -static_cast<int64_t>(height) : height,
              "BMP");
}

// The first IFD's ImageWidth (256) and ImageLength (257); classic TIFF and BigTIFF.
Size tiff(const Bytes& b) {
  const bool little = b.starts_with(0, "II");
  if (!little && !b.starts_with(0, "MM")) return std::nullopt;
  const uint64_t version = b.get(2, 2, little);
  const bool big = version == 43;
  if (version != 42 && !big) return std::nullopt;
  const uint64_t ifd = big ? b.get(8, 8, little) : b.get(4, 4, little);
  const size_t count_bytes = big ? 8 : 2, entry_bytes = big ? 20 : 12, value_at = big ? 12 : 8;
  if (ifd > b.size() || !b.has(static_cast<size_t>(ifd), count_bytes)) return std::nullopt;
  const uint64_t count = b.get(static_cast<size_t>(ifd), static_cast<int>(count_bytes), little);
  int64_t width = -1, height = -1;
  for (uint64_t i = 0; i < count && i < 4096; ++i) {
    const size_t entry = static_cast<size_t>(ifd) + count_bytes + static_cast<size_t>(i) * entry_bytes;
    if (!b.has(entry, entry_bytes)) return std::nullopt;
    const uint64_t tag = b.get(entry, 2, little), type = b.get(entry + 2, 2, little);
    if (tag != 256 && tag != 257) continue;
    // SHORT (3), LONG (4) or LONG8 (16), stored in the entry itself.
    const int bytes = type == 3 ? 2 : type == 4 ? 4 : type == 16 ? 8 : 0;
    if (bytes == 0) return std::nullopt;
    const auto value = static_cast<int64_t>(b.get(entry + value_at, bytes, little) & 0x7FFFFFFFFFFFFFFFull);
    (tag == 256 ? width : height) = value;
  }
  if (width < 0 || height < 0) return std::nullopt;
  return make(width, height, "TIFF");
}

Size webp(const Bytes& b) {
  if (!b.starts_with(0, "RIFF") || !b.starts_with(8, "WEBP")) return std::nullopt;
  if (b.starts_with(12, "VP8 ") && b.has(26, 4)) {  // lossy: 14-bit sizes after the start code
    return make(b.le(26, 2) & 0x3FFF, b.le(28, 2) & 0x3FFF, "WebP");
  }
  if (b.starts_with(12, "VP8L") && b.has(21, 4)) {  // lossless: 14-bit (size - 1) fields
    const uint64_t bits = b.le(21, 4);
    return make(static_cast<int64_t>((bits & 0x3FFF) + 1), static_cast<int64_t>(((bits >> 14) & 0x3FFF) + 1), "WebP");
  }
  if (b.starts_with(12, "VP8X") && b.has(24, 6)) {  // extended: 24-bit (size - 1) canvas
    return make(static_cast<int64_t>(b.le(24, 3) + 1), static_cast<int64_t>(b.le(27, 3) + 1), "WebP");
  }
  return std::nullopt;
}

// "P6\n# comment\n640 480\n255\n" (P1-P6), or PAM's "WIDTH w" / "HEIGHT h" lines (P7).
Size pnm(const Bytes& b, const uint8_t* data) {
  if (b.u8(0) != 'P' || b.u8(1) < '1' || b.u8(1) > '7') return std::nullopt;
  const size_t limit = b.size() < 4096 ? b.size() : 4096;
  size_t at = 2;
  const auto skip_space = [&] {
    while (at < limit) {
      if (data[at] == '#') {
        while (at < limit && data[at] != '\n') ++at;
      } else if (std::isspace(data[at])) {
        ++at;
      } else {
        break;
      }
    }
  };
  const auto number = [&]() -> int64_t {
    skip_space();
    int64_t v = -1;
    while (at < limit && std::isdigit(data[at]) && v < (int64_t{1} << 40)) v = (v < 0 ? 0 : v * 10) + (data[at++] - '0');
    return v;
  };
  if (b.u8(1) == '7') {
    int64_t width = -1, height = -1;
    while (at < limit) {
      skip_space();
      if (b.starts_with(at, "WIDTH")) {
        at += 5;
        width = number();
      } else if (b.starts_with(at, "HEIGHT")) {
        at += 6;
        height = number();
      } else if (b.starts_with(at, "ENDHDR")) {
        break;
      } else {
        while (at < limit && data[at] != '\n') ++at;
      }
    }
    return width >= 0 && height >= 0 ? make(width, height, "PAM") : std::nullopt;
  }
  const int64_t width = number(), height = number();
  return width >= 0 && height >= 0 ? make(width, height, "PNM") : std::nullopt;
}

// JPEG 2000: a raw codestream's SIZ marker, or the ihdr box inside a .jp2 file's jp2h box.
Size jpeg2000(const Bytes& b) {
  if (b.u8(0) == 0xFF && b.u8(1) == 0x4F && b.u8(2) == 0xFF && b.u8(3) == 0x51 && b.has(4, 20)) {
    const int64_t width = static_cast<int64_t>(b.be(8, 4)) - b.be(16, 4);  // Xsiz - XOsiz
    const int64_t height = static_cast<int64_t>(b.be(12, 4)) - b.be(20, 4);
    return width >= 0 && height >= 0 ? make(width, height, "JPEG 2000") : std::nullopt;
  }
  if (!b.starts_with(4, "jP  ")) return std::nullopt;
  // ihdr is the first box inside jp2h; scan the first kilobytes for it rather than walk boxes.
  const size_t limit = b.size() < 4096 ? b.size() : 4096;
  for (size_t at = 8; at + 12 <= limit; ++at) {
    if (b.starts_with(at, "ihdr")) return make(b.be(at + 8, 4), b.be(at + 4, 4), "JPEG 2000");
  }
  return std::nullopt;
}

}  // namespace

std::optional<DeclaredImageSize> read_declared_image_size(const uint8_t* data, size_t size) {
  const Bytes b(data, size);
  for (Size (*reader)(const Bytes&) : {png, jpeg, bmp, tiff, webp, jpeg2000}) {
    if (Size found = reader(b)) return found;
  }
  return pnm(b, data);
}

}  // namespace gramlite::data
