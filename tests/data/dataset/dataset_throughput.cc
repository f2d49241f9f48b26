// Loader throughput, images/s at 224x224: gramlite_data_dataset_throughput [workers] [images] [size]
// Writes `images` synthetic PNG tiles of size x size (smoothed noise, so they compress like real
// tiles rather than like pure noise) to a temporary folder, then times one epoch of the loader
// without and with the default training augmentation. A measurement, not a test.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "gramlite/data/dataset/data_loader.h"

namespace fs = std::filesystem;
using namespace gramlite::data;

int main(int argc, char** argv) {
  const int workers = argc > 1 ? std::atoi(argv[1]) : 2;
  const int count = argc > 2 ? std::atoi(argv[2]) : 256;
  const int size = argc > 3 ? std::atoi(argv[3]) : 256;
  const fs::path dir = fs::temp_directory_path() / ("gramlite_throughput_" + std::to_string(::getpid()));
  std::vector<DatasetSample> samples;
  cv::RNG rng(1);
  for (int i = 0; i < count; ++i) {
    cv::Mat tile(size, size, CV_8UC3);
    rng.fill(tile, cv::RNG::UNIFORM, 0, 256);
    cv::GaussianBlur(tile, tile, cv::Size(0, 0), 3.0);
    const fs::path path = dir / (i % 2 ? "pos" : "neg") / (std::to_string(i) + ".png");
    fs::create_directories(path.parent_path());
    cv::imwrite(path.string(), tile);
    samples.push_back({path.string(), i % 2});
  }
  for (const bool augment : {false, true}) {
    DataLoaderOptions options;
    options.batch_size = 32;
    options.workers = workers;
    options.prefetch_batches = 2;
    options.augmentation = augment ? AugmentationOptions{} : AugmentationOptions::none();
    auto loader = DataLoader::create(samples, options);
    if (!loader.ok()) {
      std::fprintf(stderr, "%s\n", loader.status().message().c_str());
      return 1;
    }
    const auto start = std::chrono::steady_clock::now();
    (*loader)->start_epoch(0);
    int64_t images = 0;
    while (auto batch = (*loader)->next()) images += batch->size;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-24s workers %d  %lld images %dx%d -> 224x224  %.3f s  %.1f images/s\n",
                augment ? "default augmentation" : "no augmentation", workers, static_cast<long long>(images), size,
                size, seconds, images / seconds);
  }
  fs::remove_all(dir);
  return 0;
}
