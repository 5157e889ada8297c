// PNG encoding of float RGB(A)/gray matrices, shared by io.save_image and the CLI.
//
//   write_png(mat, "out/image.png");   // atomic
//
// Thread safety: pure functions.
#pragma once

#include <string>

#include <opencv2/core.hpp>

namespace sumi {

// `m`: CV_32F with 1, 3 (RGB) or 4 (RGBA) channels, values in 0..1 (clamped).
std::string encode_png(const cv::Mat& m);
// Atomic write; throws sumi::Error naming the file.
void write_png(const cv::Mat& m, const std::string& path);

}  // namespace sumi
