#pragma once
#include "engine/descriptor.h"
namespace sumi {
// io.strokes_input: the drawing that drives a pipeline, read from a strokes
// file or fed directly by the editor, Python or `sumi run --in NODE=FILE`.
NodeDescriptor strokes_input_node();
}  // namespace sumi
