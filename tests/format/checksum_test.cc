#include "format/checksum.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace gramlite::format {
namespace {

// The bit-at-a-time definition, to check the table-driven one against.
uint32_t crc32c_bitwise(const uint8_t* data, size_t size) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? 0x82F63B78u : 0u);
  }
  return ~crc;
}

TEST(Crc32c, KnownVectors) {
  // RFC 3720 (iSCSI) appendix B.4 and the standard check value.
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
  std::vector<uint8_t> zeros(32, 0x00);
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  std::vector<uint8_t> ones(32, 0xFF);
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  std::vector<uint8_t> ascending(32);
  for (size_t i = 0; i < 32; ++i) ascending[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(crc32c(ascending.data(), ascending.size()), 0x46DD794Eu);
}

TEST(Crc32c, MatchesBitwiseDefinitionAtEveryLengthAndAlignment) {
  std::vector<uint8_t> data(300);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
  for (size_t start = 0; start < 9; ++start) {
    for (size_t size = 0; start + size <= data.size(); size += 7) {
      ASSERT_EQ(crc32c(data.data() + start, size), crc32c_bitwise(data.data() + start, size))
          << "start " << start << " size " << size;
    }
  }
}

TEST(Crc32c, ExtendEqualsOneShot) {
  const std::string text = "gramlite checksums the whole file body in pieces";
  const uint32_t whole = crc32c(text.data(), text.size());
  for (size_t split = 0; split <= text.size(); ++split) {
    const uint32_t first = crc32c(text.data(), split);
    EXPECT_EQ(crc32c_extend(first, text.data() + split, text.size() - split), whole) << split;
  }
}

}  // namespace
}  // namespace gramlite::format
