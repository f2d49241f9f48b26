#include "gramlite/data/dataset/data_loader.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <numeric>
#include <thread>

#include "test_images.h"

namespace gramlite::data {
namespace {

class DataLoaderTest : public testing::TempDirTest {
 protected:
  // `count` solid images; sample i has grey value value_of(i), label i % 2.
  std::vector<DatasetSample> make_samples(int count, int size = 8) {
    std::vector<DatasetSample> samples;
    for (int i = 0; i < count; ++i) {
      samples.push_back({write_solid("img" + std::to_string(i) + ".png", value_of(i), size), i % 2});
    }
    return samples;
  }
  static int value_of(int i) { return 5 + 10 * i; }

  static DataLoaderOptions small_options() {
    DataLoaderOptions options;
    options.batch_size = 5;
    options.seed = 123;
    options.input.width = 4;
    options.input.height = 4;
    options.input.preprocessing.mean = {0, 0, 0};
    options.input.preprocessing.std = {1, 1, 1};
    options.on_skip = [](const std::string&, const Status&) {};
    return options;
  }

  static std::vector<Batch> epoch(DataLoader& loader, int64_t e) {
    loader.start_epoch(e);
    std::vector<Batch> batches;
    while (auto batch = loader.next()) batches.push_back(std::move(*batch));
    return batches;
  }

  static std::vector<int64_t> order_of(const std::vector<Batch>& batches) {
    std::vector<int64_t> order;
    for (const auto& b : batches) order.insert(order.end(), b.sample_indices.begin(), b.sample_indices.end());
    return order;
  }
};

TEST_F(DataLoaderTest, EverySampleExactlyOncePerEpochWithItsOwnPixelsAndLabel) {
  const auto samples = make_samples(23);
  auto loader = DataLoader::create(samples, small_options());
  ASSERT_TRUE(loader.ok()) << loader.status().message();
  EXPECT_EQ((*loader)->batches_per_epoch(), 5);
  const auto batches = epoch(**loader, 0);
  ASSERT_EQ(batches.size(), 5u);
  for (size_t b = 0; b < batches.size(); ++b) {
    const Batch& batch = batches[b];
    EXPECT_EQ(batch.index, static_cast<int64_t>(b));
    EXPECT_EQ(batch.size, b < 4 ? 5 : 3);
    ASSERT_EQ(batch.images.size(), static_cast<size_t>(batch.size) * 3 * 4 * 4);
    for (int i = 0; i < batch.size; ++i) {
      const int64_t s = batch.sample_indices[i];
      EXPECT_EQ(batch.labels[i], samples[s].label);
      EXPECT_EQ(batch.paths[i], samples[s].path);
      EXPECT_FLOAT_EQ(batch.images[i * 48], value_of(static_cast<int>(s)) / 255.0f);
      EXPECT_FLOAT_EQ(batch.images[i * 48 + 47], value_of(static_cast<int>(s)) / 255.0f);
    }
  }
  auto order = order_of(batches);
  std::vector<int64_t> expected(23);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_NE(order, expected) << "shuffle left the order unchanged";
  std::sort(order.begin(), order.end());
  EXPECT_EQ(order, expected);
  EXPECT_EQ((*loader)->epoch_stats().images, 23);
  EXPECT_EQ((*loader)->epoch_stats().skipped, 0);
}

TEST_F(DataLoaderTest, SameBatchesForAnyWorkerCountAndPrefetch) {
  const auto samples = make_samples(19, 20);
  std::vector<std::vector<Batch>> runs;
  for (const auto& [workers, prefetch] : std::vector<std::pair<int, int>>{{1, 1}, {4, 3}, {2, 8}}) {
    DataLoaderOptions options = small_options();
    options.workers = workers;
    options.prefetch_batches = prefetch;
    options.augmentation = AugmentationOptions{};  // the training defaults, all random
    options.input.width = options.input.height = 12;
    auto loader = DataLoader::create(samples, options);
    ASSERT_TRUE(loader.ok());
    auto batches = epoch(**loader, 2);
    auto more = epoch(**loader, 3);
    batches.insert(batches.end(), more.begin(), more.end());
    runs.push_back(std::move(batches));
  }
  for (size_t r = 1; r < runs.size(); ++r) {
    ASSERT_EQ(runs[r].size(), runs[0].size());
    for (size_t b = 0; b < runs[0].size(); ++b) {
      EXPECT_EQ(runs[r][b].sample_indices, runs[0][b].sample_indices) << "run " << r << " batch " << b;
      EXPECT_EQ(runs[r][b].images, runs[0][b].images) << "run " << r << " batch " << b;
    }
  }
}

TEST_F(DataLoaderTest, SameBatchesWithAnInjectedPoolOrNone) {
  // One process pool shared by the loader (and the runtime): batches must not depend on it.
  const auto samples = make_samples(17, 20);
  DataLoaderOptions options = small_options();
  options.augmentation = AugmentationOptions{};
  options.input.width = options.input.height = 12;
  std::vector<std::vector<Batch>> runs;
  ThreadPool one(1), three(3), five(5);
  for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &one, &three, &five}) {
    auto loader = DataLoader::create(samples, options, pool);
    ASSERT_TRUE(loader.ok());
    auto batches = epoch(**loader, 4);
    auto more = epoch(**loader, 5);
    batches.insert(batches.end(), more.begin(), more.end());
    runs.push_back(std::move(batches));
  }
  for (size_t r = 1; r < runs.size(); ++r) {
    ASSERT_EQ(runs[r].size(), runs[0].size());
    for (size_t b = 0; b < runs[0].size(); ++b) {
      EXPECT_EQ(runs[r][b].sample_indices, runs[0][b].sample_indices) << "run " << r << " batch " << b;
      EXPECT_EQ(runs[r][b].images, runs[0][b].images) << "run " << r << " batch " << b;
    }
  }
}

