// Synthesis and colour-hint nodes with tiny TorchScript models made here:
// feature maps pasted at their (scaled) windows in the trained order, the
// generator with and without hints, hints from strokes and merged hint sets,
// type checks on feature maps and clear errors for bad hint inputs and models.
#include <torch/script.h>

#include "engine/session.h"
#include "engine/tensor.h"
#include "nodes/common/part_set.h"
#include "nodes/common/strokes.h"
#include "nodes/nodes.h"
#include "nodes/synth/features_kind.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

constexpr int kCanvas = 64;  // the part models' canvas
constexpr int kSize = 16;    // the synthesis canvas
constexpr const char* kParts[] = {"left_eye", "right_eye", "nose", "mouth", "remainder"};

void save_module(const std::string& path, const std::string& body) {
  torch::jit::Module m("M");
  m.define(body);
  m.save(path);
}

float at(const Value& v, int c, int y, int x) { return v.tensor()[0][c][y][x].item<float>(); }

class Synth : public ::testing::Test {
 protected:
  Synth() : session(init()) {}
  Registry& init() {
    register_all_nodes(reg);
    // Part i's encoder returns the constant 0.1 * (i + 1): its feature map says which part it is.
    std::string parts, synth_parts;
    const char* windows[] = {"[8, 16, 16]", "[36, 16, 16]", "[32, 20, 16]", "[22, 44, 16]", "[0, 0, 64]"};
    for (int i = 0; i < 5; ++i) {
      const std::string p = kParts[i];
      save_module(tmp.path(p + "_enc.pt"), "def forward(self, x):\n    return torch.ones(x.size(0), 16) * " +
                                               std::to_string(0.1 * (i + 1)) + "\n");
      parts += std::string(i ? "," : "") + "\"" + p + "\": {\"window\": " + windows[i] + ", \"input_size\": 16, \"latent\": 16, \"encoder\": \"" +
               p + "_enc.pt\"}";
      synth_parts += std::string(i ? "," : "") + "\"" + p + "\": {\"window\": " + windows[i] +
                     ", \"map_size\": 8, \"feature_decoder\": \"features.pt\"}";
    }
    write_text(tmp.path("parts.json"), "{\"format\": \"sumi.models\", \"version\": 1, \"canvas\": 64, \"parts\": {" + parts + "}}");
    // Feature decoder: a 16-d latent -> 2 x 8 x 8. Generator: the hint where hinted, channel 0 of the features elsewhere.
    save_module(tmp.path("features.pt"), "def forward(self, z):\n    return z.view(-1, 1, 4, 4).repeat(1, 2, 2, 2)\n");
    save_module(tmp.path("generator.pt"),
                "def forward(self, f, hint, mask):\n"
                "    up_h = torch.upsample_nearest2d(hint, [16, 16])\n"
                "    up_m = torch.upsample_nearest2d(mask, [16, 16])\n"
                "    return torch.clamp(up_h + (1.0 - up_m) * f[:, 0:1].repeat(1, 3, 1, 1), 0.0, 1.0)\n");
    save_module(tmp.path("wrong_generator.pt"), "def forward(self, f, hint, mask):\n    return f\n");
    // A guided generator: the portrait is the guide sketch it was given, in gray.
    save_module(tmp.path("guided.pt"), "def forward(self, f, hint, mask, guide):\n    return guide.repeat(1, 3, 1, 1)\n");
    write_text(tmp.path("synth.json"), "{\"format\": \"sumi.synth\", \"version\": 1, \"size\": 16, \"channels\": 2, "
                                       "\"hint_size\": 8, \"latent\": 16, \"canvas\": 64, \"generator\": \"generator.pt\", "
                                       "\"parts\": {" + synth_parts + "}}");
    write_text(tmp.path("guided.json"), "{\"format\": \"sumi.synth\", \"version\": 1, \"size\": 16, \"channels\": 2, "
                                        "\"hint_size\": 8, \"latent\": 16, \"canvas\": 64, \"generator\": \"guided.pt\", "
                                        "\"guide\": {\"size\": 16}, \"parts\": {" + synth_parts + "}}");
    return reg;
  }

