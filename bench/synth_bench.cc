// Synthetic Gram-stain generator throughput: tiles per second of render_field at the models' input
// size (224 x 224, and 299 x 299 for Inception), and of whole datasets written to disk.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "data/synth/field_renderer.h"
#include "gramlite/data/synth/tile_dataset_writer.h"

namespace {

using namespace gramlite::data::synth;

// One render_field call per iteration; each iteration draws a new field spec (as a dataset would),
// so the rate averages over densities, blur and JPEG settings at the given difficulty.
void BM_RenderField(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  const float difficulty = static_cast<float>(state.range(1)) / 100.0f;
  const Organism organisms[] = {Organism::kNone, Organism::kGramPositiveCocciClusters,
                                Organism::kGramPositiveCocciChains, Organism::kGramNegativeRods};
  uint64_t seed = 0;
  for (auto _ : state) {
    const FieldSpec spec = sample_field_spec(organisms[seed % 4], Difficulty{difficulty}, seed);
    auto image = render_field(spec, seed, static_cast<int64_t>(seed) * 1000, 0, size, size);
    if (!image.ok()) {
      state.SkipWithError(image.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(image->pixels.data());
    ++seed;
  }
  state.counters["tiles/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RenderField)->Args({224, 50})->Args({224, 0})->Args({224, 100})->Args({299, 50})->Unit(benchmark::kMillisecond);

// A 4-class dataset of 64 tiles per class (256 PNGs, manifest, dataset.json), at 1 and 2 threads.
void BM_WriteTileDataset(benchmark::State& state) {
  const auto root = std::filesystem::temp_directory_path() / "gramlite_synth_bench";
  int64_t tiles = 0;
  int run = 0;
  for (auto _ : state) {
    TileDatasetOptions options;
    options.out_dir = (root / ("run" + std::to_string(run++))).string();
    std::filesystem::remove_all(options.out_dir);
    options.task = "morphology4";
    options.per_class = 64;
    gramlite::ThreadPool pool(static_cast<int>(state.range(0)));
    auto summary = write_tile_dataset(options, &pool);
    if (!summary.ok()) {
      state.SkipWithError(summary.status().message().c_str());
      break;
    }
    tiles += summary->total_tiles;
    state.PauseTiming();
    std::filesystem::remove_all(options.out_dir);
    state.ResumeTiming();
  }
  std::filesystem::remove_all(root);
  state.counters["tiles/s"] = benchmark::Counter(static_cast<double>(tiles), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WriteTileDataset)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
