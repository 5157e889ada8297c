#include "nodes/image/blur.h"

#include <opencv2/imgproc.hpp>

#include "nodes/common/image_mat.h"

namespace sumi {

NodeDescriptor image_blur_node() {
  NodeDescriptor d;
  d.id = "image.blur";
  d.doc = "Gaussian blur with standard deviation sigma (pixels)";
  d.inputs = {PortSpec::in("image", ValueKind::Image, "image to blur")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "blurred image")};
  d.params = {ParamSpec::number("sigma", 1.0, "standard deviation in pixels; 0 passes the image through").range(0, 100)};
  d.compute = [](NodeContext& ctx) {
    const double sigma = ctx.param_float("sigma");
    if (sigma == 0) {
      ctx.set_output("image", ctx.input("image"));
      return;
    }
    cv::Mat m = image_to_mat(ctx.input("image"), ctx), out;
    cv::GaussianBlur(m, out, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
    ctx.set_output("image", mat_to_image(out, ctx.device()));
  };
  return d;
}

}  // namespace sumi
