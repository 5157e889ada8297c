#pragma once
#include "engine/descriptor.h"
namespace sumi {
// image.to_gray: RGB(A) to one luminance channel.
NodeDescriptor image_to_gray_node();
}  // namespace sumi
