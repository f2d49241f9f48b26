#include "gramlite/interop/torchvision_import.h"

#include <cmath>
#include <iterator>
#include <sstream>

#include "base/one_line.h"
#include "interop/state_dict_matching.h"
#include "gramlite/zoo/zoo.h"

namespace gramlite::interop {
namespace {

std::string format_double(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Builds `arch` without random weights: every parameter is about to be overwritten.
Result<ir::Graph> build_empty(const std::string& arch, const ImportOptions& options, int num_classes, double alpha) {
  zoo::BuildOptions build;
  build.num_classes = num_classes;
  build.alpha = alpha;
  build.input_size = options.input_size;
  build.include_softmax = options.include_softmax;
  build.random_weights = false;
  return zoo::build(arch, build);
}

// The classifier is the last Linear node; its weight's name is the state-dict key whose first dim
// is the class count. Asking the graph (rather than a per-architecture table) keeps this right for
// any architecture the zoo adds.
Result<std::string> classifier_weight_name(const std::string& arch, const ImportOptions& options, double alpha) {
  GRAMLITE_ASSIGN_OR_RETURN(ir::Graph probe, build_empty(arch, options, 1, alpha));
  for (size_t i = probe.nodes.size(); i-- > 0;) {
    const ir::Node& node = probe.nodes[i];
    if (node.kind == ir::OpKind::kLinear && node.inputs.size() >= 2) return probe.tensor(node.inputs[1]).name;
  }
  return internal_error(arch, ": the zoo graph has no Linear classifier");
}

Result<int> infer_num_classes(const StateDict& state, const std::string& arch, const ImportOptions& options,
                              double alpha) {
  if (options.num_classes) return *options.num_classes;
  GRAMLITE_ASSIGN_OR_RETURN(std::string key, classifier_weight_name(arch, options, alpha));
  const StateDictTensor* weight = state.find(key);
  if (weight == nullptr || weight->shape.size() != 2 || weight->shape[0] < 1) {
    return invalid_argument("'", state.source, "' has no 2-d classifier weight '", key, "' from which to infer the ",
                            "class count of ", arch, " (is it a ", arch, " state_dict?); set num_classes");
  }
  return static_cast<int>(weight->shape[0]);
}

struct Candidate {
  double alpha = 1.0;
  int num_classes = 0;
  bool searched_widths = false;  // alpha was inferred by trying candidate widths
  ir::Graph graph;
  detail::StateDictMatch match;
};

Result<Candidate> try_candidate(const StateDict& state, const std::string& arch, const ImportOptions& options,
                                double alpha) {
  Candidate candidate;
  candidate.alpha = alpha;
  GRAMLITE_ASSIGN_OR_RETURN(candidate.num_classes, infer_num_classes(state, arch, options, alpha));
  GRAMLITE_ASSIGN_OR_RETURN(candidate.graph, build_empty(arch, options, candidate.num_classes, alpha));
  candidate.match = detail::match_state_dict(candidate.graph, state);
  return candidate;
}

// The published widths first, then a 0.05 grid up to 3.0 for custom widths. Zero-weight builds
// take milliseconds, and the grid is only walked when no published width fits. Widths that give
// identical channel counts everywhere give identical graphs, so the first match is as good as any.
std::vector<double> candidate_widths() {
  std::vector<double> widths(std::begin(kCandidateWidths), std::end(kCandidateWidths));
  for (int twentieths = 2; twentieths <= 60; ++twentieths) {
    const double alpha = twentieths / 20.0;
    bool known = false;
    for (double w : kCandidateWidths) known = known || std::fabs(w - alpha) < 1e-9;
    if (!known) widths.push_back(alpha);
  }
  return widths;
}

// With an explicit alpha (or an architecture without one) there is one candidate; otherwise the
// first width whose graph matches the file exactly. When none does, the width with the fewest
// problems (the earliest on a tie, so 1.0 first) is returned for the error to list them.
Result<Candidate> choose_candidate(const StateDict& state, const std::string& arch, const ImportOptions& options) {
  GRAMLITE_ASSIGN_OR_RETURN(zoo::ArchInfo info, zoo::find_architecture(arch));
  if (info.family != zoo::Family::kTorchvision) {
    return unsupported(arch, " follows the ", zoo::family_name(info.family),
                       " layout; torchvision weights import only into torchvision-layout architectures");
  }
  if (options.alpha || !info.has_width_multiplier) return try_candidate(state, arch, options, options.alpha.value_or(1.0));
  std::optional<Candidate> closest;
  bool first = true;
  for (double alpha : candidate_widths()) {
    Result<Candidate> candidate = try_candidate(state, arch, options, alpha);
    if (!candidate.ok()) {
      if (first) return candidate.status();
      continue;  // e.g. a width whose graph cannot be built at this input size
    }
    first = false;
    candidate->searched_widths = true;
    if (candidate->match.ok()) return std::move(candidate).value();
    if (!closest || candidate->match.problems() < closest->match.problems()) closest = std::move(candidate).value();
  }
  return std::move(*closest);
}

void record_provenance(const StateDict& state, const std::string& arch, const ImportOptions& options,
                       const Candidate& candidate, size_t skipped, ir::ModelMetadata& metadata) {
  metadata.extra["producer"] = "gramlite interop (torchvision state_dict import)";
  metadata.extra["weights"] = "imported";
  metadata.extra["source_file"] = state.source;
  metadata.extra["source_format"] = "torch.save " + state.container_format;
  metadata.extra["source_arch"] = "torchvision " + arch;
  if (!state.wrapper_key.empty()) metadata.extra["source_checkpoint_key"] = state.wrapper_key;
  if (state.stripped_module_prefix) metadata.extra["source_stripped_prefix"] = "module.";
  metadata.extra["import_skipped_keys"] = std::to_string(skipped);
  metadata.extra["alpha"] = format_double(candidate.alpha);
  metadata.extra["num_classes"] = std::to_string(candidate.num_classes);
  if (arch == "inception_v3") {
    metadata.extra["transform_input"] = options.inception_transform_input ? "true" : "false";
    if (options.inception_transform_input) {
      metadata.preprocessing.mean = {0.5f, 0.5f, 0.5f};
      metadata.preprocessing.std = {0.5f, 0.5f, 0.5f};
    }
  }
}

Result<ir::Graph> import_state_dict(const StateDict& state, const std::string& arch, const ImportOptions& options,
                                    ImportReport* report) {
  const std::string context = str_cat("importing '", state.source, "' as ", arch);
  if (options.inception_transform_input && arch != "inception_v3") {
    return invalid_argument(context, ": inception_transform_input applies to inception_v3 only");
  }
  Result<Candidate> chosen = choose_candidate(state, arch, options);
  if (!chosen.ok()) return chosen.status().with_context(context);
  Candidate& candidate = *chosen;
  if (!candidate.match.ok()) {
    std::string hint;
    if (candidate.searched_widths) hint = " (no width multiplier between 0.1 and 3.0 fits; for another width set alpha)";
    return invalid_argument(context, " (alpha ", format_double(candidate.alpha), ", ", candidate.num_classes,
                            " classes): ", detail::describe_mismatch(candidate.match),
                            candidate.match.missing.size() + candidate.match.mismatched.size() > 0 ? hint : "");
  }
  if (!options.class_names.empty()) {
    if (options.class_names.size() != static_cast<size_t>(candidate.num_classes)) {
      return invalid_argument(context, ": ", options.class_names.size(), " class names given for a classifier with ",
                              candidate.num_classes, " outputs");
    }
    candidate.graph.metadata.class_names = options.class_names;
  }

  for (const auto& [id, tensor] : candidate.match.pairs) {
    Buffer data = Buffer::copy_of(tensor->data.data(), tensor->data.size() * sizeof(float));
    if (data.size() != tensor->data.size() * sizeof(float)) {
      return io_error(context, ": out of memory copying '", tensor->name, "'");
    }
    candidate.graph.tensor(id).data = std::move(data);
  }
  record_provenance(state, arch, options, candidate, candidate.match.skipped.size(), candidate.graph.metadata);
  if (report != nullptr) {
    report->num_classes = candidate.num_classes;
    report->alpha = candidate.alpha;
    report->imported = candidate.match.pairs.size();
    report->skipped = candidate.match.skipped;
    for (const std::string& name : state.ignored_entries) report->skipped.push_back(name);
  }
  return std::move(candidate.graph);
}

}  // namespace

Result<ir::Graph> import_torchvision_state_dict(const StateDict& state, const std::string& arch,
                                               const ImportOptions& options, ImportReport* report) {
  Result<ir::Graph> graph = import_state_dict(state, arch, options, report);
  // Tensor names quoted in a mismatch come from the file: keep the message one line.
  if (!graph.ok()) return Status(graph.status().code(), one_line(graph.status().message()));
  return graph;
}

Result<ir::Graph> import_torchvision(const std::string& weights_path, const std::string& arch,
                                     const ImportOptions& options, ImportReport* report) {
  GRAMLITE_ASSIGN_OR_RETURN(StateDict state, read_torch_state_dict(weights_path, options.read));
  return import_torchvision_state_dict(state, arch, options, report);
}

}  // namespace gramlite::interop
