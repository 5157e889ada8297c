#include "nodes/colour/hints_input.h"

#include <algorithm>
#include <cmath>

#include "nodes/common/cancellable.h"
#include "nodes/common/image_mat.h"
#include "nodes/common/strokes.h"
#include "nodes/sketch/rasterise.h"

namespace sumi {

NodeDescriptor colour_hints_input_node() {
  NodeDescriptor d;
  d.id = "colour.hints_input";
  d.doc = "Paints colour-hint strokes into a hint image (white where none) and a mask";
  d.inputs = {PortSpec::in("strokes", strokes_kind(), "the drawing, or a file of hint strokes")};
  d.outputs = {PortSpec::out("hints", ValueKind::Image, "RGB hints, white where there is no hint"),
               PortSpec::out("mask", ValueKind::Mask, "1 where hinted, 0 elsewhere (soft at brush edges)")};
  d.params = {ParamSpec::integer("size", 256, "longest side of the output in pixels; 0 = the strokes' canvas size")
                  .range(0, kMaxImageSide),
              ParamSpec::choice("use", {"hint", "all"}, "hint",
                                "which strokes are hints: those of kind 'hint', or all but erase strokes"),
              ParamSpec::number("width_scale", 1.0, "multiplies every hint stroke's width").range(0.05, 20)};
  d.compute = [](NodeContext& ctx) {
    const Strokes& s = strokes_of(ctx.input("strokes"));
    const cv::Size raster = raster_size(s, static_cast<int>(ctx.param_int("size")));
    const int w = raster.width, h = raster.height;
    const bool all = ctx.param_string("use") == "all";
    const float sx = static_cast<float>(w) / static_cast<float>(s.width);
    const float sy = static_cast<float>(h) / static_cast<float>(s.height);
    const auto width_scale = static_cast<float>(ctx.param_float("width_scale"));
    cv::Mat colour = lazy_zeros(h, w, CV_32FC3);  // premultiplied by the mask
    cv::Mat mask = lazy_zeros(h, w, CV_32F);
    cv::Mat cov = lazy_zeros(h, w, CV_32F);
    for (const Stroke& st : s.strokes) {
      if (st.kind == StrokeKind::Erase || (!all && st.kind != StrokeKind::Hint)) continue;
      const cv::Rect box = stroke_coverage(st, sx, sy, width_scale, true, cov, ctx.cancel_token());
      const float a = static_cast<float>(st.color.a) / 255.0f;
      const cv::Vec3f c(st.color.r / 255.0f, st.color.g / 255.0f, st.color.b / 255.0f);
      for (int y = box.y; y < box.y + box.height; ++y) {  // later strokes paint over earlier ones
        float* cr = cov.ptr<float>(y);
        float* mr = mask.ptr<float>(y);
        auto* pr = colour.ptr<cv::Vec3f>(y);
        for (int x = box.x; x < box.x + box.width; ++x) {
          const float k = cr[x] * a;
          cr[x] = 0;  // cleared for the next stroke
          if (k <= 0) continue;
          pr[x] = pr[x] * (1.0f - k) + c * k;
          mr[x] = mr[x] * (1.0f - k) + k;
        }
      }
    }
    cv::Mat on_white(h, w, CV_32FC3);
    for (int y = 0; y < h; ++y) {
      if ((y & 255) == 0) ctx.check_cancelled();
      const auto* pr = colour.ptr<cv::Vec3f>(y);
      const float* mr = mask.ptr<float>(y);
      auto* out = on_white.ptr<cv::Vec3f>(y);
      for (int x = 0; x < w; ++x) out[x] = pr[x] + cv::Vec3f::all(1.0f - mr[x]);
    }
    ctx.set_output("hints", mat_to_image(on_white, ctx.device(), &ctx.cancel_token()));
    ctx.set_output("mask", mat_to_mask(mask, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
