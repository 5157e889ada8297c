#pragma once
#include "engine/descriptor.h"
namespace sumi {
// image.resize: scales an image to a given size.
NodeDescriptor image_resize_node();
}  // namespace sumi
