#pragma once
#include "engine/descriptor.h"
namespace sumi {
// image.threshold: binarises an image at a level.
NodeDescriptor image_threshold_node();
}  // namespace sumi
