// The manifest.csv index: one row per image, so a dataset can be split or relabelled without
// moving files. The synthetic generator writes file,split,label,label_index,...; only `file` and
// `label` are required. Plain CSV: a comma inside a field is not supported (quotes around a whole
// field are removed), which the generator's names never need.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "gramlite/data/dataset/folder_dataset.h"

namespace gramlite::data::internal {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_csv_line(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    std::string field = line.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') field = field.substr(1, field.size() - 2);
    fields.push_back(field);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return fields;
}

// Rows name files relative to the dataset folder. An absolute path or one that climbs out with
// ".." (after lexical normalisation: "a/../b" stays inside) would let a manifest read any file.
bool inside_dataset(const std::string& file) {
  const fs::path path(file);
  if (path.has_root_name() || path.has_root_directory()) return false;
  const fs::path normal = path.lexically_normal();
  return normal.empty() || *normal.begin() != "..";
}

struct Row {
  std::string file;
  std::string label;
  int label_index = -1;
};

}  // namespace

Result<FolderDataset> open_manifest_dataset(const std::string& root, const FolderDatasetOptions& options) {
  const std::string manifest_path = (fs::path(root) / "manifest.csv").string();
  std::ifstream in(manifest_path);
  if (!in) return io_error("cannot open '", manifest_path, "'");
  std::string line;
  if (!std::getline(in, line)) return corrupt_data("'", manifest_path, "' is empty");
  const std::vector<std::string> header = split_csv_line(line);
  const auto column = [&](const char* name) {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const int file_col = column("file"), label_col = column("label"), split_col = column("split"),
            index_col = column("label_index");
  if (file_col < 0 || label_col < 0) return corrupt_data("'", manifest_path, "' needs 'file' and 'label' columns");
  if (!options.split.empty() && split_col < 0) {
    return invalid_argument("'", manifest_path, "' has no 'split' column, but split '", options.split, "' was requested");
  }

  std::vector<Row> rows;  // rows of the selected split
  std::map<int, std::string> label_of_index;
  std::map<std::string, int> index_of_label;
  std::set<std::string> all_labels;  // over every split, so labels agree between splits
  std::set<std::string> splits_seen;
  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> fields = split_csv_line(line);
    if (fields.size() != header.size()) {
      return corrupt_data("'", manifest_path, "' line ", line_number, " has ", fields.size(), " fields, the header ",
                          header.size());
    }
    Row row{fields[file_col], fields[label_col], -1};
    if (row.file.empty() || row.label.empty()) {
      return corrupt_data("'", manifest_path, "' line ", line_number, " has an empty file or label");
    }
    if (!inside_dataset(row.file)) {
      return corrupt_data("'", manifest_path, "' line ", line_number, ": file '", row.file,
                          "' is outside the dataset folder (rows name files relative to it, without '..')");
    }
    if (index_col >= 0) {
      try {
        row.label_index = std::stoi(fields[index_col]);
      } catch (const std::exception&) {
        row.label_index = -1;
      }
      if (row.label_index < 0) return corrupt_data("'", manifest_path, "' line ", line_number, ": bad label_index");
      const auto [it, inserted] = label_of_index.emplace(row.label_index, row.label);
      if (!inserted && it->second != row.label) {
        return corrupt_data("'", manifest_path, "' line ", line_number, ": label_index ", row.label_index,
                            " is both '", it->second, "' and '", row.label, "'");
      }
      const auto [other, new_label] = index_of_label.emplace(row.label, row.label_index);
      if (!new_label && other->second != row.label_index) {
        return corrupt_data("'", manifest_path, "' line ", line_number, ": label '", row.label,
                            "' has label_index ", other->second, " and ", row.label_index);
      }
    }
    all_labels.insert(row.label);
    if (split_col >= 0) splits_seen.insert(fields[split_col]);
    if (!options.split.empty() && fields[split_col] != options.split) continue;
    rows.push_back(std::move(row));
  }

  FolderDataset dataset;
  dataset.root = root;
  dataset.layout = "manifest";
  dataset.split = options.split;
  if (!options.classes.empty()) {
    if (std::set<std::string>(options.classes.begin(), options.classes.end()).size() != options.classes.size()) {
      return invalid_argument("the class list names a class twice");
    }
    for (const auto& name : options.classes) {
      if (all_labels.count(name) == 0) return not_found("'", manifest_path, "' has no class '", name, "'");
    }
    dataset.class_names = options.classes;
  } else if (!label_of_index.empty()) {
    // The producer's own numbering, which must be 0..K-1 without gaps.
    for (const auto& [index, name] : label_of_index) {
      if (index != static_cast<int>(dataset.class_names.size())) {
        return corrupt_data("'", manifest_path, "' label_index values are not 0..", label_of_index.size() - 1);
      }
      dataset.class_names.push_back(name);
    }
  } else {
    dataset.class_names.assign(all_labels.begin(), all_labels.end());
  }

  std::map<std::string, int> label_by_name;
  for (size_t i = 0; i < dataset.class_names.size(); ++i) label_by_name[dataset.class_names[i]] = static_cast<int>(i);
  std::vector<std::vector<std::string>> files_by_label(dataset.class_names.size());
  for (const Row& row : rows) {
    const auto it = label_by_name.find(row.label);
    if (it == label_by_name.end()) continue;  // a class left out of options.classes
    files_by_label[it->second].push_back((fs::path(root) / row.file).string());
  }
  dataset.class_counts.assign(dataset.class_names.size(), 0);
  for (size_t label = 0; label < files_by_label.size(); ++label) {
    auto& files = files_by_label[label];
    std::sort(files.begin(), files.end());
    dataset.class_counts[label] = static_cast<int64_t>(files.size());
    for (auto& file : files) dataset.samples.push_back({std::move(file), static_cast<int>(label)});
  }
  if (dataset.samples.empty()) {
    return not_found("'", manifest_path, "' lists no images", options.split.empty() ? "" : " in split '",
                     options.split, options.split.empty() ? "" : "'");
  }
  return dataset;
}

}  // namespace gramlite::data::internal
