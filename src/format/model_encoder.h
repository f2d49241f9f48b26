// IR -> file bytes: the graph section (a FlatBuffer) and the layout of the weights section.
//
// The encoder does not concatenate the weights: EncodedModel lists the file as pieces (header,
// graph, zero padding, each tensor's bytes), so save_model can stream a large model straight to
// disk and serialize_model can copy it into one vector.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "gramlite/base/buffer.h"
#include "gramlite/base/status.h"
#include "gramlite/base/byte_span.h"
#include "gramlite/format/header.h"
#include "gramlite/format/model_file.h"  // SaveOptions
#include "gramlite/ir/graph.h"

namespace gramlite::format {

struct EncodedModel {
  struct Weight {
    uint64_t offset = 0;  // within the weights section, a multiple of kWeightAlignment
    Buffer data;          // the stored bytes: the graph's own (dense) or an encoding of them
  };

  FileHeader header;  // checksums filled in
  std::array<uint8_t, kHeaderSize> header_bytes{};
  std::vector<uint8_t> graph_bytes;
  std::vector<Weight> weights;  // in tensor order

  // The whole file in order. Pointers are valid while this EncodedModel lives.
  std::vector<ByteSpan> pieces() const;
};

// Checks the graph (graph_check.h and ir::validate, so that every file written can be read back)
// and lays it out, each constant in the smallest storage (sparse_storage.h) unless
// options.compact_sparse_weights is off. Deterministic: the same graph always gives the same bytes.
Result<EncodedModel> encode_model(const ir::Graph& graph, const SaveOptions& options = {});

}  // namespace gramlite::format
