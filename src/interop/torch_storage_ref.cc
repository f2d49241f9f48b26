// Parsing of storage persistent ids, shared by the zip and legacy containers.
#include "interop/torch_archive.h"

namespace gramlite::interop::detail {

Result<StorageRef> parse_storage_ref(const PickleDocument& document, PickleRef persistent_id,
                                     const std::string& context) {
  const auto bad = [&](const std::string& why) {
    return corrupt_data(context, ": ", why, "; persistent id is ",
                        document.valid(persistent_id) ? document.describe(persistent_id) : "<missing>");
  };
  if (!document.valid(persistent_id) || document.at(persistent_id).kind != PickleKind::kPersistentId) {
    return bad("the tensor's storage is not a persistent id");
  }
  const std::vector<PickleRef>* fields = document.as_sequence(document.at(persistent_id).args);
  if (fields == nullptr || fields->size() < 5) return bad("expected ('storage', type, key, location, numel, ...)");
  if (document.as_string((*fields)[0]) != std::string_view("storage")) {
    return bad("only 'storage' persistent ids are supported");
  }
  StorageRef ref;
  const auto class_name = document.global_name((*fields)[1]);
  if (!class_name) return bad("the storage type is not a class reference");
  const auto dtype = dtype_of_storage_class(*class_name);
  if (!dtype) return Status(StatusCode::kUnsupported, str_cat(context, ": unsupported storage type ", *class_name));
  ref.dtype = *dtype;
  // Keys are strings; some old writers pickled them as ints.
  if (const auto key = document.as_string((*fields)[2])) {
    ref.key = std::string(*key);
  } else if (const auto key_number = document.as_int((*fields)[2])) {
    ref.key = std::to_string(*key_number);
  } else {
    return bad("the storage key is neither a string nor an int");
  }
  const auto numel = document.as_int((*fields)[4]);
  if (!numel || *numel < 0) return bad("the storage size is not a non-negative int");
  ref.numel = *numel;
  if (fields->size() >= 6 && document.at((*fields)[5]).kind != PickleKind::kNone) {
    // Legacy storage view: (view_key, offset, size) into the root storage named by `key`.
    const std::vector<PickleRef>* view = document.as_sequence((*fields)[5]);
    const auto offset = view && view->size() == 3 ? document.as_int((*view)[1]) : std::nullopt;
    const auto size = view && view->size() == 3 ? document.as_int((*view)[2]) : std::nullopt;
    if (!offset || !size || *offset < 0 || *size < 0) return bad("malformed storage view metadata");
    ref.offset = *offset;
    ref.numel = *size;
  }
  return ref;
}

}  // namespace gramlite::interop::detail
