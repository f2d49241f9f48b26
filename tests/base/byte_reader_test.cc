// ByteReader guards four parsers of untrusted files (model header, .pth zip and pickle, ONNX
// sizes, checkpoints): every read is bounds-checked, a failed read moves nothing, and no length
// field can push the cursor past the end through overflow.
#include "base/byte_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace gramlite {
namespace {

const std::vector<uint8_t> kBytes = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
                                     0x0d, 0x0e, 0x0f, 0x10, 0xff};

TEST(ByteReader, ReadsEveryWidthLittleEndian) {
  ByteReader r(kBytes.data(), kBytes.size());
  uint8_t u8 = 0;
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  ASSERT_TRUE(r.read_u8(u8));
  EXPECT_EQ(u8, 0x01);
  ASSERT_TRUE(r.read_u16(u16));
  EXPECT_EQ(u16, 0x0302);
  ASSERT_TRUE(r.read_u32(u32));
  EXPECT_EQ(u32, 0x07060504u);
  ASSERT_TRUE(r.read_u64(u64));
  EXPECT_EQ(u64, 0x0f0e0d0c0b0a0908ull);
  EXPECT_EQ(r.position(), 15u);
  EXPECT_EQ(r.remaining(), 2u);
  ASSERT_TRUE(r.read_u16(u16));
  EXPECT_EQ(u16, 0xff10);  // the high byte is not sign-extended
  EXPECT_TRUE(r.at_end());
}

TEST(ByteReader, HighBitsSurviveInEveryWidth) {
  const std::vector<uint8_t> ones(8, 0xff);
  ByteReader r(ones.data(), ones.size());
  uint64_t u64 = 0;
  ASSERT_TRUE(r.read_u64(u64));
  EXPECT_EQ(u64, std::numeric_limits<uint64_t>::max());
  ASSERT_TRUE(r.seek(4));
  uint32_t u32 = 0;
  ASSERT_TRUE(r.read_u32(u32));
  EXPECT_EQ(u32, std::numeric_limits<uint32_t>::max());
}

TEST(ByteReader, TruncatedReadsFailAndMoveNothing) {
  // Every read width at every position of every truncation of the input.
  for (size_t size = 0; size <= 9; ++size) {
    for (size_t start = 0; start <= size; ++start) {
      const size_t left = size - start;
      ByteReader r(kBytes.data(), size);
      ASSERT_TRUE(r.seek(start));
      uint8_t u8;
      uint16_t u16;
      uint32_t u32;
      uint64_t u64;
      EXPECT_EQ(r.read_u64(u64), left >= 8);
      if (left >= 8) {
        ASSERT_TRUE(r.seek(start));
      }
      EXPECT_EQ(r.position(), start);
      EXPECT_EQ(r.read_u32(u32), left >= 4);
      if (left >= 4) {
        ASSERT_TRUE(r.seek(start));
      }
      EXPECT_EQ(r.read_u16(u16), left >= 2);
      if (left >= 2) {
        ASSERT_TRUE(r.seek(start));
      }
      EXPECT_EQ(r.read_u8(u8), left >= 1);
      if (left >= 1) {
        ASSERT_TRUE(r.seek(start));
      }
      EXPECT_EQ(r.position(), start);
    }
  }
}

TEST(ByteReader, FailedReadLeavesTheOutputAlone) {
  ByteReader r(kBytes.data(), 3);
  uint32_t u32 = 0xdeadbeef;
  EXPECT_FALSE(r.read_u32(u32));
  EXPECT_EQ(u32, 0xdeadbeefu);
  std::string text = "kept";
  EXPECT_FALSE(r.read_string(4, text));
  EXPECT_EQ(text, "kept");
}

TEST(ByteReader, TakeAndReadStringAreBounded) {
  ByteReader r(kBytes.data(), kBytes.size());
  const uint8_t* first = r.take(3);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first, kBytes.data());
  EXPECT_EQ(r.take(kBytes.size()), nullptr);  // more than remain
  EXPECT_EQ(r.position(), 3u);
  std::string text;
  ASSERT_TRUE(r.read_string(2, text));
  EXPECT_EQ(text, std::string("\x04\x05", 2));
  ASSERT_TRUE(r.read_string(0, text));
  EXPECT_TRUE(text.empty());
  EXPECT_NE(r.take(r.remaining()), nullptr);  // exactly what remains
  EXPECT_TRUE(r.at_end());
  EXPECT_NE(r.take(0), nullptr);  // zero bytes at the end is fine
  EXPECT_EQ(r.take(1), nullptr);
}

TEST(ByteReader, HugeCountsCannotOverflowTheCursor) {
  // Length fields come from the file: a count near 2^64 must fail, not wrap position + count.
  ByteReader r(kBytes.data(), kBytes.size());
  ASSERT_TRUE(r.skip(5));
  for (uint64_t count : {std::numeric_limits<uint64_t>::max(), std::numeric_limits<uint64_t>::max() - 4,
                         uint64_t{std::numeric_limits<size_t>::max()}, uint64_t{1} << 63, uint64_t{kBytes.size()}}) {
    EXPECT_FALSE(r.skip(count)) << count;
    EXPECT_EQ(r.take(count), nullptr) << count;
    std::string text;
    EXPECT_FALSE(r.read_string(count, text)) << count;
    EXPECT_EQ(r.position(), 5u);
  }
  EXPECT_FALSE(r.seek(std::numeric_limits<size_t>::max()));
  EXPECT_FALSE(r.seek(kBytes.size() + 1));
  EXPECT_EQ(r.position(), 5u);
  EXPECT_TRUE(r.seek(kBytes.size()));  // the end itself is a valid position
  EXPECT_TRUE(r.at_end());
  EXPECT_TRUE(r.skip(0));
  EXPECT_FALSE(r.skip(1));
}

TEST(ByteReader, EmptyInputAndNullData) {
  ByteReader r(nullptr, 0);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(r.remaining(), 0u);
  uint8_t u8;
  EXPECT_FALSE(r.read_u8(u8));
  EXPECT_FALSE(r.skip(1));
  EXPECT_TRUE(r.seek(0));
  EXPECT_FALSE(r.seek(1));
}

}  // namespace
}  // namespace gramlite