TEST_F(DataLoaderTest, NoPoolBuildsOnTheConsumersThread) {
  const auto samples = make_samples(7, 4);
  DataLoaderOptions options = small_options();
  const std::thread::id consumer = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  options.on_skip = [&](const std::string&, const Status&) {
    if (std::this_thread::get_id() != consumer) ++elsewhere;
  };
  std::vector<DatasetSample> with_bad = samples;
  with_bad.push_back({root() + "/missing.png", 0});  // reports through on_skip, from the builder's thread
  auto loader = DataLoader::create(with_bad, options, nullptr);
  ASSERT_TRUE(loader.ok());
  const auto batches = epoch(**loader, 0);
  EXPECT_EQ((*loader)->epoch_stats().images, 7);
  EXPECT_EQ((*loader)->epoch_stats().skipped, 1);
  EXPECT_EQ(elsewhere.load(), 0);
}

TEST_F(DataLoaderTest, PrefetchesInTheBackgroundWhileThePoolRunsOtherJobs) {
  // The loader's tasks and run() jobs of the same pool (the runtime's kernels) interleave:
  // neither starves the other, and two loaders can share one pool.
  const auto samples = make_samples(40, 8);
  ThreadPool pool(3);
  DataLoaderOptions options = small_options();
  options.prefetch_batches = 3;
  auto a = DataLoader::create(samples, options, &pool);
  auto b = DataLoader::create(samples, options, &pool);
  ASSERT_TRUE(a.ok() && b.ok());
  (*a)->start_epoch(0);
  (*b)->start_epoch(0);
  int64_t images = 0;
  std::atomic<int64_t> job_calls{0};
  while (true) {
    auto from_a = (*a)->next();
    auto from_b = (*b)->next();
    if (!from_a && !from_b) break;
    images += (from_a ? from_a->size : 0) + (from_b ? from_b->size : 0);
    pool.run([&](int, int) { job_calls++; });  // "the model runs" between batches
  }
  EXPECT_EQ(images, 80);
  EXPECT_EQ(job_calls.load() % 3, 0);
  // The background really runs ahead: the prefetch window (3 batches of 5) is built while the
  // consumer has not asked for anything yet. Unreadable files make the builds observable.
  std::atomic<int> skips{0};
  DataLoaderOptions watched = options;
  watched.shuffle = false;
  watched.on_skip = [&](const std::string&, const Status&) { ++skips; };
  std::vector<DatasetSample> bad_first;
  for (int i = 0; i < 15; ++i) bad_first.push_back({root() + "/missing" + std::to_string(i) + ".png", 0});
  bad_first.push_back(samples[0]);
  auto d = DataLoader::create(bad_first, watched, &pool);
  ASSERT_TRUE(d.ok());
  (*d)->start_epoch(0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (skips.load() < 15 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(skips.load(), 15) << "the first batches should have been built in the background";
  int taken = 0;
  while (auto batch = (*d)->next()) taken += batch->size;
  EXPECT_EQ(taken, 1);
}

TEST_F(DataLoaderTest, DestroyedMidEpochWithTasksQueuedOnASharedPool) {
  const auto samples = make_samples(30, 16);
  ThreadPool pool(3);
  for (int round = 0; round < 20; ++round) {
    DataLoaderOptions options = small_options();
    options.prefetch_batches = 4;
    auto loader = DataLoader::create(samples, options, &pool);
    ASSERT_TRUE(loader.ok());
    (*loader)->start_epoch(round);
    if (round % 2 == 0) (void)(*loader)->next();
  }  // each loader goes while its tasks may still be queued: no use after free (ASan), no hang
  std::atomic<int> calls{0};
  pool.run([&](int, int) { calls++; });  // the pool is still healthy
  EXPECT_EQ(calls.load(), 3);
}

TEST_F(DataLoaderTest, OrderChangesPerEpochAndRepeatsPerSeed) {
  const auto samples = make_samples(30, 4);
  auto a = DataLoader::create(samples, small_options());
  auto b = DataLoader::create(samples, small_options());
  ASSERT_TRUE(a.ok() && b.ok());
  const auto e0 = order_of(epoch(**a, 0));
  const auto e1 = order_of(epoch(**a, 1));
  EXPECT_NE(e0, e1);
  EXPECT_EQ(order_of(epoch(**b, 1)), e1);
  EXPECT_EQ(order_of(epoch(**b, 0)), e0);

  DataLoaderOptions in_order = small_options();
  in_order.shuffle = false;
  auto c = DataLoader::create(samples, in_order);
  ASSERT_TRUE(c.ok());
  std::vector<int64_t> expected(30);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(order_of(epoch(**c, 5)), expected);
}

TEST_F(DataLoaderTest, DropLastLeavesOutTheShortBatch) {
  const auto samples = make_samples(23, 4);
  DataLoaderOptions options = small_options();
  options.drop_last = true;
  auto loader = DataLoader::create(samples, options);
  ASSERT_TRUE(loader.ok());
  EXPECT_EQ((*loader)->batches_per_epoch(), 4);
  const auto batches = epoch(**loader, 0);
  ASSERT_EQ(batches.size(), 4u);
  for (const auto& b : batches) EXPECT_EQ(b.size, 5);
  EXPECT_EQ((*loader)->epoch_stats().images, 20);
}

TEST_F(DataLoaderTest, CorruptFilesAreSkippedCountedAndReported) {
  auto samples = make_samples(10, 16);
  // A PNG cut in half, and a text file named .png.
  cv::Mat noise(64, 64, CV_8UC3);
  cv::randu(noise, 0, 256);
  const std::string truncated = write("truncated.png", noise);
  std::filesystem::resize_file(truncated, std::filesystem::file_size(truncated) / 2);
  const std::string text = write_text("text.png", "hello, I am not an image");
  samples.push_back({truncated, 0});
  samples.push_back({text, 1});
  samples.push_back({root() + "/vanished.png", 1});

  DataLoaderOptions options = small_options();
  options.workers = 3;
  std::mutex mutex;
  std::vector<std::string> reported;
  options.on_skip = [&](const std::string& path, const Status& why) {
    EXPECT_FALSE(why.ok());
    std::lock_guard<std::mutex> lock(mutex);
    reported.push_back(path);
  };
  auto loader = DataLoader::create(samples, options);
  ASSERT_TRUE(loader.ok());
  int64_t images = 0;
  for (const auto& b : epoch(**loader, 0)) {
    images += b.size;
    for (const auto& p : b.paths) EXPECT_TRUE(p != truncated && p != text);
  }
  EXPECT_EQ(images, 10);
  const LoaderStats stats = (*loader)->epoch_stats();
  EXPECT_EQ(stats.images, 10);
  EXPECT_EQ(stats.skipped, 3);
  auto skipped = stats.skipped_files;
  std::sort(skipped.begin(), skipped.end());
  std::sort(reported.begin(), reported.end());
  EXPECT_EQ(skipped, reported);
  EXPECT_EQ(skipped.size(), 3u);

  epoch(**loader, 1);  // counted again, per epoch and in total
  EXPECT_EQ((*loader)->epoch_stats().skipped, 3);
  EXPECT_EQ((*loader)->total_stats().skipped, 6);
  EXPECT_EQ((*loader)->total_stats().images, 20);
}

TEST_F(DataLoaderTest, ABatchOfOnlyBadFilesIsPassedOver) {
  std::vector<DatasetSample> samples = make_samples(3, 4);
  for (int i = 0; i < 5; ++i) samples.push_back({write_text("bad" + std::to_string(i) + ".png", "x"), 0});
  DataLoaderOptions options = small_options();
  options.shuffle = false;
  options.batch_size = 3;  // batch 1 = bad0..bad2: dropped entirely
  auto loader = DataLoader::create(samples, options);
  ASSERT_TRUE(loader.ok());
  const auto batches = epoch(**loader, 0);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].size, 3);
  EXPECT_EQ((*loader)->epoch_stats().skipped, 5);
}

