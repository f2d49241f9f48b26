// libFuzzer target: arbitrary bytes into the torch.save reader (zip container, legacy container,
// pickle VM, tensor rebuild). CRC checks are off so that mutated inputs reach the pickle parser.
// The contract: any input gives an error or a state dict whose tensors hold exactly
// element_count(shape) values; never a crash, a hang, an out-of-bounds read or undefined behaviour.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "gramlite/interop/torch_state_dict.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const gramlite::Buffer bytes = gramlite::Buffer::copy_of(data, size);
  gramlite::interop::StateDictReadOptions options;
  options.verify_crc = false;
  auto state_dict = gramlite::interop::read_torch_state_dict_from_buffer(bytes, "fuzz-input", options);
  if (!state_dict.ok()) return 0;
  for (const auto& tensor : state_dict->tensors) {
    const auto expected = static_cast<size_t>(tensor.numel());
    const size_t held = tensor.data.empty() ? tensor.int_data.size() : tensor.data.size();
    if (held != expected) {
      (void)std::fputs("tensor holds a different number of values than its shape says\n", stderr);
      std::abort();
    }
  }
  return 0;
}
