// The run reply with the image outputs' pixels inline, for the editor's
// stroke loop: one round trip from stroke to preview, no PNG to encode here
// or decode in the browser, and nothing sent for an output the client already
// shows (its content hash in the request's "shown").
//
// Body: a 4-byte little-endian length N, N bytes of the usual JSON reply,
// then the pixels of each changed image, 8-bit RGBA row after row (what a
// browser's ImageData holds). Each image output of the JSON carries either
//   "pixels": {"offset": O, "width": W, "height": H}   (O from the first pixel byte)
// or "unchanged": true, or neither when the pixels would take the reply past
// kMaxInlinePixelBytes (the client fetches that one's PNG url). Content type
// kPixelReplyType.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include <httplib.h>
#include <opencv2/core.hpp>

#include "editor/server/http_util.h"
#include "editor/server/session_manager.h"

namespace sumi::editor {

inline constexpr const char* kPixelReplyType = "application/vnd.sumi.run-pixels";
inline constexpr std::size_t kMaxInlinePixelBytes = std::size_t(64) << 20;  // a 4096 x 4096 image

// 8-bit RGBA of a CV_32F image with 1, 3 (RGB) or 4 channels, values in 0..1
// (saturated); a gray image is repeated into R, G and B; alpha 255 unless given.
std::string rgba8_bytes(const cv::Mat& image);

// `reply["outputs"]`: the output list (collect_outputs); `stored` the values
// behind its images; `shown` output name -> hash the client has on screen.
void send_with_pixels(httplib::Response& res, Json reply, const std::map<std::string, StoredOutput>& stored,
                      const std::map<std::string, std::string>& shown,
                      std::size_t max_pixel_bytes = kMaxInlinePixelBytes);

}  // namespace sumi::editor
