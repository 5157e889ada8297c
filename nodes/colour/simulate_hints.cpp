#include "nodes/colour/simulate_hints.h"

#include <algorithm>
#include <cmath>

#include "nodes/common/image_mat.h"
#include "nodes/common/ink.h"
#include "nodes/common/random.h"
#include "nodes/common/strokes.h"
#include "nodes/sketch/rasterise.h"

namespace sumi {
namespace {

constexpr int kStartTries = 32;  // attempts to find a non-white start pixel
constexpr int kMaxStrokePoints = 4096;

std::uint8_t to_byte(float v) { return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); }

}  // namespace

NodeDescriptor colour_simulate_hints_node() {
  NodeDescriptor d;
  d.id = "colour.simulate_hints";
  d.doc = "Simulated colour hints: random round-brush strokes in colours sampled from the target image";
  d.inputs = {PortSpec::in("image", ValueKind::Image, "the target colour image")};
  d.outputs = {PortSpec::out("hints", ValueKind::Image, "RGB hint strokes, white where there is no hint"),
               PortSpec::out("mask", ValueKind::Mask, "1 where hinted, 0 elsewhere"),
               PortSpec::out("strokes", strokes_kind(), "the same hints as strokes of kind 'hint'")};
  d.params = {
      ParamSpec::integer("seed", 0, "random seed: the same seed gives the same strokes").range(0, 4294967295.0),
      ParamSpec::integer("count", 12, "number of strokes").range(0, 10000),
      ParamSpec::number("radius", 3, "brush radius in pixels").range(0.5, 256),
      ParamSpec::number("length", 30, "typical stroke length in pixels (each is 0.5 to 1.5 times it); 0 = dots")
          .range(0, 4096),
      ParamSpec::number("spread", 0.3, "how much strokes bend: direction change (radians) per brush radius travelled")
          .range(0, 10),
      ParamSpec::number(
          "tolerance", 0.15,
          "a stroke stops where the target differs from its colour by more (0..1, per channel); 1 = never")
          .range(0, 1),
      ParamSpec::boolean("skip_white", true, "strokes do not start on white background pixels")};
  d.compute = [](NodeContext& ctx) {
    const cv::Mat target = to_rgb_on_white(input_mat(ctx, "image"));
    const int rows = target.rows, cols = target.cols;
    const int count = static_cast<int>(ctx.param_int("count"));
    const double radius = ctx.param_float("radius"), length = ctx.param_float("length");
    const double spread = ctx.param_float("spread");
    const float tolerance = static_cast<float>(ctx.param_float("tolerance"));
    const bool skip_white = ctx.param_bool("skip_white");
    const double step = std::max(0.5, 0.5 * radius);
    Rng rng(ctx.param_int("seed"));

    cv::Mat hints(rows, cols, CV_32FC3, cv::Scalar(1, 1, 1)), mask(rows, cols, CV_32F, cv::Scalar(0));
    Strokes strokes;
    strokes.width = cols;
    strokes.height = rows;
    auto colour_at = [&](double x, double y) { return target.at<cv::Vec3f>(static_cast<int>(y), static_cast<int>(x)); };
    for (int s = 0; s < count; ++s) {
      if ((s & 63) == 63) ctx.check_cancelled();
      // Start: a random pixel centre, not on the white background.
      double x = 0, y = 0;
      bool found = false;
      for (int t = 0; t < kStartTries && !found; ++t) {
        x = rng.below(static_cast<std::uint32_t>(cols)) + 0.5;
        y = rng.below(static_cast<std::uint32_t>(rows)) + 0.5;
        const cv::Vec3f c = colour_at(x, y);
        found = !skip_white || std::min({c[0], c[1], c[2]}) < 0.97f;
      }
      const double len = length * rng.uniform(0.5, 1.5);
      double angle = rng.uniform(0, 6.283185307179586);
      if (!found) continue;
      const cv::Vec3f c0 = colour_at(x, y);
      Stroke st;
      st.kind = StrokeKind::Hint;
      st.width = static_cast<float>(2 * radius);
      st.color = Rgba{to_byte(c0[0]), to_byte(c0[1]), to_byte(c0[2]), 255};
      st.points.push_back({static_cast<float>(x), static_cast<float>(y), 1});
      const int n = std::min(kMaxStrokePoints, static_cast<int>(std::ceil(len / step)));
      for (int i = 0; i < n; ++i) {
        angle += rng.normal() * spread * step / radius;
        const double nx = x + step * std::cos(angle), ny = y + step * std::sin(angle);
        if (nx < 0 || ny < 0 || nx >= cols || ny >= rows) break;
        const cv::Vec3f c = colour_at(nx, ny);
        if (std::max({std::abs(c[0] - c0[0]), std::abs(c[1] - c0[1]), std::abs(c[2] - c0[2])}) > tolerance) break;
        x = nx;
        y = ny;
        st.points.push_back({static_cast<float>(x), static_cast<float>(y), 1});
      }
      // Paint the stroke inside its bounding box.
      float x0 = st.points[0].x, x1 = x0, y0 = st.points[0].y, y1 = y0;
      for (const StrokePoint& p : st.points) {
        x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
      }
      const float pad = static_cast<float>(radius) + 1.0f;
      const cv::Rect box =
          cv::Rect(cv::Point(static_cast<int>(std::floor(x0 - pad)), static_cast<int>(std::floor(y0 - pad))),
                   cv::Point(static_cast<int>(std::ceil(x1 + pad)) + 1, static_cast<int>(std::ceil(y1 + pad)) + 1)) &
          cv::Rect(0, 0, cols, rows);
      Stroke local = st;
      for (StrokePoint& p : local.points) p.x -= static_cast<float>(box.x), p.y -= static_cast<float>(box.y);
      cv::Mat cov(box.size(), CV_32F, cv::Scalar(0));
      stroke_coverage(local, 1.0f, 1.0f, 1.0f, false, cov, ctx.cancel_token());
      const cv::Mat on = cov > 0;
      const cv::Vec3f colour(st.color.r / 255.0f, st.color.g / 255.0f, st.color.b / 255.0f);
      hints(box).setTo(cv::Scalar(colour[0], colour[1], colour[2]), on);
      mask(box).setTo(cv::Scalar(1), on);
      strokes.strokes.push_back(std::move(st));
    }
    ctx.set_output("hints", mat_to_image(hints, ctx.device(), &ctx.cancel_token()));
    ctx.set_output("mask", mat_to_mask(mask, ctx.device(), &ctx.cancel_token()));
    ctx.set_output("strokes", make_strokes(std::move(strokes)));
  };
  return d;
}

}  // namespace sumi
