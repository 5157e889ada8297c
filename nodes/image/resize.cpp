#include "nodes/image/resize.h"

#include <opencv2/imgproc.hpp>

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
    cv::Mat in = image_to_mat(ctx.input("image"), ctx), out;
    const std::string& mode = ctx.param_string("interpolation");
    const int flag = mode == "linear" ? cv::INTER_LINEAR : mode == "cubic" ? cv::INTER_CUBIC
                     : mode == "nearest" ? cv::INTER_NEAREST : cv::INTER_AREA;
    cv::resize(in, out, cv::Size(static_cast<int>(ctx.param_int("width")), static_cast<int>(ctx.param_int("height"))), 0, 0, flag);
    ctx.set_output("image", mat_to_image(out, ctx.device()));
  };
  return d;
}

}  // namespace sumi
