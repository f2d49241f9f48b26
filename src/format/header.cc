#include "gramlite/format/header.h"

#include <cstring>
#include <iomanip>
#include <sstream>

#include "format/checksum.h"

namespace gramlite::format {
namespace {

// Byte offsets of the header fields. The magic and the version never move, so that any future
// reader can tell what it holds before trusting the rest of the layout.
constexpr size_t kVersionAt = 8;
constexpr size_t kHeaderSizeAt = 12;
constexpr size_t kGraphOffsetAt = 16;
constexpr size_t kGraphSizeAt = 24;
constexpr size_t kWeightsOffsetAt = 32;
constexpr size_t kWeightsSizeAt = 40;
constexpr size_t kFileSizeAt = 48;
constexpr size_t kChecksumAt = 56;
constexpr size_t kHeaderChecksumAt = 60;
static_assert(kHeaderChecksumAt + 4 == kHeaderSize, "the header checksum is the last field");

// The flatbuffer's scalars are at most 8 bytes wide; its section must start 8-aligned so that
// reading them in place is aligned.
constexpr uint64_t kGraphAlignment = 8;

void put_u32(uint8_t* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_u64(uint8_t* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_u32(const uint8_t* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(in[i]) << (8 * i);
  return v;
}
uint64_t get_u64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(in[i]) << (8 * i);
  return v;
}

std::string hex32(uint32_t v) {
  std::ostringstream out;
  out << "0x" << std::hex << std::setw(8) << std::setfill('0') << v;
  return out.str();
}

bool starts_with_magic(const uint8_t* data, size_t size) {
  const size_t n = size < sizeof(kMagic) ? size : sizeof(kMagic);
  return n > 0 && std::memcmp(data, kMagic, n) == 0;
}

// Checks the section layout: [header][graph][padding][weights], nothing missing or extra.
Status check_layout(const FileHeader& h, size_t actual_size) {
  if (h.file_size != actual_size) {
    if (actual_size < h.file_size) {
      return corrupt_data("truncated: the header says the file is ", h.file_size, " bytes, but only ",
                          actual_size, " are there");
    }
    return corrupt_data("the file is ", actual_size, " bytes, but its header says ", h.file_size,
                        ": unexpected bytes after the end of the model");
  }
  if (h.graph_offset != h.header_size || h.graph_offset % kGraphAlignment != 0) {
    return corrupt_data("the graph section starts at byte ", h.graph_offset, ", expected ", h.header_size);
  }
  if (h.graph_size > h.file_size - h.graph_offset) {
    return corrupt_data("truncated: the graph section (", h.graph_size, " bytes at ", h.graph_offset,
                        ") runs past the end of the ", h.file_size, "-byte file");
  }
  const uint64_t graph_end = h.graph_offset + h.graph_size;
  if (h.weights_offset < graph_end || h.weights_offset > h.file_size) {
    return corrupt_data("the weights section offset ", h.weights_offset,
                        " is outside the file or overlaps the graph section (which ends at ", graph_end, ")");
  }
  if (h.weights_offset % kWeightAlignment != 0) {
    return corrupt_data("the weights section offset ", h.weights_offset, " is not a multiple of ",
                        kWeightAlignment);
  }
  if (h.weights_size != h.file_size - h.weights_offset) {
    return corrupt_data("truncated: the weights section (", h.weights_size, " bytes at ", h.weights_offset,
                        ") does not end at the end of the ", h.file_size, "-byte file");
  }
  return Status::Ok();
}

}  // namespace

void encode_header(const FileHeader& header, uint8_t* out) {
  std::memset(out, 0, kHeaderSize);
  std::memcpy(out, kMagic, sizeof(kMagic));
  put_u32(out + kVersionAt, header.format_version);
  put_u32(out + kHeaderSizeAt, header.header_size);
  put_u64(out + kGraphOffsetAt, header.graph_offset);
  put_u64(out + kGraphSizeAt, header.graph_size);
  put_u64(out + kWeightsOffsetAt, header.weights_offset);
  put_u64(out + kWeightsSizeAt, header.weights_size);
  put_u64(out + kFileSizeAt, header.file_size);
  put_u32(out + kChecksumAt, header.checksum);
  put_u32(out + kHeaderChecksumAt, crc32c(out, kHeaderChecksumAt));
}

Result<FileHeader> decode_header(const uint8_t* data, size_t size, bool verify_checksum) {
  if (size < kHeaderSize) {
    if (starts_with_magic(data, size)) {
      return corrupt_data("truncated: the file is ", size, " bytes, but a gramlite header alone is ",
                          kHeaderSize);
    }
    if (size == 0) return corrupt_data("not a gramlite model file: the file is empty");
    return corrupt_data("not a gramlite model file (it does not start with \"GRAMLITE\")");
  }
  if (std::memcmp(data, kMagic, sizeof(kMagic)) != 0) {
    return corrupt_data("not a gramlite model file (it does not start with \"GRAMLITE\")");
  }
  FileHeader h;
  h.format_version = get_u32(data + kVersionAt);
  // The version is checked before the header checksum: a newer format may lay out (and checksum)
  // its header differently, and "too new" is the useful message then.
  if (h.format_version > kFormatVersion) {
    return unsupported("written by a newer gramlite: format version ", h.format_version,
                       ", this build reads up to ", kFormatVersion);
  }
  if (h.format_version == 0) return corrupt_data("invalid format version 0");
  h.header_size = get_u32(data + kHeaderSizeAt);
  h.graph_offset = get_u64(data + kGraphOffsetAt);
  h.graph_size = get_u64(data + kGraphSizeAt);
  h.weights_offset = get_u64(data + kWeightsOffsetAt);
  h.weights_size = get_u64(data + kWeightsSizeAt);
  h.file_size = get_u64(data + kFileSizeAt);
  h.checksum = get_u32(data + kChecksumAt);
  h.header_checksum = get_u32(data + kHeaderChecksumAt);
  if (verify_checksum) {
    const uint32_t computed = crc32c(data, kHeaderChecksumAt);
    if (computed != h.header_checksum) {
      return corrupt_data("header checksum mismatch (stored ", hex32(h.header_checksum), ", computed ",
                          hex32(computed), "): the file is corrupt");
    }
  }
  if (h.header_size != kHeaderSize) {
    return corrupt_data("header size ", h.header_size, " is not ", kHeaderSize, " as format version ",
                        h.format_version, " requires");
  }
  GRAMLITE_RETURN_IF_ERROR(check_layout(h, size));
  return h;
}

uint32_t compute_body_checksum(const FileHeader& header, const uint8_t* data) {
  return crc32c(data + header.header_size, static_cast<size_t>(header.file_size - header.header_size));
}

Status verify_body_checksum(const FileHeader& header, const uint8_t* data) {
  const uint32_t computed = compute_body_checksum(header, data);
  if (computed != header.checksum) {
    return corrupt_data("checksum mismatch (stored ", hex32(header.checksum), ", computed ", hex32(computed),
                        "): the file is corrupt or was changed after it was written");
  }
  return Status::Ok();
}

}  // namespace gramlite::format
