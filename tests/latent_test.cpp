// Part-model nodes with tiny TorchScript models made here: encode/decode,
// manifold projection (KNN + locally-linear weights, exact and HNSW), shadow
// guidance, bad model files, and the live-feedback property: a stroke inside
// the mouth window re-runs only the mouth branch.
#include <chrono>
#include <random>
#include <thread>

#include <torch/script.h>

#include "engine/atomic_file.h"
#include "engine/file_digest.h"
#include "engine/model_store.h"
#include "engine/session.h"
#include "engine/tensor.h"
#include "nodes/common/image_mat.h"
#include "nodes/common/strokes.h"
#include "nodes/common/strokes_file.h"
#include "nodes/latent/knn.h"
#include "nodes/latent/latent_kind.h"
#include "nodes/latent/npy.h"
#include "nodes/nodes.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

constexpr int kCanvas = 64;

// Encoder: 16 x 16 crop -> 4 x 4 block means (a 16-d latent). Decoder: back to 16 x 16.
void save_module(const std::string& path, const std::string& body) {
  torch::jit::Module m("M");
  m.define(body);
  m.save(path);
}

class Latent : public ::testing::Test {
 protected:
  Latent() : session(init()) {}
  Registry& init() {
    register_all_nodes(reg);
    save_module(tmp.path("enc.pt"), "def forward(self, x):\n    return torch.adaptive_avg_pool2d(x, [4, 4]).flatten(1)\n");
    save_module(tmp.path("dec.pt"), "def forward(self, z):\n    return torch.upsample_nearest2d(z.view(-1, 1, 4, 4), [16, 16])\n");
    save_module(tmp.path("bad_enc.pt"), "def forward(self, x):\n    return x.flatten(1)\n");
    // A bank of 200 random 16-d latents in 0..1 plus an all-white part.
    std::mt19937 rng(5);
    std::vector<float> bank(201 * 16);
    for (float& v : bank) v = static_cast<float>(rng() % 1000) / 1000.0f;
    std::fill(bank.end() - 16, bank.end(), 1.0f);
    write_npy(tmp.path("bank.npy"), {201, 16}, bank);
    const char* windows[] = {"[8, 16, 16]", "[36, 16, 16]", "[24, 28, 16]", "[22, 44, 16]", "[0, 0, 64]"};
    std::string parts;
    const char* names[] = {"left_eye", "right_eye", "nose", "mouth", "remainder"};
    for (int i = 0; i < 5; ++i)
      parts += std::string(i ? "," : "") + "\"" + names[i] + "\": {\"window\": " + windows[i] +
               ", \"input_size\": 16, \"latent\": 16, \"encoder\": \"enc.pt\", \"decoder\": \"dec.pt\", \"bank\": \"bank.npy\"}";
    write_text(tmp.path("manifest.json"),
               "{\"format\": \"sumi.models\", \"version\": 1, \"canvas\": 64, \"parts\": {" + parts + "}}");
    return reg;
  }

  // strokes -> sketch (64) -> split (the manifest's windows) -> 5 x (encode -> project -> decode) -> compose
  Graph shadow_graph() {
    Graph g;
    g.add_node("draw", "io.strokes_input");
    g.add_node("sketch", "sketch.rasterise");
    g.set_param("sketch", "size", std::int64_t{kCanvas});
    g.link("draw.strokes", "sketch.strokes");
    g.add_node("split", "face.split");
    g.set_param("split", "reference", std::int64_t{kCanvas});
    g.set_param("split", "left_eye", std::vector<double>{8, 16, 16});
    g.set_param("split", "right_eye", std::vector<double>{36, 16, 16});
    g.set_param("split", "nose", std::vector<double>{24, 28, 16});
    g.set_param("split", "mouth", std::vector<double>{22, 44, 16});
    g.link("sketch.image", "split.sketch");
    g.add_node("compose", "guidance.compose");
    g.link("split.parts", "compose.parts");
    g.link("sketch.image", "compose.sketch");
    for (const char* part : {"left_eye", "right_eye", "nose", "mouth", "remainder"}) {
      const std::string p = part;
      for (const char* step : {"enc_", "proj_", "dec_"}) {
        const std::string id = step + p;
        g.add_node(id, std::string(step) == "enc_" ? "latent.encode" : std::string(step) == "proj_" ? "latent.project" : "latent.decode");
        g.set_param(id, "part", p);
        g.set_param(id, "manifest", tmp.path("manifest.json"));
      }
      g.set_param("proj_" + p, "k", std::int64_t{5});
      g.link("split." + p, "enc_" + p + ".image");
      g.link("enc_" + p + ".latent", "proj_" + p + ".latent");
      g.link("proj_" + p + ".latent", "dec_" + p + ".latent");
      g.link("dec_" + p + ".image", "compose." + p);
    }
    g.set_output("guidance", "compose.guidance");
    g.set_output("overlay", "compose.overlay");
    return g;
  }

