// Builds a small zoo model, saves and reloads it, runs it: the public headers are enough.
#include <cstdio>
#include <memory>
#include <vector>

#include "format/model_file.h"
#include "runtime/session.h"
#include "zoo/zoo.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  gramlite::zoo::BuildOptions options;
  options.num_classes = 3;
  options.input_size = 64;
  auto graph = gramlite::zoo::build("mobilenet_v3_small", options);
  if (!graph.ok()) return 1;
  if (!gramlite::format::save_model(*graph, argv[1]).ok()) return 1;
  auto loaded = gramlite::format::load_model(argv[1]);
  if (!loaded.ok()) return 1;
  auto session = gramlite::runtime::Session::create(std::make_shared<const gramlite::ir::Graph>(std::move(loaded).value()),
                                                     gramlite::runtime::SessionOptions{});
  if (!session.ok() || !(*session)->prepare(1).ok()) return 1;
  std::vector<float> input(3 * 64 * 64, 0.5f), output(3);
  if (!(*session)->run({input.data()}, {output.data()}).ok()) return 1;
  std::printf("consumer ok: %f %f %f\n", output[0], output[1], output[2]);
  return 0;
}
