// Bridges between Image values (float tensors N x C x H x W on the run's
// device) and OpenCV matrices, for nodes that compute on the CPU.
//
//   cv::Mat m = image_to_mat(ctx.input("image"), ctx);    // CV_32FC(C), RGB(A) order
//   ctx.set_output("image", mat_to_image(m, ctx.device()));
//
// Only this file's .cpp includes LibTorch, so OpenCV nodes compile quickly.
// Conversions copy (channel-planar tensors vs interleaved matrices).
//
// Thread safety: pure functions.
#pragma once

#include <string>

#include <opencv2/core.hpp>

#include "engine/node_context.h"
#include "engine/value.h"

namespace sumi {

// Largest width or height an image node accepts.
constexpr int kMaxImageSide = 16384;

// Requires an Image or Mask with batch size 1; errors name the node and port.
// Copies in bands of rows, checking the run's cancel token between them (a
// 16384-pixel RGB image is gigabytes).
cv::Mat image_to_mat(const Value& image, const NodeContext& ctx, std::string_view port = "image");
// As above, outside a node (errors carry no node context).
cv::Mat image_to_mat(const Value& image, const CancelToken* cancel = nullptr);
// From CV_32F (values in 0..1) or CV_8U (0..255) with 1, 3 or 4 channels in
// RGB(A) order. With `cancel`, copies in bands, checking it between them.
Value mat_to_image(const cv::Mat& m, const std::string& device, const CancelToken* cancel = nullptr);
Value mat_to_mask(const cv::Mat& m, const std::string& device, const CancelToken* cancel = nullptr);

}  // namespace sumi
