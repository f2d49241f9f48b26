#include "file_surgery.h"

#include <cstring>
#include <stdexcept>

#include "format/checksum.h"

namespace gramlite::format::testing {

FileHeader header_of(const std::vector<uint8_t>& file) {
  auto header = decode_header(file.data(), file.size(), /*verify_checksum=*/false);
  if (!header.ok()) throw std::runtime_error("test file has a bad header: " + header.status().message());
  return header.value();
}

void put_u32_le(std::vector<uint8_t>& file, size_t at, uint32_t value) {
  for (size_t i = 0; i < 4; ++i) file.at(at + i) = static_cast<uint8_t>(value >> (8 * i));
}

void put_u64_le(std::vector<uint8_t>& file, size_t at, uint64_t value) {
  for (size_t i = 0; i < 8; ++i) file.at(at + i) = static_cast<uint8_t>(value >> (8 * i));
}

void refresh_checksums(std::vector<uint8_t>& file) {
  // Body checksum at byte 56, header checksum (of bytes 0..59) at byte 60: see header.cc.
  put_u32_le(file, 56, crc32c(file.data() + kHeaderSize, file.size() - kHeaderSize));
  put_u32_le(file, 60, crc32c(file.data(), 60));
}

std::vector<uint8_t> rewrite_graph(const std::vector<uint8_t>& file, const std::function<void(fb::ModelT&)>& edit) {
  const FileHeader h = header_of(file);
  std::unique_ptr<fb::ModelT> model(fb::GetModel(file.data() + h.graph_offset)->UnPack());
  edit(*model);
  flatbuffers::FlatBufferBuilder fbb;
  fbb.ForceDefaults(true);
  fb::FinishModelBuffer(fbb, fb::Model::Pack(fbb, model.get()));

  const std::vector<uint8_t> weights(file.begin() + static_cast<std::ptrdiff_t>(h.weights_offset), file.end());
  return assemble_file(fbb.GetBufferPointer(), fbb.GetSize(), weights);
}

std::vector<uint8_t> assemble_file(const uint8_t* graph, size_t graph_size, const std::vector<uint8_t>& weights) {
  FileHeader out;
  out.graph_offset = kHeaderSize;
  out.graph_size = graph_size;
  out.weights_offset = align_up(kHeaderSize + graph_size);
  out.weights_size = weights.size();
  out.file_size = out.weights_offset + out.weights_size;
  std::vector<uint8_t> result(static_cast<size_t>(out.file_size), 0);
  std::memcpy(result.data() + kHeaderSize, graph, graph_size);
  if (!weights.empty()) std::memcpy(result.data() + out.weights_offset, weights.data(), weights.size());
  out.checksum = crc32c(result.data() + kHeaderSize, result.size() - kHeaderSize);
  encode_header(out, result.data());
  return result;
}

}  // namespace gramlite::format::testing
