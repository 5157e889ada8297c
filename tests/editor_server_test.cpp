// The editor's HTTP API, end to end: a server on an ephemeral loopback port in
// this process, driven with httplib::Client. Every endpoint, every refusal
// (malformed JSON, unknown node/port/parameter, huge bodies, path traversal,
// unknown session), event streams, cancellation, and two clients at once.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "editor/server/server.h"
#include "editor/server/pixel_reply.h"
#include "nodes/common/image_mat.h"
#include "nodes/common/png.h"
#include "nodes/nodes.h"
#include "tests/stub_nodes.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace sumi::editor {
namespace {

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class EditorServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_all_nodes(reg_);
    test::register_stub_nodes(reg_, counters_);
    dir_ = fs::temp_directory_path() / ("sumi_editor_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "graphs");
    fs::copy_file(fs::path(SUMI_SOURCE_DIR) / "graphs/sketch_parts.sumi.json", dir_ / "graphs/sketch_parts.sumi.json");
    std::ofstream(dir_ / "secret.sumi.json") << "{}";
    strokes_ = Json::parse(read_text(fs::path(SUMI_SOURCE_DIR) / "examples/face.strokes.json"));

    ServerOptions o;
    o.port = 0;
    o.graphs_dir = (dir_ / "graphs").string();
    o.models_dir = (dir_ / "models").string();
    o.references_dir = (dir_ / "references").string();
    o.max_body_bytes = 1 << 20;
    o.threads = 6;  // at most 2 event streams
    server_ = std::make_unique<EditorServer>(reg_, o);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->serve(); });
    for (int i = 0; i < 200 && !server_->running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
    server_.reset();
    fs::remove_all(dir_);
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30);
    return c;
  }
  std::string new_session() {
    auto r = client().Post("/api/sessions");
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 201);
    return Json::parse(r->body)["session"];
  }
  httplib::Result post_json(const std::string& path, const Json& body) {
    return client().Post(path.c_str(), body.dump(), "application/json");
  }
  Json run_body() const { return {{"graph", "sketch_parts.sumi.json"}, {"inputs", {{"draw", strokes_}}}}; }

  // Checks a refusal: the status and a JSON {"error": ...} containing `text`.
  static void expect_error(const httplib::Result& r, int status, const std::string& text) {
    ASSERT_TRUE(r) << "no response";
    EXPECT_EQ(r->status, status) << r->body;
    Json j = Json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r->body;
    ASSERT_TRUE(j.contains("error")) << r->body;
    EXPECT_NE(j["error"].get<std::string>().find(text), std::string::npos) << j["error"];
  }

  Registry reg_;
  test::StubCounters counters_;
  fs::path dir_;
  Json strokes_;
  std::unique_ptr<EditorServer> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(EditorServerTest, ServesTheNodeCatalogue) {
  auto r = client().Get("/api/nodes");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  Json j = Json::parse(r->body);
  EXPECT_EQ(j["format"], "sumi.nodes");
  bool found = false;
  for (const auto& n : j["nodes"]) found |= n["id"] == "sketch.rasterise";
  EXPECT_TRUE(found);
}

TEST_F(EditorServerTest, ListsModelFilesAndManifests) {
  auto r = client().Get("/api/models");  // the models folder does not exist yet
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(Json::parse(r->body)["models"].empty());
  fs::create_directories(dir_ / "models/parts/node_modules");
  std::ofstream(dir_ / "models/parts/encoder.pt") << "weights";
  std::ofstream(dir_ / "models/parts/manifest.json") << R"({"format": "sumi.models", "models": []})";
  std::ofstream(dir_ / "models/parts/node_modules/x.pt") << "no";
  std::ofstream(dir_ / "models/parts/notes.txt") << "no";
  Json models = Json::parse(client().Get("/api/models")->body)["models"];
  ASSERT_EQ(models.size(), 2u) << models;
  EXPECT_EQ(models[0]["path"], "parts/encoder.pt");
  EXPECT_EQ(models[0]["graph_path"], "../models/parts/encoder.pt");  // as a graph in the graphs folder names it
  EXPECT_EQ(models[0]["bytes"], 7);
  EXPECT_EQ(models[1]["manifest"]["format"], "sumi.models");
}

