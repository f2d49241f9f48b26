#include "gramlite/data/dataset/folder_dataset.h"

#include "gramlite/data/dataset/class_weights.h"
#include "test_images.h"

namespace gramlite::data {
namespace {

using testing::TempDirTest;
using FolderDatasetTest = TempDirTest;

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

TEST_F(FolderDatasetTest, FlatLayoutSortsClassesAndFilesAndSkipsHiddenAndNonImages) {
  write_solid("pos/b.PNG", 1);
  write_solid("pos/a.jpg", 2);
  write_solid("pos/c.TIFF", 3);
  write_solid("neg/x.bmp", 4);
  write_solid("neg/y.jpeg", 5);
  write_solid("neg/.hidden.png", 6);
  write_solid("neg/.cache/z.png", 7);
  write_solid(".trash/q.png", 8);
  write_text("neg/readme.txt", "not an image");
  auto ds = open_folder_dataset(root());
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->layout, "flat");
  ASSERT_EQ(ds->class_names, (std::vector<std::string>{"neg", "pos"}));
  EXPECT_EQ(ds->class_counts, (std::vector<int64_t>{2, 3}));
  ASSERT_EQ(ds->size(), 5u);
  EXPECT_EQ(file_name(ds->samples[0].path), "x.bmp");
  EXPECT_EQ(file_name(ds->samples[1].path), "y.jpeg");
  EXPECT_EQ(file_name(ds->samples[2].path), "a.jpg");
  EXPECT_EQ(file_name(ds->samples[3].path), "b.PNG");
  EXPECT_EQ(file_name(ds->samples[4].path), "c.TIFF");
  EXPECT_EQ(ds->samples[0].label, 0);
  EXPECT_EQ(ds->samples[4].label, 1);
}

TEST_F(FolderDatasetTest, ImageExtensionsAreCaseInsensitive) {
  for (const char* name : {"a.png", "a.PNG", "a.Jpg", "a.jpeg", "a.tif", "a.TIFF", "a.bmp"}) EXPECT_TRUE(is_image_file_name(name)) << name;
  for (const char* name : {"a.txt", "png", ".png", "a.gif", "a.png.bak"}) EXPECT_FALSE(is_image_file_name(name)) << name;
}

TEST_F(FolderDatasetTest, SplitLayoutNeedsASplitAndSharesLabelsAcrossSplits) {
  write_solid("train/gram_negative/1.png", 1);
  write_solid("train/gram_positive/1.png", 2);
  write_solid("train/gram_positive/2.png", 3);
  write_solid("val/gram_positive/1.png", 4);  // no negatives in val: labels must not shift
  auto missing = open_folder_dataset(root());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("choose one"), std::string::npos) << missing.status().message();

  FolderDatasetOptions options;
  options.split = "val";
  auto val = open_folder_dataset(root(), options);
  ASSERT_TRUE(val.ok()) << val.status().message();
  EXPECT_EQ(val->layout, "split");
  EXPECT_EQ(val->class_names, (std::vector<std::string>{"gram_negative", "gram_positive"}));
  EXPECT_EQ(val->class_counts, (std::vector<int64_t>{0, 1}));
  ASSERT_EQ(val->size(), 1u);
  EXPECT_EQ(val->samples[0].label, 1);

  options.split = "train";
  auto train = open_folder_dataset(root(), options);
  ASSERT_TRUE(train.ok());
  EXPECT_EQ(train->class_counts, (std::vector<int64_t>{1, 2}));

  options.split = "test";
  auto test = open_folder_dataset(root(), options);
  ASSERT_FALSE(test.ok());
  EXPECT_EQ(test.status().code(), StatusCode::kNotFound);
}

TEST_F(FolderDatasetTest, SplitRequestedInFlatLayoutIsAnError) {
  write_solid("a/1.png", 1);
  FolderDatasetOptions options;
  options.split = "train";
  EXPECT_FALSE(open_folder_dataset(root(), options).ok());
}

TEST_F(FolderDatasetTest, EmptyClassFolderIsAnErrorNamingIt) {
  write_solid("pos/1.png", 1);
  std::filesystem::create_directories(dir_ / "neg");
  write_text("neg/notes.txt", "x");
  auto ds = open_folder_dataset(root());
  ASSERT_FALSE(ds.ok());
  EXPECT_NE(ds.status().message().find("neg"), std::string::npos) << ds.status().message();
  EXPECT_NE(ds.status().message().find("no images"), std::string::npos);
}

TEST_F(FolderDatasetTest, NoClassFoldersOrMissingRootIsAnError) {
  write_solid("loose.png", 1);
  auto ds = open_folder_dataset(root());
  ASSERT_FALSE(ds.ok());
  EXPECT_NE(ds.status().message().find("no class folders"), std::string::npos) << ds.status().message();
  EXPECT_EQ(open_folder_dataset(root() + "/nope").status().code(), StatusCode::kNotFound);
}

TEST_F(FolderDatasetTest, ExplicitClassListSetsOrderIgnoresOthersAndNamesMissing) {
  write_solid("a/1.png", 1);
  write_solid("b/1.png", 2);
  write_solid("c/1.png", 3);
  FolderDatasetOptions options;
  options.classes = {"c", "a"};
  auto ds = open_folder_dataset(root(), options);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->class_names, options.classes);
  ASSERT_EQ(ds->size(), 2u);
  EXPECT_NE(ds->samples[0].path.find("/c/"), std::string::npos);
  EXPECT_EQ(ds->samples[0].label, 0);

  options.classes = {"a", "zebra"};
  ds = open_folder_dataset(root(), options);
  ASSERT_FALSE(ds.ok());
  EXPECT_NE(ds.status().message().find("zebra"), std::string::npos);
}

