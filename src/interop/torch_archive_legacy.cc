// The legacy (pre-1.6) container of torch.save: concatenated pickles, then raw storages.
#include <cstring>
#include <memory>
#include <unordered_map>

#include "base/byte_reader.h"
#include "interop/pickle_reader.h"
#include "interop/torch_archive.h"

namespace gramlite::interop::detail {
namespace {

// torch.serialization.MAGIC_NUMBER = 0x1950a86a20f9469cfc6c, pickled as a 10-byte LONG1.
constexpr uint8_t kMagicLittleEndian[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int64_t kProtocolVersion = 1001;

class LegacyReader {
 public:
  LegacyReader(const Buffer& bytes, const std::string& source) : bytes_(bytes), source_(source) {}

  Result<TorchPickleFile> read() {
    GRAMLITE_ASSIGN_OR_RETURN(ParsedPickle magic, next_pickle("magic number"));
    const PickleValue& magic_value = magic.document.at(magic.document.root());
    if (magic_value.kind != PickleKind::kBigInt || magic_value.text.size() != sizeof(kMagicLittleEndian) ||
        std::memcmp(magic_value.text.data(), kMagicLittleEndian, sizeof(kMagicLittleEndian)) != 0) {
      return corrupt_data("'", source_, "' is a pickle but not a torch.save file (wrong magic number)");
    }
    GRAMLITE_ASSIGN_OR_RETURN(ParsedPickle protocol, next_pickle("protocol version"));
    if (protocol.document.as_int(protocol.document.root()) != kProtocolVersion) {
      return unsupported("'", source_, "': unsupported legacy torch protocol version ",
                         protocol.document.describe(protocol.document.root()));
    }
    GRAMLITE_ASSIGN_OR_RETURN(ParsedPickle sys_info, next_pickle("sys_info"));
    const auto little_endian = sys_info.document.dict_get(sys_info.document.root(), "little_endian");
    if (little_endian && sys_info.document.as_int(*little_endian) == 0) {
      return unsupported("'", source_, "' was written on a big-endian machine; only little-endian is supported");
    }

    GRAMLITE_ASSIGN_OR_RETURN(ParsedPickle main, next_pickle("the saved object"));
    TorchPickleFile file;
    file.document = std::move(main.document);
    file.container_format = "legacy";

    GRAMLITE_ASSIGN_OR_RETURN(ParsedPickle keys, next_pickle("storage keys"));
    const std::vector<PickleRef>* key_list = keys.document.as_sequence(keys.document.root());
    if (key_list == nullptr) return corrupt_data("'", source_, "': the storage key list is not a list");

    GRAMLITE_ASSIGN_OR_RETURN(auto dtypes, storage_dtypes(file.document));
    for (PickleRef key_ref : *key_list) {
      const auto key = keys.document.as_string(key_ref);
      if (!key) return corrupt_data("'", source_, "': a storage key is not a string");
      auto dtype = dtypes.find(std::string(*key));
      if (dtype == dtypes.end()) {
        return corrupt_data("'", source_, "': storage '", *key, "' is listed but no tensor refers to it");
      }
      GRAMLITE_ASSIGN_OR_RETURN(Buffer storage, next_storage(*key, dtype->second));
      file.storages.emplace(std::string(*key), std::move(storage));
    }
    return file;
  }

 private:
  Result<ParsedPickle> next_pickle(const char* what) {
    if (position_ >= bytes_.size()) {
      return corrupt_data("'", source_, "' ends before ", what, " (truncated legacy torch file)");
    }
    GRAMLITE_ASSIGN_OR_RETURN(ParsedPickle parsed,
                              parse_pickle(bytes_.data() + position_, bytes_.size() - position_,
                                           str_cat("'", source_, "' (", what, " at byte ", position_, ")")));
    position_ += parsed.bytes_consumed;
    return parsed;
  }

  // Element types come from the persistent ids in the main pickle, not from the raw section.
  Result<std::unordered_map<std::string, TorchDType>> storage_dtypes(const PickleDocument& document) {
    std::unordered_map<std::string, TorchDType> dtypes;
    for (PickleRef ref = 0; ref < document.size(); ++ref) {
      if (document.at(ref).kind != PickleKind::kPersistentId) continue;
      GRAMLITE_ASSIGN_OR_RETURN(StorageRef storage,
                                parse_storage_ref(document, ref, str_cat("'", source_, "'")));
      dtypes.emplace(storage.key, storage.dtype);
    }
    return dtypes;
  }

  Result<Buffer> next_storage(std::string_view key, TorchDType dtype) {
    ByteReader reader(bytes_.data(), bytes_.size());
    reader.seek(position_);
    uint64_t numel = 0;
    const uint64_t element_size = torch_dtype_size(dtype);
    if (!reader.read_u64(numel) || numel > reader.remaining() / element_size) {
      return corrupt_data("'", source_, "': storage '", key, "' at byte ", position_,
                          " runs past the end of the file (truncated?)");
    }
    const uint8_t* data = reader.take(numel * element_size);
    position_ = reader.position();
    auto owner = std::make_shared<Buffer>(bytes_);
    return Buffer::view(std::move(owner), data, static_cast<size_t>(numel * element_size));
  }

  const Buffer& bytes_;
  const std::string& source_;
  size_t position_ = 0;
};

}  // namespace

Result<TorchPickleFile> open_torch_legacy(const Buffer& bytes, const std::string& source) {
  LegacyReader reader(bytes, source);
  return reader.read();
}

}  // namespace gramlite::interop::detail
