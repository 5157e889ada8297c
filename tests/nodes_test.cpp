// The first node library: strokes files, rasteriser (analytic checks and
// golden images), face split windows, image nodes, image I/O errors.
#include <opencv2/imgcodecs.hpp>

#include "engine/atomic_file.h"
#include "engine/graph_file.h"
#include "engine/session.h"
#include "nodes/common/image_mat.h"
#include "nodes/common/part_set.h"
#include "nodes/common/png.h"
#include "nodes/common/strokes_file.h"
#include "nodes/face/split.h"
#include "nodes/nodes.h"
#include "nodes/sketch/rasterise.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

class Nodes : public ::testing::Test {
 protected:
  Nodes() : session(reg_init()) {}
  Registry& reg_init() {
    register_all_nodes(reg);
    return reg;
  }
  // Runs a one-node graph of `type` with `params`, feeding `inputs` into a
  // source stand-in, and returns output `port`.
  Value run_node(const std::string& type, const std::map<std::string, Value>& inputs,
                 const std::map<std::string, ParamValue>& params, const std::string& port) {
    Graph g;
    g.add_node("n", type);
    for (const auto& [name, v] : params) g.set_param("n", name, v);
    RunOptions opts;
    for (const auto& [in, v] : inputs) {
      // Feed through a stand-in node whose output has the value's kind.
      const std::string src = "src_" + in;
      const auto [src_type, src_port] = v.kind() == strokes_kind() ? std::pair("io.strokes_input", "strokes")
                                                                       : std::pair("io.load_image", "image");
      g.add_node(src, src_type);
      g.link(src + "." + src_port, "n." + in);
      opts.inputs[src + "." + src_port] = v;
    }
    g.set_output("out", "n." + port);
    return session.run(g, opts).outputs.at("out");
  }

  Registry reg;
  Session session;
};

Strokes one_line(float x0, float y0, float x1, float y1, float width, int canvas = 64) {
  Strokes s;
  s.width = s.height = canvas;
  Stroke st;
  st.width = width;
  st.points = {{x0, y0, 1}, {x1, y1, 1}};
  s.strokes.push_back(st);
  return s;
}

TEST(StrokesFile, RoundTripAndExample) {
  Strokes ex = load_strokes_file(source_path("examples/face.strokes.json"));
  EXPECT_EQ(ex.width, 512);
  EXPECT_GE(ex.strokes.size(), 24u);  // "dozens of strokes"
  Strokes back = parse_strokes(strokes_to_json(ex));
  EXPECT_EQ(back, ex);
}

TEST(StrokesFile, MalformedFilesAreRejectedClearly) {
  auto parse = [](const std::string& strokes, const std::string& canvas = "[64,64]") {
    return parse_strokes(R"({"format":"sumi.strokes","version":1,"canvas":)" + canvas + R"(,"strokes":)" + strokes + "}",
                         "s.strokes.json");
  };
  EXPECT_SUMI_ERROR(parse("[]", "[0,64]"), "s.strokes.json", "canvas");
  EXPECT_SUMI_ERROR(parse("[]", "[100000,64]"), "canvas");
  EXPECT_SUMI_ERROR(parse(R"([{"points":[[1,2],[3]]}])"), "stroke 0, point 1", "[x, y]");
  EXPECT_SUMI_ERROR(parse(R"([{"points":[[1,2]]},{"points":[[1,2,1.5]]}])"), "stroke 1, point 0", "pressure");
  EXPECT_SUMI_ERROR(parse(R"([{"kind":"spray","points":[]}])"), "stroke 0", "unknown kind");
  EXPECT_SUMI_ERROR(parse(R"([{"color":"red","points":[]}])"), "stroke 0", "color");
  EXPECT_SUMI_ERROR(parse(R"([{"width":-2,"points":[]}])"), "stroke 0", "width");
  EXPECT_SUMI_ERROR(parse(R"([{"points":[["a",2]]}])"), "stroke 0, point 0", "expected a number");
  EXPECT_SUMI_ERROR(parse_strokes("{\"format\": \"sumi.strokes\",", "t.json"), "t.json", "malformed JSON at line 1");
  EXPECT_SUMI_ERROR(load_strokes_file("/no/such.strokes.json"), "/no/such.strokes.json", "file not found");
}