TEST_F(DataLoaderTest, DestroyingMidEpochDoesNotHang) {
  const auto samples = make_samples(64, 64);
  DataLoaderOptions options = small_options();
  options.workers = 4;
  options.prefetch_batches = 3;
  options.input.width = options.input.height = 64;
  options.augmentation = AugmentationOptions{};
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  std::thread([samples, options, done] {
    for (int round = 0; round < 5; ++round) {
      auto loader = DataLoader::create(samples, options);
      if (!loader.ok()) break;
      (*loader)->start_epoch(round);
      if (round > 0) (*loader)->next();  // round 0: destroyed before taking anything
    }
    done->set_value();
  }).detach();
  // A hang would otherwise block the test run forever; a failure here leaves the thread behind.
  ASSERT_EQ(finished.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "loader destructor hung";
}

TEST_F(DataLoaderTest, StartingANewEpochMidwayAbandonsTheOldOne) {
  const auto samples = make_samples(17, 4);
  auto loader = DataLoader::create(samples, small_options());
  ASSERT_TRUE(loader.ok());
  EXPECT_FALSE((*loader)->next().has_value());  // no epoch started
  (*loader)->start_epoch(0);
  ASSERT_TRUE((*loader)->next().has_value());
  auto order = order_of(epoch(**loader, 1));
  std::sort(order.begin(), order.end());
  EXPECT_EQ(order.size(), 17u);
  EXPECT_EQ(order.front(), 0);
  EXPECT_EQ(order.back(), 16);
  EXPECT_EQ((*loader)->epoch_stats().images, 17);
}

TEST_F(DataLoaderTest, MixedFormatsGiveModelShapedBatchesEqualToImageToTensor) {
  std::vector<DatasetSample> samples = {
      {write("a/grey.png", cv::Mat(37, 53, CV_8UC1, cv::Scalar(90))), 0},
      {write("a/rgba.png", cv::Mat(61, 29, CV_8UC4, cv::Scalar(10, 20, 30, 128))), 0},
      {write("b/deep.tiff", cv::Mat(17, 13, CV_16UC3, cv::Scalar(65535, 0, 30000))), 1},
      {write("b/odd.bmp", cv::Mat(99, 3, CV_8UC3, cv::Scalar(200, 100, 50))), 1},
      {write("b/photo.jpg", cv::Mat(40, 40, CV_8UC3, cv::Scalar(0, 255, 0))), 1},
  };
  DataLoaderOptions options;  // ImageNet normalisation, evaluation (no augmentation)
  options.batch_size = 4;
  options.shuffle = false;
  options.input.width = options.input.height = 32;
  options.input.preprocessing.resize = ir::ResizeMode::kShorterSideCrop;
  auto loader = DataLoader::create(samples, options);
  ASSERT_TRUE(loader.ok());
  const auto batches = epoch(**loader, 0);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].images.size(), 4u * 3 * 32 * 32);
  EXPECT_EQ(batches[1].images.size(), 1u * 3 * 32 * 32);
  // Evaluation sees exactly what `gramlite run` (data::image_to_tensor) sees.
  for (const auto& batch : batches) {
    for (int i = 0; i < batch.size; ++i) {
      auto image = read_rgb_image(batch.paths[i]);
      ASSERT_TRUE(image.ok());
      std::vector<float> expected(options.input.tensor_size());
      ASSERT_TRUE(image_to_tensor(*image, options.input.preprocessing, 32, 32, expected.data()).ok());
      const std::vector<float> got(batch.images.begin() + i * expected.size(),
                                   batch.images.begin() + (i + 1) * expected.size());
      EXPECT_EQ(got, expected) << batch.paths[i];
    }
  }
}

TEST_F(DataLoaderTest, BadOptionsAreErrors) {
  const auto samples = make_samples(2, 4);
  DataLoaderOptions options = small_options();
  options.batch_size = 0;
  EXPECT_FALSE(DataLoader::create(samples, options).ok());
  options = small_options();
  options.workers = 0;
  EXPECT_FALSE(DataLoader::create(samples, options).ok());
  options = small_options();
  options.augmentation.horizontal_flip = -1;
  EXPECT_FALSE(DataLoader::create(samples, options).ok());
  EXPECT_FALSE(DataLoader::create(std::vector<DatasetSample>{}, small_options()).ok());
}

}  // namespace
}  // namespace gramlite::data
