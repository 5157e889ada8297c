#include "nodes/image/invert.h"

#include "nodes/common/image_mat.h"

namespace sumi {

NodeDescriptor image_invert_node() {
  NodeDescriptor d;
  d.id = "image.invert";
  d.doc = "Inverts an image: 1 - x on the colour channels, alpha kept";
  d.inputs = {PortSpec::in("image", ValueKind::Image, "image to invert")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "inverted image")};
  d.compute = [](NodeContext& ctx) {
    cv::Mat m = image_to_mat(ctx.input("image"), ctx);
    std::vector<cv::Mat> ch;
    cv::split(m, ch);
    const std::size_t colour = ch.size() == 4 ? 3 : ch.size();
    for (std::size_t i = 0; i < colour; ++i) ch[i] = 1.0 - ch[i];
    cv::merge(ch, m);
    ctx.set_output("image", mat_to_image(m, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
