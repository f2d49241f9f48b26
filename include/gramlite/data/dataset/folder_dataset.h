// Image datasets on disk: one folder per class, optionally split into train/val/test, or a
// manifest.csv index (what the synthetic generator writes).
//
// Layouts (detected, in this order):
//   manifest   root/manifest.csv with columns file,label[,split][,label_index]  (options.use_manifest)
//   split      root/{train,val,test}/<class>/<image>                           (options.split picks one)
//   flat       root/<class>/<image>
// Images are PNG, JPEG, TIFF and BMP, recognised by extension (case-insensitive); hidden files
// and folders (leading '.') are skipped. Order is deterministic: classes sorted by name (or the
// caller's list), files sorted by path within each class.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gramlite/base/status.h"

namespace gramlite::data {

struct DatasetSample {
  std::string path;  // full path to the image file
  int label = 0;     // index into FolderDataset::class_names
};

struct FolderDatasetOptions {
  // "train", "val" or "test" in a split layout (required there); must be empty for a flat layout.
  // With a manifest, rows whose split column differs are dropped (empty: all rows).
  std::string split;
  // Class names in label order. Empty: every class folder, sorted (in a split layout, the union
  // over all splits, so label indices agree between train, val and test). Folders not listed
  // are ignored; a listed class without a folder is an error.
  std::vector<std::string> classes;
  bool use_manifest = true;  // read root/manifest.csv when it exists
};

struct FolderDataset {
  std::string root;    // the folder that was opened
  std::string layout;  // "flat", "split" or "manifest"
  std::string split;   // the split that was selected ("" for flat)
  std::vector<std::string> class_names;
  std::vector<DatasetSample> samples;  // grouped by class in label order, sorted by path within
  std::vector<int64_t> class_counts;   // samples per class, indexed by label

  size_t size() const { return samples.size(); }
};

// Lists a dataset. Errors (each naming the folder): root missing; no class folders; a class
// folder with no images; a requested class missing; a split requested in a flat layout or missing
// in a split layout; the whole dataset empty.
Result<FolderDataset> open_folder_dataset(const std::string& root, const FolderDatasetOptions& options = {});

// True for the extensions the loader decodes: .png .jpg .jpeg .tif .tiff .bmp (any case).
bool is_image_file_name(const std::string& file_name);

namespace internal {
// Reads root/manifest.csv (manifest_dataset.cc). Paths in the file are relative to root; a row
// naming an absolute path or one outside root ("../") is kCorruptData naming the line.
Result<FolderDataset> open_manifest_dataset(const std::string& root, const FolderDatasetOptions& options);
}  // namespace internal

}  // namespace gramlite::data
