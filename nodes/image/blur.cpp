#include "nodes/image/blur.h"

#include <opencv2/imgproc.hpp>

#include "nodes/common/cancellable.h"
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
    const cv::Mat out = gaussian_blur(image_to_mat(ctx.input("image"), ctx), sigma, cv::BORDER_REPLICATE, ctx.cancel_token());
    ctx.set_output("image", mat_to_image(out, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
