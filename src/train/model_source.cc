#include "gramlite/train/model_source.h"

#include <cstdlib>
#include <filesystem>

#include "gramlite/format/model_file.h"
#include "gramlite/interop/onnx_import.h"
#include "gramlite/interop/torchvision_import.h"
#include "gramlite/zoo/classifier_head.h"
#include "gramlite/zoo/zoo.h"

namespace gramlite::train {
namespace {

namespace fs = std::filesystem;

// torchvision's official ImageNet weights, by the file name torch.hub caches them under.
std::string official_weights_file(const std::string& arch) {
  if (arch == "mobilenet_v2") return "mobilenet_v2-b0353104.pth";
  if (arch == "mobilenet_v3_small") return "mobilenet_v3_small-047dcff4.pth";
  if (arch == "resnet50") return "resnet50-0676ba61.pth";
  if (arch == "inception_v3") return "inception_v3_google-0cc3c7bd.pth";
  return "";
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status give_new_head(ir::Graph& graph, const std::vector<std::string>& class_names, uint64_t seed) {
  zoo::ReplaceHeadOptions head;
  head.num_classes = static_cast<int>(class_names.size());
  head.class_names = class_names;
  head.seed = seed;
  return zoo::replace_classifier_head(graph, head);
}

Result<TrainingModel> from_model_file(const ModelSourceOptions& o, const std::vector<std::string>& class_names) {
  if (!o.arch.empty()) return invalid_argument("give --arch or --model, not both");
  if (o.pretrained != "none") return invalid_argument("--pretrained applies to --arch (a model file already has its weights)");
  TrainingModel m;
  GRAMLITE_ASSIGN_OR_RETURN(m.graph, format::load_model(o.model_file));
  if (m.graph.inputs.empty()) return unsupported("'", o.model_file, "' has no input");
  const ir::Shape& input = m.graph.tensor(m.graph.inputs[0]).shape;
  if (o.input_size != 0 && (input.size() != 4 || input[2] != o.input_size || input[3] != o.input_size)) {
    return invalid_argument("--input-size ", o.input_size, ": '", o.model_file, "' has a fixed input ",
                            ir::shape_to_string(input));
  }
  GRAMLITE_ASSIGN_OR_RETURN(zoo::ClassifierHead head, zoo::find_classifier_head(m.graph));
  m.description = o.model_file;
  if (head.num_classes != static_cast<int64_t>(class_names.size()) || m.graph.metadata.class_names != class_names) {
    GRAMLITE_RETURN_IF_ERROR(give_new_head(m.graph, class_names, o.seed));
    m.description += str_cat(" (new ", class_names.size(), "-class head)");
  }
  return m;
}

Result<TrainingModel> from_onnx(const ModelSourceOptions& o, const std::vector<std::string>& class_names) {
  if (!o.arch.empty()) {
    return invalid_argument("--pretrained ", o.pretrained, " is an ONNX model, which defines its own architecture: drop --arch");
  }
  interop::OnnxImportOptions options;
  options.input_size = o.input_size;
  TrainingModel m;
  GRAMLITE_ASSIGN_OR_RETURN(m.graph, interop::import_onnx(o.pretrained, options));
  GRAMLITE_RETURN_IF_ERROR(give_new_head(m.graph, class_names, o.seed).with_context(o.pretrained));
  m.description = str_cat(o.pretrained, " (ONNX, new ", class_names.size(), "-class head)");
  return m;
}

}  // namespace

std::string torch_hub_checkpoints_folder() {
  std::string home;
  if (const char* torch_home = std::getenv("TORCH_HOME"); torch_home && *torch_home) {
    home = torch_home;
  } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    home = std::string(xdg) + "/torch";
  } else {
    const char* user_home = std::getenv("HOME");
    home = std::string(user_home ? user_home : "") + "/.cache/torch";
  }
  return home + "/hub/checkpoints";
}

Result<std::string> find_imagenet_weights(const std::string& arch) {
  const std::string file = official_weights_file(arch);
  if (file.empty()) {
    return not_found("torchvision publishes no ImageNet weights for '", arch,
                     "'; export the original's weights to ONNX and pass --pretrained FILE.onnx (docs/training.md)");
  }
  const std::string path = torch_hub_checkpoints_folder() + "/" + file;
  std::error_code error;
  if (fs::is_regular_file(path, error)) return path;
  return not_found("ImageNet weights for ", arch, " are not in the torchvision cache: download ",
                   "https://download.pytorch.org/models/", file, " and put it at ", path,
                   " (the folder is $TORCH_HOME/hub/checkpoints; TORCH_HOME defaults to ~/.cache/torch)");
}

Result<TrainingModel> make_training_model(const ModelSourceOptions& o, const std::vector<std::string>& class_names) {
  if (o.alpha != 1.0 && (!o.model_file.empty() || o.pretrained != "none")) {
    return invalid_argument("--alpha applies to --arch with random weights; a model file or --pretrained weights fix the width");
  }
  if (!o.model_file.empty()) return from_model_file(o, class_names);
  if (ends_with(o.pretrained, ".onnx")) return from_onnx(o, class_names);
  if (o.arch.empty()) return invalid_argument("give --arch ARCH or --model FILE (see 'gramlite zoo list')");
  GRAMLITE_ASSIGN_OR_RETURN(zoo::ArchInfo info, zoo::find_architecture(o.arch));
  TrainingModel m;
  if (o.pretrained == "none") {
    zoo::BuildOptions options;
    options.num_classes = static_cast<int>(class_names.size());
    options.alpha = o.alpha;
    options.input_size = o.input_size;
    options.seed = o.seed;
    GRAMLITE_ASSIGN_OR_RETURN(m.graph, zoo::build(o.arch, options));
    m.graph.metadata.class_names = class_names;
    m.description = str_cat(o.arch, " (width ", o.alpha, ", random weights, seed ", o.seed, ")");
    return m;
  }
  std::string weights = o.pretrained;
  if (weights == "imagenet") {
    GRAMLITE_ASSIGN_OR_RETURN(weights, find_imagenet_weights(o.arch));
  }
  interop::ImportOptions options;
  options.input_size = o.input_size;
  // torchvision builds Inception with transform_input=True whenever it loads pretrained weights.
  options.inception_transform_input = info.name == "inception_v3";
  interop::ImportReport report;
  GRAMLITE_ASSIGN_OR_RETURN(m.graph, interop::import_torchvision(weights, o.arch, options, &report));
  GRAMLITE_RETURN_IF_ERROR(give_new_head(m.graph, class_names, o.seed).with_context(weights));
  m.description = str_cat(o.arch, " (width ", report.alpha, ") from ", weights, ", new ", class_names.size(),
                          "-class head replacing ", report.num_classes);
  return m;
}

}  // namespace gramlite::train
