#include "gramlite/compress/equalization.h"

namespace gramlite::compress {

Result<int> equalize_cross_layer(ir::Graph& /*prepared*/) { return unsupported("equalize_cross_layer: not built yet"); }

}  // namespace gramlite::compress
