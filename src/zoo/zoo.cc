#include "gramlite/zoo/zoo.h"

#include "zoo/inception_v3.h"
#include "zoo/mobilenet_v1.h"
#include "zoo/mobilenet_v2.h"
#include "zoo/mobilenet_v3_small.h"
#include "zoo/resnet50.h"

namespace gramlite::zoo {
namespace {

struct Entry {
  const ArchInfo& (*info)();
  Result<ir::Graph> (*build)(const BuildOptions&);
};

// The registry: one line per architecture.
const Entry kEntries[] = {
    {mobilenet_v1_info, build_mobilenet_v1},
    {mobilenet_v2_info, build_mobilenet_v2},
    {mobilenet_v3_small_info, build_mobilenet_v3_small},
    {resnet50_info, build_resnet50},
    {inception_v3_info, build_inception_v3},
};

const Entry* find_entry(const std::string& arch) {
  for (const Entry& entry : kEntries) {
    if (entry.info().name == arch) return &entry;
  }
  return nullptr;
}

std::string known_names() {
  std::string names;
  for (const Entry& entry : kEntries) {
    if (!names.empty()) names += ", ";
    names += entry.info().name;
  }
  return names;
}

}  // namespace

std::vector<ArchInfo> list_architectures() {
  std::vector<ArchInfo> result;
  for (const Entry& entry : kEntries) result.push_back(entry.info());
  return result;
}

Result<ArchInfo> find_architecture(const std::string& arch) {
  const Entry* entry = find_entry(arch);
  if (entry == nullptr) return not_found("unknown architecture '", arch, "' (known: ", known_names(), ")");
  return entry->info();
}

Result<ir::Graph> build(const std::string& arch, const BuildOptions& options) {
  const Entry* entry = find_entry(arch);
  if (entry == nullptr) return not_found("unknown architecture '", arch, "' (known: ", known_names(), ")");
  return entry->build(options);
}

}  // namespace gramlite::zoo
