// Internal to interop: turning a pickled tensor (a call to one of torch's rebuild functions) into a
// StateDictTensor, gathering strided views into row-major order.
#pragma once

#include <cstdint>
#include <string>

#include "gramlite/base/status.h"
#include "interop/torch_archive.h"
#include "gramlite/interop/torch_state_dict.h"

namespace gramlite::interop::detail {

// Whether `ref` is a call to a torch function that rebuilds a tensor or parameter.
bool is_pickled_tensor(const PickleDocument& document, PickleRef ref);

// How many more elements the caller lets a file expand into. Strides of 0 let a tiny storage
// describe a huge tensor, so the reader caps the total it materialises (see torch_state_dict.cc).
struct ElementBudget {
  uint64_t remaining = 0;
};

// Rebuilds the tensor `ref` describes, naming it `name`. Errors name the tensor and the file.
Result<StateDictTensor> rebuild_tensor(const TorchPickleFile& file, PickleRef ref, const std::string& name,
                                       const std::string& source, ElementBudget& budget);

}  // namespace gramlite::interop::detail
