// The editor server with the example plugins loaded at start (as `sumi serve
// --plugins` does): the node catalogue lists them with their origin, and a
// graph using both (the C++ fx.sharpen, the Python fx.posterize through the
// embedded interpreter, called from the server's worker threads) runs through
// the API.
#include <filesystem>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include "engine/plugins.h"
#include "tests/editor_test_server.h"

namespace sumi::editor::test {
namespace {

namespace fs = std::filesystem;

TEST(EditorPlugins, CatalogueListsPluginNodesAndAGraphUsingThemRuns) {
  EditorTestServer s;
  s.options.references_dir = (fs::path(SUMI_SOURCE_DIR) / "examples/references").string();
  PluginReport loaded = load_plugins(s.registry(), {SUMI_EXAMPLE_PLUGINS});
  ASSERT_TRUE(loaded.errors.empty()) << loaded.errors.front().what();
  ASSERT_EQ(loaded.loaded.size(), 2u);
  s.start();

  auto r = s.client().Get("/api/nodes");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  std::map<std::string, std::string> origin;
  const Json catalogue = Json::parse(r->body);
  for (const auto& n : catalogue["nodes"]) origin[n["id"]] = n["origin"];
  const fs::path examples = fs::canonical(SUMI_EXAMPLE_PLUGINS);
  EXPECT_EQ(origin["fx.sharpen"], (examples / "fx_sharpen.so").string());
  EXPECT_EQ(origin["fx.posterize"], (examples / "fx_posterize.py").string());
  EXPECT_EQ(origin["image.blur"], "built-in");

  const std::string face = s.options.references_dir + "/face_00001.png";
  Json graph = {{"format", "sumi.graph"},
                {"version", 1},
                {"nodes",
                 {{"load", {{"type", "io.load_image"}, {"params", {{"path", face}}}}},
                  {"sharpen", {{"type", "fx.sharpen"}, {"in", {{"image", "load.image"}}}}},
                  {"poster", {{"type", "fx.posterize"}, {"in", {{"image", "sharpen.image"}}}, {"params", {{"levels", 3}}}}}}},
                {"outputs", {{"poster", "poster.image"}}}};
  const std::string session = s.new_session();
  for (int run = 0; run < 2; ++run) {
    r = s.post_json("/api/sessions/" + session + "/run", {{"graph", graph}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    Json j = Json::parse(r->body);
    EXPECT_EQ(j["status"], "ok") << r->body;
    EXPECT_EQ(j["computed"], run == 0 ? 3 : 0) << r->body;  // the plugin nodes are cached like any
  }
  auto png = s.client().Get(("/api/sessions/" + session + "/outputs/poster.png").c_str());
  ASSERT_TRUE(png);
  ASSERT_EQ(png->status, 200);
  std::vector<uchar> bytes(png->body.begin(), png->body.end());
  cv::Mat img = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(img.empty());
  // Posterized to 3 levels: every channel value is 0, 128 or 255 (0.5 rounds either way).
  std::set<int> values;
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols * img.channels(); ++x) values.insert(img.ptr<uchar>(y)[x]);
  EXPECT_LE(values.size(), 4u);
  EXPECT_GE(values.size(), 2u);
  for (int v : values) EXPECT_TRUE(v == 0 || v == 127 || v == 128 || v == 255) << v;
}

}  // namespace
}  // namespace sumi::editor::test
