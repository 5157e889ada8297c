// Sketch degradation and simulation nodes (issue 3): detail filter, XDoG,
// dropped strokes, roughening, progressive drawing, simulated colour hints,
// image.collect, and the training_sample graph. Each node's defining
// property, seeded determinism, and errors on bad input.
#include <ATen/ATen.h>

#include <opencv2/imgproc.hpp>

#include "engine/atomic_file.h"
#include "engine/graph_file.h"
#include "engine/session.h"
#include "engine/tensor.h"
#include "nodes/common/image_mat.h"
#include "nodes/common/part_set.h"
#include "nodes/common/strokes.h"
#include "nodes/nodes.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

using Params = std::map<std::string, ParamValue>;

class Degrade : public ::testing::Test {
 protected:
  Degrade() : session(reg_init()) {}
  Registry& reg_init() {
    register_all_nodes(reg);
    return reg;
  }
  // Runs a one-node graph of `type`, feeding `inputs` (Images) through
  // io.load_image stand-ins, and returns the requested output ports. Caching
  // is off, so every call really computes.
  std::map<std::string, Value> run_ports(const std::string& type, const std::map<std::string, Value>& inputs,
                                         const Params& params, const std::vector<std::string>& ports) {
    Graph g;
    g.add_node("n", type);
    for (const auto& [name, v] : params) g.set_param("n", name, v);
    RunOptions opts;
    opts.use_cache = false;
    for (const auto& [in, v] : inputs) {
      const std::string src = "src_" + in;
      g.add_node(src, "io.load_image");
      g.link(src + ".image", "n." + in);
      opts.inputs[src + ".image"] = v;
    }
    for (const std::string& p : ports) g.set_output(p, "n." + p);
    return session.run(g, opts).outputs;
  }
  Value run_node(const std::string& type, const std::map<std::string, Value>& inputs, const Params& params,
                 const std::string& port) {
    return run_ports(type, inputs, params, {port}).at(port);
  }
  Value load(const std::string& relative, const std::string& channels = "rgb") {
    return run_node("io.load_image", {}, {{"path", source_path(relative)}, {"channels", channels}}, "image");
  }

  Registry reg;
  Session session;
};

// The seeded nodes with the input port they take and the output to compare.
struct Seeded {
  const char* type;
  const char* input;
  const char* output;
  bool colour_input;
};
constexpr Seeded kSeeded[] = {{"sketch.drop_strokes", "sketch", "image", false},
                              {"sketch.roughen", "sketch", "image", false},
                              {"sketch.progressive", "sketch", "steps", false},
                              {"colour.simulate_hints", "image", "hints", true}};

// Every node of this issue with its image input port.
const std::pair<const char*, const char*> kImageNodes[] = {
    {"sketch.detail_filter", "image"}, {"sketch.xdog", "image"},         {"sketch.drop_strokes", "sketch"},
    {"sketch.roughen", "sketch"},      {"sketch.progressive", "sketch"}, {"colour.simulate_hints", "image"}};

const char* first_output(const std::string& type) {
  if (type == "sketch.progressive") return "steps";
  if (type == "colour.simulate_hints") return "hints";
  return "image";
}

double ink(const cv::Mat& sketch) { return cv::sum(1.0 - sketch)[0]; }

// White paper with black axis-aligned bars (x0, y0, x1, y1 inclusive).
cv::Mat bars(int rows, int cols, const std::vector<cv::Rect>& rects, int type = CV_32F) {
  cv::Mat m(rows, cols, type, cv::Scalar::all(1));
  for (const cv::Rect& r : rects) m(r).setTo(cv::Scalar::all(0));
  return m;
}

int components(const cv::Mat& sketch) {
  cv::Mat on = sketch < 0.5, labels;
  return cv::connectedComponents(on, labels, 8, CV_32S) - 1;
}