TEST_F(EditorServerTest, ListsAndServesReferenceImages) {
  auto r = client().Get("/api/references");  // the folder does not exist yet
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(Json::parse(r->body)["references"].empty());
  fs::create_directories(dir_ / "references/sub");
  std::ofstream(dir_ / "references/b.png", std::ios::binary) << "\x89PNG-b";
  std::ofstream(dir_ / "references/a.jpg", std::ios::binary) << "jpeg-a";
  std::ofstream(dir_ / "references/notes.txt") << "not an image";
  std::ofstream(dir_ / "references/sub/c.png") << "not listed: only the folder itself";
  Json refs = Json::parse(client().Get("/api/references")->body)["references"];
  ASSERT_EQ(refs.size(), 2u) << refs;
  EXPECT_EQ(refs[0]["name"], "a.jpg");
  EXPECT_EQ(refs[1]["graph_path"], "../references/b.png");  // as a graph in the graphs folder names it
  auto img = client().Get(refs[1]["url"].get<std::string>());
  ASSERT_TRUE(img);
  EXPECT_EQ(img->status, 200);
  EXPECT_EQ(img->body, "\x89PNG-b");
  EXPECT_EQ(img->get_header_value("Content-Type"), "image/png");
  for (const char* bad : {"/api/references/notes.txt", "/api/references/missing.png", "/api/references/..%2Fsecret.sumi.json",
                          "/api/references/sub%2Fc.png"}) {
    auto res = client().Get(bad);
    ASSERT_TRUE(res) << bad;
    EXPECT_EQ(res->status, 404) << bad;
    EXPECT_NE(res->body.find("error"), std::string::npos) << bad;
  }
}