  // strokes -> sketch -> split -> 5 x (encode -> feature_map) -> paste -> image [<- hints]
  Graph portrait_graph(bool hints) {
    Graph g;
    g.add_node("draw", "io.strokes_input");
    g.add_node("sketch", "sketch.rasterise");
    g.set_param("sketch", "size", std::int64_t{kCanvas});
    g.link("draw.strokes", "sketch.strokes");
    g.add_node("split", "face.split");
    g.set_param("split", "manifest", tmp.path("parts.json"));  // the part models' windows
    g.link("sketch.image", "split.sketch");
    g.add_node("paste", "synth.paste_features");
    g.set_param("paste", "manifest", tmp.path("synth.json"));
    g.add_node("portrait", "synth.image");
    g.set_param("portrait", "manifest", tmp.path("synth.json"));
    g.link("paste.features", "portrait.features");
    for (const char* part : kParts) {
      const std::string p = part;
      g.add_node("enc_" + p, "latent.encode");
      g.set_param("enc_" + p, "part", p);
      g.set_param("enc_" + p, "manifest", tmp.path("parts.json"));
      g.add_node("fm_" + p, "synth.feature_map");
      g.set_param("fm_" + p, "part", p);
      g.set_param("fm_" + p, "manifest", tmp.path("synth.json"));
      g.link("split." + p, "enc_" + p + ".image");
      g.link("enc_" + p + ".latent", "fm_" + p + ".latent");
      g.link("fm_" + p + ".features", "paste." + p);
    }
    if (hints) {
      g.add_node("hints", "colour.hints_input");
      g.set_param("hints", "size", std::int64_t{kCanvas});
      g.link("draw.strokes", "hints.strokes");
      g.link("hints.hints", "portrait.hint");
      g.link("hints.mask", "portrait.hint_mask");
      g.set_output("hints", "hints.hints");
      g.set_output("mask", "hints.mask");
    }
    g.set_output("features", "paste.features");
    g.set_output("portrait", "portrait.image");
    return g;
  }

  RunResult run(const Graph& g, const Strokes& s) {
    RunOptions opts;
    opts.inputs["draw"] = make_strokes(s);
    return session.run(g, opts);
  }

  static Strokes drawing(bool with_hint) {
    Strokes s;
    s.width = s.height = kCanvas;
    Stroke line;
    line.width = 2;
    line.points = {{10, 30, 1}, {50, 30, 1}};
    s.strokes.push_back(line);
    if (with_hint) {  // a wide red hint across the top-left quarter, and a red line that is not a hint
      Stroke hint;
      hint.kind = StrokeKind::Hint;
      hint.width = 24;
      hint.color = {255, 0, 0, 255};
      hint.points = {{0, 12, 1}, {28, 12, 1}};
      s.strokes.push_back(hint);
    }
    return s;
  }

  TempDir tmp;
  Registry reg;
  Session session;
};

TEST_F(Synth, FeatureMapsArePastedAtScaledWindowsInTrainingOrder) {
  RunResult r = run(portrait_graph(false), drawing(false));
  const Value& f = r.outputs.at("features");
  ASSERT_EQ(f.kind(), features_kind());
  ASSERT_EQ(f.tensor().sizes(), (std::vector<std::int64_t>{1, 2, kSize, kSize}));
  EXPECT_NEAR(at(f, 0, 0, 0), 0.5f, 1e-6);    // remainder
  EXPECT_NEAR(at(f, 1, 15, 15), 0.5f, 1e-6);
  EXPECT_NEAR(at(f, 0, 4, 2), 0.1f, 1e-6);    // left eye [8,16,16] / 4 -> x 2..5, y 4..7
  EXPECT_NEAR(at(f, 0, 7, 5), 0.1f, 1e-6);
  EXPECT_NEAR(at(f, 0, 8, 5), 0.5f, 1e-6);
  EXPECT_NEAR(at(f, 0, 5, 8), 0.3f, 1e-6);    // nose [32,20,16] / 4 -> x 8..11, y 5..8
  EXPECT_NEAR(at(f, 0, 5, 9), 0.2f, 1e-6);    // ... under the right eye (x 9..12, y 4..7), pasted later
  EXPECT_NEAR(at(f, 0, 8, 9), 0.3f, 1e-6);
  EXPECT_NEAR(at(f, 0, 11, 6), 0.4f, 1e-6);   // mouth [22,44,16] / 4 = [5.5, 11, 4]: x rounds half up to 6
  EXPECT_NEAR(at(f, 0, 11, 5), 0.5f, 1e-6);
  // Without hints the generator sees zeros: the portrait is channel 0 of the features.
  const Value& img = r.outputs.at("portrait");
  ASSERT_EQ(img.tensor().sizes(), (std::vector<std::int64_t>{1, 3, kSize, kSize}));
  EXPECT_NEAR(at(img, 2, 4, 2), 0.1f, 1e-6);
}

