#pragma once
#include "engine/descriptor.h"
namespace sumi {
// io.load_image: an image file (PNG, JPEG, ...) as an RGB, RGBA or gray Image.
NodeDescriptor load_image_node();
}  // namespace sumi
