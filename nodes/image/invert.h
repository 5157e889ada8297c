#pragma once
#include "engine/descriptor.h"
namespace sumi {
// image.invert: 1 - x on the colour channels (alpha kept).
NodeDescriptor image_invert_node();
}  // namespace sumi