TEST_F(Synth, HintStrokesColourThePortraitAndOnlyHintsArePainted) {
  RunResult r = run(portrait_graph(true), drawing(true));
  const Value& hints = r.outputs.at("hints");
  const Value& mask = r.outputs.at("mask");
  EXPECT_NEAR(at(hints, 0, 12, 10), 1.0f, 1e-5);  // red under the hint stroke
  EXPECT_NEAR(at(hints, 1, 12, 10), 0.0f, 1e-5);
  EXPECT_NEAR(at(mask, 0, 12, 10), 1.0f, 1e-5);
  EXPECT_NEAR(at(mask, 0, 30, 40), 0.0f, 1e-6);   // the black line is not a hint
  EXPECT_NEAR(at(hints, 1, 30, 40), 1.0f, 1e-6);  // white where there is no hint
  const Value& img = r.outputs.at("portrait");
  EXPECT_NEAR(at(img, 0, 3, 2), 1.0f, 1e-5);  // hinted: red
  EXPECT_NEAR(at(img, 1, 3, 2), 0.0f, 1e-5);
  EXPECT_NEAR(at(img, 0, 12, 12), 0.5f, 1e-5);  // unhinted: the features as before
  // A hint image without a mask: every non-white pixel is a hint - the same portrait here.
  Graph g = portrait_graph(true);
  g.unlink("portrait.hint_mask");
  RunResult r2 = run(g, drawing(true));
  EXPECT_NEAR(at(r2.outputs.at("portrait"), 0, 3, 2), 1.0f, 1e-5);
  EXPECT_NEAR(at(r2.outputs.at("portrait"), 0, 12, 12), 0.5f, 1e-5);
}

TEST_F(Synth, HintMergePutsTopOverBase) {
  Graph g;
  g.add_node("draw", "io.strokes_input");
  g.add_node("base", "colour.hints_input");
  g.set_param("base", "size", std::int64_t{kCanvas});
  g.set_param("base", "use", std::string("all"));  // every stroke is a hint: the black line too
  g.add_node("top", "colour.hints_input");
  g.set_param("top", "size", std::int64_t{32});  // resized to the base's size
  g.link("draw.strokes", "base.strokes");
  g.link("draw.strokes", "top.strokes");
  g.add_node("merge", "colour.hint_merge");
  g.link("base.hints", "merge.base");
  g.link("base.mask", "merge.base_mask");
  g.link("top.hints", "merge.top");
  g.link("top.mask", "merge.top_mask");
  g.set_output("hints", "merge.hints");
  g.set_output("mask", "merge.mask");
  RunResult r = run(g, drawing(true));
  const Value& h = r.outputs.at("hints");
  ASSERT_EQ(h.tensor().size(2), kCanvas);
  EXPECT_NEAR(at(h, 0, 30, 40), 0.0f, 1e-5);  // the base's black line stays
  EXPECT_NEAR(at(r.outputs.at("mask"), 0, 30, 40), 1.0f, 1e-5);
  EXPECT_NEAR(at(h, 0, 12, 10), 1.0f, 1e-4);  // red on top
  EXPECT_NEAR(at(h, 2, 12, 10), 0.0f, 1e-4);
  EXPECT_NEAR(at(h, 2, 60, 5), 1.0f, 1e-6);   // white, unhinted
  EXPECT_NEAR(at(r.outputs.at("mask"), 0, 60, 5), 0.0f, 1e-6);
}

TEST_F(Synth, FeatureMapsAreTheirOwnType) {
  Graph g = portrait_graph(false);
  g.add_node("save", "io.save_image");
  g.link("paste.features", "save.image");
  EXPECT_SUMI_ERROR(run(g, drawing(false)), "node 'save'", "type mismatch", "Features", "Image");
}

TEST_F(Synth, BadHintInputsAndModelsGiveClearErrors) {
  Graph g = portrait_graph(true);
  g.unlink("portrait.hint");
  EXPECT_SUMI_ERROR(run(g, drawing(true)), "node 'portrait'", "hint_mask", "needs a hint image");
  Graph w = portrait_graph(false);
  w.set_param("portrait", "generator", tmp.path("wrong_generator.pt"));
  EXPECT_SUMI_ERROR(run(w, drawing(false)), "wrong_generator.pt", "node 'portrait'", "wrong interface");
  write_text(tmp.path("broken.json"), "{\"format\": \"sumi.synth\", \"size\": 16");
  Graph b = portrait_graph(false);
  b.set_param("paste", "manifest", tmp.path("broken.json"));
  EXPECT_SUMI_ERROR(run(b, drawing(false)), "broken.json", "malformed manifest");
}