TEST_F(EditorServerTest, ListsLoadsAndSavesGraphs) {
  auto r = client().Get("/api/graphs");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  Json list = Json::parse(r->body)["graphs"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["file"], "sketch_parts.sumi.json");
  EXPECT_EQ(list[0]["outputs"], Json::array({"parts", "sketch"}));

  r = client().Get("/api/graphs/sketch_parts.sumi.json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  Json g = Json::parse(r->body);
  EXPECT_EQ(g["graph"]["nodes"]["sketch"]["type"], "sketch.rasterise");
  EXPECT_TRUE(g["problems"].empty());

  // Save a changed copy; it is listed, and loads back with the change.
  Json changed = g["graph"];
  changed["name"] = "copy";
  changed["nodes"]["sketch"]["params"]["size"] = 128;
  changed["layout"]["sketch"] = {300, 90};
  r = client().Put("/api/graphs/copy.sumi.json", changed.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(fs::exists(dir_ / "graphs/copy.sumi.json"));
  r = client().Get("/api/graphs/copy.sumi.json");
  ASSERT_TRUE(r);
  Json back = Json::parse(r->body)["graph"];
  EXPECT_EQ(back["nodes"]["sketch"]["params"]["size"], 128);
  EXPECT_EQ(back["layout"]["sketch"], Json::array({300, 90}));
  EXPECT_EQ(Json::parse(client().Get("/api/graphs")->body)["graphs"].size(), 2u);

  // A graph with validation problems is saved (work in progress) and they are reported.
  changed["nodes"]["sketch"]["type"] = "sketch.nope";
  r = client().Put("/api/graphs/wip.sumi.json", changed.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(Json::parse(r->body)["problems"].empty());
}

// Subgraphs in the editor (issue 19): the list marks files meant as subgraphs
// (they declare interface inputs), a graph's reply carries its instances'
// files with their interfaces (each parameter typed like the inner parameter
// it sets), and a graph with instances sent inline runs with per-inner-node
// caching.
TEST_F(EditorServerTest, ServesSubgraphInterfacesAndRunsInstances) {
  for (const char* f : {"bold_lines.sumi.json", "sketch_styles.sumi.json"})
    fs::copy_file(fs::path(SUMI_SOURCE_DIR) / "examples/subgraphs" / f, dir_ / "graphs" / f);
  std::map<std::string, bool> subgraph;
  const Json list = Json::parse(client().Get("/api/graphs")->body);
  for (const Json& g : list["graphs"]) subgraph[g["file"]] = g["subgraph"];
  EXPECT_TRUE(subgraph["bold_lines.sumi.json"]);
  EXPECT_FALSE(subgraph["sketch_styles.sumi.json"]);
  EXPECT_FALSE(subgraph["sketch_parts.sumi.json"]);

  auto r = client().Get("/api/graphs/sketch_styles.sumi.json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json g = Json::parse(r->body);
  EXPECT_TRUE(g["problems"].empty()) << g["problems"];
  EXPECT_EQ(g["graph"]["nodes"]["bold"]["type"], "subgraph");  // kept as one node, not flattened
  const Json& bold = g["subgraphs"]["bold_lines.sumi.json"];
  ASSERT_TRUE(bold.contains("interface")) << bold;
  EXPECT_EQ(bold["graph"]["name"], "bold_lines");
  const Json& in = bold["interface"];
  ASSERT_EQ(in["inputs"].size(), 1u);
  EXPECT_EQ(in["inputs"][0]["name"], "sketch");
  EXPECT_EQ(in["inputs"][0]["kind"], "Image");
  ASSERT_EQ(in["outputs"].size(), 1u);
  EXPECT_EQ(in["outputs"][0]["kind"], "Image");
  std::map<std::string, Json> params;
  for (const Json& p : in["params"]) params[p["name"]] = p;
  EXPECT_EQ(params["sigma"]["type"], "float");       // from image.blur's sigma
  EXPECT_EQ(params["sigma"]["min"], 0.0);
  EXPECT_EQ(params["sigma"]["default"], 1.5);        // the variable's default, not the node's
  EXPECT_EQ(params["sigma"]["doc"], "blur in pixels: how much thicker the lines get");
  EXPECT_EQ(params["sigma"]["uses"], Json::array({"blur.sigma"}));
  EXPECT_EQ(params["level"]["type"], "float");
  // The graph's own interface (any graph can be instantiated): sketch_styles has parameters, no inputs.
  EXPECT_TRUE(g["interface"]["inputs"].empty());
  EXPECT_EQ(g["interface"]["params"][0]["name"], "size");

  std::string s = new_session();
  Json body = {{"graph", g["graph"]}, {"inputs", {{"draw", strokes_}}}};
  r = post_json("/api/sessions/" + s + "/run", body);
  ASSERT_EQ(r->status, 200) << r->body;
  body["params"] = {{"bold.sigma", 4}};  // an instance's parameter
  r = post_json("/api/sessions/" + s + "/run", body);
  ASSERT_EQ(r->status, 200) << r->body;
  std::map<std::string, std::string> status;
  const Json reply = Json::parse(r->body);
  for (const auto& n : reply["nodes"]) status[n["id"]] = n["status"];
  EXPECT_EQ(status["bold/blur"], "computed");
  EXPECT_EQ(status["bold/threshold"], "computed");
  EXPECT_EQ(status["medium/blur"], "cached");
  EXPECT_EQ(status["sketch"], "cached");
}

// A file that instantiates the next one twice, under two spellings, at each of 20 levels: the
// reply lists at most 512 subgraph entries, each file read once, and comes back at once.
TEST_F(EditorServerTest, ExplosiveSubgraphNestingIsListedWithinALimit) {
  for (int i = 0; i < 20; ++i) {
    const std::string next = "l" + std::to_string(i + 1) + ".sumi.json";
    const std::string nodes = i == 19 ? R"("n":{"type":"test.source"})"
                                      : R"("a":{"type":"subgraph","params":{"file":")" + next +
                                            R"("}},"b":{"type":"subgraph","params":{"file":"./)" + next + R"("}})";
    std::ofstream(dir_ / "graphs" / ("l" + std::to_string(i) + ".sumi.json"))
        << R"({"format":"sumi.graph","version":2,"nodes":{)" + nodes + "}}";
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto r = client().Get("/api/graphs/l0.sumi.json");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_LT(s, 10.0);
  int entries = 0, capped = 0;
  std::function<void(const Json&)> walk = [&](const Json& subs) {
    for (const auto& [file, e] : subs.items()) {
      ++entries;
      if (e.value("error", "").find("more than 512 subgraph files") != std::string::npos) ++capped;
      if (e.contains("subgraphs")) walk(e["subgraphs"]);
    }
  };
  const Json j = Json::parse(r->body);
  walk(j["subgraphs"]);
  EXPECT_LE(entries, 513);
  EXPECT_EQ(capped, 1);
}

TEST_F(EditorServerTest, RefusesBadGraphRequests) {
  expect_error(client().Get("/api/graphs/missing.sumi.json"), 404, "no graph 'missing.sumi.json'");
  expect_error(client().Get("/api/graphs/notes.txt"), 400, "not a graph file name");
  expect_error(client().Get("/api/graphs/..%2Fsecret.sumi.json"), 403, "outside the graphs folder");
  expect_error(client().Get("/api/graphs/%2E%2E%2Fsecret.sumi.json"), 403, "outside the graphs folder");
  expect_error(client().Get("/api/graphs/.hidden.sumi.json"), 403, "outside the graphs folder");
  expect_error(client().Put("/api/graphs/..%2Fevil.sumi.json", "{}", "application/json"), 403, "outside");
  EXPECT_FALSE(fs::exists(dir_ / "evil.sumi.json"));
  expect_error(client().Put("/api/graphs/%2Ftmp%2Fevil.sumi.json", "{}", "application/json"), 403, "outside");
  // A symlink inside the folder that leads out of it.
  fs::create_symlink(dir_ / "secret.sumi.json", dir_ / "graphs/link.sumi.json");
  expect_error(client().Get("/api/graphs/link.sumi.json"), 403, "outside the graphs folder");
  expect_error(client().Put("/api/graphs/x.sumi.json", "{\"nodes\": ", "application/json"), 400, "malformed JSON");
  expect_error(client().Put("/api/graphs/x.sumi.json", "{\"format\": \"other\"}", "application/json"), 400, "format");
  expect_error(client().Put("/api/graphs/x.sumi.json", "", "application/json"), 400, "empty");
  EXPECT_FALSE(fs::exists(dir_ / "graphs/x.sumi.json"));
}

TEST_F(EditorServerTest, RunsWithTheSessionCacheAndServesPngs) {
  std::string s = new_session();
  auto r = post_json("/api/sessions/" + s + "/run", run_body());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json j = Json::parse(r->body);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["computed"], 5);  // sketch, locate, canonical, split, sheet (draw is fed)
  std::map<std::string, std::string> status;
  for (const auto& n : j["nodes"]) status[n["id"]] = n["status"];
  EXPECT_EQ(status["draw"], "fed");
  EXPECT_EQ(status["sheet"], "computed");
  ASSERT_EQ(j["outputs"].size(), 2u);
  EXPECT_EQ(j["outputs"][0]["name"], "parts");

  // Each image output carries its content hash (16 hex digits), for clients that show only what changed.
  const std::string parts_hash = j["outputs"][0].value("hash", "");
  const std::string sketch_hash = j["outputs"][1].value("hash", "");
  EXPECT_EQ(parts_hash.size(), 16u);
  EXPECT_EQ(parts_hash.find_first_not_of("0123456789abcdef"), std::string::npos) << parts_hash;

  // The same strokes again: everything cached, the same hashes.
  j = Json::parse(post_json("/api/sessions/" + s + "/run", run_body())->body);
  EXPECT_EQ(j["computed"], 0);
  EXPECT_EQ(j["cached"], 5);
  EXPECT_EQ(j["outputs"][0]["hash"], parts_hash);
  EXPECT_EQ(j["outputs"][1]["hash"], sketch_hash);

  // One more stroke far from the face parts' windows changes the sketch only... and so the rest.
  Json body = run_body();
  body["inputs"]["draw"]["strokes"].push_back({{"kind", "line"}, {"width", 4}, {"color", "#000000"},
                                              {"points", {{10, 10}, {30, 12}}}});
  j = Json::parse(post_json("/api/sessions/" + s + "/run", body)->body);
  EXPECT_GE(j["computed"].get<int>(), 1);
  EXPECT_NE(j["outputs"][1]["hash"], sketch_hash) << "the sketch changed with the stroke";

  auto png = client().Get(("/api/sessions/" + s + "/outputs/parts.png").c_str());
  ASSERT_TRUE(png);
  EXPECT_EQ(png->status, 200);
  EXPECT_EQ(png->get_header_value("Content-Type"), "image/png");
  ASSERT_GT(png->body.size(), 8u);
  EXPECT_EQ(png->body.substr(1, 3), "PNG");
  expect_error(client().Get(("/api/sessions/" + s + "/outputs/nope.png").c_str()), 404, "no image output 'nope'");

  // The same run with the pixels inline (the editor's stroke loop): one reply holding the JSON and the raw
  // RGBA8 pixels of each image the client does not show already, equal to the PNG's pixel for pixel.
  body["inline_pixels"] = true;
  body["shown"] = {{"sketch", j["outputs"][1]["hash"]}};
  auto inl = post_json("/api/sessions/" + s + "/run", body);
  ASSERT_EQ(inl->status, 200) << inl->body;
  EXPECT_EQ(inl->get_header_value("Content-Type"), "application/vnd.sumi.run-pixels");
  ASSERT_GT(inl->body.size(), 4u);
  const auto* raw = reinterpret_cast<const unsigned char*>(inl->body.data());
  const std::size_t json_bytes = raw[0] | raw[1] << 8 | raw[2] << 16 | std::size_t(raw[3]) << 24;
  ASSERT_LE(4 + json_bytes, inl->body.size());
  const Json ij = Json::parse(inl->body.substr(4, json_bytes));
  EXPECT_EQ(ij["cached"], 5);
  EXPECT_EQ(ij["outputs"][1].value("unchanged", false), true) << "the client shows this sketch already";
  EXPECT_FALSE(ij["outputs"][1].contains("pixels"));
  const Json& px = ij["outputs"][0]["pixels"];
  const cv::Mat decoded = decode_png(png->body, "parts.png");  // BGR(A) or gray, as cv::imdecode
  ASSERT_EQ(px["width"], decoded.cols);
  ASSERT_EQ(px["height"], decoded.rows);
  const std::size_t offset = 4 + json_bytes + px["offset"].get<std::size_t>();
  ASSERT_EQ(inl->body.size(), offset + std::size_t(decoded.cols) * decoded.rows * 4);
  const int ch = decoded.channels();
  int differing = 0;
  for (int y = 0; y < decoded.rows; ++y)
    for (int x = 0; x < decoded.cols; ++x) {
      const unsigned char* p = decoded.ptr<unsigned char>(y) + x * ch;
      const unsigned char* q = raw + offset + (std::size_t(y) * decoded.cols + x) * 4;
      const bool same = ch == 1 ? q[0] == p[0] && q[1] == p[0] && q[2] == p[0] && q[3] == 255
                                : q[0] == p[2] && q[1] == p[1] && q[2] == p[0] && q[3] == (ch == 4 ? p[3] : 255);
      differing += !same;
    }
  EXPECT_EQ(differing, 0);
  body.erase("inline_pixels");
  body["shown"] = "sketch";
  expect_error(post_json("/api/sessions/" + s + "/run", body), 400, "'shown' must be an object");
  body.erase("shown");

  // Parameter overrides and a graph sent inline; only the requested output.
  body = run_body();
  body["graph"] = Json::parse(read_text(dir_ / "graphs/sketch_parts.sumi.json"));
  body["params"] = {{"sketch.size", 128}};
  body["outputs"] = {"sketch"};
  r = post_json("/api/sessions/" + s + "/run", body);
  ASSERT_EQ(r->status, 200) << r->body;
  j = Json::parse(r->body);
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_EQ(j["outputs"][0]["name"], "sketch");

  // Ending the session.
  EXPECT_EQ(client().Delete(("/api/sessions/" + s).c_str())->status, 200);
  expect_error(client().Get(("/api/sessions/" + s + "/outputs/parts.png").c_str()), 404, "no session");
}

