#pragma once
#include "engine/descriptor.h"
namespace sumi {
// sketch.drop_strokes: keeps a seeded random fraction of a sketch's connected
// lines (optionally cut into pieces first) and erases the rest, so models see
// incomplete sketches.
NodeDescriptor sketch_drop_strokes_node();
}  // namespace sumi
