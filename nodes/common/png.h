// PNG encoding and decoding through libpng directly, shared by io.save_image,
// io.load_image and the CLI. libpng's own messages are captured into the
// sumi::Error (naming the file), never printed; rows are coded one at a
// time, checking the run's cancel token between them.
//
//   write_png(mat, "out/image.png");              // atomic
//   cv::Mat raw = decode_png(bytes, "in.png");    // as cv::imdecode(..., IMREAD_UNCHANGED)
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "engine/progress.h"

namespace sumi {

// `m`: CV_32F with 1, 3 (RGB) or 4 (RGBA) channels, values in 0..1 (clamped).
// The bytes are those cv::imencode(".png") wrote for the same pixels (same
// libpng settings: SUB filter, zlib level 1, RLE strategy).
std::string encode_png(const cv::Mat& m, const CancelToken* cancel = nullptr);
// Atomic write; throws sumi::Error naming the file.
void write_png(const cv::Mat& m, const std::string& path, const CancelToken* cancel = nullptr);

// True when `bytes` start with the PNG signature.
bool is_png(std::string_view bytes);

// Decodes a PNG the way cv::imdecode(bytes, IMREAD_UNCHANGED) does: 8- or
// 16-bit, 1 (gray), 3 (BGR) or 4 (BGRA) channels, palettes expanded, tRNS as
// alpha. The size is checked against check_image_size() from the header,
// before any pixel memory is allocated. Throws sumi::Error naming `file`
// (with libpng's reason) on a corrupt or truncated file.
cv::Mat decode_png(std::string_view bytes, const std::string& file, const CancelToken* cancel = nullptr);

}  // namespace sumi
