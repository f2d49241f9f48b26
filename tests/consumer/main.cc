// Builds a small zoo model, saves and reloads it, runs it: the public headers are enough. Also
// writes a small 24-bit BMP next to the model, the input for the docs/api.md example.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "gramlite/format/model_file.h"
#include "gramlite/runtime/session.h"
#include "gramlite/zoo/zoo.h"

namespace {

void put_le(std::vector<uint8_t>& out, uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

bool write_test_bmp(const char* path, int width, int height) {
  const uint32_t row_bytes = (static_cast<uint32_t>(width) * 3 + 3) / 4 * 4;
  std::vector<uint8_t> file;
  file.push_back('B');
  file.push_back('M');
  put_le(file, 54 + row_bytes * static_cast<uint32_t>(height), 4);
  put_le(file, 0, 4);
  put_le(file, 54, 4);
  put_le(file, 40, 4);
  put_le(file, static_cast<uint32_t>(width), 4);
  put_le(file, static_cast<uint32_t>(height), 4);
  put_le(file, 1, 2);
  put_le(file, 24, 2);
  for (int i = 0; i < 6; ++i) put_le(file, 0, 4);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {  // BGR: a purple-to-pink gradient
      file.push_back(static_cast<uint8_t>(160 + x % 64));
      file.push_back(static_cast<uint8_t>(40 + y % 64));
      file.push_back(static_cast<uint8_t>(120 + (x + y) % 100));
    }
    for (uint32_t pad = static_cast<uint32_t>(width) * 3; pad < row_bytes; ++pad) file.push_back(0);
  }
  std::FILE* out = std::fopen(path, "wb");
  if (out == nullptr) return false;
  const bool written = std::fwrite(file.data(), 1, file.size(), out) == file.size();
  return std::fclose(out) == 0 && written;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
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
  return write_test_bmp(argv[2], 80, 60) ? 0 : 1;
}