// The inline-pixel reply on its own: gray and RGBA images expand to RGBA8, a shown hash sends nothing,
// and an image that would take the reply past its byte bound is left to its PNG url.
TEST(PixelReply, PacksChangedImagesAndLeavesHugeOnesToTheirPng) {
  cv::Mat gray(2, 3, CV_32FC1, cv::Scalar(0.5f));
  gray.at<float>(1, 2) = 2.0f;  // saturates to 255
  cv::Mat rgba(1, 2, CV_32FC4, cv::Scalar(1.0f, 0.0f, 0.2f, 0.4f));
  cv::Mat big(40, 40, CV_32FC3, cv::Scalar(0.1f, 0.2f, 0.3f));
  std::map<std::string, StoredOutput> stored = {{"gray", {"gray", mat_to_image(gray, "cpu")}},
                                                {"rgba", {"rgba", mat_to_image(rgba, "cpu")}},
                                                {"big", {"big", mat_to_image(big, "cpu")}},
                                                {"same", {"same", mat_to_image(gray, "cpu")}}};
  Json reply = {{"status", "ok"},
                {"outputs",
                 {{{"name", "gray"}, {"hash", "1"}},
                  {{"name", "same"}, {"hash", "2"}},
                  {{"name", "label"}, {"kind", "String"}},
                  {{"name", "rgba"}, {"hash", "3"}},
                  {{"name", "big"}, {"hash", "4"}}}}};
  httplib::Response res;
  sumi::editor::send_with_pixels(res, reply, stored, {{"same", "2"}, {"gray", "stale"}}, 1000);
  ASSERT_EQ(res.get_header_value("Content-Type"), "application/vnd.sumi.run-pixels");
  const auto* raw = reinterpret_cast<const unsigned char*>(res.body.data());
  const std::size_t n = raw[0] | raw[1] << 8 | raw[2] << 16 | std::size_t(raw[3]) << 24;
  const Json j = Json::parse(res.body.substr(4, n));
  const std::string px = res.body.substr(4 + n);
  ASSERT_EQ(px.size(), 6u * 4 + 2u * 4) << "gray 3x2 and rgba 2x1; 'big' (6400 bytes) is over the bound of 1000";
  EXPECT_EQ(j["outputs"][0]["pixels"], Json({{"offset", 0}, {"width", 3}, {"height", 2}}));
  EXPECT_EQ(j["outputs"][1].value("unchanged", false), true);
  EXPECT_FALSE(j["outputs"][2].contains("pixels"));
  EXPECT_EQ(j["outputs"][3]["pixels"], Json({{"offset", 24}, {"width", 2}, {"height", 1}}));
  EXPECT_FALSE(j["outputs"][4].contains("pixels"));
  EXPECT_FALSE(j["outputs"][4].contains("unchanged"));
  auto at = [&](std::size_t i) { return static_cast<int>(static_cast<unsigned char>(px[i])); };
  EXPECT_EQ(at(0), 128);  // 0.5 * 255 rounded, in R, G and B
  EXPECT_EQ(at(1), 128);
  EXPECT_EQ(at(2), 128);
  EXPECT_EQ(at(3), 255);
  EXPECT_EQ(at(5 * 4), 255);  // the saturated pixel
  EXPECT_EQ(at(24), 255);
  EXPECT_EQ(at(25), 0);
  EXPECT_EQ(at(26), 51);
  EXPECT_EQ(at(27), 102);
}

