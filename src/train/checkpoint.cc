#include "train/checkpoint.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "gramlite/base/atomic_file.h"
#include "format/checksum.h"
#include "gramlite/format/model_file.h"
#include "base/byte_reader.h"

namespace gramlite::train {
namespace {

// "GLCKPT" + two bytes that catch text-mode and 7-bit transfers, like PNG's signature.
constexpr uint8_t kMagic[8] = {'G', 'L', 'C', 'K', 'P', 'T', 0x0d, 0x0a};
constexpr size_t kHeaderSize = 8 + 4 + 4 + 8;  // magic, version, crc32c of the body, body size

enum Section : uint32_t { kModel = 1, kState = 2, kOptimizer = 3, kGenerator = 4, kBestModel = 5 };

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_bytes(std::vector<uint8_t>& out, const void* data, size_t size) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  out.insert(out.end(), bytes, bytes + size);
}
void put_string(std::vector<uint8_t>& out, const std::string& s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  put_bytes(out, s.data(), s.size());
}
void put_section(std::vector<uint8_t>& out, Section kind, const std::vector<uint8_t>& payload) {
  put_u32(out, kind);
  put_u64(out, payload.size());
  put_bytes(out, payload.data(), payload.size());
}

Result<std::vector<CheckpointTensor>> parse_optimizer(const uint8_t* data, size_t size) {
  ByteReader in(data, size);
  uint32_t count = 0;
  if (!in.read_u32(count)) return corrupt_data("optimizer section: truncated");
  std::vector<CheckpointTensor> tensors;
  for (uint32_t i = 0; i < count; ++i) {
    CheckpointTensor t;
    uint32_t length = 0;
    uint32_t rank = 0;
    if (!in.read_u32(length) || !in.read_string(length, t.parameter) || !in.read_u32(length) ||
        !in.read_string(length, t.slot) || !in.read_u32(rank) || rank > 8) {
      return corrupt_data("optimizer section: entry ", i, " is truncated or malformed");
    }
    uint64_t count_values = 1;
    for (uint32_t d = 0; d < rank; ++d) {
      uint64_t dim = 0;
      if (!in.read_u64(dim) || dim > (uint64_t{1} << 32)) return corrupt_data("optimizer section: entry ", i, " has a bad shape");
      t.shape.push_back(static_cast<int64_t>(dim));
      count_values *= dim;
      if (count_values > in.remaining() / sizeof(float)) {
        return corrupt_data("optimizer section: entry '", t.parameter, "' is larger than the file");
      }
    }
    const uint8_t* values = in.take(count_values * sizeof(float));
    if (values == nullptr) return corrupt_data("optimizer section: entry '", t.parameter, "' is truncated");
    t.values.resize(count_values);
    std::memcpy(t.values.data(), values, count_values * sizeof(float));
    tensors.push_back(std::move(t));
  }
  if (!in.at_end()) return corrupt_data("optimizer section: ", in.remaining(), " trailing bytes");
  return tensors;
}

// The model parser keeps views into its buffer: give it its own copy.
Result<ir::Graph> parse_model(const uint8_t* payload, size_t size, const char* what) {
  auto copy = std::shared_ptr<uint8_t[]>(new uint8_t[size]);
  std::memcpy(copy.get(), payload, size);
  auto model = format::load_model_from_memory(std::shared_ptr<const void>(copy, copy.get()), copy.get(), size);
  if (!model.ok()) return model.status().with_context(what);
  return model;
}

}  // namespace

Result<std::vector<uint8_t>> serialize_checkpoint(const Checkpoint& checkpoint) {
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<uint8_t> model, format::serialize_model(checkpoint.model));
  std::vector<uint8_t> optimizer;
  put_u32(optimizer, static_cast<uint32_t>(checkpoint.optimizer.size()));
  for (const CheckpointTensor& t : checkpoint.optimizer) {
    put_string(optimizer, t.parameter);
    put_string(optimizer, t.slot);
    put_u32(optimizer, static_cast<uint32_t>(t.shape.size()));
    for (int64_t dim : t.shape) put_u64(optimizer, static_cast<uint64_t>(dim));
    put_bytes(optimizer, t.values.data(), t.values.size() * sizeof(float));  // little-endian hosts (format/header.h)
  }
  std::vector<uint8_t> steps;
  put_u64(steps, static_cast<uint64_t>(checkpoint.optimizer_steps));
  optimizer.insert(optimizer.begin(), steps.begin(), steps.end());

  std::vector<uint8_t> body;
  put_section(body, kModel, model);
  put_section(body, kState, std::vector<uint8_t>(checkpoint.state_json.begin(), checkpoint.state_json.end()));
  put_section(body, kOptimizer, optimizer);
  put_section(body, kGenerator, checkpoint.generator_state);
  if (checkpoint.best_model) {
    GRAMLITE_ASSIGN_OR_RETURN(std::vector<uint8_t> best, format::serialize_model(*checkpoint.best_model));
    put_section(body, kBestModel, best);
  }

  std::vector<uint8_t> file(kMagic, kMagic + sizeof(kMagic));
  put_u32(file, kCheckpointVersion);
  put_u32(file, format::crc32c(body.data(), body.size()));
  put_u64(file, body.size());
  file.insert(file.end(), body.begin(), body.end());
  return file;
}