TEST_F(Degrade, SameSeedSameResultOtherSeedOtherResult) {
  Value colour = load("models/data/fixture/faces/00003/color.png");
  Value sketch = load("models/data/fixture/faces/00003/sketch.png", "gray");
  for (const Seeded& s : kSeeded) {
    SCOPED_TRACE(s.type);
    const Value& in = s.colour_input ? colour : sketch;
    Params p = {{"seed", std::int64_t{7}}};
    if (std::string(s.type) == "sketch.progressive") p["steps"] = std::int64_t{6};
    Value a = run_node(s.type, {{s.input, in}}, p, s.output);
    Value b = run_node(s.type, {{s.input, in}}, p, s.output);
    EXPECT_EQ(a.hash(), b.hash());
    p["seed"] = std::int64_t{8};
    Value c = run_node(s.type, {{s.input, in}}, p, s.output);
    EXPECT_NE(a.hash(), c.hash());
  }
}

TEST_F(Degrade, DetailFilterDropsShortLinesAndKeepsLongOnes) {
  // A long dark line and a 3-pixel speck on a colour image.
  cv::Mat img(64, 64, CV_32FC3, cv::Scalar(1, 1, 1));
  img(cv::Rect(8, 40, 48, 2)).setTo(cv::Scalar(0.1, 0.2, 0.3));
  img.at<cv::Vec3f>(12, 12) = img.at<cv::Vec3f>(12, 13) = img.at<cv::Vec3f>(13, 12) = cv::Vec3f(0, 0, 0);
  const Params p = {{"sigma", 1.0}, {"low", 30.0}, {"high", 90.0}, {"min_length", std::int64_t{24}}};
  cv::Mat out = image_to_mat(run_node("sketch.detail_filter", {{"image", mat_to_image(img, "cpu")}}, p, "image"));
  ASSERT_EQ(out.channels(), 1);
  ASSERT_EQ(out.size(), cv::Size(64, 64));
  cv::Mat not_binary = (out > 0) & (out < 1);
  EXPECT_EQ(cv::countNonZero(not_binary), 0) << "lines are black on white";
  EXPECT_GT(ink(out(cv::Rect(8, 35, 48, 12))), 60) << "the long line survives";
  EXPECT_EQ(ink(out(cv::Rect(4, 4, 18, 18))), 0) << "the speck is dropped";
  // Without the length filter Canny does see the speck.
  Params keep_all = p;
  keep_all["min_length"] = std::int64_t{0};
  cv::Mat all =
      image_to_mat(run_node("sketch.detail_filter", {{"image", mat_to_image(img, "cpu")}}, keep_all, "image"));
  EXPECT_GT(ink(all(cv::Rect(4, 4, 18, 18))), 3);
  // Wider lines: more ink, same places.
  Params wide = p;
  wide["line_width"] = std::int64_t{3};
  cv::Mat thick = image_to_mat(run_node("sketch.detail_filter", {{"image", mat_to_image(img, "cpu")}}, wide, "image"));
  EXPECT_GT(ink(thick), 1.8 * ink(out));
  EXPECT_EQ(ink(thick(cv::Rect(4, 4, 18, 18))), 0);
  // Thresholds in the wrong order are a parameter error.
  EXPECT_SUMI_ERROR(run_node("sketch.detail_filter", {{"image", mat_to_image(img, "cpu")}}, {{"low", 200.0}}, "image"),
                    "node 'n' (sketch.detail_filter)", "param 'low'", "must not exceed");
}

