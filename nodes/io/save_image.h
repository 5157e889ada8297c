#pragma once
#include "engine/descriptor.h"
namespace sumi {
// io.save_image: writes an Image as PNG (atomically); always runs (not cached).
NodeDescriptor save_image_node();
}  // namespace sumi
