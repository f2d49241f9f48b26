// File bytes -> IR: verifies the graph section (FlatBuffers verifier), converts it, and makes each
// constant tensor a zero-copy view of its bytes in the weights section.
#pragma once

#include <cstdint>
#include <memory>

#include "gramlite/base/status.h"
#include "gramlite/format/header.h"
#include "gramlite/format/model_file.h"  // StoredTensor
#include "gramlite/ir/graph.h"

namespace gramlite::format {

// `file` holds a whole model whose header decoded as `header`; `owner` keeps `file` alive and
// becomes the owner of every weight Buffer. Weights are 64-byte aligned in memory when `file`
// is. Returns a graph that passes check_graph_structure (not yet ir::validate).
Result<ir::Graph> decode_model(const FileHeader& header, const uint8_t* file,
                               const std::shared_ptr<const void>& owner);

// How each constant tensor of the file is stored (for `gramlite info`), without decoding any
// weight. Empty if the graph section fails the FlatBuffers verifier; a tensor whose shape or dtype
// is bad gets dense_bytes 0 (load_model reports it).
std::vector<StoredTensor> read_stored_tensors(const FileHeader& header, const uint8_t* file);

}  // namespace gramlite::format