TEST(Rasterise, HorizontalLineCoversItsWidth) {
  cv::Mat ink = rasterise_ink(one_line(10, 20, 50, 20, 4), 64, 64, 1.0f, true, CancelToken());
  // Rows 18 and 19 (centres 18.5, 19.5) are within radius 2 of y = 20: full ink.
  EXPECT_FLOAT_EQ(ink.at<float>(18, 30), 1.0f);
  EXPECT_FLOAT_EQ(ink.at<float>(21, 30), 1.0f);
  // Row 17 (centre 17.5) is 2.5 away: half covered by the anti-aliasing ramp.
  EXPECT_NEAR(ink.at<float>(17, 30), 0.0f, 1e-6);
  EXPECT_NEAR(ink.at<float>(22, 30), 0.0f, 1e-6);
  EXPECT_FLOAT_EQ(ink.at<float>(5, 30), 0.0f);
  // Round caps reach 2 px beyond the ends.
  EXPECT_GT(ink.at<float>(20, 51), 0.4f);
  EXPECT_FLOAT_EQ(ink.at<float>(20, 54), 0.0f);
}

TEST(Rasterise, PressureThinsAndEraseRemoves) {
  Strokes s = one_line(10, 32, 54, 32, 8);
  s.strokes[0].points[1].pressure = 0.25f;  // 8 px wide at the left, 2 px at the right
  cv::Mat ink = rasterise_ink(s, 64, 64, 1.0f, true, CancelToken());
  EXPECT_FLOAT_EQ(ink.at<float>(34, 12), 1.0f);  // 2.5 px below the centre line: inside the wide end
  EXPECT_FLOAT_EQ(ink.at<float>(34, 52), 0.0f);  // but outside the thin end
  Stroke erase;
  erase.kind = StrokeKind::Erase;
  erase.width = 10;
  erase.points = {{30, 20, 1}, {30, 44, 1}};
  s.strokes.push_back(erase);
  Stroke hint;
  hint.kind = StrokeKind::Hint;
  hint.width = 10;
  hint.points = {{5, 5, 1}, {60, 5, 1}};
  s.strokes.push_back(hint);
  cv::Mat erased = rasterise_ink(s, 64, 64, 1.0f, true, CancelToken());
  EXPECT_FLOAT_EQ(erased.at<float>(32, 30), 0.0f);
  EXPECT_FLOAT_EQ(erased.at<float>(32, 12), 1.0f);
  EXPECT_FLOAT_EQ(erased.at<float>(5, 30), 0.0f) << "hint strokes are not drawn";
}

TEST(Rasterise, ScalesCoordinatesAndWidthToTheOutput) {
  cv::Mat big = rasterise_ink(one_line(10, 20, 50, 20, 4), 128, 128, 1.0f, true, CancelToken());
  EXPECT_FLOAT_EQ(big.at<float>(40, 60), 1.0f);
  EXPECT_FLOAT_EQ(big.at<float>(36, 60), 1.0f);  // width doubled to 8
  EXPECT_FLOAT_EQ(big.at<float>(33, 60), 0.0f);
}