TEST_F(Degrade, XdogDrawsEdgesAndLeavesFlatAreasWhite) {
  cv::Mat img(64, 64, CV_32FC3, cv::Scalar(1, 1, 1));
  img(cv::Rect(20, 20, 24, 24)).setTo(cv::Scalar(0.8, 0.3, 0.2));  // a flat coloured square
  img(cv::Rect(4, 56, 56, 3)).setTo(cv::Scalar(0, 0, 0));          // a black line
  cv::Mat out = image_to_mat(run_node("sketch.xdog", {{"image", mat_to_image(img, "cpu")}}, {}, "image"));
  ASSERT_EQ(out.channels(), 1);
  double lo = 0, hi = 0;
  cv::minMaxLoc(out, &lo, &hi);
  EXPECT_GE(lo, 0.0);
  EXPECT_LE(hi, 1.0);
  EXPECT_LT(out.at<float>(57, 32), 0.1f) << "the black line stays black";
  EXPECT_GT(ink(out(cv::Rect(16, 16, 32, 32))), 20) << "the square's border is drawn";
  EXPECT_EQ(ink(out(cv::Rect(28, 28, 8, 8))), 0) << "its flat inside stays paper";
  EXPECT_EQ(ink(out(cv::Rect(0, 0, 64, 12))), 0) << "so does the white background";
  // Tone: with epsilon above a flat area's luminance the area fills in.
  cv::Mat toned =
      image_to_mat(run_node("sketch.xdog", {{"image", mat_to_image(img, "cpu")}}, {{"epsilon", 0.6}}, "image"));
  EXPECT_LT(toned.at<float>(32, 32), 0.5f);
}

TEST_F(Degrade, DropStrokesKeepsAFractionOfWholeLines) {
  std::vector<cv::Rect> lines;
  for (int i = 0; i < 10; ++i) lines.emplace_back(4 + 6 * i, 8, 2, 40);  // ten separate vertical lines
  Value sketch = mat_to_image(bars(64, 72, lines), "cpu");
  cv::Mat none = image_to_mat(run_node("sketch.drop_strokes", {{"sketch", sketch}}, {{"keep", 0.0}}, "image"));
  EXPECT_EQ(ink(none), 0) << "keep = 0 is blank paper";
  Value all = run_node("sketch.drop_strokes", {{"sketch", sketch}}, {{"keep", 1.0}}, "image");
  EXPECT_EQ(all.hash(), sketch.hash()) << "keep = 1 returns the input";
  for (std::int64_t seed : {0, 1, 2}) {
    cv::Mat half =
        image_to_mat(run_node("sketch.drop_strokes", {{"sketch", sketch}}, {{"keep", 0.5}, {"seed", seed}}, "image"));
    EXPECT_EQ(components(half), 5);
    EXPECT_EQ(ink(half), 5 * 80) << "kept lines are whole";
  }
  // Cut into pieces, one long line loses part of itself.
  Value one = mat_to_image(bars(64, 64, {cv::Rect(4, 30, 56, 2)}), "cpu");
  cv::Mat cut = image_to_mat(
      run_node("sketch.drop_strokes", {{"sketch", one}}, {{"keep", 0.5}, {"piece_length", std::int64_t{8}}}, "image"));
  EXPECT_GT(ink(cut), 0);
  EXPECT_LT(ink(cut), 112);
  // A colour sketch comes out as one channel.
  cv::Mat rgb;
  cv::cvtColor(bars(32, 32, {cv::Rect(4, 4, 20, 2)}), rgb, cv::COLOR_GRAY2RGB);
  cv::Mat g =
      image_to_mat(run_node("sketch.drop_strokes", {{"sketch", mat_to_image(rgb, "cpu")}}, {{"keep", 1.0}}, "image"));
  EXPECT_EQ(g.channels(), 1);
  EXPECT_NEAR(ink(g), 40, 1e-3);
}

