// Reading colour hints given as an image (and maybe a mask): the rule shared
// by the hint nodes. Without a mask, an image's alpha is its mask; without
// alpha, every pixel that is not white paper is hinted.
//
//   cv::Mat rgb, mask; hint_rgb_and_mask(ctx, "hint", "hint_mask", rgb, mask);
//
// Thread safety: pure functions.
#pragma once

#include <opencv2/core.hpp>
#include <string_view>

#include "engine/node_context.h"

namespace sumi {

// A pixel is unhinted paper when every channel is at least this white.
constexpr float kHintPaperLevel = 0.98f;

// rgb: CV_32FC3 (the hint's colours; white where none), mask: CV_32F 0..1 at
// the image's size. The mask port may be absent (or optional and unlinked).
void hint_rgb_and_mask(const NodeContext& ctx, std::string_view image_port, std::string_view mask_port, cv::Mat& rgb,
                       cv::Mat& mask);

}  // namespace sumi
