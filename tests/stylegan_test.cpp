// AniFaceDrawing nodes with tiny TorchScript models made here: image and
// sketch encoders into W+ (inputs padded to a square with white and resized),
// latent.mix_layers (layer ranges, strength, clear errors), synth.stylegan.
#include <torch/script.h>

#include "engine/session.h"
#include "engine/tensor.h"
#include "nodes/nodes.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

void save_module(const std::string& path, const std::string& body) {
  torch::jit::Module m("M");
  m.define(body);
  m.save(path);
}

class Stylegan : public ::testing::Test {
 protected:
  Stylegan() : session(init()) {}
  Registry& init() {
    register_all_nodes(reg);
    // Encoders: the mean of each image quadrant is one layer's code (4 layers x 2): W+ = 1 x 4 x 2.
    save_module(tmp.path("image_encoder.pt"),
                "def forward(self, x):\n    return torch.adaptive_avg_pool2d(x, [2, 2]).mean(1).view(-1, 4, 1).repeat(1, 1, 2)\n");
    save_module(tmp.path("sketch_encoder.pt"),
                "def forward(self, x):\n    return torch.adaptive_avg_pool2d(x, [2, 2]).view(-1, 4, 1).repeat(1, 1, 2)\n");
    save_module(tmp.path("wide_encoder.pt"),
                "def forward(self, x):\n    return torch.adaptive_avg_pool2d(x, [2, 2]).view(-1, 4, 1).repeat(1, 1, 3)\n");
    // Synthesis: layer codes back to quadrants, gray in RGB.
    save_module(tmp.path("synthesis.pt"),
                "def forward(self, ws):\n    q = ws.mean(2).view(-1, 1, 2, 2)\n"
                "    return torch.upsample_nearest2d(q, [8, 8]).repeat(1, 3, 1, 1)\n");
    write_text(tmp.path("manifest.json"),
               "{\"format\": \"sumi.stylegan\", \"version\": 1, \"size\": 8, \"w_dim\": 2, \"num_ws\": 4, \"sketch_size\": 8, "
               "\"synthesis\": \"synthesis.pt\", \"image_encoder\": \"image_encoder.pt\", \"sketch_encoder\": \"sketch_encoder.pt\"}");
    return reg;
  }

  // image -> encode_image ; sketch -> encode_sketch ; mix(base = sketch code, layers = image code) -> synthesis
  Graph graph() {
    Graph g;
    g.add_node("image", "io.load_image");
    g.add_node("sketch", "io.load_image");
    g.add_node("enc_image", "latent.encode_image");
    g.add_node("enc_sketch", "latent.encode_sketch");
    g.add_node("mix", "latent.mix_layers");
    g.add_node("synth", "synth.stylegan");
    for (const char* n : {"enc_image", "enc_sketch", "synth"}) g.set_param(n, "manifest", tmp.path("manifest.json"));
    g.link("image.image", "enc_image.image");
    g.link("sketch.image", "enc_sketch.sketch");
    g.link("enc_sketch.latent", "mix.base");
    g.link("enc_image.latent", "mix.layers");
    g.link("mix.latent", "synth.latent");
    g.set_output("image_code", "enc_image.latent");
    g.set_output("sketch_code", "enc_sketch.latent");
    g.set_output("mixed", "mix.latent");
    g.set_output("portrait", "synth.image");
    return g;
  }

  RunResult run(const Graph& g, const at::Tensor& image, const at::Tensor& sketch) {
    RunOptions opts;
    opts.inputs["image"] = make_tensor_value(ValueKind::Image, image);
    opts.inputs["sketch"] = make_tensor_value(ValueKind::Image, sketch);
    return session.run(g, opts);
  }

  static std::vector<float> codes(const Value& v) {  // layer codes (first of each layer's D values)
    std::vector<float> out;
    const at::Tensor t = v.tensor();
    for (std::int64_t l = 0; l < t.size(1); ++l) out.push_back(t[0][l][0].item<float>());
    return out;
  }

  TempDir tmp;
  Registry reg;
  Session session;
};

TEST_F(Stylegan, EncodersPadToASquareWithPaperAndResize) {
  // A black 4 x 8 image (wider than tall) becomes 8 x 8 with white bands of 2 rows above and below.
  RunResult r = run(graph(), torch::zeros({1, 3, 4, 8}), torch::zeros({1, 1, 16, 16}));
  ASSERT_EQ(r.outputs.at("image_code").tensor().sizes(), (std::vector<std::int64_t>{1, 4, 2}));
  for (float c : codes(r.outputs.at("image_code"))) EXPECT_NEAR(c, 0.5f, 1e-5);
  for (float c : codes(r.outputs.at("sketch_code"))) EXPECT_NEAR(c, 0.0f, 1e-5);  // 16 -> 8, all ink
}