// A run request may feed a record kind in place of a node's output: the editor pins where the face is by
// sending back the Frame that face.locate answered, so that later strokes do not move it (nor re-run
// every part).
TEST_F(EditorServerTest, AFedFramePinsWhereTheFaceIs) {
  const std::string run = "/api/sessions/" + new_session() + "/run";
  Json body = run_body();
  body["outputs"] = {"parts", "locate.frame"};
  auto r = post_json(run, body);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto output = [](const Json& reply, const std::string& name) {
    for (const auto& o : reply["outputs"])
      if (o["name"] == name) return o;
    return Json();
  };
  const Json located = output(Json::parse(r->body), "locate.frame")["record"];
  ASSERT_TRUE(located.is_object()) << r->body;
  ASSERT_EQ(located["matrix"].size(), 2u);

  // Fed back with one more stroke that moves the drawing's ink: locate does not run, the frame stays.
  body["inputs"]["locate.frame"] = located;
  body["inputs"]["draw"]["strokes"].push_back(
      {{"kind", "line"}, {"width", 4}, {"color", "#000000"}, {"points", {{20, 20}, {60, 24}, {90, 40}}}});
  Json j = Json::parse(post_json(run, body)->body);
  std::map<std::string, std::string> status;
  for (const auto& n : j["nodes"]) status[n["id"]] = n["status"];
  EXPECT_EQ(status["locate"], "fed");
  EXPECT_EQ(output(j, "locate.frame")["record"], located);
  const std::string pinned_parts = output(j, "parts").value("hash", "");

  // Another frame cuts other parts.
  Json moved = located;
  moved["matrix"][0][2] = located["matrix"][0][2].get<double>() + 24;
  body["inputs"]["locate.frame"] = moved;
  j = Json::parse(post_json(run, body)->body);
  EXPECT_NE(output(j, "parts").value("hash", ""), pinned_parts);

  // The last frame fed as face.locate's `previous` input: locate runs with it (the node's hold geometry
  // is tested with exact stand-in locators in tests/python/test_face_locate.py). The same drawing with its
  // own last frame gives that frame; a previous frame 24 px away is not held: the face is located afresh.
  Json again = run_body();
  again["outputs"] = body["outputs"];
  again["inputs"]["locate.previous"] = located;
  j = Json::parse(post_json(run, again)->body);
  status.clear();
  for (const auto& n : j["nodes"]) status[n["id"]] = n["status"];
  EXPECT_EQ(status["locate"], "computed");
  EXPECT_EQ(output(j, "locate.frame")["record"]["matrix"], located["matrix"]) << j.dump();
  again["inputs"]["locate.previous"] = moved;
  j = Json::parse(post_json(run, again)->body);
  EXPECT_EQ(output(j, "locate.frame")["record"]["matrix"], located["matrix"]) << j.dump();
  again["inputs"]["locate.previous"] = 3;
  expect_error(post_json(run, again), 400, "inputs: 'locate.previous' must be a Frame object");

  // Refusals name the input and what is wrong with it.
  Json bad = body;
  bad["inputs"]["locate.frame"] = {{"matrix", "x"}};
  expect_error(post_json(run, bad), 400, "inputs.locate.frame: ");
  bad["inputs"]["locate.frame"] = 3;
  expect_error(post_json(run, bad), 400, "inputs: 'locate.frame' must be a Frame object");
  bad = body;
  bad["inputs"]["sketch.image"] = Json::object();
  expect_error(post_json(run, bad), 400, "inputs: 'sketch.image' is an Image output");
  bad = body;
  bad["inputs"]["locate.nope"] = Json::object();
  expect_error(post_json(run, bad), 400, "node 'locate' (face.locate) has no output or input 'nope'");
}

