// Face frames: the Frame value (a record kind of the face library), face.warp (both directions, exact geometry),
// face.split windows from a frame, face.locate's empty-canvas path and errors.
// The shipped locator's accuracy on fixture faces is tested in Python
// (tests/python/test_shipped_locator.py).
#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/kind_registry.h"
#include "engine/model_store.h"
#include "engine/session.h"
#include "nodes/common/image_mat.h"
#include "nodes/common/part_set.h"
#include "nodes/face/face_frame.h"
#include "nodes/nodes.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

// canonical px -> image px: scale s, rotation r (degrees), canonical point `at` lands on `to`.
FaceFrame make_frame(double s, double r_deg, cv::Point2d at, cv::Point2d to, int w, int h, int canonical = 256) {
  FaceFrame f;
  f.canonical = canonical;
  f.width = w;
  f.height = h;
  const double r = r_deg * M_PI / 180, c = std::cos(r) * s, sn = std::sin(r) * s;
  f.matrix = {c, -sn, to.x - (c * at.x - sn * at.y), sn, c, to.y - (sn * at.x + c * at.y)};
  f.parts = {{"left_eye", 80, 120, 40, 30}, {"right_eye", 170, 120, 40, 30}, {"nose", 125, 150, 30, 30},
             {"mouth", 125, 185, 50, 30}};
  return f;
}

class FaceFrames : public ::testing::Test {
 protected:
  FaceFrames() { register_all_nodes(reg); }

  // Runs one node of `type` with an image on port `image_port` and a frame on "frame".
  Value run(const std::string& type, const cv::Mat& image, const std::string& image_port, const FaceFrame& frame,
            const std::map<std::string, ParamValue>& params, const std::string& out = "image") {
    Graph g;
    g.add_node("img", "io.load_image");
    g.add_node("loc", "face.locate");
    g.link("img.image", "loc.sketch");
    g.add_node("n", type);
    g.link("img.image", "n." + image_port);
    g.link("loc.frame", "n.frame");
    for (const auto& [k, v] : params) g.set_param("n", k, v);
    g.set_output("out", "n." + out);
    RunOptions opts;
    opts.inputs["img.image"] = mat_to_image(image, "cpu");
    opts.inputs["loc.frame"] = make_frame_value(frame);
    return session.run(g, opts).outputs.at("out");
  }

  Registry reg;
  Session session{reg};
};

TEST_F(FaceFrames, FrameValuesHashTheirContentAndConvertBack) {
  const FaceFrame a = make_frame(0.5, 10, {128, 128}, {60, 70}, 256, 256);
  FaceFrame b = a;
  EXPECT_EQ(make_frame_value(a).hash(), make_frame_value(b).hash());
  b.matrix[2] += 1;
  EXPECT_NE(make_frame_value(a).hash(), make_frame_value(b).hash());
  b = a;
  b.parts[3].cy += 0.5;
  EXPECT_NE(make_frame_value(a).hash(), make_frame_value(b).hash());
  EXPECT_NEAR(a.scale(), 0.5, 1e-12);
  EXPECT_NEAR(a.rotation_deg(), 10, 1e-9);
  EXPECT_NE(make_frame_value(a).describe().find("Frame scale 0.5"), std::string::npos);
  EXPECT_SUMI_ERROR(frame_of(Value::make_int(1)), "expected a Frame value, got Int");
}

TEST_F(FaceFrames, FrameIsARecordKindOfTheFaceLibrary) {
  // The engine has no Frame: the face library registers it, as a plugin would.
  const ValueKind k = frame_kind();
  ValueKind parsed;
  ASSERT_TRUE(parse_kind("Frame", parsed));
  EXPECT_EQ(parsed, k);
  EXPECT_TRUE(is_record_kind(k));
  EXPECT_FALSE(is_tensor_kind(k));
  EXPECT_GE(static_cast<int>(k), kFirstRegisteredKind);
  EXPECT_EQ(kind_info(k).origin, "built-in");

  // The document round-trips, parts in name order, and the derived fields are written but not read.
  FaceFrame a = make_frame(0.5, 10, {128, 128}, {60, 70}, 200, 300);
  a.located = false;
  const Value v = make_frame_value(a);
  const nlohmann::json& doc = v.record();
  EXPECT_EQ(doc["size"], nlohmann::json({200, 300}));
  EXPECT_NEAR(doc["scale"].get<double>(), 0.5, 1e-12);
  EXPECT_EQ(doc["parts"].size(), 4u);
  FaceFrame back = frame_of(v);
  FaceFrame sorted = a;
  std::sort(sorted.parts.begin(), sorted.parts.end(), [](const FaceBox& x, const FaceBox& y) { return x.name < y.name; });
  EXPECT_EQ(back, sorted);
  nlohmann::json edited = doc;
  edited["scale"] = 7;  // derived: ignored, rewritten
  EXPECT_EQ(Value::make_record(k, edited).hash(), v.hash());
  EXPECT_NEAR(Value::make_record(k, edited).record()["scale"].get<double>(), 0.5, 1e-12);

  // Documents that are not frames are refused naming the field.
  nlohmann::json bad = doc;
  bad.erase("matrix");
  EXPECT_SUMI_ERROR(Value::make_record(k, bad), "a Frame's 'matrix' is missing");
  bad = doc;
  bad["matrix"] = {{1, 0, 0}, {0, 1}};
  EXPECT_SUMI_ERROR(Value::make_record(k, bad), "'matrix' is 2 x 3");
  bad = doc;
  bad["size"] = {200.5, 300};
  EXPECT_SUMI_ERROR(Value::make_record(k, bad), "width must be a whole number");
  bad = doc;
  bad["parts"]["nose"] = {1, 2, "three", 4};
  EXPECT_SUMI_ERROR(Value::make_record(k, bad), "part 'nose' must be a number, not string");
  bad = doc;
  bad["located"] = "yes";
  EXPECT_SUMI_ERROR(Value::make_record(k, bad), "'located' must be true or false");
  EXPECT_SUMI_ERROR(Value::make_record(k, nlohmann::json::array()), "document must be an object");
}