TEST_F(Degrade, RoughenStaysNearTheLinesAndOffIsIdentity) {
  Value sketch = load("models/data/fixture/faces/00000/sketch.png", "gray");
  cv::Mat clean = image_to_mat(sketch);
  cv::Mat off = image_to_mat(run_node("sketch.roughen", {{"sketch", sketch}},
                                      {{"width_jitter", 0.0}, {"warp", 0.0}, {"wobble", 0.0}}, "image"));
  double max_diff = cv::norm(off, clean, cv::NORM_INF);
  EXPECT_LT(max_diff, 1e-6) << "everything off changes nothing";
  cv::Mat rough = image_to_mat(run_node("sketch.roughen", {{"sketch", sketch}}, {}, "image"));
  ASSERT_EQ(rough.size(), clean.size());
  EXPECT_GT(cv::norm(rough, clean, cv::NORM_L1), 0.05 * ink(clean)) << "it changes the sketch";
  EXPECT_NEAR(ink(rough), ink(clean), 0.35 * ink(clean)) << "about as much ink as before";
  // Ink moves a few pixels at most: nearly all of it lies within 6 px of a clean line.
  cv::Mat paper = clean > 0.5, dist;
  cv::distanceTransform(paper, dist, cv::DIST_L2, 3);
  cv::Mat far_ink = (dist > 6) & (rough < 0.5);
  EXPECT_LT(cv::countNonZero(far_ink), 0.01 * cv::countNonZero(rough < 0.5));
  // Each effect alone changes something.
  for (const char* only : {"width_jitter", "warp", "wobble"}) {
    Params p = {{"width_jitter", 0.0}, {"warp", 0.0}, {"wobble", 0.0}};
    p[only] = 1.0;
    cv::Mat one = image_to_mat(run_node("sketch.roughen", {{"sketch", sketch}}, p, "image"));
    EXPECT_GT(cv::norm(one, clean, cv::NORM_L1), 20.0) << only;
  }
}

TEST_F(Degrade, ProgressiveEndsWithTheSketchAndOnlyAddsInk) {
  Value sketch = load("models/data/fixture/faces/00003/sketch.png", "gray");
  cv::Mat full = image_to_mat(sketch);
  for (std::int64_t steps : {0, 6}) {
    SCOPED_TRACE(steps);
    auto out = run_ports("sketch.progressive", {{"sketch", sketch}}, {{"seed", std::int64_t{3}}, {"steps", steps}},
                         {"steps", "order"});
    const PartSet& ps = parts_of(out.at("steps"));
    if (steps > 0)
      ASSERT_EQ(ps.size(), static_cast<std::size_t>(steps));
    else
      ASSERT_GE(ps.size(), 3u);  // outline, eyes, mouth (adventurer faces draw no nose)
    EXPECT_EQ(ps.front().name, "step_01");
    EXPECT_EQ(ps.back().image.hash(), sketch.hash()) << "the last step is the whole sketch";
    EXPECT_EQ(ps.back().window, (Window{0, 0, 256}));
    EXPECT_EQ(out.at("order").string().rfind("outline,", 0), 0u) << out.at("order").string();
    cv::Mat prev(full.size(), CV_32F, cv::Scalar(1));
    for (const Part& p : ps) {
      cv::Mat m = image_to_mat(p.image);
      EXPECT_EQ(cv::countNonZero(m > prev), 0) << p.name << " removes no ink";
      EXPECT_GT(ink(m), ink(prev)) << p.name << " adds ink";
      cv::Mat foreign = (m != full) & (m != 1.0f);
      EXPECT_EQ(cv::countNonZero(foreign), 0) << p.name << " shows only the sketch's own pixels";
      prev = m;
    }
  }
}

