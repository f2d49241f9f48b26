// The gramlite model file: save an ir::Graph, load it back with zero-copy weights.
//
// Layout, versioning and checksums are specified in docs/model-format.md. In short: a 64-byte
// header, a FlatBuffers graph section (src/format/model.fbs), a weights section in which every
// tensor starts at a 64-byte aligned offset.
//
// Trust: a model file is untrusted input. Loading checks everything it relies on (magic, version,
// sizes, checksums, the FlatBuffers verifier, every index, value and data range) and then runs
// ir::validate; a bad file gives an error naming the file and the problem, never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/format/header.h"  // kFormatVersion, kWeightAlignment
#include "gramlite/ir/graph.h"

namespace gramlite::format {

struct SaveOptions {
  // Whether a constant with many zeros may be stored compactly (bitmap or index encoding,
  // whichever is smallest; docs/model-format.md, "Compact sparse storage"). Off: every constant is
  // stored dense and loads as a zero-copy view of the file. Either way the graph loads back with
  // the same dense values, bit for bit.
  bool compact_sparse_weights = true;
};

// The bytes of a model file for `graph`. Deterministic: the same graph gives the same bytes.
// Refuses (with the reason) a graph that load_model would refuse, so every file written loads.
// Every tensor of `graph` must be dense in memory (ir::SparsityEncoding::kDense): the writer
// chooses how each constant is stored in the file.
Result<std::vector<uint8_t>> serialize_model(const ir::Graph& graph, const SaveOptions& options = {});

// Writes the model file for `graph` to `path`. The bytes go to a temporary file in the same folder
// which is flushed and then renamed to `path`, so `path` never holds a half-written model, even
// after a crash or a full disk.
Status save_model(const ir::Graph& graph, const std::string& path, const SaveOptions& options = {});

struct LoadOptions {
  // Whether to check the CRC-32C checksums (header and contents). Checking reads the whole file
  // once (about 0.06 s per 100 MB on one desktop core). Turning it off keeps every other check,
  // so a corrupt file still gives an error or a valid graph, never a crash.
  bool verify_checksum = true;
};

// Maps `path` into memory and builds its graph. Dense-stored constant tensors' Buffers view the
// mapping (no copy, 64-byte aligned) and keep it alive: the mapping lasts as long as any weight
// does. Compactly stored ones are decoded into new 64-byte aligned Buffers. Every tensor of the
// graph is dense (ir::SparsityEncoding::kDense); block shape and target sparsity are kept.
Result<ir::Graph> load_model(const std::string& path, const LoadOptions& options = {});

// Builds the graph of the model file in data[0, size). Dense-stored weights view `data` and hold
// `owner`, which must keep `data` alive and unchanged (compactly stored ones are decoded into
// buffers of their own). When `data` is not 64-byte aligned, it is copied once into an aligned
// buffer (and `owner` is not held).
Result<ir::Graph> load_model_from_memory(std::shared_ptr<const void> owner, const uint8_t* data, size_t size,
                                         const LoadOptions& options = {});

// How one constant tensor is stored in the file.
struct StoredTensor {
  int32_t tensor = 0;  // index into the graph's tensors
  std::string name;
  ir::SparsityEncoding encoding = ir::SparsityEncoding::kDense;  // as stored (dense in memory)
  uint64_t stored_bytes = 0;  // DataRef.size
  uint64_t dense_bytes = 0;   // element count x dtype size
};

// What `gramlite info` shows about the container, read without building the graph. Fails only if
// the header cannot be read (not a model file, too new, truncated); checksum mismatches are
// reported in the summary instead.
struct FileSummary {
  uint32_t format_version = 0;
  uint64_t file_size = 0;
  uint64_t header_size = 0;
  uint64_t graph_offset = 0;
  uint64_t graph_size = 0;
  uint64_t weights_offset = 0;
  uint64_t weights_size = 0;
  uint32_t stored_checksum = 0;    // CRC-32C of everything after the header, as written
  uint32_t computed_checksum = 0;  // the same, computed now
  bool header_checksum_ok = false;
  // Every constant tensor, in tensor order; empty if the graph section does not verify (load_model
  // then says why).
  std::vector<StoredTensor> stored_tensors;

  bool checksum_ok() const { return header_checksum_ok && stored_checksum == computed_checksum; }
};
Result<FileSummary> read_file_summary(const std::string& path);

}  // namespace gramlite::format