  static Strokes face_strokes() {
    Strokes s;
    s.width = s.height = kCanvas;
    auto line = [&](float x0, float y0, float x1, float y1) {
      Stroke st;
      st.width = 1.5f;
      st.points = {{x0, y0, 1}, {x1, y1, 1}};
      s.strokes.push_back(st);
    };
    line(10, 24, 22, 22);  // left eye
    line(38, 22, 50, 24);  // right eye
    line(31, 30, 32, 40);  // nose
    line(26, 52, 36, 52);  // mouth
    line(6, 30, 32, 62);   // outline
    return s;
  }

  TempDir tmp;
  Registry reg;
  Session session;
};

TEST_F(Latent, NpyRoundTripAndErrors) {
  write_npy(tmp.path("a.npy"), {2, 3}, {1, 2, 3, 4, 5, 6});
  NpyArray a = read_npy(tmp.path("a.npy"));
  ASSERT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_FLOAT_EQ(a.data[5], 6.0f);
  write_text(tmp.path("junk.npy"), "not numpy at all");
  EXPECT_SUMI_ERROR(read_npy(tmp.path("junk.npy")), "junk.npy", "not a .npy file");
  EXPECT_SUMI_ERROR(read_npy(tmp.path("none.npy")), "none.npy", "file not found");
  // Hostile headers: a shape whose element count overflows, negative or
  // non-numeric dimensions are clear errors, not overflow or a library text.
  auto npy_with_shape = [&](const std::string& name, const std::string& shape) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
    header.resize(118, ' ');
    header += '\n';
    write_text(tmp.path(name), std::string("\x93NUMPY\x01\x00", 8) + std::string(1, '\x77') + std::string(1, '\0') + header);
    return tmp.path(name);
  };
  EXPECT_SUMI_ERROR(read_npy(npy_with_shape("huge.npy", "4294967296, 4294967296")), "huge.npy", "too large");
  EXPECT_SUMI_ERROR(read_npy(npy_with_shape("neg.npy", "-2, 3")), "neg.npy", "negative");
  EXPECT_SUMI_ERROR(read_npy(npy_with_shape("word.npy", "two, 3")), "word.npy", "whole numbers");
  EXPECT_SUMI_ERROR(read_npy(npy_with_shape("big.npy", "99999999999999999999999")), "big.npy", "whole numbers");
  EXPECT_SUMI_ERROR(read_npy(npy_with_shape("short.npy", "4, 3")), "short.npy", "truncated");
}

TEST_F(Latent, NearestNeighboursAreSortedAndWeightsReconstruct) {
  ModelStore store;
  auto bank = load_bank(store, tmp.path("bank.npy"));
  const Eigen::VectorXf f = bank->rows.row(17).transpose();
  Neighbours nn = nearest(*bank, f, 10, Search::Exact);
  ASSERT_EQ(nn.ids.size(), 10u);
  EXPECT_EQ(nn.ids[0], 17);
  EXPECT_NEAR(nn.distances[0], 0.0f, 1e-4);
  EXPECT_TRUE(std::is_sorted(nn.distances.begin(), nn.distances.end()));
  Eigen::VectorXf w = lle_weights(*bank, nn.ids, f, 1e-6);
  EXPECT_NEAR(w.sum(), 1.0f, 1e-5);
  Eigen::VectorXf rec = Eigen::VectorXf::Zero(16);
  for (std::size_t i = 0; i < nn.ids.size(); ++i) rec += w[static_cast<Eigen::Index>(i)] * bank->rows.row(nn.ids[i]).transpose();
  EXPECT_LT((rec - f).norm(), 1e-3f);
  // The approximate index finds the same nearest neighbours on this small bank.
  Neighbours approx = nearest(*bank, f, 10, Search::Hnsw);
  EXPECT_EQ(approx.ids, nn.ids);
  EXPECT_SUMI_ERROR(nearest(*bank, Eigen::VectorXf::Zero(8), 3, Search::Exact), "bank.npy", "8 dimensions");
}

// A bank of n gaussian rows of d dimensions, written as .npy.
std::string random_bank(const TempDir& tmp, const std::string& name, int n, int d, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss;
  std::vector<float> rows(static_cast<std::size_t>(n) * static_cast<std::size_t>(d));
  for (float& v : rows) v = gauss(rng);
  write_npy(tmp.path(name), {n, d}, rows);
  return tmp.path(name);
}

