#include "nodes/image/resize.h"

#include <opencv2/imgproc.hpp>

#include "nodes/common/cancellable.h"
#include "nodes/common/image_mat.h"

namespace sumi {

NodeDescriptor image_resize_node() {
  NodeDescriptor d;
  d.id = "image.resize";
  d.doc = "Scales an image to width x height";
  d.inputs = {PortSpec::in("image", ValueKind::Image, "image to scale")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "scaled image")};
  d.params = {ParamSpec::integer("width", 256, "output width in pixels").range(1, kMaxImageSide),
              ParamSpec::integer("height", 256, "output height in pixels").range(1, kMaxImageSide),
              ParamSpec::choice("interpolation", {"area", "linear", "cubic", "nearest"}, "area",
                                "resampling filter (area is best for shrinking)")};
  d.compute = [](NodeContext& ctx) {
    cv::Mat in = image_to_mat(ctx.input("image"), ctx);
    const std::string& mode = ctx.param_string("interpolation");
    const int flag = mode == "linear" ? cv::INTER_LINEAR : mode == "cubic" ? cv::INTER_CUBIC
                     : mode == "nearest" ? cv::INTER_NEAREST : cv::INTER_AREA;
    const cv::Size size(static_cast<int>(ctx.param_int("width")), static_cast<int>(ctx.param_int("height")));
    // Each output row's source rows and weights come from whole-image
    // geometry: one call, abandoned on cancellation (cancellable.h).
    const std::int64_t work = std::int64_t{16} * in.channels() * (in.total() + static_cast<std::int64_t>(size.area()));
    const cv::Mat out = run_cancellable(ctx.cancel_token(), work, [in, size, flag] {
      cv::Mat o;
      cv::resize(in, o, size, 0, 0, flag);
      return o;
    });
    ctx.set_output("image", mat_to_image(out, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
