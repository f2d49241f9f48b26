// gramlite-train itself, and builds without libtorch: every command runs here (training_helper.h).
#include "cli/training_helper.h"

namespace gramlite::cli {

std::optional<int> hand_over_training_command(int /*argc*/, char** /*argv*/) { return std::nullopt; }

}  // namespace gramlite::cli