// Golden image: the example face at 128 px. Regenerate (after checking the
// picture by eye) with SUMI_UPDATE_GOLDEN=1.
TEST_F(Nodes, RasteriseMatchesGoldenImage) {
  Value strokes = make_strokes(load_strokes_file(source_path("examples/face.strokes.json")));
  Value img = run_node("sketch.rasterise", {{"strokes", strokes}}, {{"size", std::int64_t{128}}}, "image");
  cv::Mat m = image_to_mat(img);
  ASSERT_EQ(m.cols, 128);
  ASSERT_EQ(m.channels(), 1);
  const std::string golden = source_path("tests/golden/face_128.png");
  if (std::getenv("SUMI_UPDATE_GOLDEN")) write_png(m, golden);
  cv::Mat g = cv::imread(golden, cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(g.empty()) << golden;
  cv::Mat u8;
  m.convertTo(u8, CV_8U, 255.0);
  cv::Mat diff;
  cv::absdiff(u8, g, diff);
  double max_diff = 0;
  cv::minMaxLoc(diff, nullptr, &max_diff);
  EXPECT_LE(max_diff, 1.0) << "rasteriser output differs from " << golden;
  EXPECT_GT(cv::countNonZero(u8 < 128), 300) << "the face has lines";
}

TEST_F(Nodes, SplitCutsTheShippedModelsWindowsScaledToTheSketch) {
  // By default the windows are the shipped part manifest's (canvas 256), the
  // ones the encoders were trained on: one source of truth.
  cv::Mat sketch(128, 128, CV_32F, cv::Scalar(1));
  sketch.at<float>(60, 25) = 0;  // inside the left eye window (22, 56, 30)
  Value parts = run_node("face.split", {{"sketch", mat_to_image(sketch, "cpu")}}, {}, "parts");
  const PartSet& ps = parts_of(parts);
  ASSERT_EQ(ps.size(), 5u);
  const Window expect[] = {{22, 56, 30}, {50, 51, 36}, {32, 60, 42}, {35, 67, 43}, {0, 0, 128}};  // halved, rounded
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(ps[i].name, kFaceParts[i]);
    EXPECT_EQ(ps[i].window, expect[i]) << ps[i].name;
    cv::Mat crop = image_to_mat(ps[i].image);
    EXPECT_EQ(crop.cols, expect[i].size);
  }
  cv::Mat eye = image_to_mat(ps[0].image);
  EXPECT_FLOAT_EQ(eye.at<float>(60 - 56, 25 - 22), 0.0f);
  cv::Mat rest = image_to_mat(ps[4].image);
  EXPECT_FLOAT_EQ(rest.at<float>(60, 25), 1.0f) << "the remainder has the eye window blanked";
}

TEST_F(Nodes, SplitTakesAnotherManifestsWindowsAndExplicitOnesOverride) {
  TempDir tmp;
  std::string parts_json;
  for (const char* part : {"left_eye", "right_eye", "nose", "mouth", "remainder"})
    parts_json += std::string(parts_json.empty() ? "" : ", ") + "\"" + part +
                  "\": {\"window\": [10, 20, 30], \"encoder\": \"e.pt\", \"decoder\": \"d.pt\", \"bank\": \"b.npy\"}";
  write_text(tmp.path("m.json"), "{\"format\": \"sumi.models\", \"version\": 1, \"canvas\": 100, \"parts\": {" +
                                     parts_json + "}}");
  cv::Mat sketch(200, 200, CV_32F, cv::Scalar(1));
  Value parts = run_node("face.split", {{"sketch", mat_to_image(sketch, "cpu")}},
                         {{"manifest", tmp.path("m.json")}, {"mouth", std::vector<double>{50, 50, 25}}}, "parts");
  EXPECT_EQ(parts_of(parts)[0].window, (Window{20, 40, 60})) << "the manifest's window on its canvas, scaled";
  EXPECT_EQ(parts_of(parts)[3].window, (Window{100, 100, 50})) << "an explicit window, in the manifest's canvas";
  // A fixed frame of one's own: all four windows and the reference set; the manifest is not read.
  Value fixed = run_node("face.split", {{"sketch", mat_to_image(sketch, "cpu")}},
                         {{"manifest", tmp.path("none.json")},
                          {"reference", std::int64_t{400}},
                          {"left_eye", std::vector<double>{0, 0, 40}},
                          {"right_eye", std::vector<double>{40, 0, 40}},
                          {"nose", std::vector<double>{0, 40, 40}},
                          {"mouth", std::vector<double>{40, 40, 40}}},
                         "parts");
  EXPECT_EQ(parts_of(fixed)[3].window, (Window{20, 20, 20}));
  EXPECT_SUMI_ERROR(run_node("face.split", {{"sketch", mat_to_image(sketch, "cpu")}}, {{"manifest", tmp.path("none.json")}},
                             "parts"),
                    "none.json");
}

