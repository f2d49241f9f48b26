// libFuzzer target: arbitrary bytes into the model loader.
//
// Checksums are off so that mutated inputs reach the FlatBuffers verifier, the decoder, the
// structural checks and ir::validate instead of stopping at "checksum mismatch". The contract
// under test: any input gives an error or a valid graph; never a crash, a hang, an out-of-bounds
// read (ASan) or undefined behaviour (UBSan). For inputs that load, also: the writer accepts the
// graph and serialize -> load -> serialize is byte-exact.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "gramlite/format/model_file.h"

namespace {

using gramlite::format::LoadOptions;

[[noreturn]] void fail(const char* what) {
  (void)std::fputs(what, stderr);
  std::abort();
}

// Reads every weight byte, so ASan checks each view lies inside its buffer.
uint64_t touch_weights(const gramlite::ir::Graph& graph) {
  uint64_t sum = 0;
  for (const auto& tensor : graph.tensors) {
    for (size_t i = 0; i < tensor.data.size(); ++i) sum += tensor.data.data()[i];
  }
  return sum;
}

void check_round_trip(const gramlite::ir::Graph& graph) {
  auto bytes = gramlite::format::serialize_model(graph);
  if (!bytes.ok()) fail("the loader accepted a graph the writer refuses\n");
  auto again = gramlite::format::load_model_from_memory(nullptr, bytes->data(), bytes->size());
  if (!again.ok()) fail("a freshly serialized model does not load\n");
  auto bytes_again = gramlite::format::serialize_model(*again);
  if (!bytes_again.ok() || *bytes_again != *bytes) fail("serialize -> load -> serialize is not byte-exact\n");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  LoadOptions options;
  options.verify_checksum = false;

  // 1. In place: an exactly sized, 64-byte aligned copy, so that the zero-copy path runs and ASan
  //    flags a read even one byte past the end (the loader's own aligned copy is rounded up).
  void* aligned = nullptr;
  if (posix_memalign(&aligned, 64, size == 0 ? 1 : size) != 0) return 0;
  if (size > 0) std::memcpy(aligned, data, size);
  std::shared_ptr<const void> owner(aligned, [](const void* p) { std::free(const_cast<void*>(p)); });
  auto graph = gramlite::format::load_model_from_memory(owner, static_cast<const uint8_t*>(aligned), size, options);
  owner.reset();  // from here on only the graph's weights keep the bytes alive
  if (graph.ok()) {
    volatile uint64_t sink = touch_weights(*graph);
    (void)sink;
    check_round_trip(*graph);
  }

  // 2. libFuzzer's own buffer, usually not 64-byte aligned: the copying path.
  auto copied = gramlite::format::load_model_from_memory(nullptr, data, size, options);
  if (copied.ok() != graph.ok()) fail("the aligned and unaligned loads disagree\n");
  return 0;
}