TEST_F(Latent, ExactSearchMatchesANaiveLoop) {
  ModelStore store;
  auto bank = load_bank(store, random_bank(tmp, "gauss.npy", 3000, 24, 11));
  std::mt19937 rng(3);
  std::normal_distribution<float> gauss;
  for (int q = 0; q < 20; ++q) {
    Eigen::VectorXf f(24);
    for (Eigen::Index i = 0; i < f.size(); ++i) f[i] = gauss(rng);
    std::vector<std::pair<double, std::int64_t>> naive;
    for (Eigen::Index r = 0; r < bank->rows.rows(); ++r) {
      double d2 = 0;
      for (Eigen::Index i = 0; i < f.size(); ++i) d2 += std::pow(double(bank->rows(r, i)) - f[i], 2);
      naive.emplace_back(d2, r);
    }
    std::sort(naive.begin(), naive.end());
    Neighbours nn = nearest(*bank, f, 10, Search::Exact);
    ASSERT_EQ(nn.ids.size(), 10u);
    for (std::size_t i = 0; i < 10; ++i) {
      EXPECT_EQ(nn.ids[i], naive[i].second) << "query " << q << " rank " << i;
      EXPECT_NEAR(nn.distances[i], naive[i].first, 1e-3 * naive[i].first);
    }
  }
}

TEST_F(Latent, ApproximateIndexRecallAt10IsAtLeast95Percent) {
  ModelStore store;
  auto bank = load_bank(store, random_bank(tmp, "recall.npy", 20000, 32, 12));
  std::mt19937 rng(4);
  std::normal_distribution<float> gauss;
  int found = 0, wanted = 0;
  for (int q = 0; q < 200; ++q) {
    Eigen::VectorXf f(32);
    for (Eigen::Index i = 0; i < f.size(); ++i) f[i] = gauss(rng);
    const Neighbours exact = nearest(*bank, f, 10, Search::Exact);
    const Neighbours approx = nearest(*bank, f, 10, Search::Hnsw);
    EXPECT_TRUE(std::is_sorted(approx.distances.begin(), approx.distances.end()));
    for (std::int64_t id : exact.ids) found += std::count(approx.ids.begin(), approx.ids.end(), id) ? 1 : 0;
    wanted += 10;
  }
  const double recall = double(found) / wanted;
  RecordProperty("recall_at_10", std::to_string(recall));
  EXPECT_GE(recall, 0.95);
}

TEST_F(Latent, ShadowGuidanceRunsAndAMouthStrokeRerunsOnlyTheMouth) {
  Graph g = shadow_graph();
  RunOptions opts;
  opts.inputs["draw"] = make_strokes(face_strokes());
  RunResult first = session.run(g, opts);
  cv::Mat guidance = image_to_mat(first.outputs.at("guidance"));
  ASSERT_EQ(guidance.cols, kCanvas);
  EXPECT_EQ(first.computed, 2u + 15u + 1u);  // sketch, split, 5 x 3 part nodes, compose
  // One more stroke, strictly inside the mouth window (22..38 x 44..60).
  Strokes more = face_strokes();
  Stroke st;
  st.width = 1.5f;
  st.points = {{27, 56, 1}, {33, 56, 1}};
  more.strokes.push_back(st);
  opts.inputs["draw"] = make_strokes(more);
  RunResult second = session.run(g, opts);
  std::vector<std::string> computed;
  for (const NodeRun& n : second.nodes)
    if (n.status == NodeStatus::Computed) computed.emplace_back(n.id);
  EXPECT_EQ(computed, (std::vector<std::string>{"sketch", "split", "enc_mouth", "proj_mouth", "dec_mouth", "compose"}))
      << "only the mouth branch (and what feeds or joins it) should re-run";
}

TEST_F(Latent, ProjectBlendsBetweenInputAndManifold) {
  // img -> split -> enc -> p, with enc's latent fed directly.
  Graph g;
  g.add_node("img", "io.load_image");
  g.add_node("split", "face.split");
  g.add_node("enc", "latent.encode");
  g.add_node("p", "latent.project");
  g.set_param("enc", "manifest", tmp.path("manifest.json"));
  g.set_param("p", "manifest", tmp.path("manifest.json"));
  g.set_param("p", "part", std::string("nose"));
  g.link("img.image", "split.sketch");
  g.link("split.nose", "enc.image");
  g.link("enc.latent", "p.latent");
  g.set_output("latent", "p.latent");
  g.set_output("projected", "p.projected");
  g.set_output("neighbours", "p.neighbours");
  g.set_output("weights", "p.weights");
  RunOptions opts;
  opts.inputs["img"] = mat_to_image(cv::Mat(64, 64, CV_32F, cv::Scalar(1)), "cpu");
  std::vector<float> f(16, 0.95f);
  opts.inputs["enc"] = make_latent(at::from_blob(f.data(), {1, 16}, at::kFloat).clone());
  g.set_param("p", "blend", 0.0);
  RunResult r = session.run(g, opts);
  EXPECT_TRUE(at::allclose(r.outputs.at("latent").tensor(), opts.inputs["enc"].tensor()));
  at::Tensor w = r.outputs.at("weights").tensor();
  EXPECT_EQ(w.size(1), 10);
  EXPECT_NEAR(w.sum().item<float>(), 1.0f, 1e-5);
  g.set_param("p", "blend", 1.0);
  r = session.run(g, opts);
  EXPECT_TRUE(at::allclose(r.outputs.at("latent").tensor(), r.outputs.at("projected").tensor()));
  // The bank's all-ones row is the nearest to an all-0.95 latent.
  at::Tensor ids = r.outputs.at("neighbours").tensor();
  EXPECT_EQ(ids[0][0].item<float>(), 200.0f);
}

