// The fixed 64-byte header at the start of every gramlite model file (docs/model-format.md).
//
// All fields are little-endian whatever the host. The header says where the graph section (a
// FlatBuffer, src/format/model.fbs) and the weights section lie, and carries two CRC-32C
// checksums: one over the rest of the header, one over everything after it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gramlite/base/status.h"

// Weights are stored, and viewed in place, in the host's byte order; the format says
// little-endian, so a big-endian build would need byte-swapping copies. No target needs that yet.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "gramlite model files store little-endian weights; big-endian hosts are not supported"
#endif

namespace gramlite::format {

inline constexpr char kMagic[8] = {'G', 'R', 'A', 'M', 'L', 'I', 'T', 'E'};

// Bumped when a reader of the previous version would misread a new file (see the spec's
// "Versioning"); appending ops, dtypes or schema fields does not bump it.
inline constexpr uint32_t kFormatVersion = 1;

inline constexpr size_t kHeaderSize = 64;
// Every tensor's bytes start at a multiple of this, counted from the start of the file, so a
// page-aligned mapping hands kernels 64-byte aligned weights (one cache line, any SIMD width).
inline constexpr size_t kWeightAlignment = 64;

struct FileHeader {
  uint32_t format_version = kFormatVersion;
  uint32_t header_size = kHeaderSize;
  uint64_t graph_offset = 0;
  uint64_t graph_size = 0;
  uint64_t weights_offset = 0;
  uint64_t weights_size = 0;
  uint64_t file_size = 0;
  uint32_t checksum = 0;         // CRC-32C of bytes [header_size, file_size)
  uint32_t header_checksum = 0;  // CRC-32C of header bytes [0, 60)
};

// Writes `header` into out[0, kHeaderSize); computes and stores header_checksum.
void encode_header(const FileHeader& header, uint8_t* out);

// Reads and checks the header of a `size`-byte file at `data`: magic, version, the header's own
// checksum (if `verify_checksum`), and that the sections lie inside the file in order, aligned,
// with no bytes missing or left over. Does not check the body checksum (see verify_body_checksum).
Result<FileHeader> decode_header(const uint8_t* data, size_t size, bool verify_checksum);

// CRC-32C of the body (everything after the header) of a file whose header decoded.
uint32_t compute_body_checksum(const FileHeader& header, const uint8_t* data);
Status verify_body_checksum(const FileHeader& header, const uint8_t* data);

// Rounds up to the next multiple of kWeightAlignment.
constexpr uint64_t align_up(uint64_t value) {
  return (value + kWeightAlignment - 1) / kWeightAlignment * kWeightAlignment;
}

}  // namespace gramlite::format
