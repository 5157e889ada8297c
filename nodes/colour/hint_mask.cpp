#include "nodes/colour/hint_mask.h"

#include <opencv2/imgproc.hpp>

#include "nodes/common/image_mat.h"
#include "nodes/common/ink.h"

namespace sumi {

void hint_rgb_and_mask(const NodeContext& ctx, std::string_view image_port, std::string_view mask_port, cv::Mat& rgb,
                       cv::Mat& mask) {
  const cv::Mat m = input_mat(ctx, image_port);
  rgb = to_rgb_on_white(m);
  if (ctx.has_input(mask_port)) {
    mask = image_to_mat(ctx.input(mask_port), ctx, mask_port);
    if (mask.size() != m.size()) cv::resize(mask, mask, m.size(), 0, 0, cv::INTER_LINEAR);
  } else if (m.channels() == 4) {
    cv::extractChannel(m, mask, 3);
  } else {
    std::vector<cv::Mat> ch;
    cv::split(rgb, ch);
    cv::Mat lowest = cv::min(cv::min(ch[0], ch[1]), ch[2]);
    mask = lowest < kHintPaperLevel;  // CV_8U 0 / 255
    mask.convertTo(mask, CV_32F, 1.0 / 255.0);
  }
  mask = cv::min(cv::max(mask, 0.0f), 1.0f);
}

}  // namespace sumi
