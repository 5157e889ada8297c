// An example C++ plugin (docs/plugins.md): one node type, fx.sharpen, an
// unsharp mask. Built by the project's CMake into build/examples/plugins/
// (installed into share/sumi/examples/plugins/); load it with
//   sumi nodes --plugins build/examples/plugins fx.sharpen
// It uses the node library's OpenCV bridges (nodes/common), so it compiles
// without LibTorch's headers.
#include <opencv2/core.hpp>

#include "engine/plugin_api.h"
#include "nodes/common/cancellable.h"
#include "nodes/common/image_mat.h"

namespace {

sumi::NodeDescriptor sharpen_node() {
  using namespace sumi;
  NodeDescriptor d;
  d.id = "fx.sharpen";
  d.doc = "Unsharp mask: image + amount * (image - blur(image, sigma)), clamped to 0..1";
  d.inputs = {PortSpec::in("image", ValueKind::Image, "image to sharpen")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "sharpened image")};
  d.params = {ParamSpec::number("amount", 1.0, "strength; 0 passes the image through").range(0, 10),
              ParamSpec::number("sigma", 1.5, "blur radius (standard deviation, pixels) of the detail taken away").range(0.1, 50)};
  d.compute = [](NodeContext& ctx) {
    const double amount = ctx.param_float("amount");
    if (amount == 0) {
      ctx.set_output("image", ctx.input("image"));
      return;
    }
    const cv::Mat image = image_to_mat(ctx.input("image"), ctx);
    const cv::Mat blurred = gaussian_blur(image, ctx.param_float("sigma"), cv::BORDER_REPLICATE, ctx.cancel_token());
    cv::Mat out;
    cv::addWeighted(image, 1.0 + amount, blurred, -amount, 0.0, out);
    out = cv::min(cv::max(out, 0.0), 1.0);
    ctx.set_output("image", mat_to_image(out, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

void register_fx_nodes(sumi::Registry& r) { r.add(sharpen_node()); }

}  // namespace

SUMI_PLUGIN(register_fx_nodes)
