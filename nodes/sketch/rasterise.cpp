#include "nodes/sketch/rasterise.h"

#include <algorithm>
#include <cmath>

#include "nodes/common/cancellable.h"
#include "nodes/common/image_mat.h"

namespace sumi {
namespace {

// Coverage of a capsule from a (radius ra) to b (radius rb) at pixel centres;
// returns the pixels it may have written (empty when off the raster).
cv::Rect segment_coverage(float ax, float ay, float ra, float bx, float by, float rb, bool antialias, cv::Mat& cov,
                          const CancelToken& cancel) {
  const float pad = std::max(ra, rb) + 1.0f;
  const int x0 = std::max(0, static_cast<int>(std::floor(std::min(ax, bx) - pad)));
  const int y0 = std::max(0, static_cast<int>(std::floor(std::min(ay, by) - pad)));
  const int x1 = std::min(cov.cols - 1, static_cast<int>(std::ceil(std::max(ax, bx) + pad)));
  const int y1 = std::min(cov.rows - 1, static_cast<int>(std::ceil(std::max(ay, by) + pad)));
  if (x1 < x0 || y1 < y0) return {};
  const float dx = bx - ax, dy = by - ay;
  const float len2 = dx * dx + dy * dy;
  for (int y = y0; y <= y1; ++y) {
    cancel.check();
    float* row = cov.ptr<float>(y);
    const float py = static_cast<float>(y) + 0.5f;
    for (int x = x0; x <= x1; ++x) {
      const float px = static_cast<float>(x) + 0.5f;
      float t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0.0f;
      t = std::clamp(t, 0.0f, 1.0f);
      const float cx = ax + t * dx - px, cy = ay + t * dy - py;
      const float dist = std::sqrt(cx * cx + cy * cy);
      const float r = ra + t * (rb - ra);
      const float c = antialias ? std::clamp(r + 0.5f - dist, 0.0f, 1.0f) : (dist <= r ? 1.0f : 0.0f);
      if (c > row[x]) row[x] = c;
    }
  }
  return {x0, y0, x1 - x0 + 1, y1 - y0 + 1};
}

}  // namespace

cv::Rect stroke_coverage(const Stroke& stroke, float sx, float sy, float width_scale, bool antialias,
                         cv::Mat& coverage, const CancelToken& cancel) {
  const auto& pts = stroke.points;
  if (pts.empty()) return {};
  const float base = 0.5f * stroke.width * width_scale * std::sqrt(sx * sy);
  auto radius = [&](const StrokePoint& p) { return base * p.pressure; };
  if (pts.size() == 1)
    return segment_coverage(pts[0].x * sx, pts[0].y * sy, radius(pts[0]), pts[0].x * sx, pts[0].y * sy,
                            radius(pts[0]), antialias, coverage, cancel);
  cv::Rect touched;
  for (std::size_t i = 0; i + 1 < pts.size(); ++i)
    touched |= segment_coverage(pts[i].x * sx, pts[i].y * sy, radius(pts[i]), pts[i + 1].x * sx, pts[i + 1].y * sy,
                                radius(pts[i + 1]), antialias, coverage, cancel);
  return touched;
}

cv::Size raster_size(const Strokes& strokes, int size) {
  if (size <= 0) return {strokes.width, strokes.height};
  const double k = static_cast<double>(size) / std::max(strokes.width, strokes.height);
  return {std::max(1, static_cast<int>(std::lround(strokes.width * k))),
          std::max(1, static_cast<int>(std::lround(strokes.height * k)))};
}

cv::Mat rasterise_ink(const Strokes& strokes, int out_w, int out_h, float width_scale, bool antialias,
                      const CancelToken& cancel) {
  cv::Mat ink = lazy_zeros(out_h, out_w, CV_32F);
  cv::Mat cov = lazy_zeros(out_h, out_w, CV_32F);
  const float sx = static_cast<float>(out_w) / static_cast<float>(strokes.width);
  const float sy = static_cast<float>(out_h) / static_cast<float>(strokes.height);
  for (const Stroke& s : strokes.strokes) {
    if (s.kind == StrokeKind::Hint) continue;
    // Only the stroke's own box is combined and cleared: a drawing's strokes
    // are small against the raster (full-raster passes were most of the time).
    const cv::Rect box = stroke_coverage(s, sx, sy, width_scale, antialias, cov, cancel);
    if (box.empty()) continue;
    const float alpha = static_cast<float>(s.color.a) / 255.0f;
    for_row_bands(cancel, box.height, std::int64_t{4} * box.width, [&](int y0, int y1) {
      const cv::Rect band(box.x, box.y + y0, box.width, y1 - y0);
      cv::Mat c = cov(band), k = ink(band);
      if (s.kind == StrokeKind::Line) cv::max(k, c * alpha, k);
      else cv::multiply(k, 1.0f - c, k);  // erase
      c.setTo(0);
    });
  }
  return ink;
}

NodeDescriptor sketch_rasterise_node() {
  NodeDescriptor d;
  d.id = "sketch.rasterise";
  d.doc = "Draws strokes as a 1-channel sketch: white paper, black anti-aliased lines";
  d.inputs = {PortSpec::in("strokes", strokes_kind(), "the drawing")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "sketch, 1 channel, 1 = paper")};
  d.params = {ParamSpec::integer("size", 256, "longest side of the output in pixels; 0 = the strokes' canvas size")
                  .range(0, kMaxImageSide),
              ParamSpec::number("width_scale", 1.0, "multiplies every stroke's width").range(0.05, 20).live_control(),
              ParamSpec::boolean("antialias", true, "smooth line edges")};
  d.compute = [](NodeContext& ctx) {
    const Strokes& s = strokes_of(ctx.input("strokes"));
    const cv::Size raster = raster_size(s, static_cast<int>(ctx.param_int("size")));
    const int w = raster.width, h = raster.height;
    cv::Mat ink = rasterise_ink(s, w, h, static_cast<float>(ctx.param_float("width_scale")), ctx.param_bool("antialias"),
                                ctx.cancel_token());
    for_row_bands(ctx.cancel_token(), h, w, [&](int y0, int y1) {
      cv::Mat band = ink.rowRange(y0, y1);
      cv::subtract(1.0f, band, band);  // paper = 1 - ink, in place
    });
    ctx.set_output("image", mat_to_image(ink, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
