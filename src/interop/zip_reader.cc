#include "interop/zip_reader.h"

#include <array>
#include <cstdio>
#include <memory>
#include <unordered_set>

#include "base/byte_reader.h"
#include "base/input_file.h"

namespace gramlite::interop {
namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr size_t kEndRecordSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kMaxCommentSize = 0xFFFF;

struct EndRecord {
  uint64_t entry_count = 0;
  uint64_t directory_size = 0;
  uint64_t directory_offset = 0;
};

// Scans backwards for the end-of-central-directory record; the archive comment (up to 64 KiB) may
// follow it, so the signature is not necessarily 22 bytes from the end.
bool find_end_record(const uint8_t* data, size_t size, size_t& position) {
  if (size < kEndRecordSize) return false;
  const size_t last = size - kEndRecordSize;
  const size_t first = last > kMaxCommentSize ? last - kMaxCommentSize : 0;
  for (size_t p = last + 1; p-- > first;) {
    ByteReader reader(data + p, size - p);
    uint32_t signature = 0;
    if (!reader.read_u32(signature) || signature != kEndSignature) continue;
    uint16_t comment_size = 0;
    reader.seek(20);
    if (reader.read_u16(comment_size) && p + kEndRecordSize + comment_size <= size) {
      position = p;
      return true;
    }
  }
  return false;
}

Status read_end_record(const Buffer& bytes, const std::string& name, EndRecord& end) {
  size_t position = 0;
  if (!find_end_record(bytes.data(), bytes.size(), position)) {
    return corrupt_data("'", name, "' is not a ZIP archive or is truncated: no end-of-central-directory record");
  }
  ByteReader reader(bytes.data(), bytes.size());
  reader.seek(position + 4);
  uint16_t disk = 0, directory_disk = 0, entries_on_disk = 0, entries_total = 0;
  uint32_t directory_size = 0, directory_offset = 0;
  reader.read_u16(disk);
  reader.read_u16(directory_disk);
  reader.read_u16(entries_on_disk);
  reader.read_u16(entries_total);
  reader.read_u32(directory_size);
  reader.read_u32(directory_offset);
  end.entry_count = entries_total;
  end.directory_size = directory_size;
  end.directory_offset = directory_offset;

  // Any field saturated at its maximum means the real value is in the ZIP64 end record, which a
  // locator placed right before this record points to.
  const bool needs_zip64 = entries_total == 0xFFFF || directory_size == 0xFFFFFFFFu ||
                           directory_offset == 0xFFFFFFFFu;
  if (position >= kZip64LocatorSize) {
    ByteReader locator(bytes.data(), bytes.size());
    locator.seek(position - kZip64LocatorSize);
    uint32_t signature = 0, zip64_disk = 0, disk_count = 0;
    uint64_t zip64_offset = 0;
    locator.read_u32(signature);
    if (signature == kZip64LocatorSignature) {
      locator.read_u32(zip64_disk);
      locator.read_u64(zip64_offset);
      locator.read_u32(disk_count);
      ByteReader record(bytes.data(), bytes.size());
      uint32_t record_signature = 0;
      uint64_t record_size = 0;
      uint32_t record_disk = 0, record_directory_disk = 0;
      uint64_t record_entries_on_disk = 0;
      if (zip64_offset > bytes.size() || !record.seek(static_cast<size_t>(zip64_offset)) ||
          !record.read_u32(record_signature) || record_signature != kZip64EndSignature ||
          !record.read_u64(record_size) || !record.skip(4) || !record.read_u32(record_disk) ||
          !record.read_u32(record_directory_disk) || !record.read_u64(record_entries_on_disk) ||
          !record.read_u64(end.entry_count) || !record.read_u64(end.directory_size) ||
          !record.read_u64(end.directory_offset)) {
        return corrupt_data("'", name, "': the ZIP64 end-of-central-directory record is missing or truncated");
      }
      if (record_disk != 0 || record_directory_disk != 0 || disk_count > 1) {
        return unsupported("'", name, "' is a multi-volume ZIP archive");
      }
      return Status::Ok();
    }
  }
  if (needs_zip64) {
    return corrupt_data("'", name, "': the end record needs a ZIP64 record but none was found");
  }
  if (disk != 0 || directory_disk != 0 || entries_on_disk != entries_total) {
    return unsupported("'", name, "' is a multi-volume ZIP archive");
  }
  return Status::Ok();
}

// Replaces the saturated 32-bit fields of a central directory entry with the 64-bit values of its
// ZIP64 extra field, which lists only the saturated ones, in this fixed order.
Status apply_zip64_extra(const uint8_t* extra, size_t extra_size, uint32_t raw_size,
                         uint32_t raw_compressed_size, uint32_t raw_offset, ZipEntry& entry,
                         const std::string& name) {
  ByteReader reader(extra, extra_size);
  while (reader.remaining() >= 4) {
    uint16_t id = 0, field_size = 0;
    reader.read_u16(id);
    reader.read_u16(field_size);
    const uint8_t* field = reader.take(field_size);
    if (field == nullptr) {
      return corrupt_data("'", name, "': entry '", entry.name, "' has a truncated extra field");
    }
    if (id != kZip64ExtraId) continue;
    ByteReader values(field, field_size);
    if (raw_size == 0xFFFFFFFFu && !values.read_u64(entry.size)) break;
    if (raw_compressed_size == 0xFFFFFFFFu && !values.read_u64(entry.compressed_size)) break;
    if (raw_offset == 0xFFFFFFFFu && !values.read_u64(entry.local_header_offset)) break;
    return Status::Ok();
  }
  if (raw_size == 0xFFFFFFFFu || raw_compressed_size == 0xFFFFFFFFu || raw_offset == 0xFFFFFFFFu) {
    return corrupt_data("'", name, "': entry '", entry.name, "' needs a ZIP64 extra field but has none");
  }
  return Status::Ok();
}

Status read_central_directory(const Buffer& bytes, const std::string& name, const EndRecord& end,
                              std::vector<ZipEntry>& entries) {
  if (end.directory_offset > bytes.size() || end.directory_size > bytes.size() - end.directory_offset) {
    return corrupt_data("'", name, "': the central directory lies outside the file (truncated?)");
  }
  if (end.entry_count > end.directory_size / kCentralHeaderSize) {
    return corrupt_data("'", name, "': the end record claims ", end.entry_count,
                        " entries, more than the central directory can hold");
  }
  ByteReader reader(bytes.data() + end.directory_offset, static_cast<size_t>(end.directory_size));
  entries.reserve(static_cast<size_t>(end.entry_count));
  std::unordered_set<std::string> names;
  for (uint64_t i = 0; i < end.entry_count; ++i) {
    uint32_t signature = 0, crc = 0, compressed_size = 0, size = 0, external_attributes = 0, offset = 0;
    uint16_t version_made = 0, version_needed = 0, flags = 0, method = 0, time = 0, date = 0;
    uint16_t name_size = 0, extra_size = 0, comment_size = 0, disk_start = 0, internal_attributes = 0;
    const bool header_ok = reader.read_u32(signature) && signature == kCentralHeaderSignature &&
                           reader.read_u16(version_made) && reader.read_u16(version_needed) &&
                           reader.read_u16(flags) && reader.read_u16(method) && reader.read_u16(time) &&
                           reader.read_u16(date) && reader.read_u32(crc) && reader.read_u32(compressed_size) &&
                           reader.read_u32(size) && reader.read_u16(name_size) && reader.read_u16(extra_size) &&
                           reader.read_u16(comment_size) && reader.read_u16(disk_start) &&
                           reader.read_u16(internal_attributes) && reader.read_u32(external_attributes) &&
                           reader.read_u32(offset);
    if (!header_ok) {
      return corrupt_data("'", name, "': central directory entry ", i, " is corrupt or truncated");
    }
    ZipEntry entry;
    entry.method = method;
    entry.flags = flags;
    entry.crc32 = crc;
    entry.compressed_size = compressed_size;
    entry.size = size;
    entry.local_header_offset = offset;
    const uint8_t* extra = nullptr;
    if (!reader.read_string(name_size, entry.name) || (extra = reader.take(extra_size)) == nullptr ||
        !reader.skip(comment_size)) {
      return corrupt_data("'", name, "': central directory entry ", i, " is truncated");
    }
    GRAMLITE_RETURN_IF_ERROR(
        apply_zip64_extra(extra, extra_size, size, compressed_size, offset, entry, name));
    if (!names.insert(entry.name).second) {
      return corrupt_data("'", name, "': the archive holds entry '", entry.name, "' twice");
    }
    entries.push_back(std::move(entry));
  }
  return Status::Ok();
}

const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

}  // namespace

