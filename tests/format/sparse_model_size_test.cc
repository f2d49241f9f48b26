// The file-size marks on a real architecture: the zoo's MobileNet v1 (2 classes) with 90 %
// of every Conv2d / Linear weight zeroed (smallest magnitude first) is >= 6x smaller on disk than
// the dense float32 file, and its int8 conversion >= 15x smaller, raw (no gzip). Sizes are
// deterministic (seeded weights), so these are exact checks, not measurements.
#include <gtest/gtest.h>

#include <cstdio>

#include "gramlite/compress/quantize.h"
#include "gramlite/format/model_file.h"
#include "gramlite/zoo/zoo.h"
#include "zero_smallest.h"

namespace gramlite::format {
namespace {

size_t file_size(const ir::Graph& graph) {
  auto bytes = serialize_model(graph);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return bytes.ok() ? bytes->size() : 0;
}

// int8 without calibration: file size does not depend on the activation ranges, so every float
// tensor gets [-6, 6].
Result<ir::Graph> to_int8(const ir::Graph& float_graph) {
  GRAMLITE_ASSIGN_OR_RETURN(ir::Graph prepared, compress::prepare_for_quantization(float_graph));
  ir::ActivationRanges ranges;
  for (const ir::Tensor& t : prepared.tensors) {
    if (!t.is_constant()) ranges[t.name] = {-6.0f, 6.0f};
  }
  return compress::convert_to_int8(prepared, ranges, {});
}

TEST(SparseModelSize, MobileNetV1AtNinetyPercentMeetsTheMarks) {
  zoo::BuildOptions options;
  options.num_classes = 2;
  auto dense = zoo::build("mobilenet_v1", options);
  ASSERT_TRUE(dense.ok()) << dense.status().message();
  const size_t dense_fp32 = file_size(*dense);

  ir::Graph sparse = *dense;
  ASSERT_GT(testing::zero_smallest_weights(sparse, 0.9), 0);
  const size_t sparse_fp32 = file_size(sparse);
  auto sparse_int8 = to_int8(sparse);
  ASSERT_TRUE(sparse_int8.ok()) << sparse_int8.status().message();
  const size_t sparse_int8_size = file_size(*sparse_int8);
  auto dense_int8 = to_int8(*dense);
  ASSERT_TRUE(dense_int8.ok()) << dense_int8.status().message();
  const size_t dense_int8_size = file_size(*dense_int8);

  std::printf("mobilenet_v1 (2 classes), raw bytes: dense fp32 %zu, dense int8 %zu, 90%%-sparse fp32 %zu (%.2fx), "
              "90%%-sparse int8 %zu (%.2fx)\n",
              dense_fp32, dense_int8_size, sparse_fp32, static_cast<double>(dense_fp32) / static_cast<double>(sparse_fp32),
              sparse_int8_size, static_cast<double>(dense_fp32) / static_cast<double>(sparse_int8_size));
  EXPECT_GE(dense_fp32, sparse_fp32 * 6);
  EXPECT_GE(dense_fp32, sparse_int8_size * 15);
  // Dense weights stay dense: compaction never makes a file larger.
  SaveOptions no_compaction;
  no_compaction.compact_sparse_weights = false;
  auto uncompacted = serialize_model(*dense, no_compaction);
  ASSERT_TRUE(uncompacted.ok());
  EXPECT_LE(dense_fp32, uncompacted->size());
}

}  // namespace
}  // namespace gramlite::format