TEST_F(Nodes, SplitPadsWindowsLeavingTheCanvasAndRejectsNonSquare) {
  cv::Mat sketch(64, 64, CV_32F, cv::Scalar(0));
  Value parts = run_node("face.split", {{"sketch", mat_to_image(sketch, "cpu")}},
                         {{"reference", std::int64_t{64}}, {"mouth", std::vector<double>{48, 48, 32}}}, "parts");
  cv::Mat mouth = image_to_mat(parts_of(parts)[3].image);
  EXPECT_FLOAT_EQ(mouth.at<float>(4, 4), 0.0f);
  EXPECT_FLOAT_EQ(mouth.at<float>(20, 20), 1.0f) << "outside the canvas is white paper";
  cv::Mat wide(32, 64, CV_32F, cv::Scalar(1));
  EXPECT_SUMI_ERROR(run_node("face.split", {{"sketch", mat_to_image(wide, "cpu")}}, {}, "parts"), "node 'n' (face.split)",
                    "port 'sketch'", "square");
}

TEST_F(Nodes, ImageNodesComputeWhatTheySay) {
  cv::Mat rgb(4, 6, CV_32FC3, cv::Scalar(0.2, 0.4, 0.6));
  rgb.at<cv::Vec3f>(0, 0) = {1, 1, 1};
  Value img = mat_to_image(rgb, "cpu");
  cv::Mat inv = image_to_mat(run_node("image.invert", {{"image", img}}, {}, "image"));
  EXPECT_NEAR(inv.at<cv::Vec3f>(1, 1)[0], 0.8f, 1e-6);
  cv::Mat gray = image_to_mat(run_node("image.to_gray", {{"image", img}}, {}, "image"));
  EXPECT_EQ(gray.channels(), 1);
  EXPECT_NEAR(gray.at<float>(1, 1), 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6, 1e-3);
  cv::Mat th = image_to_mat(run_node("image.threshold", {{"image", img}}, {{"level", 0.5}}, "image"));
  EXPECT_FLOAT_EQ(th.at<cv::Vec3f>(1, 1)[0], 0.0f);
  EXPECT_FLOAT_EQ(th.at<cv::Vec3f>(1, 1)[2], 1.0f);
  cv::Mat rs = image_to_mat(run_node("image.resize", {{"image", img}},
                                     {{"width", std::int64_t{12}}, {"height", std::int64_t{8}}}, "image"));
  EXPECT_EQ(rs.cols, 12);
  EXPECT_EQ(rs.rows, 8);
  cv::Mat bl = image_to_mat(run_node("image.blur", {{"image", img}}, {{"sigma", 2.0}}, "image"));
  EXPECT_LT(bl.at<cv::Vec3f>(0, 0)[0], 1.0f);
  EXPECT_GT(bl.at<cv::Vec3f>(0, 0)[0], 0.2f);
}

TEST_F(Nodes, ContactSheetTilesEveryPart) {
  Graph g;
  g.add_node("img", "io.load_image");
  g.add_node("split", "face.split");
  g.add_node("sheet", "image.contact_sheet");
  g.link("img.image", "split.sketch");
  g.link("split.parts", "sheet.images");
  g.set_param("sheet", "cell", std::int64_t{64});
  g.set_param("sheet", "columns", std::int64_t{3});
  g.set_param("sheet", "gap", std::int64_t{4});
  g.set_output("sheet", "sheet.image");
  RunOptions opts;
  opts.inputs["img"] = mat_to_image(cv::Mat(128, 128, CV_32F, cv::Scalar(1)), "cpu");
  cv::Mat sheet = image_to_mat(session.run(g, opts).outputs.at("sheet"));
  EXPECT_EQ(sheet.channels(), 3);
  EXPECT_EQ(sheet.cols, 4 + 3 * (64 + 4));
  EXPECT_GT(sheet.rows, 4 + 2 * (64 + 4)) << "two rows plus labels";
  opts.inputs["split.parts"] = make_parts({});
  EXPECT_SUMI_ERROR(session.run(g, opts), "node 'sheet'", "port 'images'", "empty");
}

