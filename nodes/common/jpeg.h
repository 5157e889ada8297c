// JPEG decoding through libjpeg directly, for io.load_image: libjpeg's
// messages ("Corrupt JPEG data: ...") are captured, never printed, and rows
// are decoded one at a time, checking the run's cancel token between them.
//
//   cv::Mat raw = decode_jpeg(bytes, "in.jpg");   // as cv::imdecode(..., IMREAD_UNCHANGED)
//
// Thread safety: pure function.
#pragma once

#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "engine/progress.h"

namespace sumi {

// True when `bytes` start with a JPEG start-of-image marker.
bool is_jpeg(std::string_view bytes);

// Decodes a JPEG the way cv::imdecode(bytes, IMREAD_UNCHANGED) does: 8-bit
// gray, or BGR (CMYK converted with OpenCV's formula). The size is checked
// with check_image_size() from the header before pixel memory is allocated.
// Warnings (extraneous bytes, a truncated file: libjpeg completes the image)
// are dropped as OpenCV did, silently; errors throw sumi::Error naming `file`
// with libjpeg's reason.
cv::Mat decode_jpeg(std::string_view bytes, const std::string& file, const CancelToken* cancel = nullptr);

}  // namespace sumi
