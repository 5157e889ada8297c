#include "nodes/guidance/overlay.h"

#include <opencv2/imgproc.hpp>

#include "nodes/common/image_mat.h"
#include "nodes/common/ink.h"

namespace sumi {

NodeDescriptor guidance_overlay_node() {
  NodeDescriptor d;
  d.id = "guidance.overlay";
  d.doc = "Draws a guidance image faintly under the sketch";
  d.inputs = {PortSpec::in("guidance", ValueKind::Image, "the guidance (line art or any image)"),
              PortSpec::optional("sketch", ValueKind::Image, "the user's sketch, drawn over it at full strength")};
  d.outputs = {PortSpec::out("overlay", ValueKind::Image, "1 channel, the sketch's size (else the guidance's)")};
  d.params = {ParamSpec::number("opacity", 0.35, "strength of the guidance under the sketch").range(0, 1).live_control()};
  d.compute = [](NodeContext& ctx) {
    cv::Mat guide = to_gray_on_white(input_mat(ctx, "guidance"));
    cv::Mat sketch;
    if (ctx.has_input("sketch")) {
      sketch = to_gray_on_white(input_mat(ctx, "sketch"));
      if (guide.size() != sketch.size())
        cv::resize(guide, guide, sketch.size(), 0, 0, guide.cols > sketch.cols ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    const float opacity = static_cast<float>(ctx.param_float("opacity"));
    cv::Mat faint = 1.0f - opacity * (1.0f - guide);
    ctx.set_output("overlay", mat_to_image(sketch.empty() ? faint : cv::Mat(cv::min(sketch, faint)), ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
