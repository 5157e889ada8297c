// The editor server's file sandbox (issue 21): graphs run through the API read
// only the graphs, models, references, extra read and outputs folders and
// write only the outputs folder; anything else is a 403 and nothing is done.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "editor/server/server.h"
#include "nodes/common/png.h"
#include "nodes/nodes.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace sumi::editor {
namespace {

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// load (io.load_image) -> save (io.save_image) when `to` is given.
Json copy_graph(const std::string& from, const std::string& to = {}) {
  Json g = {{"format", "sumi.graph"}, {"version", 1}};
  g["nodes"]["load"] = {{"type", "io.load_image"}, {"params", {{"path", from}}}};
  g["outputs"]["image"] = "load.image";
  if (!to.empty()) {
    g["nodes"]["save"] = {{"type", "io.save_image"}, {"in", {{"image", "load.image"}}}, {"params", {{"path", to}}}};
    g["outputs"]["saved"] = "save.path";
  }
  return g;
}

class EditorSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_all_nodes(reg_);
    dir_ = fs::temp_directory_path() / ("sumi_editor_sandbox_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "graphs");
    const cv::Mat img(8, 8, CV_8UC3, cv::Scalar(10, 200, 30));
    write_png(img, (dir_ / "graphs/in.png").string());
    write_png(img, (dir_ / "secret.png").string());  // readable by the server's user, outside every root
  }
  void TearDown() override {
    if (server_) {
      server_->stop();
      thread_.join();
    }
    fs::remove_all(dir_);
  }

  void start(ServerOptions o) {
    o.port = 0;
    o.threads = 6;
    server_ = std::make_unique<EditorServer>(reg_, o);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->serve(); });
    for (int i = 0; i < 200 && !server_->running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto r = client().Post("/api/sessions");
    ASSERT_TRUE(r);
    session_ = Json::parse(r->body)["session"];
  }
  void start() {
    ServerOptions o;
    o.graphs_dir = (dir_ / "graphs").string();
    o.models_dir = (dir_ / "models").string();
    o.outputs_dir = (dir_ / "outputs").string();
    start(o);
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60);
    return c;
  }
  httplib::Result run(const Json& body) {
    return client().Post("/api/sessions/" + session_ + "/run", body.dump(), "application/json");
  }
  // A 403 naming the node, the parameter and `text`.
  static void expect_refused(const httplib::Result& r, const std::string& node, const std::string& param,
                             const std::string& text) {
    ASSERT_TRUE(r) << "no response";
    EXPECT_EQ(r->status, 403) << r->body;
    Json j = Json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r->body;
    EXPECT_EQ(j.value("node", ""), node) << r->body;
    EXPECT_EQ(j.value("param", ""), param) << r->body;
    EXPECT_EQ(j.value("status", ""), "refused") << r->body;
    const std::string msg = j.value("error", "");
    for (const std::string& part : {"node '" + node + "'", "param '" + param + "'", text, std::string("(allowed: ")})
      EXPECT_NE(msg.find(part), std::string::npos) << msg << "\n  lacks: " << part;
  }
  std::string path(const std::string& rel) const { return (dir_ / rel).string(); }

  Registry reg_;
  fs::path dir_;
  std::unique_ptr<EditorServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::string session_;
};