// The shipped feature decoders draw all channels but the last, the part's line ink, which synth.feature_map
// takes from its `line` input (the part's sketch, latent.decode's image) - area-scaled to the map. A decoder
// drawing every channel ignores the input with a warning; a missing line or a wrong channel count is a clear error.
TEST_F(Synth, AFeatureDecoderLeavingOutTheLineGetsItFromTheLineInput) {
  save_module(tmp.path("features1.pt"), "def forward(self, z):\n    return z.view(-1, 1, 4, 4).repeat(1, 1, 2, 2)\n");
  save_module(tmp.path("features3.pt"), "def forward(self, z):\n    return z.view(-1, 1, 4, 4).repeat(1, 3, 2, 2)\n");
  Graph g = portrait_graph(false);
  g.set_param("fm_mouth", "decoder", tmp.path("features1.pt"));
  g.set_output("mouth", "fm_mouth.features");
  EXPECT_SUMI_ERROR(run(g, drawing(false)), "node 'fm_mouth'", "'line'", "features1.pt", "latent.decode");

  // The part's sketch: ink (0) in its left half, paper (1) in its right half, 16 x 16.
  at::Tensor sketch = at::ones({1, 1, 16, 16});
  sketch.index_put_({0, 0, at::indexing::Slice(), at::indexing::Slice(0, 8)}, 0.0f);
  RunOptions opts;
  opts.inputs["draw"] = make_strokes(drawing(false));
  opts.inputs["fm_mouth.line"] = make_tensor_value(ValueKind::Image, sketch);
  RunResult r = session.run(g, opts);
  const at::Tensor got = r.outputs.at("mouth").tensor();  // 8 x 8 map -> the mouth's 4 x 4 window
  ASSERT_EQ(got.sizes(), (at::IntArrayRef{1, 2, 4, 4}));
  EXPECT_FLOAT_EQ(got[0][0][1][1].item<float>(), 0.4f);  // the decoder's channel: the mouth encoder's 0.4
  for (int x = 0; x < 4; ++x) EXPECT_FLOAT_EQ(got[0][1][2][x].item<float>(), x < 2 ? 1.0f : 0.0f) << x;

  g.set_param("fm_mouth", "decoder", tmp.path("features.pt"));  // draws both channels itself
  r = session.run(g, opts);
  EXPECT_FLOAT_EQ(r.outputs.at("mouth").tensor()[0][1][2][0].item<float>(), 0.4f);
  bool warned = false;
  for (const NodeRun& n : r.nodes)
    if (n.id == "fm_mouth") warned = n.warning.find("line is ignored") != std::string::npos;
  EXPECT_TRUE(warned);

  g.set_param("fm_mouth", "decoder", tmp.path("features3.pt"));
  EXPECT_SUMI_ERROR(session.run(g, opts), "node 'fm_mouth'", "features3.pt", "returns 3 channels", "takes 2");
  opts.inputs["fm_mouth.line"] = make_tensor_value(ValueKind::Image, at::ones({1, 3, 16, 16}));
  g.set_param("fm_mouth", "decoder", tmp.path("features1.pt"));
  EXPECT_SUMI_ERROR(session.run(g, opts), "node 'fm_mouth'", "'line'", "1 x 1 x H x W");
}

// A generator whose manifest has "guide" gets the sketch on synth.image's `sketch` input, area-scaled to its
// size; without the link it is a clear error, and an unguided generator given a sketch warns that it ignores it.
TEST_F(Synth, AGuidedGeneratorSeesTheSketchScaledByArea) {
  Graph g = portrait_graph(false);
  g.set_param("portrait", "manifest", tmp.path("guided.json"));
  EXPECT_SUMI_ERROR(run(g, drawing(false)), "node 'portrait'", "'sketch'", "guide");
  g.link("sketch.image", "portrait.sketch");
  g.set_output("sketch", "sketch.image");
  RunResult r = run(g, drawing(false));
  const at::Tensor expect = at::adaptive_avg_pool2d(r.outputs.at("sketch").tensor(), {kSize, kSize});
  const at::Tensor got = r.outputs.at("portrait").tensor();
  ASSERT_EQ(got.size(2), kSize);
  EXPECT_LT((got.index({0, 1}) - expect.index({0, 0})).abs().max().item<float>(), 1e-6);
  EXPECT_LT(expect.min().item<float>(), 0.9f);  // the line is there to be seen

  Graph plain = portrait_graph(false);
  plain.link("sketch.image", "portrait.sketch");
  RunResult p = run(plain, drawing(false));
  bool warned = false;
  for (const NodeRun& n : p.nodes)
    if (n.id == "portrait") warned = n.warning.find("ignored") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST_F(Synth, EmptyAndOffCanvasDrawingsStillMakeAPortrait) {
  Strokes empty;
  empty.width = empty.height = kCanvas;
  RunResult r = run(portrait_graph(true), empty);
  EXPECT_EQ(r.outputs.at("portrait").tensor().size(2), kSize);
  Strokes outside = drawing(true);
  for (Stroke& s : outside.strokes)
    for (StrokePoint& p : s.points) p.x += 500;  // every stroke off the canvas
  RunResult r2 = run(portrait_graph(true), outside);
  EXPECT_NEAR(at(r2.outputs.at("mask"), 0, 12, 10), 0.0f, 1e-6);
  EXPECT_NEAR(at(r2.outputs.at("portrait"), 0, 0, 0), 0.5f, 1e-5);
}

}  // namespace
}  // namespace sumi::test