TEST_F(FolderDatasetTest, ManifestSelectsSplitAndKeepsProducerLabelIndices) {
  write_solid("tiles/a.png", 1);
  write_solid("tiles/b.png", 2);
  write_solid("tiles/c.png", 3);
  write_text("manifest.csv",
             "file,split,label,label_index,seed\r\n"
             "tiles/c.png,train,gram_positive,1,7\r\n"
             "tiles/a.png,train,gram_negative,0,8\r\n"
             "tiles/b.png,test,gram_positive,1,9\r\n");
  FolderDatasetOptions options;
  options.split = "train";
  auto ds = open_folder_dataset(root(), options);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->layout, "manifest");
  EXPECT_EQ(ds->class_names, (std::vector<std::string>{"gram_negative", "gram_positive"}));
  EXPECT_EQ(ds->class_counts, (std::vector<int64_t>{1, 1}));
  ASSERT_EQ(ds->size(), 2u);
  EXPECT_EQ(file_name(ds->samples[0].path), "a.png");
  EXPECT_EQ(ds->samples[1].label, 1);

  FolderDatasetOptions folders_only;  // the folders alone: "tiles" is then the only class
  folders_only.use_manifest = false;
  ds = open_folder_dataset(root(), folders_only);
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->size(), 3u);
}

TEST_F(FolderDatasetTest, MalformedManifestIsCorruptData) {
  write_text("manifest.csv", "path,class\nx.png,a\n");
  EXPECT_EQ(open_folder_dataset(root()).status().code(), StatusCode::kCorruptData);
  write_text("manifest.csv", "file,label,label_index\nx.png,a,0\ny.png,b,0\n");
  EXPECT_EQ(open_folder_dataset(root()).status().code(), StatusCode::kCorruptData);
  // One label under two indices would give two classes of one name, the first without samples.
  write_text("manifest.csv", "file,label,label_index\nx.png,a,0\ny.png,a,1\n");
  const auto twice = open_folder_dataset(root());
  ASSERT_FALSE(twice.ok()) << "classes: " << twice->class_names.size();
  EXPECT_EQ(twice.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(twice.status().message().find("'a'"), std::string::npos) << twice.status().message();
}

// A class named twice is refused for a manifest as for folders, not turned into an empty class.
TEST_F(FolderDatasetTest, ManifestRefusesAClassListNamingAClassTwice) {
  write_solid("x.png", 1);
  write_solid("y.png", 2);
  write_text("manifest.csv", "file,label\nx.png,a\ny.png,b\n");
  FolderDatasetOptions options;
  options.classes = {"a", "b", "a"};
  const auto ds = open_folder_dataset(root(), options);
  ASSERT_FALSE(ds.ok()) << "classes: " << ds->class_names.size();
  EXPECT_EQ(ds.status().code(), StatusCode::kInvalidArgument);
}

// A flat folder asked for its "train" split (what `train` does first) used to say "has no
// train/val/test split" although the real problem was an empty class folder: name that folder.
TEST_F(FolderDatasetTest, EmptyClassFolderIsNamedEvenWhenASplitWasAskedFor) {
  write_solid("pos/1.png", 1);
  std::filesystem::create_directories(dir_ / "neg");
  FolderDatasetOptions options;
  options.split = "train";
  auto ds = open_folder_dataset(root(), options);
  ASSERT_FALSE(ds.ok());
  EXPECT_NE(ds.status().message().find((dir_ / "neg").string()), std::string::npos) << ds.status().message();
  EXPECT_NE(ds.status().message().find("no images"), std::string::npos) << ds.status().message();
  // A sound flat folder still says that it has no split.
  write_solid("neg/1.png", 2);
  auto sound = open_folder_dataset(root(), options);
  ASSERT_FALSE(sound.ok());
  EXPECT_NE(sound.status().message().find("no train/val/test split"), std::string::npos) << sound.status().message();
}

// Manifest rows name files inside the dataset folder: "../" or an absolute path is refused,
// naming the manifest line, instead of reading whatever the row points at.
TEST_F(FolderDatasetTest, ManifestRowsOutsideTheFolderAreRefused) {
  write_solid("x.png", 1);
  for (const std::string bad : {"../outside.png", "sub/../../outside.png", "/etc/passwd", "a/../../b.png"}) {
    write_text("manifest.csv", "file,label\nx.png,a\n" + bad + ",b\n");
    auto ds = open_folder_dataset(root());
    ASSERT_FALSE(ds.ok()) << bad;
    EXPECT_EQ(ds.status().code(), StatusCode::kCorruptData) << ds.status().message();
    EXPECT_NE(ds.status().message().find("line 3"), std::string::npos) << ds.status().message();
    EXPECT_NE(ds.status().message().find(bad), std::string::npos) << ds.status().message();
  }
  write_solid("sub/y.png", 2);  // inside, even through a harmless "..": fine
  write_text("manifest.csv", "file,label\nx.png,a\nsub/../sub/y.png,b\n");
  EXPECT_TRUE(open_folder_dataset(root()).ok());
}

TEST(ClassWeightsTest, InverseFrequencyBalancedAndZeroForEmptyClasses) {
  const auto w = inverse_frequency_class_weights({30, 10, 0});
  ASSERT_EQ(w.size(), 3u);
  EXPECT_FLOAT_EQ(w[0], 40.0f / (2 * 30));
  EXPECT_FLOAT_EQ(w[1], 40.0f / (2 * 10));
  EXPECT_EQ(w[2], 0.0f);
  const auto balanced = inverse_frequency_class_weights({5, 5});
  EXPECT_FLOAT_EQ(balanced[0], 1.0f);
  EXPECT_FLOAT_EQ(balanced[1], 1.0f);
}

}  // namespace
}  // namespace gramlite::data
