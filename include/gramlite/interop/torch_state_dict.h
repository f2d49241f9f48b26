// read_torch_state_dict: the tensors of a torch.save'd state_dict, without libtorch.
//
// Reads both containers torch.save writes (the zip format of PyTorch >= 1.6 and the legacy
// format most published torchvision .pth files use), finds the state dict (the saved object
// itself, or the dict under "state_dict" / "model_state_dict" / "model" of a training
// checkpoint), and rebuilds each tensor from its storage, gathering non-contiguous strides into
// row-major order. Floating tensors are converted to float32; integer and bool tensors (such as
// batch-norm num_batches_tracked) are kept as int64.
//
// Nothing from the file is executed: pickled classes are matched by name against the few torch
// rebuild functions a state dict uses, and anything else is reported, not run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gramlite/base/buffer.h"
#include "gramlite/base/status.h"
#include "gramlite/interop/torch_dtype.h"

namespace gramlite::interop {

struct StateDictTensor {
  std::string name;
  TorchDType dtype = TorchDType::kFloat32;  // as stored in the file
  std::vector<int64_t> shape;
  std::vector<float> data;        // floating dtypes: float32 values, row-major contiguous
  std::vector<int64_t> int_data;  // integer and bool dtypes: the values, row-major contiguous

  bool is_floating() const { return interop::is_floating(dtype); }
  int64_t numel() const;
};

struct StateDict {
  std::vector<StateDictTensor> tensors;  // in the file's order
  std::string source;                    // the path (or display name) read
  std::string container_format;          // "zip" or "legacy"
  std::string wrapper_key;               // checkpoint key the dict was found under, "" for a bare state dict
  bool stripped_module_prefix = false;   // every key began with "module." (DataParallel) and it was removed
  std::vector<std::string> ignored_entries;  // non-tensor entries skipped (e.g. "*._extra_state")

  const StateDictTensor* find(std::string_view name) const;
};

struct StateDictReadOptions {
  bool verify_crc = true;           // check each zip entry's CRC-32 (one extra pass over the bytes)
  bool strip_module_prefix = true;  // drop a "module." prefix shared by every key
};

Result<StateDict> read_torch_state_dict(const std::string& path, const StateDictReadOptions& options = {});
// The same from bytes already in memory; `display_name` is used in errors.
Result<StateDict> read_torch_state_dict_from_buffer(const Buffer& bytes, const std::string& display_name,
                                                    const StateDictReadOptions& options = {});

}  // namespace gramlite::interop
