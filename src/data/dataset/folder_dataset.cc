#include "gramlite/data/dataset/folder_dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

namespace gramlite::data {
namespace {

namespace fs = std::filesystem;

const char* const kSplitNames[] = {"train", "val", "test"};

bool is_hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

// Visible subfolders of `dir`, sorted by name.
Result<std::vector<std::string>> list_subfolders(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!is_hidden(it->path()) && it->is_directory(ec)) names.push_back(it->path().filename().string());
  }
  if (ec) return io_error("cannot list folder '", dir.string(), "': ", ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

// Visible image files anywhere below `dir` (nested folders are included: some exports group
// tiles by slide inside the class folder), sorted by path.
Result<std::vector<std::string>> list_images(const fs::path& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (is_hidden(it->path())) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) && is_image_file_name(it->path().filename().string())) {
      files.push_back(it->path().string());
    }
  }
  if (ec) return io_error("cannot list folder '", dir.string(), "': ", ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

bool is_split_layout(const fs::path& root) {
  std::error_code ec;
  for (const char* split : kSplitNames) {
    if (fs::is_directory(root / split, ec)) return true;
  }
  return false;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

bool is_image_file_name(const std::string& file_name) {
  const size_t dot = file_name.rfind('.');
  if (dot == std::string::npos || dot == 0) return false;
  std::string ext = file_name.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "tif" || ext == "tiff" || ext == "bmp";
}

Result<FolderDataset> open_folder_dataset(const std::string& root, const FolderDatasetOptions& options) {
  std::error_code ec;
  const fs::path root_path(root);
  if (!fs::is_directory(root_path, ec)) return not_found("dataset folder '", root, "' does not exist");
  if (options.use_manifest && fs::is_regular_file(root_path / "manifest.csv", ec)) {
    return internal::open_manifest_dataset(root, options);
  }

  FolderDataset dataset;
  dataset.root = root;
  fs::path class_root = root_path;
  std::vector<std::string> found_classes;
  if (is_split_layout(root_path)) {
    dataset.layout = "split";
    std::vector<std::string> splits;
    for (const char* split : kSplitNames) {
      if (fs::is_directory(root_path / split, ec)) splits.push_back(split);
    }
    if (options.split.empty()) {
      return invalid_argument("dataset folder '", root, "' is split into ", join(splits), "; choose one");
    }
    if (std::find(splits.begin(), splits.end(), options.split) == splits.end()) {
      return not_found("dataset folder '", root, "' has no '", options.split, "' split (it has ", join(splits), ")");
    }
    // Classes are the union over the splits, so labels mean the same thing in every split.
    std::set<std::string> all;
    for (const auto& split : splits) {
      GRAMLITE_ASSIGN_OR_RETURN(auto names, list_subfolders(root_path / split));
      all.insert(names.begin(), names.end());
    }
    found_classes.assign(all.begin(), all.end());
    dataset.split = options.split;
    class_root = root_path / options.split;
  } else {
    dataset.layout = "flat";
    if (!options.split.empty()) {
      // A broken flat folder (an empty class folder, ...) says what is broken; a caller that
      // asks for "train" first and falls back to flat would otherwise report the missing split.
      FolderDatasetOptions flat = options;
      flat.split.clear();
      GRAMLITE_RETURN_IF_ERROR(open_folder_dataset(root, flat).status());
      return invalid_argument("dataset folder '", root, "' has no train/val/test split, but split '", options.split,
                              "' was requested");
    }
    GRAMLITE_ASSIGN_OR_RETURN(found_classes, list_subfolders(root_path));
  }
  if (found_classes.empty()) {
    return not_found("dataset folder '", class_root.string(), "' has no class folders (expected <class>/<image>)");
  }

  if (options.classes.empty()) {
    dataset.class_names = found_classes;
  } else {
    std::set<std::string> unique(options.classes.begin(), options.classes.end());
    if (unique.size() != options.classes.size()) return invalid_argument("the class list names a class twice");
    for (const auto& name : options.classes) {
      if (!std::binary_search(found_classes.begin(), found_classes.end(), name)) {
        return not_found("dataset folder '", root, "' has no folder for class '", name, "' (it has ",
                         join(found_classes), ")");
      }
    }
    dataset.class_names = options.classes;
  }

  dataset.class_counts.assign(dataset.class_names.size(), 0);
  for (size_t label = 0; label < dataset.class_names.size(); ++label) {
    const fs::path class_dir = class_root / dataset.class_names[label];
    // In a split layout a class may be absent from one split (count 0); an existing folder
    // without images is always an error, since it is almost always a broken export.
    if (!fs::is_directory(class_dir, ec)) continue;
    GRAMLITE_ASSIGN_OR_RETURN(auto files, list_images(class_dir));
    if (files.empty()) {
      return not_found("class folder '", class_dir.string(), "' has no images (PNG, JPEG, TIFF or BMP)");
    }
    dataset.class_counts[label] = static_cast<int64_t>(files.size());
    for (auto& file : files) dataset.samples.push_back({std::move(file), static_cast<int>(label)});
  }
  if (dataset.samples.empty()) return not_found("dataset folder '", class_root.string(), "' has no images");
  return dataset;
}

}  // namespace gramlite::data