TEST_F(EditorServerTest, RefusesBadRunRequests) {
  std::string s = new_session();
  std::string run = "/api/sessions/" + s + "/run";
  expect_error(client().Post(run.c_str(), "{\"graph\": ", "application/json"), 400, "malformed JSON at line 1");
  expect_error(client().Post(run.c_str(), "[1, 2]", "application/json"), 400, "expected a JSON object");
  expect_error(post_json(run, Json::object()), 400, "'graph' is missing");
  expect_error(post_json(run, {{"graph", "../secret.sumi.json"}}), 403, "outside the graphs folder");

  Json unknown_node = {{"graph", {{"format", "sumi.graph"}, {"version", 1},
                                  {"nodes", {{"a", {{"type", "sketch.nope"}}}}}}}};
  auto r = post_json(run, unknown_node);
  expect_error(r, 400, "unknown node type 'sketch.nope'");
  EXPECT_EQ(Json::parse(r->body)["problems"][0]["node"], "a");

  Json unknown_port = run_body();
  unknown_port["graph"] = Json::parse(read_text(dir_ / "graphs/sketch_parts.sumi.json"));
  unknown_port["graph"]["nodes"]["split"]["in"] = {{"sketchh", "sketch.image"}};
  expect_error(post_json(run, unknown_port), 400, "port 'sketchh': unknown input port");

  Json bad_param = run_body();
  bad_param["params"] = {{"sketch.sizee", 3}};
  expect_error(post_json(run, bad_param), 400, "has no parameter 'sizee'");
  bad_param["params"] = {{"sketch.size", 999999}};
  expect_error(post_json(run, bad_param), 400, "above the maximum");
  bad_param["params"] = {{"nobody.size", 1}};
  expect_error(post_json(run, bad_param), 400, "no node 'nobody'");

  Json bad_strokes = run_body();
  bad_strokes["inputs"]["draw"]["strokes"][0]["kind"] = "scribble";
  expect_error(post_json(run, bad_strokes), 400, "inputs.draw");
  Json bad_output = run_body();
  bad_output["outputs"] = {"nope"};
  r = post_json(run, bad_output);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status / 100, 4) << r->body;

  std::string huge(2 << 20, ' ');
  expect_error(client().Post(run.c_str(), huge, "application/json"), 413, "too large");

  expect_error(post_json("/api/sessions/0123456789abcdef/run", run_body()), 404, "no session");
  expect_error(client().Get("/api/sessions/0123456789abcdef/events"), 404, "no session");
  expect_error(client().Get("/api/sessions/0123456789abcdef/outputs/parts.png"), 404, "no session");
  expect_error(client().Delete("/api/sessions/0123456789abcdef"), 404, "no session");
  expect_error(client().Get("/api/nothing"), 404, "no such endpoint");
  // Bodies must be JSON; requests must be addressed to a loopback name (no DNS rebinding).
  expect_error(client().Post(run.c_str(), run_body().dump(), "text/plain"), 415, "application/json");
  httplib::Headers rebinding = {{"Host", "evil.example:8188"}};
  expect_error(client().Get("/api/graphs", rebinding), 403, "answers only to 127.0.0.1 or localhost");
  EXPECT_EQ(client().Get("/api/graphs", {{"Host", "localhost:8188"}})->status, 200);

  // Still serving after all that.
  r = post_json(run, run_body());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(EditorServerTest, AFailingNodeNamesItself) {
  std::string s = new_session();
  Json g = {{"format", "sumi.graph"}, {"version", 1},
            {"nodes", {{"src", {{"type", "test.source"}}},
                       {"bad", {{"type", "test.fail"}, {"in", {{"in", "src.out"}}}, {"params", {{"message", "boom"}}}}}}},
            {"outputs", {{"x", "bad.out"}}}};
  auto r = post_json("/api/sessions/" + s + "/run", {{"graph", g}});
  expect_error(r, 422, "boom");
  EXPECT_EQ(Json::parse(r->body)["node"], "bad");
}

