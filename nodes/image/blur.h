#pragma once
#include "engine/descriptor.h"
namespace sumi {
// image.blur: Gaussian blur.
NodeDescriptor image_blur_node();
}  // namespace sumi
