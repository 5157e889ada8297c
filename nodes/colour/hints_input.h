#pragma once
#include "engine/descriptor.h"
namespace sumi {
// colour.hints_input: the drawing's colour-hint strokes (kind "hint", or every
// stroke of a separate hints file) painted in their colours with their widths
// and pressure: an RGB hint image (white where none) and its mask.
NodeDescriptor colour_hints_input_node();
}  // namespace sumi
