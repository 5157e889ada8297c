#include "nodes/colour/hint_merge.h"

#include <opencv2/imgproc.hpp>

#include "nodes/colour/hint_mask.h"
#include "nodes/common/image_mat.h"

namespace sumi {

NodeDescriptor colour_hint_merge_node() {
  NodeDescriptor d;
  d.id = "colour.hint_merge";
  d.doc = "Lays one set of colour hints over another";
  d.inputs = {PortSpec::in("base", ValueKind::Image, "hints underneath, white where none"),
              PortSpec::optional("base_mask", ValueKind::Mask, "where the base hints are; without it: non-white pixels"),
              PortSpec::in("top", ValueKind::Image, "hints on top, white where none"),
              PortSpec::optional("top_mask", ValueKind::Mask, "where the top hints are; without it: non-white pixels")};
  d.outputs = {PortSpec::out("hints", ValueKind::Image, "merged RGB hints, white where none"),
               PortSpec::out("mask", ValueKind::Mask, "merged mask")};
  d.params = {ParamSpec::number("opacity", 1.0, "how strongly the top hints cover the base").range(0, 1).live_control()};
  d.compute = [](NodeContext& ctx) {
    cv::Mat base, base_mask, top, top_mask;
    hint_rgb_and_mask(ctx, "base", "base_mask", base, base_mask);
    hint_rgb_and_mask(ctx, "top", "top_mask", top, top_mask);
    if (top.size() != base.size()) {
      const int interp = top.cols > base.cols ? cv::INTER_AREA : cv::INTER_LINEAR;
      cv::resize(top, top, base.size(), 0, 0, interp);
      cv::resize(top_mask, top_mask, base.size(), 0, 0, interp);
    }
    const auto opacity = static_cast<float>(ctx.param_float("opacity"));
    cv::Mat out(base.size(), CV_32FC3), mask(base.size(), CV_32F);
    for (int y = 0; y < base.rows; ++y) {
      const auto* b = base.ptr<cv::Vec3f>(y);
      const auto* t = top.ptr<cv::Vec3f>(y);
      const float* bm = base_mask.ptr<float>(y);
      const float* tm = top_mask.ptr<float>(y);
      auto* o = out.ptr<cv::Vec3f>(y);
      float* m = mask.ptr<float>(y);
      for (int x = 0; x < base.cols; ++x) {
        // The colours sit on white: colour * coverage = pixel - (1 - coverage). Then "top over base".
        const cv::Vec3f base_pm = b[x] - cv::Vec3f::all(1.0f - bm[x]);
        const cv::Vec3f top_pm = (t[x] - cv::Vec3f::all(1.0f - tm[x])) * opacity;
        const float k = tm[x] * opacity;
        m[x] = k + bm[x] * (1.0f - k);
        o[x] = top_pm + base_pm * (1.0f - k) + cv::Vec3f::all(1.0f - m[x]);
      }
    }
    ctx.set_output("hints", mat_to_image(out, ctx.device(), &ctx.cancel_token()));
    ctx.set_output("mask", mat_to_mask(mask, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