TEST_F(Stylegan, MixLayersTakesTheRangeFromTheSecondCode) {
  Graph g = graph();
  const at::Tensor white = torch::ones({1, 3, 8, 8}), black = torch::zeros({1, 1, 8, 8});
  g.set_param("mix", "from", std::int64_t{1});
  g.set_param("mix", "to", std::int64_t{2});
  EXPECT_EQ(codes(run(g, white, black).outputs.at("mixed")), (std::vector<float>{0, 1, 1, 0}));
  g.set_param("mix", "to", std::int64_t{-1});
  EXPECT_EQ(codes(run(g, white, black).outputs.at("mixed")), (std::vector<float>{0, 1, 1, 1}));
  g.set_param("mix", "strength", 0.5);
  RunResult r = run(g, white, black);
  EXPECT_EQ(codes(r.outputs.at("mixed")), (std::vector<float>{0, 0.5f, 0.5f, 0.5f}));
  const Value& img = r.outputs.at("portrait");
  ASSERT_EQ(img.tensor().sizes(), (std::vector<std::int64_t>{1, 3, 8, 8}));
  EXPECT_NEAR(img.tensor()[0][0][0][0].item<float>(), 0.0f, 1e-6);  // layer 0 -> top-left quadrant
  EXPECT_NEAR(img.tensor()[0][2][7][7].item<float>(), 0.5f, 1e-6);  // layer 3 -> bottom-right
}

TEST_F(Stylegan, BadRangesShapesAndModelsGiveClearErrors) {
  Graph g = graph();
  g.set_param("mix", "from", std::int64_t{4});
  EXPECT_SUMI_ERROR(run(g, torch::ones({1, 3, 8, 8}), torch::ones({1, 1, 8, 8})), "node 'mix'", "param 'from'",
                    "past the last layer (3; the code has 4 layers)");
  Graph w = graph();
  w.set_param("enc_image", "encoder", tmp.path("wide_encoder.pt"));
  EXPECT_SUMI_ERROR(run(w, torch::ones({1, 3, 8, 8}), torch::ones({1, 1, 8, 8})), "node 'enc_image'", "wide_encoder.pt",
                    "wrong interface");
  Graph s = graph();
  s.set_param("synth", "synthesis", tmp.path("image_encoder.pt"));
  EXPECT_SUMI_ERROR(run(s, torch::ones({1, 3, 8, 8}), torch::ones({1, 1, 8, 8})), "node 'synth'", "image_encoder.pt");
  EXPECT_SUMI_ERROR(run(graph(), torch::ones({1, 3, 0, 8}), torch::ones({1, 1, 8, 8})), "node 'enc_image'");
}

// A manifest with "guide": the synthesis takes (ws, sketch), the sketch padded and resized to the synthesis
// size as square_input prepares it; without a linked sketch, a clear error naming the port.
TEST_F(Stylegan, AGuidedSynthesisFollowsTheSketch) {
  // Output: the sketch itself in RGB, darkened by the codes' mean - so the lines must reach it.
  save_module(tmp.path("guided.pt"),
              "def forward(self, ws, sketch):\n    return sketch.repeat(1, 3, 1, 1) * (1.0 - 0.0 * ws.mean())\n");
  write_text(tmp.path("guided.json"),
             "{\"format\": \"sumi.stylegan\", \"version\": 1, \"size\": 8, \"w_dim\": 2, \"num_ws\": 4, \"sketch_size\": 8, "
             "\"synthesis\": \"guided.pt\", \"image_encoder\": \"image_encoder.pt\", \"sketch_encoder\": \"sketch_encoder.pt\", "
             "\"guide\": {\"resolutions\": [8]}}");
  Graph g = graph();
  g.set_param("synth", "manifest", tmp.path("guided.json"));
  EXPECT_SUMI_ERROR(run(g, torch::ones({1, 3, 8, 8}), torch::ones({1, 1, 8, 8})), "node 'synth'", "port 'sketch'",
                    "follows the drawn lines", "link the canonical-frame sketch");
  g.link("sketch.image", "synth.sketch");
  at::Tensor sketch = torch::ones({1, 1, 16, 16});
  sketch.index_put_({0, 0, torch::indexing::Slice(0, 8), torch::indexing::Slice()}, 0.0);  // the top half inked
  const at::Tensor out = run(g, torch::ones({1, 3, 8, 8}), sketch).outputs.at("portrait").tensor();
  ASSERT_EQ(out.sizes(), (std::vector<std::int64_t>{1, 3, 8, 8}));
  EXPECT_NEAR(out.index({0, 0, torch::indexing::Slice(0, 4)}).mean().item<float>(), 0.0f, 1e-6);
  EXPECT_NEAR(out.index({0, 2, torch::indexing::Slice(4, 8)}).mean().item<float>(), 1.0f, 1e-6);
  // An unguided synthesis given a sketch warns that it is ignored.
  Graph u = graph();
  u.link("sketch.image", "synth.sketch");
  const RunResult r = run(u, torch::ones({1, 3, 8, 8}), torch::ones({1, 1, 8, 8}));
  bool warned = false;
  for (const auto& n : r.nodes) warned |= n.id == "synth" && n.warning.find("the sketch is ignored") != std::string::npos;
  EXPECT_TRUE(warned);
  write_text(tmp.path("bad_guide.json"),
             "{\"format\": \"sumi.stylegan\", \"version\": 1, \"size\": 8, \"w_dim\": 2, \"num_ws\": 4, "
             "\"synthesis\": \"guided.pt\", \"image_encoder\": \"image_encoder.pt\", \"sketch_encoder\": \"sketch_encoder.pt\", "
             "\"guide\": 3}");
  g.set_param("synth", "manifest", tmp.path("bad_guide.json"));
  EXPECT_SUMI_ERROR(run(g, torch::ones({1, 3, 8, 8}), sketch), "bad_guide.json", "\"guide\" must be an object");
}

}  // namespace
}  // namespace sumi::test