// Collects server-sent events of a session until `stop_kind` arrives.
std::vector<Json> read_events(int port, const std::string& session, const std::string& stop_kind,
                              std::promise<void>& connected) {
  std::vector<Json> events;
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(20);
  std::string buffer;
  bool signalled = false;
  c.Get(("/api/sessions/" + session + "/events").c_str(), [&](const char* data, std::size_t n) {
    if (!signalled) connected.set_value(), signalled = true;
    buffer.append(data, n);
    std::size_t pos;
    while ((pos = buffer.find("\n\n")) != std::string::npos) {
      std::string msg = buffer.substr(0, pos);
      buffer.erase(0, pos + 2);
      if (msg.rfind("data: ", 0) != 0) continue;
      events.push_back(Json::parse(msg.substr(6)));
      if (events.back()["kind"] == stop_kind) return false;
    }
    return true;
  });
  if (!signalled) connected.set_value();
  return events;
}

TEST_F(EditorServerTest, StreamsNodeEvents) {
  std::string s = new_session();
  std::promise<void> connected;
  auto fut = std::async(std::launch::async, [&] { return read_events(port_, s, "run_finished", connected); });
  // The stream's first bytes (a keep-alive) arrive within ~2 s of connecting.
  ASSERT_EQ(connected.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_EQ(post_json("/api/sessions/" + s + "/run", run_body())->status, 200);
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  std::vector<Json> events = fut.get();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front()["kind"], "run_started");
  EXPECT_EQ(events.back()["kind"], "run_finished");
  bool started = false, finished = false;
  for (const Json& e : events) {
    if (e["kind"] == "started" && e["node"] == "sketch") started = true;
    if (e["kind"] == "finished" && e["node"] == "sketch") finished = e["ms"].get<double>() >= 0;
  }
  EXPECT_TRUE(started);
  EXPECT_TRUE(finished);
}

