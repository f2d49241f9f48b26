#include "gramlite/format/model_file.h"

#include "gramlite/base/atomic_file.h"
#include "base/one_line.h"
#include "gramlite/format/header.h"
#include "format/mapped_file.h"
#include "format/model_decoder.h"
#include "format/model_encoder.h"
#include "gramlite/ir/validate.h"

namespace gramlite::format {
namespace {

std::string file_context(const std::string& path) { return "model file '" + path + "'"; }
constexpr const char* kMemoryContext = "model in memory";

Result<ir::Graph> load_from_bytes(const std::shared_ptr<const void>& owner, const uint8_t* data, size_t size,
                                  const LoadOptions& options) {
  GRAMLITE_ASSIGN_OR_RETURN(const FileHeader header, decode_header(data, size, options.verify_checksum));
  if (options.verify_checksum) GRAMLITE_RETURN_IF_ERROR(verify_body_checksum(header, data));
  GRAMLITE_ASSIGN_OR_RETURN(ir::Graph graph, decode_model(header, data, owner));
  const Status valid = ir::validate(graph);
  if (!valid.ok()) {
    // The graph came from a file, not from the caller: to the caller it is corrupt data.
    const StatusCode code = valid.code() == StatusCode::kInvalidArgument ? StatusCode::kCorruptData : valid.code();
    return Status(code, "invalid graph: " + valid.message());
  }
  return graph;
}

// Node and tensor names come from the file; one with a newline must not split the error line.
Status one_line_status(const Status& status) { return Status(status.code(), one_line(status.message())); }

}  // namespace

Result<std::vector<uint8_t>> serialize_model(const ir::Graph& graph, const SaveOptions& options) {
  GRAMLITE_ASSIGN_OR_RETURN(const EncodedModel model, encode_model(graph, options));
  std::vector<uint8_t> bytes;
  bytes.reserve(static_cast<size_t>(model.header.file_size));
  for (const ByteSpan& piece : model.pieces()) bytes.insert(bytes.end(), piece.data, piece.data + piece.size);
  return bytes;
}

Status save_model(const ir::Graph& graph, const std::string& path, const SaveOptions& options) {
  auto model = encode_model(graph, options);
  if (!model.ok()) return model.status().with_context("saving " + file_context(path));
  return write_file_atomically(path, model->pieces()).with_context("saving " + file_context(path));
}

Result<ir::Graph> load_model(const std::string& path, const LoadOptions& options) {
  auto mapped = MappedFile::open(path);
  if (!mapped.ok()) return mapped.status();  // already names the path
  const std::shared_ptr<const MappedFile> file = std::move(mapped).value();
  // A page-aligned mapping: weights are used in place.
  auto graph = load_from_bytes(file, file->data(), file->size(), options);
  if (!graph.ok()) return one_line_status(graph.status().with_context(file_context(path)));
  return graph;
}

Result<ir::Graph> load_model_from_memory(std::shared_ptr<const void> owner, const uint8_t* data, size_t size,
                                         const LoadOptions& options) {
  if (data == nullptr && size > 0) return invalid_argument(kMemoryContext, ": null data with size ", size);
  const uint8_t* bytes = data;
  if (reinterpret_cast<uintptr_t>(data) % kWeightAlignment != 0) {
    // Weights must be aligned for the kernels, and the graph section for FlatBuffers' in-place
    // reads: copy once into an aligned buffer that then owns everything.
    auto copy = std::make_shared<Buffer>(Buffer::copy_of(data, size));
    if (copy->size() != size) return internal_error(kMemoryContext, ": out of memory copying ", size, " bytes");
    bytes = copy->data();
    owner = std::move(copy);
  }
  auto graph = load_from_bytes(owner, bytes, size, options);
  if (!graph.ok()) return one_line_status(graph.status().with_context(kMemoryContext));
  return graph;
}

Result<FileSummary> read_file_summary(const std::string& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped.ok()) return mapped.status();
  const MappedFile& file = *mapped.value();
  auto decoded = decode_header(file.data(), file.size(), /*verify_checksum=*/false);
  if (!decoded.ok()) return decoded.status().with_context(file_context(path));
  const FileHeader& h = decoded.value();
  FileSummary summary;
  summary.format_version = h.format_version;
  summary.file_size = h.file_size;
  summary.header_size = h.header_size;
  summary.graph_offset = h.graph_offset;
  summary.graph_size = h.graph_size;
  summary.weights_offset = h.weights_offset;
  summary.weights_size = h.weights_size;
  summary.stored_checksum = h.checksum;
  summary.computed_checksum = compute_body_checksum(h, file.data());
  summary.header_checksum_ok = decode_header(file.data(), file.size(), /*verify_checksum=*/true).ok();
  summary.stored_tensors = read_stored_tensors(h, file.data());
  return summary;
}

}  // namespace gramlite::format