TEST_F(FaceFrames, WarpToCanonicalUndoesTheFrame) {
  // A dot drawn where canonical (100, 140) lands under a half-size, rotated frame
  // comes back at (100, 140) in the canonical image.
  const FaceFrame f = make_frame(0.5, 12, {128, 128}, {70, 180}, 256, 256);
  const double x = f.matrix[0] * 100 + f.matrix[1] * 140 + f.matrix[2], y = f.matrix[3] * 100 + f.matrix[4] * 140 + f.matrix[5];
  cv::Mat sketch(256, 256, CV_32F, cv::Scalar(1));
  cv::circle(sketch, cv::Point(static_cast<int>(std::lround(x - 0.5)), static_cast<int>(std::lround(y - 0.5))), 2, cv::Scalar(0), -1);
  cv::Mat canon = image_to_mat(run("face.warp", sketch, "image", f, {}));
  ASSERT_EQ(canon.cols, 256);
  ASSERT_EQ(canon.rows, 256);
  // The dot's centre as drawn (pixel i covers [i, i + 1)), taken back through
  // the frame's inverse, is where the warped dot's centre lies.
  const cv::Moments drawn = cv::moments(1.0 - sketch), warped = cv::moments(1.0 - canon);
  const double dx = drawn.m10 / drawn.m00 + 0.5 - f.matrix[2], dy = drawn.m01 / drawn.m00 + 0.5 - f.matrix[5];
  const double det = f.matrix[0] * f.matrix[4] - f.matrix[1] * f.matrix[3];
  const double ex = (f.matrix[4] * dx - f.matrix[1] * dy) / det, ey = (-f.matrix[3] * dx + f.matrix[0] * dy) / det;
  EXPECT_NEAR(ex, 100, 1.5);
  EXPECT_NEAR(ey, 140, 1.5);
  EXPECT_NEAR(warped.m10 / warped.m00 + 0.5, ex, 0.25);
  EXPECT_NEAR(warped.m01 / warped.m00 + 0.5, ey, 0.25);
  // Outside the drawn canvas is paper.
  EXPECT_FLOAT_EQ(canon.at<float>(255, 255), 1.0f);
}

TEST_F(FaceFrames, WarpToImagePlacesAPortraitWhereTheFaceWasDrawn) {
  // A 128 px canonical-frame portrait (half the 256 frame) of a face drawn
  // small in the top-left corner of a 256 sketch lands in that corner of a
  // 128 px output, paper elsewhere.
  const FaceFrame f = make_frame(0.4, 0, {128, 128}, {50, 50}, 256, 256);
  cv::Mat portrait(128, 128, CV_32FC3, cv::Scalar(0.2, 0.4, 0.6));
  cv::Mat placed = image_to_mat(run("face.warp", portrait, "image", f, {{"direction", std::string("to_image")}}));
  ASSERT_EQ(placed.cols, 128);
  ASSERT_EQ(placed.channels(), 3);
  const cv::Vec3f inside = placed.at<cv::Vec3f>(25, 25), outside = placed.at<cv::Vec3f>(100, 100);
  EXPECT_NEAR(inside[0], 0.2, 1e-5);
  EXPECT_NEAR(inside[2], 0.6, 1e-5);
  EXPECT_FLOAT_EQ(outside[0], 1.0f);
  // The canonical canvas (0..256) maps to 0.4 x 256 = 102.4 sketch px around (50, 50): 51.2 output px.
  EXPECT_NEAR(placed.at<cv::Vec3f>(25, 25 + 24)[0], 0.2, 1e-4);
  EXPECT_FLOAT_EQ(placed.at<cv::Vec3f>(25, 25 + 28)[0], 1.0f);
  // An explicit size keeps the aspect of the located sketch.
  FaceFrame wide = f;
  wide.width = 512;
  cv::Mat w = image_to_mat(run("face.warp", portrait, "image", wide, {{"direction", std::string("to_image")}, {"size", std::int64_t{300}}}));
  EXPECT_EQ(w.cols, 300);
  EXPECT_EQ(w.rows, 150);
}

