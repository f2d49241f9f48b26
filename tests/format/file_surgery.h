// Tools for crafting bad model files: edit a valid file's graph through the FlatBuffers object API
// or its bytes directly, then (optionally) fix the checksums so that the loader's deeper checks,
// not the checksum, are what catches the problem.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "gramlite/format/header.h"
#include "format/model_generated.h"

namespace gramlite::format::testing {

// The decoded header of a well-formed file (checksums not verified).
FileHeader header_of(const std::vector<uint8_t>& file);

// Recomputes both checksums of `file` in place, trusting the header's layout fields.
void refresh_checksums(std::vector<uint8_t>& file);

// Rebuilds `file` with its graph section unpacked, passed to `edit` and packed again; the weights
// section is kept byte for byte. Checksums are valid.
std::vector<uint8_t> rewrite_graph(const std::vector<uint8_t>& file, const std::function<void(fb::ModelT&)>& edit);

// A file holding `graph_size` bytes of graph section and the given weights section.
std::vector<uint8_t> assemble_file(const uint8_t* graph, size_t graph_size, const std::vector<uint8_t>& weights);

void put_u32_le(std::vector<uint8_t>& file, size_t at, uint32_t value);
void put_u64_le(std::vector<uint8_t>& file, size_t at, uint64_t value);

}  // namespace gramlite::format::testing