uint32_t crc32_of(const uint8_t* data, size_t size) {
  const auto& table = crc_table();
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

bool looks_like_zip(const uint8_t* bytes, size_t size) {
  if (size < 4) return false;
  ByteReader reader(bytes, size);
  uint32_t signature = 0;
  reader.read_u32(signature);
  return signature == kLocalHeaderSignature || signature == kEndSignature;
}

// A missing file (or one that is not a regular file) is kNotFound, exit 3 like every missing input;
// kIoError (exit 1) is left for reads that fail on an existing file.
Result<Buffer> read_whole_file(const std::string& path) { return read_regular_file(path); }

Result<ZipArchive> ZipArchive::open(Buffer bytes, std::string display_name) {
  EndRecord end;
  GRAMLITE_RETURN_IF_ERROR(read_end_record(bytes, display_name, end));
  ZipArchive archive;
  GRAMLITE_RETURN_IF_ERROR(read_central_directory(bytes, display_name, end, archive.entries_));
  archive.bytes_ = std::move(bytes);
  archive.display_name_ = std::move(display_name);
  return archive;
}

Result<ZipArchive> ZipArchive::open_file(const std::string& path) {
  GRAMLITE_ASSIGN_OR_RETURN(Buffer bytes, read_whole_file(path));
  return open(std::move(bytes), path);
}

const ZipEntry* ZipArchive::find(std::string_view name) const {
  for (const ZipEntry& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

Result<Buffer> ZipArchive::read(std::string_view name, bool verify_crc) const {
  const ZipEntry* entry = find(name);
  if (entry == nullptr) return not_found("'", display_name_, "' has no entry '", name, "'");
  return read(*entry, verify_crc);
}

Result<Buffer> ZipArchive::read(const ZipEntry& entry, bool verify_crc) const {
  const std::string where = str_cat("'", display_name_, "': entry '", entry.name, "'");
  if (entry.flags & 1u) return unsupported(where, " is encrypted");
  if (entry.method != 0) {
    return unsupported(where, " is compressed (method ", entry.method,
                       "); only stored (uncompressed) entries are supported, as torch.save writes them");
  }
  if (entry.compressed_size != entry.size) {
    return corrupt_data(where, " is stored but its compressed and uncompressed sizes differ");
  }
  ByteReader reader(bytes_.data(), bytes_.size());
  uint32_t signature = 0;
  uint16_t name_size = 0, extra_size = 0;
  if (entry.local_header_offset > bytes_.size() || !reader.seek(static_cast<size_t>(entry.local_header_offset)) ||
      !reader.read_u32(signature) || signature != kLocalHeaderSignature || !reader.skip(22) ||
      !reader.read_u16(name_size) || !reader.read_u16(extra_size)) {
    return corrupt_data(where, " has no valid local header (corrupt or truncated archive)");
  }
  std::string local_name;
  if (!reader.read_string(name_size, local_name) || local_name != entry.name || !reader.skip(extra_size)) {
    return corrupt_data(where, ": the local header does not match the central directory");
  }
  const uint8_t* data = reader.take(entry.size);
  if (data == nullptr) return corrupt_data(where, " extends past the end of the file (truncated?)");
  if (verify_crc && crc32_of(data, static_cast<size_t>(entry.size)) != entry.crc32) {
    return corrupt_data(where, " fails its CRC-32 check (corrupt file)");
  }
  auto owner = std::make_shared<Buffer>(bytes_);
  return Buffer::view(std::move(owner), data, static_cast<size_t>(entry.size));
}

}  // namespace gramlite::interop
