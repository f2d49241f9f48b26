#include "gramlite/compress/sensitivity.h"

namespace gramlite::compress {

Result<SensitivityReport> measure_sensitivity(const ir::Graph& /*prepared_float*/, const ir::Graph& /*int8*/,
                                              const CalibrationSet& /*set*/, ThreadPool* /*pool*/) {
  return unsupported("measure_sensitivity: not built yet");
}

std::string sensitivity_json(const SensitivityReport& /*report*/) { return "{}"; }
std::string sensitivity_table(const SensitivityReport& /*report*/) { return ""; }

}  // namespace gramlite::compress
