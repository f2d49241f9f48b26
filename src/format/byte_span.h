// format::ByteSpan is base's ByteSpan (base/byte_span.h), the type the atomic writer takes.
#pragma once

#include "gramlite/base/byte_span.h"

namespace gramlite::format {

using ByteSpan = ::gramlite::ByteSpan;

}  // namespace gramlite::format
