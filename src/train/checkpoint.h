// Training checkpoints: everything needed to continue a run exactly where it stopped.
//
// A checkpoint holds the model being trained (a complete gramlite model file, BatchNorms unfolded),
// the best model so far, the trainer's state as JSON (epoch, history, best result, early-stopping counter, the options
// that must not change on resume), the optimizer's state tensors and the dropout generator's state.
// It is written atomically (base/atomic_file.h), so a process killed while writing
// leaves the previous checkpoint intact. The layout is in docs/training.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gramlite/base/status.h"
#include "gramlite/ir/graph.h"

namespace gramlite::train {

inline constexpr uint32_t kCheckpointVersion = 1;

struct CheckpointTensor {
  std::string parameter;  // IR tensor name of the parameter
  std::string slot;       // "exp_avg", "exp_avg_sq", "momentum_buffer"
  std::vector<int64_t> shape;
  std::vector<float> values;
};

struct Checkpoint {
  ir::Graph model;                      // the weights after the last finished epoch
  std::optional<ir::Graph> best_model;  // the best on validation so far (absent: none yet)
  std::string state_json;
  int64_t optimizer_steps = 0;
  std::vector<CheckpointTensor> optimizer;
  std::vector<uint8_t> generator_state;
};

Result<std::vector<uint8_t>> serialize_checkpoint(const Checkpoint& checkpoint);
Status save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
// Errors: kNotFound (no file), kIoError, kCorruptData naming what is wrong (magic, version,
// checksum, a section out of bounds) — never a crash on a damaged file.
Result<Checkpoint> load_checkpoint(const std::string& path);
Result<Checkpoint> parse_checkpoint(const uint8_t* data, size_t size);

}  // namespace gramlite::train
