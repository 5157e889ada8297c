// Image sizes read from file headers, before any decoding: a hostile file
// that claims 100 000 x 100 000 pixels is refused before a byte of pixel
// memory is allocated.
//
//   cv::Size s = image_header_size(bytes, "in.jpg");   // PNG, JPEG, BMP, WebP
//   check_image_size(s.width, s.height, "in.jpg");
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

namespace sumi {

// The most pixels an image file may hold (8192 x 8192, or e.g. 16384 x 4096):
// decoded as float RGBA that is 1 GiB. Each side is also at most
// kMaxImageSide (16384).
constexpr std::int64_t kMaxImagePixels = std::int64_t{1} << 26;

// Throws sumi::Error naming `file` when a side is 0 or above kMaxImageSide, or
// the pixel count is above kMaxImagePixels.
void check_image_size(std::uint64_t width, std::uint64_t height, const std::string& file);

// The width and height a PNG, JPEG (baseline or progressive), BMP or WebP
// file declares. Throws sumi::Error naming `file` for any other format
// (naming it when known: TIFF, PNM, OpenEXR, GIF, ..., and the four Sumi
// reads) or a header that ends or breaks before the size.
cv::Size image_header_size(std::string_view bytes, const std::string& file);

}  // namespace sumi