TEST_F(Latent, BadModelFilesAreNamed) {
  Graph g = shadow_graph();
  RunOptions opts;
  opts.inputs["draw"] = make_strokes(face_strokes());
  g.set_param("enc_nose", "encoder", tmp.path("bad_enc.pt"));
  EXPECT_SUMI_ERROR(session.run(g, opts), "bad_enc.pt", "node 'enc_nose'", "wrong interface", "returns shape [1, 256], expected [1, 16]");
  g.set_param("enc_nose", "encoder", tmp.path("missing.pt"));
  EXPECT_SUMI_ERROR(session.run(g, opts), "missing.pt", "node 'enc_nose'", "model file not found");
  g.clear_param("enc_nose", "encoder");
  g.set_param("proj_mouth", "manifest", tmp.path("nope.json"));
  EXPECT_SUMI_ERROR(session.run(g, opts), "nope.json", "node 'proj_mouth'", "file not found");
  write_text(tmp.path("wrong.json"), "{\"format\": \"other\"}");
  g.set_param("proj_mouth", "manifest", tmp.path("wrong.json"));
  EXPECT_SUMI_ERROR(session.run(g, opts), "wrong.json", "not a Sumi model manifest");
}

TEST_F(Latent, FilesThatDifferFromTheirManifestDigestAreRefused) {
  // The manifest of the fixture with the SHA-256 of each file, as export.py writes it.
  std::string text = read_file(tmp.path("manifest.json"));
  const std::string digests = ", \"sha256\": {\"encoder.pt\": \"" + sha256_file(tmp.path("enc.pt")) +
                              "\", \"decoder.pt\": \"" + sha256_file(tmp.path("dec.pt")) + "\", \"bank.npy\": \"" +
                              sha256_file(tmp.path("bank.npy")) + "\"}}";
  for (std::size_t at = 0; (at = text.find("\"bank.npy\"}", at)) != std::string::npos; at += digests.size())
    text.replace(at + std::string("\"bank.npy\"").size(), 1, digests);
  write_text(tmp.path("digests.json"), text);
  Graph g = shadow_graph();
  std::vector<std::string> latent_nodes;
  for (const auto& [id, node] : g.nodes())
    if (node.type.rfind("latent.", 0) == 0) latent_nodes.push_back(id);
  for (const auto& id : latent_nodes) g.set_param(id, "manifest", tmp.path("digests.json"));
  RunOptions opts;
  opts.inputs["draw"] = make_strokes(face_strokes());
  session.run(g, opts);  // the files match
  const std::uint64_t hashed = sha256_files_hashed();
  session.run(g, opts);
  EXPECT_EQ(sha256_files_hashed(), hashed) << "unchanged files are not hashed again";

  // A bank changed after export (same size, one value): refused, naming the file and the manifest.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::vector<float> bank(201 * 16, 0.5f);
  write_npy(tmp.path("bank.npy"), {201, 16}, bank);
  EXPECT_SUMI_ERROR(session.run(g, opts), "bank.npy", "SHA-256", "digests.json", "changed or damaged");

  // A digest that is not one: the manifest is named.
  const std::size_t first = text.find("\"encoder.pt\": \"") + std::string("\"encoder.pt\": \"").size();
  text.replace(first, 64, std::string(64, 'z'));
  write_text(tmp.path("digests.json"), text);
  EXPECT_SUMI_ERROR(session.run(g, opts), "digests.json", "must be 64 lowercase hex digits");
}

TEST(FileDigest, KnownVectorsAndAFileEqualToItsBytes) {
  EXPECT_EQ(sha256_bytes("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_bytes("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  TempDir tmp;
  const std::string text(3 << 20, 'x');  // several read blocks
  write_text(tmp.path("f.bin"), text);
  EXPECT_EQ(sha256_file(tmp.path("f.bin")), sha256_bytes(text.data(), text.size()));
  EXPECT_SUMI_ERROR(sha256_file(tmp.dir().string()), "not a regular file");
}

}  // namespace
}  // namespace sumi::test
