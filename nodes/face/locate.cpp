#include "nodes/face/locate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <optional>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/data_root.h"
#include "engine/model_store.h"
#include "engine/tensor.h"
#include "nodes/common/image_mat.h"
#include "nodes/face/locator_manifest.h"
#include "nodes/face/warp.h"
#include "nodes/latent/latent_kind.h"
#include "nodes/latent/part_models.h"  // read_manifest, run_model

namespace sumi {
namespace {

using Locator = LocatorManifest;

constexpr const char* kSized[] = {"left_eye", "right_eye", "nose", "mouth"};
constexpr int kOutputs = 5 + 2 * 5 + 2 * 4;
constexpr double kHeadRadius = 85;  // about half the canonical head box (169 x 152 px at 256)

std::shared_ptr<const Locator> load_locator(ModelStore& store, const std::string& path) {
  return store.resource<Locator>(path, "locate-manifest", [&] {
    const nlohmann::json j = read_manifest(path, "sumi.models", "model");
    auto l = parse_locator_manifest(j, path);  // sizes in range (manifest_int)
    expect_manifest_digests(store, j, path);
    return l;
  });
}

// The sketch in gray (RGBA composited onto white paper).
cv::Mat gray_of(const cv::Mat& img) {
  cv::Mat gray;
  if (img.channels() == 1) gray = img;
  else if (img.channels() == 3) cv::cvtColor(img, gray, cv::COLOR_RGB2GRAY);
  else {  // RGBA: composite onto white first
    std::vector<cv::Mat> ch;
    cv::split(img, ch);
    cv::Mat rgb;
    cv::merge(std::vector<cv::Mat>{ch[0], ch[1], ch[2]}, rgb);
    cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
    gray = gray.mul(ch[3]) + (1.0 - ch[3]);
  }
  return gray;
}

// `gray` padded with paper to a centred square, area-scaled to the network's
// input: the same pixels models/locate/prepare.py trains on.
cv::Mat network_input(const cv::Mat& gray, int side, int& square, int& left, int& top) {
  square = std::max(gray.cols, gray.rows);
  left = (square - gray.cols) / 2;
  top = (square - gray.rows) / 2;
  cv::Mat padded;
  cv::copyMakeBorder(gray, padded, top, square - gray.rows - top, left, square - gray.cols - left,
                     cv::BORDER_CONSTANT, cv::Scalar(1.0));
  cv::Mat out;
  cv::resize(padded, out, cv::Size(side, side), 0, 0, cv::INTER_AREA);
  return out;
}

using Outputs23 = std::array<double, kOutputs>;

Outputs23 run_locator(const NodeContext& ctx, const std::string& model, const cv::Mat& x, int side, bool rewrites) {
  const Value out = run_model(ctx, model, mat_to_image(x, ctx.device(), &ctx.cancel_token()), latent_kind(),
                              {1, 1, side, side}, {1, kOutputs}, rewrites);
  const at::Tensor y = out.tensor().to(at::kCPU).contiguous();
  Outputs23 o{};
  std::copy(y.data_ptr<float>(), y.data_ptr<float>() + kOutputs, o.begin());
  return o;
}

// The frame of outputs `o` as canonical fractions -> network-input fractions: p' = A p + b.
cv::Matx33d frame_of(const Outputs23& o, double hx, double hy) {
  const double s = std::exp(o[2]), r = std::atan2(o[4], o[3]), c = std::cos(r) * s, sn = std::sin(r) * s;
  return {c, -sn, o[0] - (c * hx - sn * hy), sn, c, o[1] - (sn * hx + c * hy), 0, 0, 1};
}

// A second look: the input warped into the first answer's canonical frame,
// located again, and the two composed. The face then fills the frame the
// network is most precise in (measured: worst part centre p50 4.5 -> 3.8 px).
Outputs23 refine(const NodeContext& ctx, const std::string& model, const cv::Mat& x, const Outputs23& first,
                 double hx, double hy, bool rewrites) {
  const int side = x.cols;
  const cv::Matx33d m = frame_of(first, hx, hy);
  // dst pixel -> src pixel: src = side * (A ((dst + 0.5) / side) + b) - 0.5
  const cv::Matx33d to_frac{1.0 / side, 0, 0.5 / side, 0, 1.0 / side, 0.5 / side, 0, 0, 1};
  const cv::Matx33d to_px{static_cast<double>(side), 0, -0.5, 0, static_cast<double>(side), -0.5, 0, 0, 1};
  const cv::Matx33d src = to_px * m * to_frac;
  cv::Mat canon;
  cv::warpAffine(x, canon, cv::Matx23d(src(0, 0), src(0, 1), src(0, 2), src(1, 0), src(1, 1), src(1, 2)), x.size(),
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, cv::Scalar(1.0));
  const Outputs23 second = run_locator(ctx, model, canon, side, rewrites);
  const cv::Matx33d f = m * frame_of(second, hx, hy);
  Outputs23 o = second;
  const cv::Vec3d head = f * cv::Vec3d(hx, hy, 1);
  const double scale = std::sqrt(std::abs(f(0, 0) * f(1, 1) - f(0, 1) * f(1, 0))), r = std::atan2(f(1, 0), f(0, 0));
  o[0] = head[0];
  o[1] = head[1];
  o[2] = std::log(scale);
  o[3] = std::cos(r);
  o[4] = std::sin(r);
  for (int i = 0; i < 5; ++i) {  // points: second-look fractions -> input fractions
    const cv::Vec3d p = m * cv::Vec3d(second[5 + 2 * i], second[6 + 2 * i], 1);
    o[5 + 2 * i] = p[0];
    o[6 + 2 * i] = p[1];
  }
  return o;  // part sizes: the second look's (canonical-frame sizes do not depend on the frame)
}

// The similarity canonical px -> sketch px for frame centre (sketch px), log-scale and rotation, where the
// sketch is `k` sketch px per canonical px at scale 1: x' = R S (x - head) + centre.
std::array<double, 6> similarity(const Locator& loc, cv::Point2d centre, double log_scale, double r, double k) {
  const double s = std::exp(log_scale) * k, c = std::cos(r) * s, sn = std::sin(r) * s;
  return {c, -sn, centre.x - (c * loc.head_cx - sn * loc.head_cy), sn, c, centre.y - (sn * loc.head_cx + c * loc.head_cy)};
}

// A third look (the manifest's refiner): the drawing warped into the frame the
// first two found - face.warp's own pixels, at canonical resolution - and the
// inner face cut out, so the part centres (and, with the manifest's `head`,
// the frame's centre) are found again at full resolution: the first looks saw
// the whole drawing at 128. Trained on exactly these crops by
// models/locate/prepare_refine.py. Each point of `o` (fractions of the padded
// square) is replaced only if it moves less than max_shift canonical px.
void refine_parts(const NodeContext& ctx, const Locator& loc, const cv::Mat& gray, const std::array<double, 6>& m,
                  Outputs23& o, int square, int left, int top) {
  const auto& r = loc.refiner;
  const cv::Matx33d image_from_canonical{m[0], m[1], m[2], m[3], m[4], m[5], 0, 0, 1};
  const cv::Mat canon = warp_face_image(gray, image_from_canonical, cv::Size(loc.canonical, loc.canonical), 1.0,
                                        ctx.cancel_token());
  const int x0 = static_cast<int>(std::lround(r.x0)), y0 = static_cast<int>(std::lround(r.y0)), side = r.input_size;
  const cv::Mat crop = canon(cv::Rect(x0, y0, side, side)).clone();
  const Value out = run_model(ctx, r.model, mat_to_image(crop, ctx.device(), &ctx.cancel_token()), latent_kind(),
                              {1, 1, side, side}, {1, 10}, loc.optimize_for_inference);
  const at::Tensor y = out.tensor().to(at::kCPU).contiguous();
  const float* v = y.data_ptr<float>();
  const double det = m[0] * m[4] - m[1] * m[3];
  for (int i = 0; i < (r.head ? 5 : 4); ++i) {  // left eye, right eye, nose, mouth, head
    if (!std::isfinite(v[2 * i]) || !std::isfinite(v[2 * i + 1])) continue;
    const double cx = x0 + v[2 * i] * side, cy = y0 + v[2 * i + 1] * side;  // canonical px
    // The second look's point in canonical px, to bound the move.
    const double px = o[5 + 2 * i] * square - left - m[2], py = o[6 + 2 * i] * square - top - m[5];
    const double qx = (m[4] * px - m[1] * py) / det, qy = (-m[3] * px + m[0] * py) / det;
    if (std::hypot(cx - qx, cy - qy) > r.max_shift) continue;
    o[5 + 2 * i] = (m[0] * cx + m[1] * cy + m[2] + left) / square;
    o[6 + 2 * i] = (m[3] * cx + m[4] * cy + m[5] + top) / square;
    if (i == 4) {  // the head point is the frame's centre
      o[0] = o[13];
      o[1] = o[14];
    }
  }
}

// How far the head outline (a circle of kHeadRadius canonical px about the
// canonical head centre) moves between frames `a` and `b`, in sketch px: the
// largest move of 16 points on it (similarities: exact to a fraction of a px).
double outline_move(const std::array<double, 6>& a, const std::array<double, 6>& b, double hx, double hy) {
  double worst = 0;
  for (int i = 0; i < 16; ++i) {
    const double t = i * (2 * M_PI / 16), x = hx + kHeadRadius * std::cos(t), y = hy + kHeadRadius * std::sin(t);
    const double dx = (a[0] - b[0]) * x + (a[1] - b[1]) * y + (a[2] - b[2]);
    const double dy = (a[3] - b[3]) * x + (a[4] - b[4]) * y + (a[5] - b[5]);
    worst = std::max(worst, std::hypot(dx, dy));
  }
  return worst;
}

// The previous frame fed to `previous`, when it can be held: located, and of
// a sketch of this size in this canonical frame (else none: locate afresh).
std::optional<FaceFrame> holdable_previous(NodeContext& ctx, const FaceFrame& now) {
  if (!ctx.has_input("previous") || ctx.param_float("hold") <= 0) return std::nullopt;
  FaceFrame prev = sumi::frame_of(ctx.input("previous"));
  if (!prev.located || prev.width != now.width || prev.height != now.height || prev.canonical != now.canonical)
    return std::nullopt;
  return prev;
}

}  // namespace

std::string default_locate_manifest() { return data_path("models/locate/manifest.json"); }

NodeDescriptor face_locate_node() {
  NodeDescriptor d;
  d.id = "face.locate";
  d.doc = "Finds the face in a sketch: the frame (centre, scale, rotation) from the models' canonical frame, and the part boxes";
  d.inputs = {PortSpec::in("sketch", ValueKind::Image, "a sketch of any size: white paper, dark lines"),
              PortSpec::optional("previous", frame_kind(),
                                 "the frame this node gave for the drawing a stroke ago (the editor feeds it): "
                                 "kept while the face moves less than `hold`")};
  d.outputs = {PortSpec::out("frame", frame_kind(), "canonical frame -> sketch, and the part boxes in canonical pixels")};
  d.params = {
      ParamSpec::path("manifest", default_locate_manifest(), "locator manifest (sumi.models JSON with a \"locator\")").reads(),
      ParamSpec::model("locator", "", "TorchScript locator replacing the manifest's (same interface)"),
      ParamSpec::number("min_ink", 0.002, "below this mean ink (0..1) the drawing counts as empty: canonical frame and a warning")
          .range(0, 1),
      ParamSpec::number("snap", 2.0,
                        "the frame and part centres move in steps of about this many pixels (of a 256 canvas), so a "
                        "stroke that barely moves the located face leaves the frame - and every cached part - as it "
                        "was; 0 = no steps")
          .range(0, 32),
      ParamSpec::number("canonical_snap", 6.0,
                        "a frame within this many pixels (of a 256 canvas, at the head outline) of the canonical "
                        "frame is taken as the canonical frame: the shipped models were trained in exactly it, so a "
                        "drawing near it does better unwarped than warped by the locator's few-pixel error; 0 = off")
          .range(0, 32),
      ParamSpec::integer("passes", 0,
                         "looks at the drawing: 2 = locate, warp into the found frame, locate again; 1 = one look; "
                         "0 = as many as the manifest's refiner was trained after (its \"passes\"; 2 without one "
                         "or with `refine` off)")
          .range(0, 2),
      ParamSpec::number("hold", 4.0,
                        "with a `previous` frame: while the newly found head outline lies within this many pixels "
                        "(of a 256 canvas) of the previous one, the previous frame is kept exactly, and so is each "
                        "part box that moved less - a stroke then leaves the portrait and the cached parts where "
                        "they were; 0 = always the new frame")
          .range(0, 32),
      ParamSpec::boolean("refine", true,
                         "a third look, when the manifest has a refiner: the drawing warped into the found frame, "
                         "the inner face at full resolution, the part centres (and the frame's centre) found again")};
  d.compute = [](NodeContext& ctx) {
    const auto loc = load_locator(ctx.models(), ctx.param_string("manifest"));
    const cv::Mat img = image_to_mat(ctx.input("sketch"), ctx, "sketch");
    if (img.empty()) throw ctx.port_error("sketch", "the sketch is empty (0 pixels)");
    int square = 0, left = 0, top = 0;
    const cv::Mat gray = gray_of(img);
    const cv::Mat x = network_input(gray, loc->input_size, square, left, top);
    FaceFrame f;
    f.canonical = loc->canonical;
    f.width = img.cols;
    f.height = img.rows;
    const double k = static_cast<double>(square) / loc->canonical;  // canonical px -> sketch px at scale 1
    const double ink = 1.0 - cv::mean(x)[0];
    if (ink < ctx.param_float("min_ink")) {
      // Nothing drawn yet: the canonical frame, centred on the sketch.
      f.matrix = {k, 0, -static_cast<double>(left), 0, k, -static_cast<double>(top)};
      f.parts = loc->default_parts;
      f.located = false;
      ctx.warn("the drawing is empty or nearly so: using the canonical face frame");
      ctx.set_output("frame", make_frame_value(f));
      return;
    }
    const std::string& override_file = ctx.param_string("locator");
    const std::string& model = override_file.empty() ? loc->model : override_file;
    const bool rewrites = loc->optimize_for_inference;
    Outputs23 o = run_locator(ctx, model, x, loc->input_size, rewrites);
    const double hx = loc->head_cx / loc->canonical, hy = loc->head_cy / loc->canonical;
    auto usable = [](const Outputs23& out) {
      return std::all_of(out.begin(), out.end(), [](double v) { return std::isfinite(v); }) && std::abs(out[2]) < 5 &&
             std::hypot(out[3], out[4]) > 1e-6;
    };
    if (!usable(o)) throw ctx.error("the locator " + model + " gave no usable frame (non-finite or extreme outputs)");
    const bool refining = !loc->refiner.model.empty() && ctx.param_bool("refine");
    // The refiner learnt from crops cut in the frames of a given number of looks: match them.
    const int passes = ctx.param_int("passes") > 0 ? ctx.param_int("passes") : refining ? loc->refiner.passes : 2;
    if (passes > 1) {
      const Outputs23 second = refine(ctx, model, x, o, hx, hy, rewrites);
      if (usable(second)) o = second;  // else keep the first look
    }
    // Sketch px from the network's fractions of the padded square.
    auto px = [&](double u, double v) { return cv::Point2d(u * square - left, v * square - top); };
    if (refining)
      refine_parts(ctx, *loc, gray, similarity(*loc, px(o[0], o[1]), o[2], std::atan2(o[4], o[3]), k), o, square, left, top);
    cv::Point2d centre = px(o[0], o[1]);
    double log_scale = o[2];
    double r = std::atan2(o[4], o[3]);
    const double snap = ctx.param_float("snap");
    const double to256 = 256.0 / square;  // sketch px -> px of a 256 canvas
    const std::optional<FaceFrame> prev = holdable_previous(ctx, f);
    const bool held = prev && outline_move(similarity(*loc, centre, log_scale, r, k), prev->matrix,
                                           hx * loc->canonical, hy * loc->canonical) *
                                      to256 <=
                                  ctx.param_float("hold");
    const cv::Point2d canonical_centre = px(hx, hy);
    const double off = std::max({cv::norm(centre - canonical_centre) * 256.0 / square, std::abs(log_scale) * kHeadRadius,
                                 std::abs(r) * kHeadRadius});
    if (held) {
      // kept below
    } else if (off <= ctx.param_float("canonical_snap")) {
      centre = canonical_centre;
      log_scale = r = 0;
    } else if (snap > 0) {
      // Steps that each move the head outline (about 85 canonical px from its
      // centre) by about `snap` px: centre, log-scale and rotation alike.
      const double step = snap * square / 256.0, angle = snap / kHeadRadius;
      auto to_grid = [](double v, double q) { return std::round(v / q) * q; };
      centre = {to_grid(centre.x, step), to_grid(centre.y, step)};
      log_scale = to_grid(log_scale, angle);
      r = to_grid(r, angle);
    }
    f.matrix = held ? prev->matrix : similarity(*loc, centre, log_scale, r, k);
    const double c = f.matrix[0], sn = f.matrix[3];
    // Part centres back into the canonical frame (the similarity's inverse).
    const double det = c * c + sn * sn;
    for (int i = 0; i < 4; ++i) {
      const cv::Point2d p = px(o[5 + 2 * i], o[6 + 2 * i]);
      const double dx = p.x - f.matrix[2], dy = p.y - f.matrix[5];
      double cx = (c * dx + sn * dy) / det, cy = (-sn * dx + c * dy) / det;
      const FaceBox* before = held ? prev->part(kSized[i]) : nullptr;
      if (before && std::hypot(cx - before->cx, cy - before->cy) * 256.0 / loc->canonical <= ctx.param_float("hold")) {
        f.parts.push_back(*before);
        continue;
      }
      if (snap > 0) {
        const double q = snap * loc->canonical / 256.0;
        cx = std::round(cx / q) * q;
        cy = std::round(cy / q) * q;
      }
      f.parts.push_back({kSized[i], cx, cy, o[15 + 2 * i] * loc->canonical, o[16 + 2 * i] * loc->canonical});
    }
    ctx.set_output("frame", make_frame_value(f));
  };
  return d;
}

}  // namespace sumi
