// CRC-32C (Castagnoli): the model file's checksum.
//
// CRC-32C rather than zlib's CRC-32 because it detects more error patterns at file sizes like
// ours and is the checksum storage formats (iSCSI, ext4, LevelDB) settled on; a future build can
// switch to the SSE4.2 / ARMv8 crc32c instructions without changing a single stored value.
// Dependency-free, portable slice-by-8 (about 1-2 GB/s), so checking a 100 MB model costs well
// under 0.1 s.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gramlite::format {

// CRC-32C of `size` bytes; crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const void* data, size_t size);

// Continues a running checksum: crc32c_extend(crc32c(a), b) == crc32c(a followed by b).
// Start from 0 for an empty prefix.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);

}  // namespace gramlite::format
