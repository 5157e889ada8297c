#include "nodes/image/threshold.h"

#include <opencv2/imgproc.hpp>

#include "nodes/common/image_mat.h"

namespace sumi {

NodeDescriptor image_threshold_node() {
  NodeDescriptor d;
  d.id = "image.threshold";
  d.doc = "Binarises each channel: 1 where the value is above the level, else 0";
  d.inputs = {PortSpec::in("image", ValueKind::Image, "image to binarise")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "binary image (0 or 1)")};
  d.params = {ParamSpec::number("level", 0.5, "threshold in 0..1").range(0, 1)};
  d.compute = [](NodeContext& ctx) {
    cv::Mat m = image_to_mat(ctx.input("image"), ctx), out;
    cv::threshold(m, out, ctx.param_float("level"), 1.0, cv::THRESH_BINARY);
    ctx.set_output("image", mat_to_image(out, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
