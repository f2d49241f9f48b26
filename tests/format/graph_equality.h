// Field-by-field graph comparison with readable gtest failures (which tensor, which field).
#pragma once

#include "gramlite/ir/graph.h"

namespace gramlite::format::testing {

// EXPECTs that `actual` equals `expected` in every field, comparing floats bit for bit (so -0.0
// and NaN payloads count) and constant data byte for byte.
void expect_graphs_equal(const ir::Graph& expected, const ir::Graph& actual);

}  // namespace gramlite::format::testing
