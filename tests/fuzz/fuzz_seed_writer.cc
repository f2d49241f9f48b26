// Writes the fuzzer's seed models (valid files built from the format tests' graphs) into a folder.
// No ".gramlite" extension: the repository ignores *.gramlite (models are build outputs).
//   gramlite_fuzz_seed_writer tests/fuzz/corpus
#include <cstdio>
#include <string>

#include "gramlite/format/model_file.h"
#include "quant_test_models.h"
#include "test_models.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus folder>\n", argv[0]);
    return 2;
  }
  const std::string folder = argv[1];
  const struct {
    const char* name;
    gramlite::ir::Graph graph;
  } seeds[] = {
      {"seed_tiny_model", gramlite::format::testing::make_tiny_graph()},
      {"seed_every_op_model", gramlite::format::testing::make_every_op_graph()},
      // Full integer, per docs/quantization.md: mutations of its scales, zero points and int8
      // data reach ir::validate_quantization.
      {"seed_int8_model", gramlite::format::testing::make_int8_graph()},
      // Bitmap- and index-encoded constants (fp32 and int8): mutations reach the sparse decoder.
      {"seed_sparse_model", gramlite::format::testing::make_sparse_graph()},
  };
  for (const auto& seed : seeds) {
    const gramlite::Status s = gramlite::format::save_model(seed.graph, folder + "/" + seed.name);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return 1;
    }
  }
  return 0;
}