TEST_F(Nodes, ImageFilesLoadSaveAndFailClearly) {
  TempDir tmp;
  cv::Mat rgb(8, 8, CV_32FC3, cv::Scalar(0.0, 0.5, 1.0));
  write_png(rgb, tmp.path("a.png"));
  Graph g;
  g.add_node("load", "io.load_image");
  g.set_param("load", "path", tmp.path("a.png"));
  g.add_node("save", "io.save_image");
  g.link("load.image", "save.image");
  g.set_param("save", "path", tmp.path("b.png"));
  g.set_output("written", "save.path");
  session.run(g);
  cv::Mat back = cv::imread(tmp.path("b.png"), cv::IMREAD_COLOR);
  EXPECT_EQ(back.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 128, 0));  // BGR on disk
  // io.save_image is not cached: removing the file and re-running writes it again.
  std::filesystem::remove(tmp.path("b.png"));
  session.run(g);
  EXPECT_TRUE(std::filesystem::exists(tmp.path("b.png")));

  write_text(tmp.path("corrupt.png"), "this is not a png");
  g.set_param("load", "path", tmp.path("corrupt.png"));
  EXPECT_SUMI_ERROR(session.run(g), "corrupt.png", "node 'load'", "not a readable image");
  g.set_param("load", "path", tmp.path("missing.png"));
  EXPECT_SUMI_ERROR(session.run(g), "missing.png", "node 'load'", "file not found");
  write_text(tmp.path("empty.png"), "");
  g.set_param("load", "path", tmp.path("empty.png"));
  EXPECT_SUMI_ERROR(session.run(g), "empty.png", "node 'load'");
  g.set_param("load", "path", tmp.path("a.png"));
  g.set_param("save", "path", tmp.path("no/such/dir/b.png"));
  EXPECT_SUMI_ERROR(session.run(g), "node 'save'", "does not exist");
}

TEST_F(Nodes, ChangingAStrokesFileInvalidatesTheCache) {
  TempDir tmp;
  save_strokes_file(one_line(10, 10, 50, 10, 3), tmp.path("s.strokes.json"));
  Graph g;
  g.add_node("draw", "io.strokes_input");
  g.set_param("draw", "path", tmp.path("s.strokes.json"));
  g.add_node("r", "sketch.rasterise");
  g.link("draw.strokes", "r.strokes");
  g.set_param("r", "size", std::int64_t{64});
  g.set_output("img", "r.image");
  Value first = session.run(g).outputs.at("img");
  EXPECT_EQ(session.run(g).computed, 0u);
  save_strokes_file(one_line(10, 40, 50, 40, 3), tmp.path("s.strokes.json"));
  RunResult r = session.run(g);
  EXPECT_EQ(r.computed, 2u);
  EXPECT_NE(r.outputs.at("img").hash(), first.hash());
}

TEST_F(Nodes, GuidanceOverlayDrawsTheGuidanceFaintlyUnderTheSketch) {
  cv::Mat guide(8, 8, CV_32F, cv::Scalar(1)), sketch(16, 16, CV_32F, cv::Scalar(1));
  guide(cv::Rect(0, 0, 4, 8)).setTo(0);     // left half of the guidance is black
  sketch(cv::Rect(12, 0, 4, 16)).setTo(0);  // a black band on the right of the sketch
  Value out = run_node("guidance.overlay", {{"guidance", mat_to_image(guide, "cpu")}, {"sketch", mat_to_image(sketch, "cpu")}},
                       {{"opacity", 0.25}}, "overlay");
  cv::Mat m = image_to_mat(out);
  ASSERT_EQ(m.cols, 16);  // the sketch's size
  EXPECT_NEAR(m.at<float>(5, 2), 0.75f, 1e-5);   // faint guidance
  EXPECT_NEAR(m.at<float>(5, 10), 1.0f, 1e-5);   // paper
  EXPECT_NEAR(m.at<float>(5, 14), 0.0f, 1e-5);   // the sketch at full strength
  cv::Mat alone = image_to_mat(run_node("guidance.overlay", {{"guidance", mat_to_image(guide, "cpu")}}, {}, "overlay"));
  EXPECT_EQ(alone.cols, 8);
  EXPECT_NEAR(alone.at<float>(0, 0), 0.65f, 1e-5);  // default opacity 0.35
}

TEST_F(Nodes, SketchPartsGraphRuns) {
  Graph g = load_graph_file(source_path("graphs/sketch_parts.sumi.json"));
  RunResult r = session.run(g);
  cv::Mat sheet = image_to_mat(r.outputs.at("parts"));
  EXPECT_EQ(sheet.channels(), 3);
  EXPECT_GT(sheet.cols, 5 * 160);
  cv::Mat sketch = image_to_mat(r.outputs.at("sketch"));
  EXPECT_EQ(sketch.cols, 256);
}

}  // namespace
}  // namespace sumi::test
