#include "nodes/face/split.h"

#include <cmath>
#include <optional>

#include "nodes/common/image_mat.h"
#include "nodes/common/part_set.h"
#include "nodes/face/face_frame.h"
#include "nodes/latent/common_params.h"
#include "nodes/latent/part_models.h"

namespace sumi {
namespace {

// Crop a window, padding with white paper where it leaves the image.
cv::Mat crop_padded(const cv::Mat& img, const cv::Rect& r) {
  cv::Mat out(r.height, r.width, img.type(), cv::Scalar::all(1.0));
  cv::Rect inside = r & cv::Rect(0, 0, img.cols, img.rows);
  if (inside.area() > 0) img(inside).copyTo(out(cv::Rect(inside.x - r.x, inside.y - r.y, inside.width, inside.height)));
  return out;
}

ParamSpec window_param(const char* part) {
  std::string name = part;
  for (char& c : name)
    if (c == '_') c = ' ';
  return ParamSpec::int_list(part, {}, 3, name + " window [x, y, size] in reference pixels; [] = the manifest's")
      .or_empty()
      .range(-kMaxImageSide, kMaxImageSide);
}

}  // namespace

NodeDescriptor face_split_node() {
  NodeDescriptor d;
  d.id = "face.split";
  d.doc = "Cuts a face sketch into left eye, right eye, nose, mouth and remainder windows";
  d.inputs = {PortSpec::in("sketch", ValueKind::Image, "square face sketch"),
              PortSpec::optional("frame", frame_kind(),
                                 "when linked (face.locate on the sketch before it was warped to the canonical frame), "
                                 "each window is centred on the located part; sizes stay the windows'")};
  // One port per part as well as the set: a consumer of one part's port is
  // keyed on that crop alone, so a stroke in the mouth re-runs only the mouth.
  d.outputs = {PortSpec::out("parts", parts_kind(), "the five parts with their windows"),
               PortSpec::out("left_eye", ValueKind::Image, "the left eye crop"),
               PortSpec::out("right_eye", ValueKind::Image, "the right eye crop"),
               PortSpec::out("nose", ValueKind::Image, "the nose crop"),
               PortSpec::out("mouth", ValueKind::Image, "the mouth crop"),
               PortSpec::out("remainder", ValueKind::Image, "the sketch with the four windows blanked")};
  // The windows are the part models' (the manifest's "window" of each part,
  // on its "canvas"), so crops always match what the encoders were trained
  // on; a window parameter set to [x, y, size] overrides its part (a fixed
  // frame of your own), in `reference` pixels.
  d.params = {
      ParamSpec::path("manifest", default_parts_manifest(),
                      "part-model manifest (sumi.models JSON) whose windows and canvas are used for the parts "
                      "not set below")
          .reads(),
      ParamSpec::integer("reference", 0,
                         "canvas size the window parameters are given in; 0 = the manifest's canvas")
          .range(0, kMaxImageSide),
      window_param("left_eye"), window_param("right_eye"), window_param("nose"), window_param("mouth")};
  d.compute = [](NodeContext& ctx) {
    cv::Mat img = image_to_mat(ctx.input("sketch"), ctx, "sketch");
    if (img.cols != img.rows)
      throw ctx.port_error("sketch", "needs a square sketch, got " + std::to_string(img.cols) + "x" + std::to_string(img.rows));
    // The manifest is read only when a window is left to it (a fixed-frame
    // graph setting all four never needs the part models).
    std::shared_ptr<const PartModels> models;
    auto manifest = [&]() -> const PartModels& {
      if (!models) models = load_part_models(ctx.models(), ctx.param_string("manifest"));
      return *models;
    };
    std::int64_t reference = ctx.param_int("reference");
    if (reference == 0) reference = manifest().canvas;
    if (reference < 16) throw ctx.param_error("reference", "must be 0 (the manifest's canvas) or at least 16");
    const double k = static_cast<double>(img.cols) / static_cast<double>(reference);
    const std::optional<FaceFrame> frame =
        ctx.has_input("frame") ? std::optional<FaceFrame>(frame_of(ctx.input("frame"))) : std::nullopt;
    PartSet parts;
    cv::Mat remainder = img.clone();
    for (std::size_t i = 0; i < 4; ++i) {
      const auto& w = ctx.param_list(kFaceParts[i]);
      const Window given = w.empty() ? manifest().part(kFaceParts[i]).window
                                     : Window{static_cast<int>(w[0]), static_cast<int>(w[1]), static_cast<int>(w[2])};
      Window win{static_cast<int>(std::lround(given.x * k)), static_cast<int>(std::lround(given.y * k)),
                 static_cast<int>(std::lround(given.size * k))};
      if (win.size < 1) throw ctx.param_error(kFaceParts[i], "window is smaller than a pixel at this sketch size");
      if (frame) {  // the sketch is in the canonical frame: its pixels are canonical px scaled
        const FaceBox* b = frame->part(kFaceParts[i]);
        if (!b) throw ctx.port_error("frame", std::string("the frame has no '") + kFaceParts[i] + "' box");
        const double kc = static_cast<double>(img.cols) / frame->canonical;
        win.x = static_cast<int>(std::lround(b->cx * kc - win.size / 2.0));
        win.y = static_cast<int>(std::lround(b->cy * kc - win.size / 2.0));
      }
      const cv::Rect r(win.x, win.y, win.size, win.size);
      parts.push_back({kFaceParts[i], win, mat_to_image(crop_padded(img, r), ctx.device(), &ctx.cancel_token())});
      cv::Rect inside = r & cv::Rect(0, 0, img.cols, img.rows);
      if (inside.area() > 0) remainder(inside).setTo(cv::Scalar::all(1.0));
    }
    Value rest = mat_to_image(remainder, ctx.device(), &ctx.cancel_token());
    parts.push_back({kFaceParts[4], Window{0, 0, img.cols}, rest});
    for (const Part& p : parts) ctx.set_output(p.name, p.image);
    ctx.set_output("parts", make_parts(std::move(parts)));
  };
  return d;
}

}  // namespace sumi