TEST_F(FaceFrames, WarpRoundTripKeepsTheDrawing) {
  const FaceFrame f = make_frame(1.2, -8, {128, 128}, {130, 120}, 256, 256);
  cv::Mat sketch(256, 256, CV_32F, cv::Scalar(1));
  cv::line(sketch, {90, 100}, {170, 140}, cv::Scalar(0), 3);
  cv::Mat canon = image_to_mat(run("face.warp", sketch, "image", f, {}));
  cv::Mat back = image_to_mat(run("face.warp", canon, "image", f, {{"direction", std::string("to_image")}}));
  ASSERT_EQ(back.size(), sketch.size());
  EXPECT_LT(cv::norm(back(cv::Rect(60, 60, 140, 120)), sketch(cv::Rect(60, 60, 140, 120)), cv::NORM_L1) / (140 * 120), 0.03);
}

TEST_F(FaceFrames, WarpMovesAMaskWithTheImageAndFillsZeroOutside) {
  // Sketch2anime warps the hint strokes and their mask into the canonical
  // frame: the mask must move with the image, and the paper the warp adds
  // around a small drawing must not count as hinted.
  const FaceFrame f = make_frame(1.5, 0, {128, 128}, {128, 128}, 256, 256);  // canonical 0..256 covers more than the sketch
  cv::Mat hints(256, 256, CV_32FC3, cv::Scalar(1, 1, 1)), mask(256, 256, CV_32F, cv::Scalar(0));
  cv::rectangle(hints, cv::Rect(120, 120, 16, 16), cv::Scalar(1, 0, 0), -1);
  cv::rectangle(mask, cv::Rect(120, 120, 16, 16), cv::Scalar(1), -1);
  Graph g;
  g.add_node("img", "io.load_image");
  g.add_node("strokes", "io.strokes_input");
  g.set_param("strokes", "path", source_path("examples/cartoon_face_hints.strokes.json"));
  g.add_node("hints", "colour.hints_input");
  g.link("strokes.strokes", "hints.strokes");
  g.add_node("loc", "face.locate");
  g.link("img.image", "loc.sketch");
  g.add_node("n", "face.warp");
  g.link("img.image", "n.image");
  g.link("hints.mask", "n.mask");
  g.link("loc.frame", "n.frame");
  g.set_output("image", "n.image");
  g.set_output("mask", "n.mask");
  RunOptions opts;
  opts.inputs["img.image"] = mat_to_image(hints, "cpu");
  opts.inputs["hints.hints"] = mat_to_image(hints, "cpu");
  opts.inputs["hints.mask"] = mat_to_mask(mask, "cpu");
  opts.inputs["loc.frame"] = make_frame_value(f);
  RunResult r = session.run(g, opts);
  const Value& m = r.outputs.at("mask");
  EXPECT_EQ(m.kind(), ValueKind::Mask);
  cv::Mat wm = image_to_mat(m), wi = image_to_mat(r.outputs.at("image"));
  ASSERT_EQ(wm.size(), cv::Size(256, 256));
  // The 16 px square shrinks to about 10.7 px around the centre, in both.
  EXPECT_NEAR(cv::sum(wm)[0], 16.0 * 16.0 / (1.5 * 1.5), 8.0);
  EXPECT_FLOAT_EQ(wm.at<float>(128, 128), 1.0f);
  EXPECT_LT(wi.at<cv::Vec3f>(128, 128)[1], 1e-5f);
  // Outside the drawn canvas: paper in the image, 0 in the mask.
  EXPECT_FLOAT_EQ(wi.at<cv::Vec3f>(2, 2)[0], 1.0f);
  EXPECT_FLOAT_EQ(wm.at<float>(2, 2), 0.0f);

  // Without a mask, the output mask says where the image came from.
  g.unlink("n.mask");
  r = session.run(g, opts);
  cv::Mat cover = image_to_mat(r.outputs.at("mask"));
  EXPECT_FLOAT_EQ(cover.at<float>(128, 128), 1.0f);
  EXPECT_FLOAT_EQ(cover.at<float>(2, 2), 0.0f);
  EXPECT_NEAR(cv::sum(cover)[0], 256.0 * 256.0 / (1.5 * 1.5), 256.0 * 2);
}