TEST_F(EditorSandboxTest, ReadingOutsideIsA403AndNothingIsServed) {
  start();
  expect_refused(run({{"graph", copy_graph("/etc/passwd")}}), "load", "path", "'/etc/passwd' is outside the sandbox");
  expect_refused(run({{"graph", copy_graph("../secret.png")}}), "load", "path",
                 "'" + path("secret.png") + "' is outside the sandbox for read");
  auto img = client().Get("/api/sessions/" + session_ + "/outputs/image.png");
  ASSERT_TRUE(img);
  EXPECT_EQ(img->status, 404) << "the refused image must not be served";

  auto ok = run({{"graph", copy_graph("in.png")}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST_F(EditorSandboxTest, SavingOutsideIsA403AndTheTargetIsUntouched) {
  start();
  std::ofstream(dir_ / "x.png") << "precious x";
  std::ofstream(dir_ / "abs.png") << "precious abs";
  expect_refused(run({{"graph", copy_graph("in.png", "../x.png")}}), "save", "path",
                 "'" + path("x.png") + "' is outside the sandbox for write");
  expect_refused(run({{"graph", copy_graph("in.png", path("abs.png"))}}), "save", "path",
                 "'" + path("abs.png") + "' is outside the sandbox for write");
  expect_refused(run({{"graph", copy_graph("in.png", "out.png")}}), "save", "path", "outside the sandbox");  // graphs: read only
  EXPECT_EQ(read_bytes(dir_ / "x.png"), "precious x");
  EXPECT_EQ(read_bytes(dir_ / "abs.png"), "precious abs");
  EXPECT_FALSE(fs::exists(dir_ / "graphs/out.png"));

  auto ok = run({{"graph", copy_graph("in.png", "../outputs/copy.png")}});  // the outputs folder is writable
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(read_bytes(dir_ / "outputs/copy.png"), read_bytes(dir_ / "graphs/in.png"));
}

TEST_F(EditorSandboxTest, AnOutputNodeWritesWithoutBeingAGraphOutput) {
  start();
  Json g = copy_graph("in.png");  // graph output: the loaded image only
  g["nodes"]["save"] = {{"type", "io.save_image"}, {"in", {{"image", "load.image"}}}, {"params", {{"path", "../outputs/sink.png"}}}};
  auto r = run({{"graph", g}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(read_bytes(dir_ / "outputs/sink.png"), read_bytes(dir_ / "graphs/in.png"));
  const Json reply = Json::parse(r->body);
  std::map<std::string, std::string> status;
  for (const auto& n : reply["nodes"]) status[n["id"]] = n["status"];
  EXPECT_EQ(status["save"], "computed") << r->body;
  // Out of the sandbox, the same output node is refused before anything runs.
  g["nodes"]["save"]["params"]["path"] = "../x.png";
  expect_refused(run({{"graph", g}}), "save", "path", "outside the sandbox for write");
  auto cat = client().Get("/api/nodes");
  ASSERT_TRUE(cat);
  const Json catalogue = Json::parse(cat->body);
  for (const auto& n : catalogue["nodes"])
    if (n["id"] == "io.save_image" || n["id"] == "io.load_image") {
      EXPECT_EQ(n["output_node"], n["id"] == "io.save_image");
    }
}

TEST_F(EditorSandboxTest, StoredGraphsAndParameterOverridesAreChecked) {
  start();
  auto put = client().Put("/api/graphs/steal.sumi.json", copy_graph("../secret.png").dump(), "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200) << put->body;  // saving is fine; running it is not
  expect_refused(run({{"graph", "steal.sumi.json"}}), "load", "path", "outside the sandbox");
  expect_refused(run({{"graph", copy_graph("in.png")}, {"params", {{"load.path", path("secret.png")}}}}), "load", "path",
                 "outside the sandbox");
}

TEST_F(EditorSandboxTest, SymlinkInsideTheGraphsFolderPointingOutsideIsRefused) {
  fs::create_symlink(dir_ / "secret.png", dir_ / "graphs/link.png");
  fs::create_directory_symlink(dir_, dir_ / "graphs/up");
  start();
  expect_refused(run({{"graph", copy_graph("link.png")}}), "load", "path",
                 "resolves to '" + path("secret.png") + "'");
  expect_refused(run({{"graph", copy_graph("up/secret.png")}}), "load", "path", "outside the sandbox");
}

// Subgraph files resolve only inside the roots: one outside is listed with
// the reason and not read when a graph is loaded, and a run that names it is refused.
TEST_F(EditorSandboxTest, SubgraphFilesOutsideTheRootsAreNotRead) {
  const char* sub = R"({"format":"sumi.graph","version":2,"name":"sub",
    "interface":{"inputs":{"image":{"to":["blur.image"]}}},
    "nodes":{"blur":{"type":"image.blur"}},"outputs":{"image":"blur.image"}})";
  std::ofstream(dir_ / "graphs/inside.sumi.json") << sub;
  std::ofstream(dir_ / "outside.sumi.json") << sub;  // readable by the server's user, outside every root
  Json g = copy_graph("in.png");
  g["version"] = 2;
  g["nodes"]["a"] = {{"type", "subgraph"}, {"in", {{"image", "load.image"}}}, {"params", {{"file", "inside.sumi.json"}}}};
  g["nodes"]["b"] = {{"type", "subgraph"}, {"in", {{"image", "load.image"}}}, {"params", {{"file", "../outside.sumi.json"}}}};
  g["outputs"] = {{"a", "a.image"}, {"b", "b.image"}};
  std::ofstream(dir_ / "graphs/uses.sumi.json") << g.dump();
  start();

  auto r = client().Get("/api/graphs/uses.sumi.json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json j = Json::parse(r->body);
  EXPECT_EQ(j["subgraphs"]["inside.sumi.json"]["interface"]["inputs"][0]["name"], "image");
  const Json& out = j["subgraphs"]["../outside.sumi.json"];
  EXPECT_FALSE(out.contains("graph")) << out;
  EXPECT_NE(out.value("error", "").find("outside the sandbox"), std::string::npos) << out;
  EXPECT_FALSE(j["problems"].empty());

  r = run({{"graph", "uses.sumi.json"}});
  ASSERT_TRUE(r);
  EXPECT_GE(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("outside the sandbox"), std::string::npos) << r->body;
  g["nodes"].erase("b");
  g["outputs"].erase("b");
  r = run({{"graph", g}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(EditorSandboxTest, ShippedGraphRunsInTheSandboxOfSumiServe) {
  ServerOptions o;  // as `sumi serve` sets it up from the source tree
  o.graphs_dir = (fs::path(SUMI_SOURCE_DIR) / "graphs").string();
  o.models_dir = (fs::path(SUMI_SOURCE_DIR) / "models").string();
  o.references_dir = (fs::path(SUMI_SOURCE_DIR) / "examples/references").string();
  o.read_dirs = {(fs::path(SUMI_SOURCE_DIR) / "examples").string()};
  o.outputs_dir = path("outputs");
  start(o);
  // Not fed: io.strokes_input reads ../examples/cartoon_face.strokes.json; the models are the nodes' defaults.
  auto r = run({{"graph", "deepfacedrawing.sumi.json"}, {"outputs", {"portrait"}}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto img = client().Get("/api/sessions/" + session_ + "/outputs/portrait.png");
  ASSERT_TRUE(img);
  EXPECT_EQ(img->status, 200);
}

}  // namespace
}  // namespace sumi::editor
