#include "nodes/face/warp.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "nodes/common/cancellable.h"
#include "nodes/common/image_mat.h"
#include "nodes/face/face_frame.h"

namespace sumi {
namespace {

// 2 x 3 affine as a 3 x 3 matrix, for composing.
cv::Matx33d to33(double a, double b, double c, double d, double e, double f) { return {a, b, c, d, e, f, 0, 0, 1}; }
cv::Matx33d scaling(double sx, double sy) { return to33(sx, 0, 0, 0, sy, 0); }

// Warps `src` so that dst(p) = src(src_from_dst * p), filling with `fill`.
// When the map shrinks by more than 1.5x, `src` is first area-scaled so lines
// do not alias (warpAffine samples, it does not average).
cv::Mat warp_now(const cv::Mat& src, cv::Matx33d src_from_dst, cv::Size size, double fill) {
  const double shrink = std::sqrt(std::abs(src_from_dst(0, 0) * src_from_dst(1, 1) - src_from_dst(0, 1) * src_from_dst(1, 0)));
  cv::Mat in = src;
  if (shrink > 1.5) {
    const cv::Size small(std::max(1, static_cast<int>(std::lround(src.cols / shrink))),
                         std::max(1, static_cast<int>(std::lround(src.rows / shrink))));
    cv::resize(src, in, small, 0, 0, cv::INTER_AREA);
    src_from_dst = scaling(static_cast<double>(small.width) / src.cols, static_cast<double>(small.height) / src.rows) *
                   src_from_dst;
  }
  // Pixel centres: OpenCV maps pixel indices, our matrices map continuous
  // coordinates (pixel i covers [i, i + 1)).
  const cv::Matx33d centre_in = to33(1, 0, -0.5, 0, 1, -0.5), centre_out = to33(1, 0, 0.5, 0, 1, 0.5);
  const cv::Matx33d m = centre_in * src_from_dst * centre_out;
  cv::Mat out;
  cv::warpAffine(in, out, cv::Matx23d(m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)), size,
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, cv::Scalar::all(fill));
  return out;
}

// warp_face_image: warp_now as one call that a cancellation abandons (cancellable.h):
// warpAffine's fixed-point source coordinates come from whole-image steps,
// so a band of rows would not give the same pixels.
}  // namespace

cv::Mat warp_face_image(const cv::Mat& src, const cv::Matx33d& src_from_dst, cv::Size size, double fill,
                        const CancelToken& cancel) {
  const std::int64_t work = std::int64_t{8} * src.channels() * (static_cast<std::int64_t>(src.total()) + size.area());
  return run_cancellable(cancel, work, [src, src_from_dst, size, fill] { return warp_now(src, src_from_dst, size, fill); });
}

NodeDescriptor face_warp_node() {
  NodeDescriptor d;
  d.id = "face.warp";
  d.doc = "Moves an image into the models' canonical face frame, or a canonical-frame image back to where the face was drawn";
  d.version = 2;  // 2: the mask port
  d.inputs = {PortSpec::in("image", ValueKind::Image, "the sketch (to_canonical) or a canonical-frame image (to_image)"),
              PortSpec::in("frame", frame_kind(), "where the face is (face.locate)"),
              PortSpec::optional("mask", ValueKind::Mask, "where the image counts (e.g. colour.hints_input's mask), moved with it")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "the warped image"),
               PortSpec::out("mask", ValueKind::Mask,
                             "the input mask warped the same way, 0 outside; without one: where the output came from "
                             "the input (1) rather than the fill (0)")};
  d.params = {
      ParamSpec::choice("direction", {"to_canonical", "to_image"}, "to_canonical",
                        "to_canonical: sketch -> model frame; to_image: model-frame image -> the sketch's frame"),
      ParamSpec::integer("size", 0,
                         "output width in pixels; 0 = the canonical size (to_canonical) or the located sketch's width "
                         "at the input's resolution (to_image)")
          .range(0, kMaxImageSide),
      ParamSpec::number("fill", 1.0, "value outside the warped image (1 = white paper)").range(0, 1)};
  d.compute = [](NodeContext& ctx) {
    const FaceFrame f = frame_of(ctx.input("frame"));
    if (f.width < 1 || f.height < 1 || f.canonical < 1) throw ctx.port_error("frame", "the frame has no size");
    if (!std::all_of(f.matrix.begin(), f.matrix.end(), [](double v) { return std::isfinite(v); }))
      throw ctx.port_error("frame", "the frame's matrix is not finite");
    const cv::Mat src = image_to_mat(ctx.input("image"), ctx);
    if (src.empty()) throw ctx.port_error("image", "the image is empty (0 pixels)");
    const cv::Matx33d image_from_canonical = to33(f.matrix[0], f.matrix[1], f.matrix[2], f.matrix[3], f.matrix[4], f.matrix[5]);
    if (std::abs(cv::determinant(image_from_canonical)) < 1e-12) throw ctx.port_error("frame", "the frame is degenerate (scale 0)");
    const int size = static_cast<int>(ctx.param_int("size"));
    const double fill = ctx.param_float("fill");
    // A mask goes through the same map, with 0 outside: paper filled in by the
    // warp must not count as hinted.
    cv::Mat mask(src.size(), CV_32F, cv::Scalar(1));
    if (ctx.has_input("mask")) {
      mask = image_to_mat(ctx.input("mask"), ctx, "mask");
      if (mask.channels() != 1) throw ctx.port_error("mask", "expected one channel, got " + std::to_string(mask.channels()));
      if (mask.size() != src.size()) cv::resize(mask, mask, src.size(), 0, 0, cv::INTER_LINEAR);
    }
    cv::Mat out, out_mask;
    if (ctx.param_string("direction") == "to_canonical") {
      // out px -> canonical px -> located-sketch px -> this image's px (it may be another resolution).
      const int side = size > 0 ? size : f.canonical;
      const cv::Matx33d m = scaling(static_cast<double>(src.cols) / f.width, static_cast<double>(src.rows) / f.height) *
                            image_from_canonical * scaling(static_cast<double>(f.canonical) / side, static_cast<double>(f.canonical) / side);
      out = warp_face_image(src, m, cv::Size(side, side), fill, ctx.cancel_token());
      out_mask = warp_face_image(mask, m, cv::Size(side, side), 0, ctx.cancel_token());
    } else {
      // The input is a canonical-frame image at any resolution (a 128 portrait of the 256 frame).
      const double res = static_cast<double>(src.cols) / f.canonical;  // input px per canonical px
      const int w = size > 0 ? size : std::max(1, static_cast<int>(std::lround(f.width * res)));
      const int h = std::max(1, static_cast<int>(std::lround(static_cast<double>(w) * f.height / f.width)));
      if (static_cast<double>(w) * h > static_cast<double>(kMaxImageSide) * kMaxImageSide / 4)
        throw ctx.param_error("size", "the output would be " + std::to_string(w) + " x " + std::to_string(h) + " pixels");
      const cv::Matx33d m = scaling(res, static_cast<double>(src.rows) / f.canonical) * image_from_canonical.inv() *
                            scaling(static_cast<double>(f.width) / w, static_cast<double>(f.height) / h);
      out = warp_face_image(src, m, cv::Size(w, h), fill, ctx.cancel_token());
      out_mask = warp_face_image(mask, m, cv::Size(w, h), 0, ctx.cancel_token());
    }
    ctx.set_output("image", mat_to_image(out, ctx.device(), &ctx.cancel_token()));
    ctx.set_output("mask", mat_to_mask(out_mask, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
