#include "gramlite/format/header.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "file_surgery.h"
#include "format/checksum.h"

namespace gramlite::format {
namespace {

using ::testing::HasSubstr;

// A syntactically valid file: header, 24 graph bytes, padding, 100 weight bytes.
std::vector<uint8_t> make_file() {
  FileHeader h;
  h.graph_offset = kHeaderSize;
  h.graph_size = 24;
  h.weights_offset = align_up(h.graph_offset + h.graph_size);
  h.weights_size = 100;
  h.file_size = h.weights_offset + h.weights_size;
  std::vector<uint8_t> file(static_cast<size_t>(h.file_size), 0x5A);
  h.checksum = crc32c(file.data() + kHeaderSize, file.size() - kHeaderSize);
  encode_header(h, file.data());
  return file;
}

TEST(FileHeader, RoundTrips) {
  const std::vector<uint8_t> file = make_file();
  auto h = decode_header(file.data(), file.size(), true);
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->format_version, kFormatVersion);
  EXPECT_EQ(h->graph_offset, 64u);
  EXPECT_EQ(h->graph_size, 24u);
  EXPECT_EQ(h->weights_offset, 128u);
  EXPECT_EQ(h->weights_size, 100u);
  EXPECT_EQ(h->file_size, 228u);
  EXPECT_TRUE(verify_body_checksum(*h, file.data()).ok());
}

TEST(FileHeader, IsLittleEndianWithFixedOffsets) {
  const std::vector<uint8_t> file = make_file();
  EXPECT_EQ(std::string(file.begin(), file.begin() + 8), "GRAMLITE");
  EXPECT_EQ(file[8], kFormatVersion);  // version u32 LE at byte 8
  EXPECT_EQ(file[9], 0);
  EXPECT_EQ(file[12], 64);  // header size
  EXPECT_EQ(file[48], 228);  // file size u64 LE at byte 48
  EXPECT_EQ(file[49], 0);
}

TEST(FileHeader, RejectsWrongMagic) {
  std::vector<uint8_t> file = make_file();
  file[0] = 'X';
  auto h = decode_header(file.data(), file.size(), true);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), StatusCode::kCorruptData);
  EXPECT_THAT(h.status().message(), HasSubstr("not a gramlite model file"));
  const std::string png = "\x89PNG\r\n\x1a\n";
  EXPECT_THAT(decode_header(reinterpret_cast<const uint8_t*>(png.data()), png.size(), true).status().message(),
              HasSubstr("not a gramlite model file"));
}

TEST(FileHeader, RejectsFutureVersionBeforeTheChecksum) {
  std::vector<uint8_t> file = make_file();
  testing::put_u32_le(file, 8, 7);  // header checksum now wrong too: the version error must win
  auto h = decode_header(file.data(), file.size(), true);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(h.status().message(),
              HasSubstr("written by a newer gramlite: format version 7, this build reads up to 1"));
}

TEST(FileHeader, RejectsVersionZero) {
  std::vector<uint8_t> file = make_file();
  testing::put_u32_le(file, 8, 0);
  EXPECT_THAT(decode_header(file.data(), file.size(), false).status().message(), HasSubstr("format version 0"));
}

TEST(FileHeader, HeaderChecksumCatchesAFlippedLayoutByte) {
  std::vector<uint8_t> file = make_file();
  file[40] ^= 0x01;  // weights size
  auto h = decode_header(file.data(), file.size(), true);
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("header checksum mismatch"));
  // Without checksums the layout check still refuses it.
  h = decode_header(file.data(), file.size(), false);
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("weights section"));
}

TEST(FileHeader, ReportsTruncation) {
  const std::vector<uint8_t> file = make_file();
  for (size_t size : {size_t{0}, size_t{5}, size_t{8}, size_t{63}, size_t{64}, size_t{100}, file.size() - 1}) {
    auto h = decode_header(file.data(), size, true);
    ASSERT_FALSE(h.ok()) << size;
    if (size == 0) {
      EXPECT_THAT(h.status().message(), HasSubstr("empty")) << size;
    } else {
      EXPECT_THAT(h.status().message(), HasSubstr("truncated")) << size;
    }
  }
}

TEST(FileHeader, RejectsTrailingBytes) {
  std::vector<uint8_t> file = make_file();
  file.push_back(0);
  EXPECT_THAT(decode_header(file.data(), file.size(), true).status().message(),
              HasSubstr("unexpected bytes after the end"));
}

TEST(FileHeader, RejectsBadSectionLayout) {
  struct Case {
    size_t at;
    uint64_t value;
    const char* message;
  };
  const Case cases[] = {
      {12, 128, "header size"},                  // header size
      {16, 72, "graph section starts"},          // graph offset
      {24, 1000, "graph section"},               // graph size past the end
      {32, 96, "not a multiple of 64"},          // weights offset misaligned
      {32, 0, "overlaps the graph section"},     // weights before the graph
      {40, 99, "weights section"},               // weights size short
      {40, ~uint64_t{0}, "weights section"},     // overflow bait
      {24, ~uint64_t{0} - 10, "graph section"},  // overflow bait
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> file = make_file();
    if (c.at == 12) {
      testing::put_u32_le(file, c.at, static_cast<uint32_t>(c.value));
    } else {
      testing::put_u64_le(file, c.at, c.value);
    }
    auto h = decode_header(file.data(), file.size(), false);
    ASSERT_FALSE(h.ok()) << c.message;
    EXPECT_THAT(h.status().message(), HasSubstr(c.message));
  }
}

TEST(FileHeader, BodyChecksumMismatchIsReported) {
  std::vector<uint8_t> file = make_file();
  file[150] ^= 0x80;
  auto h = decode_header(file.data(), file.size(), true);
  ASSERT_TRUE(h.ok());
  const Status s = verify_body_checksum(*h, file.data());
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_THAT(s.message(), HasSubstr("checksum mismatch"));
}

}  // namespace
}  // namespace gramlite::format