TEST_F(Degrade, ProgressiveDrawsPartByPart) {
  // A head outline outside the windows, a left eye and a mouth inside theirs.
  cv::Mat m(256, 256, CV_32F, cv::Scalar(1));
  cv::circle(m, {128, 128}, 120, cv::Scalar(0), 2);
  cv::circle(m, {74, 142}, 8, cv::Scalar(0), 2);         // left eye window [44, 112, 60]
  cv::line(m, {95, 185}, {125, 185}, cv::Scalar(0), 2);  // mouth window [70, 139, 80]
  auto out = run_ports("sketch.progressive", {{"sketch", mat_to_image(m, "cpu")}},
                       {{"seed", std::int64_t{5}}, {"piece_length", std::int64_t{0}}}, {"steps", "order"});
  const PartSet& ps = parts_of(out.at("steps"));
  ASSERT_EQ(ps.size(), 3u) << "one step per part with ink";
  cv::Mat first = image_to_mat(ps[0].image);
  EXPECT_LT(first.at<float>(8, 128), 0.5f) << "the outline comes first";
  EXPECT_EQ(ink(first(cv::Rect(60, 128, 30, 30))), 0) << "without the eye";
  EXPECT_EQ(ink(first(cv::Rect(90, 180, 40, 10))), 0) << "and without the mouth";
  const std::string order = out.at("order").string();
  const bool eye_before_mouth = order.find("left_eye") < order.find("mouth");
  cv::Mat second = image_to_mat(ps[1].image);
  EXPECT_EQ(ink(second(cv::Rect(60, 128, 30, 30))) > 0, eye_before_mouth) << order;
  EXPECT_EQ(ink(second(cv::Rect(90, 180, 40, 10))) > 0, !eye_before_mouth) << order;
  // Long lines are drawn piece by piece: more steps than parts keep adding ink.
  auto pieces = run_ports("sketch.progressive", {{"sketch", mat_to_image(m, "cpu")}},
                          {{"steps", std::int64_t{8}}, {"piece_length", std::int64_t{40}}}, {"steps"});
  const PartSet& ps8 = parts_of(pieces.at("steps"));
  ASSERT_EQ(ps8.size(), 8u);
  EXPECT_GT(ink(image_to_mat(ps8[1].image)), ink(image_to_mat(ps8[0].image)));
  EXPECT_LT(ink(image_to_mat(ps8[0].image)), 0.5 * ink(m)) << "the outline is not drawn at once";
  // A window of size 0 is a parameter error.
  EXPECT_SUMI_ERROR(run_node("sketch.progressive", {{"sketch", mat_to_image(m, "cpu")}},
                             {{"nose", std::vector<double>{10, 10, 0}}}, "steps"),
                    "node 'n' (sketch.progressive)", "param 'nose'");
}

TEST_F(Degrade, HintsTakeTheTargetsColoursAndMaskMarksThem) {
  // Two flat colours (exact 8-bit values) on a white background.
  cv::Mat target(96, 96, CV_32FC3, cv::Scalar(1, 1, 1));
  const cv::Vec3f red(200 / 255.f, 40 / 255.f, 30 / 255.f), blue(20 / 255.f, 60 / 255.f, 180 / 255.f);
  target(cv::Rect(8, 8, 40, 80)).setTo(cv::Scalar(red[0], red[1], red[2]));
  target(cv::Rect(48, 8, 40, 80)).setTo(cv::Scalar(blue[0], blue[1], blue[2]));
  auto out = run_ports("colour.simulate_hints", {{"image", mat_to_image(target, "cpu")}},
                       {{"count", std::int64_t{20}}, {"radius", 2.0}, {"seed", std::int64_t{4}}},
                       {"hints", "mask", "strokes"});
  EXPECT_EQ(out.at("mask").kind(), ValueKind::Mask);
  cv::Mat hints = image_to_mat(out.at("hints")), mask = image_to_mat(out.at("mask"));
  ASSERT_EQ(hints.channels(), 3);
  ASSERT_EQ(mask.size(), target.size());
  int hinted = 0, matching = 0;
  for (int y = 0; y < 96; ++y)
    for (int x = 0; x < 96; ++x) {
      const float mk = mask.at<float>(y, x);
      const cv::Vec3f h = hints.at<cv::Vec3f>(y, x);
      ASSERT_TRUE(mk == 0.0f || mk == 1.0f);
      if (mk == 0.0f) {
        ASSERT_EQ(h, cv::Vec3f(1, 1, 1)) << "white where there is no hint, at " << x << "," << y;
        continue;
      }
      ++hinted;
      ASSERT_TRUE(h == red || h == blue) << "hint colours come from the target, at " << x << "," << y;
      matching += h == target.at<cv::Vec3f>(y, x);
    }
  EXPECT_GT(hinted, 200);
  EXPECT_GT(matching, 0.85 * hinted) << "strokes stay mostly inside the region they sample";
  const Strokes& strokes = strokes_of(out.at("strokes"));
  EXPECT_EQ(strokes.strokes.size(), 20u);
  EXPECT_EQ(strokes.width, 96);
  for (const Stroke& s : strokes.strokes) {
    EXPECT_EQ(s.kind, StrokeKind::Hint);
    EXPECT_FLOAT_EQ(s.width, 4.0f);
  }
  // Nothing to sample on a white page; no strokes asked for.
  cv::Mat white(32, 32, CV_32FC3, cv::Scalar(1, 1, 1));
  EXPECT_EQ(cv::countNonZero(
                image_to_mat(run_node("colour.simulate_hints", {{"image", mat_to_image(white, "cpu")}}, {}, "mask"))),
            0);
  EXPECT_EQ(cv::countNonZero(image_to_mat(run_node("colour.simulate_hints", {{"image", mat_to_image(target, "cpu")}},
                                                   {{"count", std::int64_t{0}}}, "mask"))),
            0);
}

