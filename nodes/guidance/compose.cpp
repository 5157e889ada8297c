#include "nodes/guidance/compose.h"

#include <array>

#include <opencv2/imgproc.hpp>

#include "nodes/common/image_mat.h"
#include "nodes/common/ink.h"
#include "nodes/common/part_set.h"
#include "nodes/face/split.h"

namespace sumi {
namespace {

cv::Mat gray(const NodeContext& ctx, std::string_view port) { return to_gray_on_white(input_mat(ctx, port)); }

// 1 inside the window, falling linearly to 0 over `feather` pixels at its edges.
cv::Mat feather_mask(int size, int feather) {
  cv::Mat m(size, size, CV_32F);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const int edge = std::min(std::min(x, y), std::min(size - 1 - x, size - 1 - y));
      m.at<float>(y, x) = feather <= 0 ? 1.0f : std::min(1.0f, (static_cast<float>(edge) + 0.5f) / static_cast<float>(feather));
    }
  return m;
}

}  // namespace

NodeDescriptor guidance_compose_node() {
  NodeDescriptor d;
  d.id = "guidance.compose";
  d.doc = "Pastes decoded parts back at their windows (feathered) into a shadow image, faint under the sketch";
  d.inputs = {PortSpec::in("parts", parts_kind(), "the parts from face.split (gives windows and canvas)")};
  for (const char* name : kFaceParts) d.inputs.push_back(PortSpec::optional(name, ValueKind::Image, std::string("decoded ") + name));
  d.inputs.push_back(PortSpec::optional("sketch", ValueKind::Image, "the user's sketch, drawn over the shadow"));
  d.outputs = {PortSpec::out("guidance", ValueKind::Image, "the composed parts, 1 channel"),
               PortSpec::out("overlay", ValueKind::Image, "the sketch over the faint guidance, 1 channel")};
  d.params = {ParamSpec::integer("feather", 4, "width of the soft edge at each window, in pixels").range(0, 64),
              ParamSpec::number("opacity", 0.35, "strength of the shadow under the sketch").range(0, 1).live_control()};
  d.compute = [](NodeContext& ctx) {
    const PartSet& parts = parts_of(ctx.input("parts"));
    int canvas = 0;
    for (const Part& p : parts)
      if (p.name == "remainder") canvas = p.window.size;
    if (canvas <= 0) throw ctx.port_error("parts", "has no remainder part to give the canvas size");
    cv::Mat out(canvas, canvas, CV_32F, cv::Scalar(1));
    if (ctx.has_input("remainder")) {
      cv::Mat r = gray(ctx, "remainder");
      cv::resize(r, out, cv::Size(canvas, canvas), 0, 0, r.cols > canvas ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    const int feather = static_cast<int>(ctx.param_int("feather"));
    for (const Part& p : parts) {
      if (p.name == "remainder" || !ctx.has_input(p.name)) continue;
      cv::Mat img = gray(ctx, p.name), scaled;
      cv::resize(img, scaled, cv::Size(p.window.size, p.window.size), 0, 0,
                 img.cols > p.window.size ? cv::INTER_AREA : cv::INTER_LINEAR);
      cv::Mat mask = feather_mask(p.window.size, feather);
      const cv::Rect r(p.window.x, p.window.y, p.window.size, p.window.size);
      const cv::Rect inside = r & cv::Rect(0, 0, canvas, canvas);
      if (inside.area() == 0) continue;
      const cv::Rect local(inside.x - r.x, inside.y - r.y, inside.width, inside.height);
      cv::Mat dst = out(inside);
      cv::Mat blended = scaled(local).mul(mask(local)) + dst.mul(1.0f - mask(local));
      blended.copyTo(dst);
    }
    const float opacity = static_cast<float>(ctx.param_float("opacity"));
    cv::Mat faint = 1.0f - opacity * (1.0f - out);
    cv::Mat overlay = faint;
    if (ctx.has_input("sketch")) {
      cv::Mat s = gray(ctx, "sketch");
      if (s.cols != canvas || s.rows != canvas) cv::resize(s, s, cv::Size(canvas, canvas), 0, 0, cv::INTER_AREA);
      overlay = cv::min(s, faint);
    }
    ctx.set_output("guidance", mat_to_image(out, ctx.device(), &ctx.cancel_token()));
    ctx.set_output("overlay", mat_to_image(overlay, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
