#include "interop/zip_reader.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "zip_builder.h"

namespace gramlite::interop {
namespace {

using testing::build_zip;
using testing::to_buffer;
using testing::ZipBuildEntry;
using testing::ZipBuildOptions;

std::string as_string(const Buffer& buffer) { return std::string(reinterpret_cast<const char*>(buffer.data()), buffer.size()); }

std::vector<ZipBuildEntry> sample_entries() {
  return {{"archive/data.pkl", "pickle bytes", 0}, {"archive/data/0", std::string(100, '\x07'), 0},
          {"archive/version", "3\n", 0}};
}

TEST(ZipReader, ReadsStoredEntriesAsAlignedViews) {
  Result<ZipArchive> archive = ZipArchive::open(to_buffer(build_zip(sample_entries())), "sample.zip");
  ASSERT_TRUE(archive.ok()) << archive.status().message();
  ASSERT_EQ(archive->entries().size(), 3u);
  EXPECT_EQ(archive->entries()[1].name, "archive/data/0");
  Result<Buffer> data = archive->read("archive/data/0");
  ASSERT_TRUE(data.ok()) << data.status().message();
  EXPECT_EQ(as_string(*data), std::string(100, '\x07'));
  // The builder aligns like PyTorch; the reader must hand out views at those addresses.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data->data()) % 64, 0u);
  EXPECT_EQ(as_string(archive->read("archive/version").value()), "3\n");
  EXPECT_EQ(archive->find("nope"), nullptr);
  Result<Buffer> missing = archive->read("archive/nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(ZipReader, ReadsZip64RecordsAndExtraFields) {
  ZipBuildOptions options;
  options.zip64 = true;
  Result<ZipArchive> archive = ZipArchive::open(to_buffer(build_zip(sample_entries(), options)), "z64.zip");
  ASSERT_TRUE(archive.ok()) << archive.status().message();
  ASSERT_EQ(archive->entries().size(), 3u);
  EXPECT_EQ(archive->entries()[1].size, 100u);
  EXPECT_EQ(as_string(archive->read("archive/data.pkl").value()), "pickle bytes");
}

TEST(ZipReader, FindsTheEndRecordBeforeAComment) {
  ZipBuildOptions options;
  options.comment = std::string(300, 'c');
  options.alignment = 1;
  Result<ZipArchive> archive = ZipArchive::open(to_buffer(build_zip(sample_entries(), options)), "c.zip");
  ASSERT_TRUE(archive.ok()) << archive.status().message();
  EXPECT_EQ(as_string(archive->read("archive/data.pkl").value()), "pickle bytes");
}

TEST(ZipReader, RefusesCompressedEntriesNamingThem) {
  std::vector<ZipBuildEntry> entries = sample_entries();
  entries[0].method = 8;  // deflate
  Result<ZipArchive> archive = ZipArchive::open(to_buffer(build_zip(entries)), "deflated.zip");
  ASSERT_TRUE(archive.ok()) << archive.status().message();  // listing works; reading does not
  Result<Buffer> data = archive->read("archive/data.pkl");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(data.status().message().find("'archive/data.pkl'"), std::string::npos) << data.status().message();
  EXPECT_NE(data.status().message().find("compressed (method 8)"), std::string::npos) << data.status().message();
  EXPECT_NE(data.status().message().find("deflated.zip"), std::string::npos);
}

TEST(ZipReader, DetectsCrcMismatch) {
  std::string bytes = build_zip(sample_entries());
  const size_t at = bytes.find(std::string(100, '\x07'));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 50] = '\x08';
  Result<ZipArchive> archive = ZipArchive::open(to_buffer(bytes), "flipped.zip");
  ASSERT_TRUE(archive.ok());
  Result<Buffer> data = archive->read("archive/data/0");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(data.status().message().find("CRC-32"), std::string::npos) << data.status().message();
  EXPECT_TRUE(archive->read("archive/data/0", /*verify_crc=*/false).ok());
}

TEST(ZipReader, RejectsNonZipAndEmptyInput) {
  EXPECT_EQ(ZipArchive::open(to_buffer("hello, this is not a zip file at all......"), "x").status().code(),
            StatusCode::kCorruptData);
  EXPECT_EQ(ZipArchive::open(Buffer(), "empty").status().code(), StatusCode::kCorruptData);
}

TEST(ZipReader, RejectsDuplicateNames) {
  std::vector<ZipBuildEntry> entries = sample_entries();
  entries.push_back(entries[0]);
  Result<ZipArchive> archive = ZipArchive::open(to_buffer(build_zip(entries)), "dup.zip");
  ASSERT_FALSE(archive.ok());
  EXPECT_NE(archive.status().message().find("twice"), std::string::npos);
}

// Every truncation of a valid archive either fails cleanly or (when only trailing bytes beyond the
// end record vanish, which cannot happen here) still reads; nothing may crash or read out of bounds.
TEST(ZipReader, EveryTruncationFailsCleanly) {
  for (bool zip64 : {false, true}) {
    ZipBuildOptions options;
    options.zip64 = zip64;
    const std::string bytes = build_zip(sample_entries(), options);
    for (size_t length = 0; length < bytes.size(); ++length) {
      Result<ZipArchive> archive = ZipArchive::open(to_buffer(bytes.substr(0, length)), "cut.zip");
      if (!archive.ok()) {
        EXPECT_EQ(archive.status().code(), StatusCode::kCorruptData) << length << ": " << archive.status().message();
        continue;
      }
      for (const ZipEntry& entry : archive->entries()) (void)archive->read(entry);
    }
  }
}

// Random byte corruption anywhere: the reader may accept or refuse, but must stay in bounds (run
// under -fsanitize=address to make this test bite).
TEST(ZipReader, SurvivesRandomCorruption) {
  std::mt19937 random(42);
  for (bool zip64 : {false, true}) {
    ZipBuildOptions options;
    options.zip64 = zip64;
    const std::string original = build_zip(sample_entries(), options);
    for (int trial = 0; trial < 3000; ++trial) {
      std::string bytes = original;
      const int flips = 1 + static_cast<int>(random() % 4);
      for (int f = 0; f < flips; ++f) bytes[random() % bytes.size()] = static_cast<char>(random() & 0xFF);
      Result<ZipArchive> archive = ZipArchive::open(to_buffer(bytes), "fuzz.zip");
      if (!archive.ok()) continue;
      for (const ZipEntry& entry : archive->entries()) (void)archive->read(entry);
    }
  }
}

TEST(ZipReader, Crc32MatchesKnownValue) {
  const std::string text = "123456789";
  EXPECT_EQ(crc32_of(reinterpret_cast<const uint8_t*>(text.data()), text.size()), 0xCBF43926u);
}

TEST(ZipReader, OpenFileReportsMissingFile) {
  Result<ZipArchive> archive = ZipArchive::open_file("/nonexistent/dir/weights.pt");
  ASSERT_FALSE(archive.ok());
  EXPECT_EQ(archive.status().code(), StatusCode::kNotFound);
  EXPECT_NE(archive.status().message().find("/nonexistent/dir/weights.pt"), std::string::npos);
}

}  // namespace
}  // namespace gramlite::interop
