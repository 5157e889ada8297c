#include "nodes/image/to_gray.h"

#include <opencv2/imgproc.hpp>

#include "nodes/common/image_mat.h"

namespace sumi {

NodeDescriptor image_to_gray_node() {
  NodeDescriptor d;
  d.id = "image.to_gray";
  d.doc = "Converts an RGB(A) image to one luminance channel (gray images pass through)";
  d.inputs = {PortSpec::in("image", ValueKind::Image, "colour image")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "1-channel image")};
  d.compute = [](NodeContext& ctx) {
    const Value& in = ctx.input("image");
    cv::Mat m = image_to_mat(in, ctx);
    if (m.channels() == 1) {
      ctx.set_output("image", in);
      return;
    }
    cv::Mat gray;
    cv::cvtColor(m, gray, m.channels() == 4 ? cv::COLOR_RGBA2GRAY : cv::COLOR_RGB2GRAY);
    ctx.set_output("image", mat_to_image(gray, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
