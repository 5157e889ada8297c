#include "nodes/face/split.h"

#include <cmath>

#include "nodes/common/image_mat.h"

namespace sumi {
namespace {

// Crop a window, padding with white paper where it leaves the image.
cv::Mat crop_padded(const cv::Mat& img, const cv::Rect& r) {
  cv::Mat out(r.height, r.width, img.type(), cv::Scalar::all(1.0));
  cv::Rect inside = r & cv::Rect(0, 0, img.cols, img.rows);
  if (inside.area() > 0) img(inside).copyTo(out(cv::Rect(inside.x - r.x, inside.y - r.y, inside.width, inside.height)));
  return out;
}

}  // namespace

NodeDescriptor face_split_node() {
  NodeDescriptor d;
  d.id = "face.split";
  d.doc = "Cuts a face sketch into left eye, right eye, nose, mouth and remainder windows";
  d.inputs = {PortSpec::in("sketch", ValueKind::Image, "square face sketch"),
              PortSpec::optional("frame", ValueKind::Frame,
                                 "when linked (face.locate on the sketch before it was warped to the canonical frame), "
                                 "each window is centred on the located part; sizes stay the parameters'")};
  // One port per part as well as the set: a consumer of one part's port is
  // keyed on that crop alone, so a stroke in the mouth re-runs only the mouth.
  d.outputs = {PortSpec::out("parts", ValueKind::PartSet, "the five parts with their windows"),
               PortSpec::out("left_eye", ValueKind::Image, "the left eye crop"),
               PortSpec::out("right_eye", ValueKind::Image, "the right eye crop"),
               PortSpec::out("nose", ValueKind::Image, "the nose crop"),
               PortSpec::out("mouth", ValueKind::Image, "the mouth crop"),
               PortSpec::out("remainder", ValueKind::Image, "the sketch with the four windows blanked")};
  d.params = {
      ParamSpec::integer("reference", 512, "canvas size the windows are given in").range(16, kMaxImageSide),
      ParamSpec::int_list("left_eye", {108, 156, 128}, 3, "left eye window [x, y, size]").range(-kMaxImageSide, kMaxImageSide),
      ParamSpec::int_list("right_eye", {255, 156, 128}, 3, "right eye window [x, y, size]").range(-kMaxImageSide, kMaxImageSide),
      ParamSpec::int_list("nose", {182, 232, 160}, 3, "nose window [x, y, size]").range(-kMaxImageSide, kMaxImageSide),
      ParamSpec::int_list("mouth", {169, 301, 192}, 3, "mouth window [x, y, size]").range(-kMaxImageSide, kMaxImageSide)};
  d.compute = [](NodeContext& ctx) {
    cv::Mat img = image_to_mat(ctx.input("sketch"), ctx, "sketch");
    if (img.cols != img.rows)
      throw ctx.port_error("sketch", "needs a square sketch, got " + std::to_string(img.cols) + "x" + std::to_string(img.rows));
    const double k = static_cast<double>(img.cols) / static_cast<double>(ctx.param_int("reference"));
    const FaceFrame* frame = ctx.has_input("frame") ? &ctx.input("frame").frame() : nullptr;
    PartSet parts;
    cv::Mat remainder = img.clone();
    for (std::size_t i = 0; i < 4; ++i) {
      const auto& w = ctx.param_list(kFaceParts[i]);
      Window win{static_cast<int>(std::lround(w[0] * k)), static_cast<int>(std::lround(w[1] * k)),
                 static_cast<int>(std::lround(w[2] * k))};
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
    ctx.set_output("parts", Value::make_parts(std::move(parts)));
  };
  return d;
}

}  // namespace sumi