// Open streams are capped so they cannot take every request thread; they end
// when their client goes away or the server stops (TearDown would hang otherwise).
TEST_F(EditorServerTest, EventStreamsAreCappedAndEndWithTheServer) {
  std::string s = new_session();
  std::atomic<int> chunks{0};
  std::atomic<bool> stop_first{false};
  auto listen = [&](bool stoppable) {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60);
    return c.Get(("/api/sessions/" + s + "/events").c_str(), [&, stoppable](const char*, std::size_t) {
      ++chunks;
      return !(stoppable && stop_first);
    });
  };
  auto first = std::async(std::launch::async, listen, true);
  auto second = std::async(std::launch::async, listen, false);
  while (chunks < 2) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  expect_error(client().Get(("/api/sessions/" + s + "/events").c_str()), 503, "too many event streams");
  EXPECT_EQ(client().Get("/api/nodes")->status, 200);  // others are still served
  stop_first = true;  // a client going away (its slot frees at the next keep-alive write)
  EXPECT_EQ(first.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_EQ(post_json("/api/sessions/" + s + "/run", run_body())->status, 200);
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();  // ends the second stream
  second.get();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10);
}

TEST_F(EditorServerTest, ANewRunCancelsTheOneInFlight) {
  std::string s = new_session();
  auto graph = [](double ms) {
    return Json{{"format", "sumi.graph"}, {"version", 1},
                {"nodes", {{"src", {{"type", "test.source"}}},
                           {"spin", {{"type", "test.spin"}, {"in", {{"in", "src.out"}}}, {"params", {{"ms", ms}}}}},
                           {"spin2", {{"type", "test.spin"}, {"in", {{"in", "spin.out"}}}, {"params", {{"ms", ms}}}}}}},
                {"outputs", {{"x", "spin2.out"}}}};
  };
  auto slow = std::async(std::launch::async, [&] { return post_json("/api/sessions/" + s + "/run", {{"graph", graph(3000)}}); });
  while (counters_.count("src") == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto t0 = std::chrono::steady_clock::now();
  auto fast = post_json("/api/sessions/" + s + "/run", {{"graph", graph(1)}});
  ASSERT_TRUE(fast);
  EXPECT_EQ(fast->status, 200) << fast->body;
  auto cancelled = slow.get();
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  expect_error(cancelled, 409, "cancelled");
  EXPECT_LT(waited, 2.5);
}

TEST_F(EditorServerTest, TwoClientsAtOnce) {
  std::string a = new_session(), b = new_session();
  EXPECT_NE(a, b);
  std::atomic<int> ok{0}, failed{0};
  auto work = [&](const std::string& s, int shift) {
    for (int i = 0; i < 6; ++i) {
      Json body = run_body();
      body["inputs"]["draw"]["strokes"].push_back(
          {{"kind", "line"}, {"width", 3}, {"color", "#000000"}, {"points", {{20 + shift + i, 20}, {60, 40 + i}}}});
      auto r = post_json("/api/sessions/" + s + "/run", body);
      auto png = client().Get(("/api/sessions/" + s + "/outputs/parts.png").c_str());
      auto nodes = client().Get("/api/nodes");
      (r && r->status == 200 && png && png->status == 200 && nodes && nodes->status == 200 ? ok : failed)++;
    }
  };
  std::thread t1(work, a, 0), t2(work, b, 50);
  t1.join();
  t2.join();
  EXPECT_EQ(ok, 12);
  EXPECT_EQ(failed, 0);
}

}  // namespace
}  // namespace sumi::editor
