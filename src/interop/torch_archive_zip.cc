// The zip container of torch.save (PyTorch >= 1.6).
#include <string>

#include "interop/pickle_reader.h"
#include "interop/torch_archive.h"
#include "interop/zip_reader.h"

namespace gramlite::interop::detail {
namespace {

// The archive's single top-level folder is named after the file at save time ("archive" or the
// file's stem), so find it through its data.pkl rather than assuming a name.
Result<std::string> find_archive_prefix(const ZipArchive& archive) {
  std::string prefix;
  bool has_code = false;
  for (const ZipEntry& entry : archive.entries()) {
    const size_t slash = entry.name.find('/');
    if (slash == std::string::npos) continue;
    const std::string rest = entry.name.substr(slash + 1);
    if (rest == "data.pkl") {
      if (!prefix.empty()) {
        return corrupt_data("'", archive.display_name(), "' holds more than one data.pkl");
      }
      prefix = entry.name.substr(0, slash + 1);
    }
    if (rest.rfind("code/", 0) == 0) has_code = true;
  }
  if (has_code) {
    return unsupported("'", archive.display_name(),
                       "' is a TorchScript archive (torch.jit.save), not a state_dict; load it in Python "
                       "and torch.save(model.state_dict(), path)");
  }
  if (prefix.empty()) {
    return corrupt_data("'", archive.display_name(), "' is a ZIP archive but not a torch.save file (no data.pkl)");
  }
  return prefix;
}

}  // namespace

Result<TorchPickleFile> open_torch_zip(const Buffer& bytes, const std::string& source, bool verify_crc) {
  GRAMLITE_ASSIGN_OR_RETURN(ZipArchive archive, ZipArchive::open(bytes, source));
  GRAMLITE_ASSIGN_OR_RETURN(std::string prefix, find_archive_prefix(archive));

  if (const ZipEntry* byteorder = archive.find(prefix + "byteorder")) {
    GRAMLITE_ASSIGN_OR_RETURN(Buffer order, archive.read(*byteorder, verify_crc));
    const std::string text(reinterpret_cast<const char*>(order.data()), order.size());
    if (text != "little") {
      return unsupported("'", source, "' stores tensors in '", text, "' byte order; only little-endian is supported");
    }
  }

  GRAMLITE_ASSIGN_OR_RETURN(Buffer pickle_bytes, archive.read(prefix + "data.pkl", verify_crc));
  GRAMLITE_ASSIGN_OR_RETURN(ParsedPickle parsed,
                            parse_pickle(pickle_bytes.data(), pickle_bytes.size(),
                                         str_cat("'", source, "': ", prefix, "data.pkl")));
  TorchPickleFile file;
  file.document = std::move(parsed.document);
  file.container_format = "zip";

  const std::string data_prefix = prefix + "data/";
  for (const ZipEntry& entry : archive.entries()) {
    if (entry.name.size() <= data_prefix.size() || entry.name.compare(0, data_prefix.size(), data_prefix) != 0) {
      continue;
    }
    GRAMLITE_ASSIGN_OR_RETURN(Buffer storage, archive.read(entry, verify_crc));
    file.storages.emplace(entry.name.substr(data_prefix.size()), std::move(storage));
  }
  return file;
}

}  // namespace gramlite::interop::detail
