#include "nodes/sketch/roughen.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "nodes/common/cancellable.h"
#include "nodes/common/image_mat.h"
#include "nodes/common/ink.h"
#include "nodes/common/random.h"

namespace sumi {
namespace {

// Random streams of one seed, one per field.
enum Stream : std::uint32_t { kWidth = 1, kWarpX, kWarpY, kWobbleX, kWobbleY };

// Moves every line edge outwards by delta(x, y) pixels (inwards when
// negative), through the signed distance to the line's edge.
cv::Mat vary_width(const cv::Mat& ink, const cv::Mat& delta, const CancelToken& cancel) {
  cv::Mat inside = ink >= 0.5, outside = ink < 0.5;
  // Distances to the nearest paper / line pixel: whole-image passes, each one call.
  auto distance = [&](const cv::Mat& from) {
    return run_cancellable(cancel, std::int64_t{16} * from.rows * from.cols, [from] {
      cv::Mat d;
      cv::distanceTransform(from, d, cv::DIST_L2, cv::DIST_MASK_PRECISE);
      return d;
    });
  };
  const cv::Mat d_in = distance(inside), d_out = distance(outside);
  cv::Mat out(ink.size(), CV_32F);
  for (int y = 0; y < ink.rows; ++y) {
    if ((y & 255) == 0) cancel.check();
    const std::uint8_t* in = inside.ptr<std::uint8_t>(y);
    const float* di = d_in.ptr<float>(y);
    const float* dout = d_out.ptr<float>(y);
    const float* dl = delta.ptr<float>(y);
    float* o = out.ptr<float>(y);
    for (int x = 0; x < ink.cols; ++x) {
      const float s = in[x] ? di[x] - 0.5f : 0.5f - dout[x];  // > 0 inside a line
      o[x] = std::clamp(s + dl[x] + 0.5f, 0.0f, 1.0f);
    }
  }
  return out;
}

}  // namespace

NodeDescriptor sketch_roughen_node() {
  NodeDescriptor d;
  d.id = "sketch.roughen";
  d.doc = "Makes a clean sketch look hand-drawn: stroke width jitter, a small elastic warp and line wobble (seeded)";
  d.inputs = {PortSpec::in("sketch", ValueKind::Image, "sketch: white paper, dark lines")};
  d.outputs = {PortSpec::out("image", ValueKind::Image, "roughened sketch, 1 channel, 1 = paper")};
  d.params = {
      ParamSpec::integer("seed", 0, "random seed: the same seed gives the same roughening").range(0, 4294967295.0),
      ParamSpec::number("width_jitter", 0.5, "line edges move in or out by up to about this many pixels; 0 = off")
          .range(0, 16),
      ParamSpec::number("width_scale", 24, "length in pixels over which the width changes").range(1, kMaxImageSide),
      ParamSpec::number("warp", 2.0, "elastic warp: typical displacement in pixels; 0 = off").range(0, 64),
      ParamSpec::number("warp_scale", 64, "size in pixels of the warp's smooth features").range(1, kMaxImageSide),
      ParamSpec::number("wobble", 0.8, "line wobble: typical displacement in pixels; 0 = off").range(0, 16),
      ParamSpec::number("wobble_scale", 16, "wavelength-like size of the wobble in pixels").range(1, kMaxImageSide)};
  d.compute = [](NodeContext& ctx) {
    cv::Mat ink = sketch_ink(input_mat(ctx, "sketch"));
    const std::int64_t seed = ctx.param_int("seed");
    const int rows = ink.rows, cols = ink.cols;
    const double jitter = ctx.param_float("width_jitter");
    if (jitter > 0) {
      Rng rng(seed, kWidth);
      cv::Mat delta = smooth_noise(rng, rows, cols, ctx.param_float("width_scale"), ctx.cancel_token());
      ctx.check_cancelled();
      cv::max(delta, -1.0, delta);
      cv::min(delta, 1.0, delta);
      ink = vary_width(ink, delta * jitter, ctx.cancel_token());
    }
    ctx.check_cancelled();
    const double warp = ctx.param_float("warp"), wobble = ctx.param_float("wobble");
    if (warp > 0 || wobble > 0) {
      cv::Mat dx(rows, cols, CV_32F, cv::Scalar(0)), dy(rows, cols, CV_32F, cv::Scalar(0));
      auto add_field = [&](double amplitude, const char* scale, Stream sx, Stream sy) {
        if (amplitude <= 0) return;
        Rng rx(seed, sx), ry(seed, sy);
        dx += smooth_noise(rx, rows, cols, ctx.param_float(scale), ctx.cancel_token()) * amplitude;
        ctx.check_cancelled();
        dy += smooth_noise(ry, rows, cols, ctx.param_float(scale), ctx.cancel_token()) * amplitude;
        ctx.check_cancelled();
      };
      add_field(warp, "warp_scale", kWarpX, kWarpY);
      add_field(wobble, "wobble_scale", kWobbleX, kWobbleY);
      ctx.check_cancelled();
      for (int y = 0; y < rows; ++y) {
        float* px = dx.ptr<float>(y);
        float* py = dy.ptr<float>(y);
        for (int x = 0; x < cols; ++x) {
          px[x] += static_cast<float>(x);
          py[x] += static_cast<float>(y);
        }
      }
      ink = remap_banded(ink, dx, dy, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0), ctx.cancel_token());
    }
    ctx.set_output("image", mat_to_image(1.0 - ink, ctx.device(), &ctx.cancel_token()));
  };
  return d;
}

}  // namespace sumi