TEST_F(Degrade, CollectNamesTheConnectedImages) {
  Graph g;
  g.add_node("a", "io.load_image");
  g.add_node("b", "io.load_image");
  g.add_node("c", "image.collect");
  g.link("a.image", "c.image_1");
  g.link("b.image", "c.image_4");
  g.set_param("c", "names", std::string(" first , , , fourth"));
  g.set_output("set", "c.images");
  RunOptions opts;
  opts.inputs["a.image"] = mat_to_image(cv::Mat(10, 20, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5)), "cpu");
  opts.inputs["b.image"] = mat_to_image(cv::Mat(30, 30, CV_32F, cv::Scalar(0.2)), "cpu");
  const PartSet& ps = parts_of(session.run(g, opts).outputs.at("set"));
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0].name, "first");
  EXPECT_EQ(ps[0].window, (Window{0, 0, 20}));
  EXPECT_EQ(ps[1].name, "fourth");
  EXPECT_EQ(ps[1].image.hash(), opts.inputs["b.image"].hash());
  g.set_param("c", "names", std::string("x"));
  EXPECT_EQ(parts_of(session.run(g, opts).outputs.at("set"))[1].name, "image_4");
  g.set_param("c", "names", std::string("same,x,y,same"));
  EXPECT_SUMI_ERROR(session.run(g, opts), "node 'c' (image.collect)", "param 'names'", "twice");
  g.set_param("c", "names", std::string("1,2,3,4,5,6,7,8,9,10,11,12,13"));
  EXPECT_SUMI_ERROR(session.run(g, opts), "param 'names'", "13 names");
  Graph empty;
  empty.add_node("c", "image.collect");
  empty.set_output("set", "c.images");
  EXPECT_SUMI_ERROR(session.run(empty), "node 'c' (image.collect)", "port 'image_1'", "connect at least one");
}

TEST_F(Degrade, CollectsChainForMoreThanTwelveImages) {
  Graph g;
  g.add_node("a", "io.load_image");
  g.add_node("first", "image.collect");
  g.add_node("second", "image.collect");
  for (int i = 1; i <= 12; ++i) g.link("a.image", "first.image_" + std::to_string(i));
  g.link("first.images", "second.images");
  g.link("a.image", "second.image_1");
  g.set_param("second", "names", std::string("thirteenth"));
  g.set_output("set", "second.images");
  RunOptions opts;
  opts.inputs["a.image"] = mat_to_image(cv::Mat(10, 20, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5)), "cpu");
  const PartSet& ps = parts_of(session.run(g, opts).outputs.at("set"));
  ASSERT_EQ(ps.size(), 13u);
  EXPECT_EQ(ps[0].name, "image_1");
  EXPECT_EQ(ps[12].name, "thirteenth");
  g.set_param("second", "names", std::string("image_3"));  // already in the chained set
  EXPECT_SUMI_ERROR(session.run(g, opts), "node 'second' (image.collect)", "param 'names'", "twice");
}

