// gramlite quantize: a float model to int8 (calibrated post-training, or quantization-aware
// training), fp16 weights, or dynamic range. Parses flags and calls compress/ and classify/.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/quantize_qat.h"
#include "gramlite/base/atomic_file.h"
#include "gramlite/base/thread_pool.h"
#include "gramlite/classify/calibration_images.h"
#include "gramlite/compress/calibration.h"
#include "gramlite/compress/equalization.h"
#include "gramlite/compress/quantize.h"
#include "gramlite/compress/sensitivity.h"
#include "gramlite/format/model_file.h"
#include "gramlite/ir/passes.h"

namespace gramlite::cli {
namespace {

struct QuantizeFlags {
  std::string model;
  std::string output;
  std::string mode;
  std::string calib;
  int64_t calib_count = 300;
  std::string observer = "minmax";
  double percentile = 99.99;
  bool per_tensor = false;
  int weight_bits = 8;
  bool equalize = false;
  bool bias_correction = false;
  std::vector<std::string> keep_float;
  bool report = false;
  std::string report_path;
  int qat_epochs = 0;
  std::string data;
  int qat_batch = 32;
  // QAT only nudges a trained model: 1e-4 cost MobileNet v1 3.5 points (docs/quantization.md).
  double qat_learning_rate = 1e-5;
  bool resume = false;
  int threads = 1;
  uint64_t seed = 0;
};

// The flags that only make sense together, checked before any file is read (exit code 2).
Status check_flags(const QuantizeFlags& flags, compress::QuantizeMode mode) {
  const bool int8 = mode == compress::QuantizeMode::kInt8;
  const bool qat = flags.qat_epochs > 0;
  if (int8 && !qat && flags.calib.empty()) {
    return invalid_argument("--mode int8 needs --calib DIR (calibration images) or --qat EPOCHS --data DIR");
  }
  if (qat && !int8) return invalid_argument("--qat trains for --mode int8 only");
  if (qat && flags.data.empty()) return invalid_argument("--qat needs --data DIR (the training images)");
  if (!int8) {
    for (const auto& [set, name] : {std::pair{!flags.calib.empty(), "--calib"}, {!flags.keep_float.empty(), "--keep-float"},
                                    {flags.equalize, "--equalize"}, {flags.bias_correction, "--bias-correction"},
                                    {flags.report, "--report"}}) {
      if (set) return invalid_argument(name, " applies to --mode int8 only");
    }
  }
  if (mode == compress::QuantizeMode::kFloat16 && (flags.per_tensor || flags.weight_bits != 8)) {
    return invalid_argument("--per-tensor and --weight-bits apply to int8 weights (--mode int8 or dynamic)");
  }
  if ((flags.bias_correction || flags.report) && flags.calib.empty()) {
    return invalid_argument(flags.report ? "--report" : "--bias-correction", " needs --calib DIR (it measures on images)");
  }
  if (flags.output == flags.model) return invalid_argument("-o must differ from the input model '", flags.model, "'");
  return Status::Ok();
}

std::string default_report_path(const std::string& output) {
  std::filesystem::path path(output);
  return (path.parent_path() / (path.stem().string() + ".quant.json")).string();
}

int64_t file_size(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? -1 : static_cast<int64_t>(size);
}

struct Int8Outcome {
  ir::Graph graph;
  int64_t images = 0;
};

Result<Int8Outcome> quantize_int8(const QuantizeFlags& flags, const ir::Graph& model, ThreadPool& pool) {
  compress::Int8Options int8_options;
  int8_options.per_tensor_weights = flags.per_tensor;
  int8_options.weight_bits = flags.weight_bits;
  int8_options.keep_float = flags.keep_float;
  ir::Graph prepared;
  ir::ActivationRanges ranges;
  compress::CalibrationSet set;
  if (flags.qat_epochs > 0) {
    QatRequest request;
    request.model = flags.model;
    request.data = flags.data;
    request.output = flags.output;
    request.epochs = flags.qat_epochs;
    request.batch = flags.qat_batch;
    request.learning_rate = flags.qat_learning_rate;
    request.threads = flags.threads;
    request.resume = flags.resume;
    request.per_tensor_weights = flags.per_tensor;
    request.weight_bits = flags.weight_bits;
    GRAMLITE_ASSIGN_OR_RETURN(QatOutcome outcome, run_qat(request));
    prepared = std::move(outcome.prepared_float);
    ranges = std::move(outcome.ranges);
  } else {
    GRAMLITE_ASSIGN_OR_RETURN(prepared, compress::prepare_for_quantization(model));
  }
  if (flags.equalize) {
    GRAMLITE_ASSIGN_OR_RETURN(int pairs, compress::equalize_cross_layer(prepared));
    std::cerr << "equalized " << pairs << " pairs of layers\n";
  }
  if (!flags.calib.empty()) {
    classify::CalibrationImageOptions image_options;
    image_options.count = flags.calib_count;
    image_options.seed = flags.seed;
    image_options.pool = &pool;
    auto reading = std::make_shared<Progress>("reading calibration images", flags.calib_count);
    image_options.progress = [reading](int64_t done, int64_t) { reading->update(done); };
    auto images = classify::load_calibration_images(model, flags.model, flags.calib, image_options);
    reading->finish();
    if (!images.ok()) return images.status();
    set = std::move(images).value();
    // Before calibration: the corrected biases shift the activations the ranges must cover.
    if (flags.bias_correction) {
      GRAMLITE_ASSIGN_OR_RETURN(int corrected, compress::correct_bias(prepared, set, int8_options, &pool));
      std::cerr << "corrected the bias of " << corrected << " layers\n";
    }
    if (flags.qat_epochs == 0) {
      compress::CalibrationOptions calibration;
      GRAMLITE_ASSIGN_OR_RETURN(calibration.observer, compress::parse_observer(flags.observer));
      calibration.percentile = flags.percentile;
      calibration.pool = &pool;
      Progress progress("calibrating (" + flags.observer + ")", set.image_count());
      calibration.progress = [&progress](int64_t done, int64_t) { progress.update(done); };
      auto calibrated = compress::calibrate(prepared, set, calibration);
      progress.finish();
      if (!calibrated.ok()) return calibrated.status().with_context(flags.model);
      ranges = std::move(calibrated).value();
    }
  }
  auto int8 = compress::convert_to_int8(prepared, ranges, int8_options);
  if (!int8.ok()) return int8.status().with_context(flags.model);
  if (flags.report) {
    GRAMLITE_ASSIGN_OR_RETURN(compress::SensitivityReport report, compress::measure_sensitivity(prepared, *int8, set, &pool));
    std::cout << compress::sensitivity_table(report);
    const std::string path = flags.report_path.empty() ? default_report_path(flags.output) : flags.report_path;
    GRAMLITE_RETURN_IF_ERROR(write_text_file_atomically(path, compress::sensitivity_json(report)));
    std::cout << "report: " << path << "\n";
  }
  return Int8Outcome{std::move(int8).value(), set.image_count()};
}

int quantize_model(const QuantizeFlags& flags) {
  auto mode = flags.mode == "int8"      ? compress::QuantizeMode::kInt8
              : flags.mode == "fp16"    ? compress::QuantizeMode::kFloat16
                                        : compress::QuantizeMode::kDynamic;
  if (Status status = check_flags(flags, mode); !status.ok()) return report_error(status);
  if (auto observer = compress::parse_observer(flags.observer); !observer.ok()) return report_error(observer.status());

  auto loaded = format::load_model(flags.model);
  if (!loaded.ok()) return report_error(loaded.status());
  ThreadPool pool(flags.threads);
  Result<ir::Graph> converted = internal_error("no conversion ran");
  int64_t images = 0;
  if (mode == compress::QuantizeMode::kInt8) {
    auto int8 = quantize_int8(flags, *loaded, pool);
    if (!int8.ok()) return report_error(int8.status());
    images = int8->images;
    converted = std::move(int8->graph);
  } else {
    // Batch norm folded and dropout gone first, in float32, so the rounding happens once, on
    // the weights the runtime will use.
    ir::Graph optimized = *loaded;
    if (Status status = ir::optimize_for_inference(optimized); !status.ok()) return report_error(status.with_context(flags.model));
    converted = mode == compress::QuantizeMode::kFloat16
                    ? compress::convert_to_float16(optimized)
                    : compress::convert_to_dynamic(optimized, {flags.per_tensor, flags.weight_bits, {}});
    if (!converted.ok()) return report_error(converted.status().with_context(flags.model));
  }
  converted->metadata.extra["quantization"] = compress::quantize_mode_name(mode);
  if (Status status = format::save_model(*converted, flags.output); !status.ok()) return report_error(status);

  const std::vector<std::string> float_nodes = compress::float_nodes_in_int8_graph(*converted);
  std::ostringstream summary;
  summary << "quantized " << flags.model << " to " << compress::quantize_mode_name(mode);
  if (mode == compress::QuantizeMode::kInt8) {
    summary << " (weights " << (flags.per_tensor ? "per tensor" : "per channel") << ", " << flags.weight_bits << " bits";
    if (flags.qat_epochs > 0) {
      summary << ", quantization-aware training for " << flags.qat_epochs << " epochs";
    } else {
      summary << ", observer " << flags.observer << " on " << images << " calibration images";
    }
    summary << ")";
  } else if (mode == compress::QuantizeMode::kDynamic) {
    summary << " (int8 weights " << (flags.per_tensor ? "per tensor" : "per channel") << ", float activations)";
  }
  const int64_t before = file_size(flags.model);
  const int64_t after = file_size(flags.output);
  summary << ": " << flags.output << ", " << human_bytes(after) << " (was " << human_bytes(before);
  if (after > 0) {
    char ratio[32];
    std::snprintf(ratio, sizeof(ratio), "%.2f", static_cast<double>(before) / static_cast<double>(after));
    summary << ", " << ratio << "x smaller";
  }
  summary << ")";
  if (mode == compress::QuantizeMode::kInt8) {
    summary << "; " << float_nodes.size() << " layers left in float";
    for (size_t i = 0; i < float_nodes.size(); ++i) summary << (i == 0 ? ": " : ", ") << float_nodes[i];
  }
  std::cout << summary.str() << ".\n";
  return 0;
}

}  // namespace

void add_quantize_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<QuantizeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "quantize", "Quantize a float model: full-integer int8 (calibrated or quantization-aware), fp16 or dynamic range");
  cmd->add_option("FILE", flags->model, "Float model file")->required();
  cmd->add_option("-o,--output", flags->output, "The quantized model file")->required();
  cmd->add_option("--mode", flags->mode, "int8, fp16 or dynamic")->required()->check(CLI::IsMember({"int8", "fp16", "dynamic"}));
  cmd->add_option("--calib", flags->calib, "Calibration images: a dataset folder (flat, split or manifest)");
  cmd->add_option("--calib-count", flags->calib_count, "Calibration images to use (a seeded sample when there are more)")
      ->check(positive_number());
  cmd->add_option("--observer", flags->observer, "Range observer: minmax, percentile, entropy or mse");
  cmd->add_option("--percentile", flags->percentile, "The percentile observer's percentile")->check(finite_range(50.0, 100.0));
  cmd->add_flag("--per-tensor", flags->per_tensor, "One weight scale per tensor instead of per output channel");
  cmd->add_option("--weight-bits", flags->weight_bits, "Weight bits: 8, or 7 for AVX2's u8 x s8 headroom")
      ->check(CLI::IsMember({7, 8}));
  cmd->add_flag("--equalize", flags->equalize, "Cross-layer equalization before calibration");
  cmd->add_flag("--bias-correction", flags->bias_correction, "Correct the bias for the weights' quantization error");
  cmd->add_option("--keep-float", flags->keep_float, "Layers (node names) to keep in float32")->delimiter(',');
  auto* report = cmd->add_option("--report", flags->report_path,
                                 "Print the per-layer error and write it as JSON (default OUT-stem.quant.json)")
                     ->expected(0, 1);
  cmd->add_option("--qat", flags->qat_epochs, "Quantization-aware training for EPOCHS (needs --data)")->check(positive_number());
  cmd->add_option("--data", flags->data, "Training images for --qat");
  cmd->add_option("--batch", flags->qat_batch, "--qat batch size")->check(CLI::Range(1, 4096));
  cmd->add_option("--lr", flags->qat_learning_rate, "--qat learning rate")->check(finite_range(1e-12, 10.0));
  cmd->add_flag("--resume", flags->resume, "Continue an interrupted --qat run from its checkpoint");
  cmd->add_option("--threads", flags->threads, "Threads")->check(CLI::Range(1, 256));
  cmd->add_option("--seed", flags->seed, "Which calibration images, when the folder holds more")->check(seed_number());
  cmd->callback([flags, report, &exit_code] {
    flags->report = report->count() > 0;
    exit_code = quantize_model(*flags);
  });
}

}  // namespace gramlite::cli
