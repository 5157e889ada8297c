#include "nodes/sketch/xdog.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "nodes/common/cancellable.h"
#include "nodes/common/image_mat.h"
#include "nodes/common/ink.h"

namespace sumi {

NodeDescriptor sketch_xdog_node() {
  NodeDescriptor d;
  d.id = "sketch.xdog";
  d.doc = "Extended difference-of-Gaussians line art from a colour image; white paper, black lines";
  d.inputs = {PortSpec::in("image", ValueKind::Image, "colour (or gray) image")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "line art, 1 channel, 1 = paper")};
  d.params = {ParamSpec::number("sigma", 0.8, "standard deviation of the narrow Gaussian in pixels (line thickness)")
                  .range(0.1, 20),
              ParamSpec::number("k", 1.6, "the wide Gaussian is k times the narrow one").range(1.01, 10),
              ParamSpec::number("p", 20, "edge emphasis: S = (1 + p) G(sigma) - p G(k sigma)").range(0, 1000),
              ParamSpec::number("epsilon", 0.0,
                                "threshold: S below it becomes ink; above 0, flat areas darker than it fill in (tone)")
                  .range(-10, 10),
              ParamSpec::number("phi", 10, "sharpness of the ink ramp below epsilon; large = hard black lines")
                  .range(0.01, 1000)};
  d.compute = [](NodeContext& ctx) {
    cv::Mat gray = to_gray_on_white(input_mat(ctx, "image"));
    const double sigma = ctx.param_float("sigma"), k = ctx.param_float("k");
    const double p = ctx.param_float("p"), eps = ctx.param_float("epsilon"), phi = ctx.param_float("phi");
    const cv::Mat g1 = gaussian_blur(gray, sigma, cv::BORDER_REPLICATE, ctx.cancel_token());
    const cv::Mat g2 = gaussian_blur(gray, k * sigma, cv::BORDER_REPLICATE, ctx.cancel_token());
    cv::Mat out(gray.size(), CV_32F);
    for (int y = 0; y < gray.rows; ++y) {
      if ((y & 255) == 0) ctx.check_cancelled();
      const float* a = g1.ptr<float>(y);
      const float* b = g2.ptr<float>(y);
      float* o = out.ptr<float>(y);
      for (int x = 0; x < gray.cols; ++x) {
        const double s = (1.0 + p) * a[x] - p * b[x];
        o[x] = s >= eps ? 1.0f : static_cast<float>(std::max(0.0, 1.0 + std::tanh(phi * (s - eps))));
      }
    }
    ctx.set_output("image", mat_to_image(out, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