TEST_F(FaceFrames, BadFramesAreRejectedNamingThePort) {
  FaceFrame f = make_frame(0, 0, {128, 128}, {128, 128}, 256, 256);
  cv::Mat sketch(64, 64, CV_32F, cv::Scalar(1));
  EXPECT_SUMI_ERROR(run("face.warp", sketch, "image", f, {}), "node 'n' (face.warp)", "port 'frame'", "degenerate");
  f = make_frame(1, 0, {128, 128}, {128, 128}, 0, 256);
  EXPECT_SUMI_ERROR(run("face.warp", sketch, "image", f, {}), "port 'frame'", "no size");
}

TEST_F(FaceFrames, SplitCentresWindowsOnTheFramesParts) {
  const FaceFrame f = make_frame(1, 0, {128, 128}, {128, 128}, 256, 256);
  cv::Mat sketch(128, 128, CV_32F, cv::Scalar(1));  // a canonical-frame sketch at half the canonical size
  const Value parts = run("face.split", sketch, "sketch", f, {{"reference", std::int64_t{256}}}, "parts");
  const PartSet& ps = parts_of(parts);
  // left eye: box centre (80, 120) canonical -> (40, 60) here; window side 128 * 0.5 = 64 (the 512 default at 256 px: 128/4*... )
  const int side = ps[0].window.size;
  EXPECT_EQ(ps[0].window.x, static_cast<int>(std::lround(40 - side / 2.0)));
  EXPECT_EQ(ps[0].window.y, static_cast<int>(std::lround(60 - side / 2.0)));
  EXPECT_EQ(ps[3].window.x, static_cast<int>(std::lround(62.5 - ps[3].window.size / 2.0)));
  EXPECT_EQ(ps[4].window.size, 128) << "the remainder stays the whole sketch";
}

TEST_F(FaceFrames, LocateOnAnEmptyCanvasGivesTheCanonicalFrameAndAWarning) {
  Graph g;
  g.add_node("img", "io.load_image");
  g.add_node("loc", "face.locate");
  g.link("img.image", "loc.sketch");
  g.set_output("frame", "loc.frame");
  RunOptions opts;
  opts.inputs["img.image"] = mat_to_image(cv::Mat(300, 200, CV_32F, cv::Scalar(1)), "cpu");
  for (int round = 0; round < 2; ++round) {  // the second run comes from the cache and still warns
    RunResult r = session.run(g, opts);
    const FaceFrame f = frame_of(r.outputs.at("frame"));
    EXPECT_FALSE(f.located);
    EXPECT_EQ(f.width, 200);
    EXPECT_EQ(f.height, 300);
    EXPECT_NEAR(f.scale(), 300.0 / 256, 1e-9);   // the canonical square fitted to the sketch's longer side
    EXPECT_NEAR(f.matrix[2], -50, 1e-9);         // centred: the square overhangs 50 px on each side
    EXPECT_EQ(f.parts.size(), 4u);
    bool warned = false;
    for (const NodeRun& n : r.nodes) warned |= n.id == "loc" && n.warning.find("empty") != std::string::npos;
    EXPECT_TRUE(warned) << "round " << round;
  }
}

TEST_F(FaceFrames, LocateNamesABadManifestOrModel) {
  TempDir tmp;
  write_text(tmp.path("bad.json"), "{\"format\": \"sumi.models\"");
  write_text(tmp.path("m.json"), R"({"format": "sumi.models", "canonical": {"size": 256, "head_box": [48, 54, 217, 206],
    "parts": {"left_eye": [74, 142, 44, 30], "right_eye": [134, 136, 55, 38], "nose": [105, 162, 60, 60], "mouth": [113, 177, 60, 30]}},
    "locator": {"file": "missing.pt", "input_size": 128}})");
  Graph g;
  g.add_node("img", "io.load_image");
  g.add_node("loc", "face.locate");
  g.link("img.image", "loc.sketch");
  g.set_output("frame", "loc.frame");
  RunOptions opts;
  cv::Mat drawn(128, 128, CV_32F, cv::Scalar(1));
  cv::circle(drawn, {64, 64}, 40, cv::Scalar(0), 3);
  opts.inputs["img.image"] = mat_to_image(drawn, "cpu");
  g.set_param("loc", "manifest", tmp.path("bad.json"));
  EXPECT_SUMI_ERROR(session.run(g, opts), "bad.json", "malformed manifest");
  g.set_param("loc", "manifest", tmp.path("m.json"));
  EXPECT_SUMI_ERROR(session.run(g, opts), "missing.pt", "node 'loc'");
  write_text(tmp.path("missing.pt"), "not a TorchScript archive");
  session.models().evict(tmp.path("missing.pt"));
  EXPECT_SUMI_ERROR(session.run(g, opts), "missing.pt");
}

}  // namespace
}  // namespace sumi::test