Status save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  GRAMLITE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, serialize_checkpoint(checkpoint));
  return write_file_atomically(path, {ByteSpan{bytes.data(), bytes.size()}})
      .with_context(str_cat("checkpoint '", path, "'"));
}

Result<Checkpoint> parse_checkpoint(const uint8_t* data, size_t size) {
  ByteReader in(data, size);
  const uint8_t* magic = in.take(sizeof(kMagic));
  if (magic == nullptr || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) {
    return corrupt_data("not a gramlite training checkpoint (bad magic)");
  }
  uint32_t version = 0;
  uint32_t crc = 0;
  uint64_t body_size = 0;
  if (!in.read_u32(version) || !in.read_u32(crc) || !in.read_u64(body_size)) return corrupt_data("truncated header");
  if (version != kCheckpointVersion) {
    return unsupported("checkpoint version ", version, "; this gramlite reads version ", kCheckpointVersion);
  }
  if (body_size != in.remaining()) {
    return corrupt_data("the header says ", body_size, " bytes follow, the file has ", in.remaining(),
                        " (truncated or appended to)");
  }
  const uint8_t* body = data + kHeaderSize;
  if (format::crc32c(body, static_cast<size_t>(body_size)) != crc) return corrupt_data("checksum mismatch (damaged file)");

  Checkpoint checkpoint;
  bool seen[6] = {false, false, false, false, false, false};
  while (!in.at_end()) {
    uint32_t kind = 0;
    uint64_t length = 0;
    const uint8_t* payload = nullptr;
    if (!in.read_u32(kind) || !in.read_u64(length) || (payload = in.take(length)) == nullptr) {
      return corrupt_data("a section runs past the end of the file");
    }
    if (kind < kModel || kind > kBestModel) continue;  // sections a later version may add
    if (seen[kind]) return corrupt_data("section ", kind, " appears twice");
    seen[kind] = true;
    const auto n = static_cast<size_t>(length);
    switch (kind) {
      case kModel: {
        GRAMLITE_ASSIGN_OR_RETURN(checkpoint.model, parse_model(payload, n, "the checkpoint's model"));
        break;
      }
      case kBestModel: {
        GRAMLITE_ASSIGN_OR_RETURN(checkpoint.best_model, parse_model(payload, n, "the checkpoint's best model"));
        break;
      }
      case kState: checkpoint.state_json.assign(reinterpret_cast<const char*>(payload), n); break;
      case kOptimizer: {
        ByteReader steps(payload, n);
        uint64_t value = 0;
        if (!steps.read_u64(value)) return corrupt_data("optimizer section: truncated");
        checkpoint.optimizer_steps = static_cast<int64_t>(value);
        GRAMLITE_ASSIGN_OR_RETURN(checkpoint.optimizer, parse_optimizer(payload + 8, n - 8));
        break;
      }
      case kGenerator: checkpoint.generator_state.assign(payload, payload + n); break;
    }
  }
  for (uint32_t kind = kModel; kind <= kGenerator; ++kind) {
    if (!seen[kind]) return corrupt_data("section ", kind, " is missing");
  }
  return checkpoint;
}

Result<Checkpoint> load_checkpoint(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return not_found("cannot open checkpoint '", path, "'");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) return io_error("cannot read checkpoint '", path, "'");
  auto checkpoint = parse_checkpoint(bytes.data(), bytes.size());
  if (!checkpoint.ok()) return checkpoint.status().with_context(str_cat("checkpoint '", path, "'"));
  return checkpoint;
}

}  // namespace gramlite::train
