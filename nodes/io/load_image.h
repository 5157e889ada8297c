#pragma once
#include <string>

#include <opencv2/core/mat.hpp>

#include "engine/descriptor.h"
#include "engine/progress.h"
namespace sumi {
// io.load_image: an image file (PNG, JPEG, ...) as an RGB, RGBA or gray Image.
NodeDescriptor load_image_node();

// Reads an image file as float 0..1 in `channels` ("rgb", "rgba" or "gray";
// transparent pixels composited onto white for rgb and gray). Throws
// sumi::Error naming the file when it is missing, empty, corrupt, not PNG,
// JPEG, BMP or WebP, or larger than check_image_size() allows (checked from
// the header, before decoding). With `cancel`, throws Cancelled soon after it
// is set.
cv::Mat read_image_file(const std::string& path, const std::string& channels, const CancelToken* cancel = nullptr);
}  // namespace sumi