TEST_F(Degrade, BadImagesAreErrorsNamingNodeAndPort) {
  const Value empty = make_image(at::zeros({1, 1, 0, 0}));
  const Value batch = make_image(at::ones({2, 3, 8, 8}));
  for (const auto& [type, port] : kImageNodes) {
    SCOPED_TRACE(type);
    const std::string where = std::string("node 'n' (") + type + ")";
    const std::string port_name = std::string("port '") + port + "'";
    EXPECT_SUMI_ERROR(run_node(type, {{port, empty}}, {}, first_output(type)), where.c_str(), port_name.c_str(),
                      "empty");
    EXPECT_SUMI_ERROR(run_node(type, {{port, batch}}, {}, first_output(type)), where.c_str(), port_name.c_str(),
                      "batches");
  }
}

TEST_F(Degrade, TinyOddAndLargeImagesWork) {
  const std::vector<cv::Mat> images = {
      cv::Mat(1, 1, CV_32F, cv::Scalar(0)),                                           // one black pixel
      cv::Mat(1, 1, CV_32FC3, cv::Scalar(0.5, 0.2, 0.1)),                             // one coloured pixel
      bars(1, 300, {cv::Rect(10, 0, 100, 1)}),                                        // a one-row strip
      bars(300, 2, {cv::Rect(0, 10, 1, 100)}),                                        // a two-column strip
      cv::Mat(5, 7, CV_32FC4, cv::Scalar(0, 0, 0, 0)),                                // fully transparent
      bars(1500, 2000, {cv::Rect(100, 700, 1800, 3), cv::Rect(900, 100, 3, 1300)})};  // large, not square
  for (std::size_t i = 0; i < images.size(); ++i) {
    const Value v = mat_to_image(images[i], "cpu");
    for (const auto& [type, port] : kImageNodes) {
      SCOPED_TRACE(std::string(type) + " on image " + std::to_string(i));
      Params p;
      if (std::string(type) == "sketch.progressive") p["steps"] = std::int64_t{4};
      if (std::string(type) == "colour.simulate_hints") p["skip_white"] = false;
      std::map<std::string, Value> out;
      ASSERT_NO_THROW(out = run_ports(type, {{port, v}}, p, {first_output(type)}));
      const Value& o = out.at(first_output(type));
      const cv::Mat m = image_to_mat(o.kind() == parts_kind() ? parts_of(o).back().image : o);
      EXPECT_EQ(m.size(), images[i].size());
      double lo = 0, hi = 0;
      cv::minMaxLoc(m.reshape(1), &lo, &hi);
      EXPECT_GE(lo, 0.0);
      EXPECT_LE(hi, 1.0);
    }
  }
}

TEST_F(Degrade, TrainingSampleGraphRuns) {
  const std::string path = source_path("graphs/training_sample.sumi.json");
  Graph g = load_graph_file(path);
  if (std::getenv("SUMI_UPDATE_GOLDEN")) save_graph_file(g, path);
  EXPECT_EQ(graph_to_json(g), read_file(path)) << "the graph file is in saved form";
  RunResult r = session.run(g);
  cv::Mat sheet = image_to_mat(r.outputs.at("sheet"));
  EXPECT_EQ(sheet.channels(), 3);
  EXPECT_GT(sheet.cols, 8 * 160) << "eight cells in a row";
  EXPECT_EQ(parts_of(r.outputs.at("steps")).size(), 6u);
  EXPECT_EQ(r.outputs.at("hint_mask").kind(), ValueKind::Mask);
  for (const char* name : {"detail", "xdog", "drop", "rough"}) {
    cv::Mat m = image_to_mat(r.outputs.at(name));
    EXPECT_EQ(m.size(), cv::Size(256, 256)) << name;
    EXPECT_GT(ink(m), 300) << name << " has lines";
  }
}

}  // namespace
}  // namespace sumi::test
