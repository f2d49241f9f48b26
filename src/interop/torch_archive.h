// Internal to interop: the two containers torch.save writes, opened to the point where the main
// pickle is parsed and every storage's raw bytes are located.
//
//  - zip (PyTorch >= 1.6 default): `<archive>/data.pkl` plus one STORED entry `<archive>/data/<key>`
//    per storage; persistent ids are ('storage', StorageClass, key, location, numel).
//  - legacy (`_use_new_zipfile_serialization=False`, and most torchvision .pth files published
//    before 2020): five concatenated pickles (magic number, protocol 1001, sys_info, the object,
//    the sorted storage keys) followed by each storage as <int64 numel><numel x element bytes>;
//    persistent ids carry a sixth field, the (rarely used) view metadata.
#pragma once

#include <string>
#include <unordered_map>

#include "gramlite/base/buffer.h"
#include "gramlite/base/status.h"
#include "interop/pickle_value.h"
#include "gramlite/interop/torch_dtype.h"

namespace gramlite::interop::detail {

struct TorchPickleFile {
  PickleDocument document;
  std::unordered_map<std::string, Buffer> storages;  // storage key -> raw little-endian bytes
  std::string container_format;                      // "zip" or "legacy"
};

Result<TorchPickleFile> open_torch_zip(const Buffer& bytes, const std::string& source, bool verify_crc);
Result<TorchPickleFile> open_torch_legacy(const Buffer& bytes, const std::string& source);

// What a storage persistent id says: which storage, of what dtype and length, and (legacy views
// only) at which element offset inside that storage the viewed elements start.
struct StorageRef {
  TorchDType dtype = TorchDType::kFloat32;
  std::string key;
  int64_t numel = 0;
  int64_t offset = 0;
};

// Parses the tuple a kPersistentId carries. `context` names the tensor in errors.
Result<StorageRef> parse_storage_ref(const PickleDocument& document, PickleRef persistent_id,
                                     const std::string& context);

}  // namespace gramlite::interop::detail
