// The editor server against hostile web pages and malformed requests (issue
// 21): JSON-only bodies, cross-site / cross-origin refusals, JSON nested too
// deep, invalid UTF-8. A server on an ephemeral loopback port in this process;
// the origin rules for other bind addresses are checked on check_request alone.
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "editor/server/request_guard.h"
#include "editor/server/server.h"
#include "tests/stub_nodes.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace sumi::editor {
namespace {

const char* kGraph = R"({"format": "sumi.graph", "version": 1, "nodes": {"src": {"type": "test.source"}}})";

// `depth` nested arrays around 1 (2 * depth + 1 bytes).
std::string nested(std::size_t depth) { return std::string(depth, '[') + "1" + std::string(depth, ']'); }

class EditorSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::register_stub_nodes(reg_, counters_);
    dir_ = fs::temp_directory_path() / ("sumi_editor_security_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "graphs");
    std::ofstream(dir_ / "graphs/g.sumi.json") << kGraph;
  }
  void TearDown() override {
    if (server_) {
      server_->stop();
      thread_.join();
      server_.reset();
    }
    fs::remove_all(dir_);
  }

  void start(std::vector<std::string> allowed_origins = {}) {
    ServerOptions o;
    o.port = 0;
    o.graphs_dir = (dir_ / "graphs").string();
    o.models_dir = (dir_ / "models").string();
    o.max_body_bytes = 1 << 20;
    o.threads = 6;
    o.allowed_origins = std::move(allowed_origins);
    server_ = std::make_unique<EditorServer>(reg_, o);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->serve(); });
    for (int i = 0; i < 200 && !server_->running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30);
    return c;
  }
  std::string own(const std::string& name = "127.0.0.1") const { return "http://" + name + ":" + std::to_string(port_); }

  // A refusal: the status and a JSON {"error": ...} containing `text` (the
  // reply is always valid JSON, whatever bytes the request held).
  static void expect_error(const httplib::Result& r, int status, const std::string& text) {
    ASSERT_TRUE(r) << "no response";
    EXPECT_EQ(r->status, status) << r->body;
    Json j = Json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r->body;
    ASSERT_TRUE(j.contains("error")) << r->body;
    EXPECT_NE(j["error"].get<std::string>().find(text), std::string::npos) << j["error"];
  }
  void expect_still_serving() {
    auto r = client().Get("/api/graphs");
    ASSERT_TRUE(r) << "the server died";
    EXPECT_EQ(r->status, 200);
  }

  Registry reg_;
  test::StubCounters counters_;
  fs::path dir_;
  std::unique_ptr<EditorServer> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(EditorSecurityTest, BodiesMustBeApplicationJsonExactly) {
  start();
  // The "simple request" trick: a text/plain body that a web page may send cross-site without a preflight.
  expect_error(client().Put("/api/graphs/x.sumi.json", kGraph, "text/plain; charset=application/json"), 415,
               "Content-Type: application/json");
  expect_error(client().Post("/api/sessions", "{}", "text/plain; charset=application/json"), 415, "'text/plain'");
  for (const char* bad : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                          "application/jsonp", "application/json-patch+json", "text/json", "application/json, text/plain"})
    expect_error(client().Put("/api/graphs/x.sumi.json", kGraph, bad), 415, "application/json");
  expect_error(client().Put("/api/graphs/x.sumi.json", kGraph, "application/json; charset=iso-8859-1"), 415,
               "must be UTF-8");
  EXPECT_FALSE(fs::exists(dir_ / "graphs/x.sumi.json"));

  for (const char* good : {"application/json", "application/json; charset=utf-8", "Application/JSON;charset=\"UTF-8\"",
                           " application/json ; foo=bar"}) {
    auto r = client().Put("/api/graphs/x.sumi.json", kGraph, good);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << good << ": " << r->body;
  }
  // No body, no Content-Type needed (the editor creates sessions so).
  auto r = client().Post("/api/sessions");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
}

TEST_F(EditorSecurityTest, RefusesOtherWebPages) {
  start();
  const httplib::Headers evil = {{"Origin", "http://evil.example"}};
  expect_error(client().Post("/api/sessions", evil, "", "application/json"), 403, "cross-origin request refused");
  expect_error(client().Put("/api/graphs/x.sumi.json", evil, kGraph, "application/json"), 403,
               "Origin 'http://evil.example' is not this server (" + own() + ")");
  EXPECT_FALSE(fs::exists(dir_ / "graphs/x.sumi.json"));
  for (const std::string& origin : {std::string("null"), std::string("http://127.0.0.1:1"), "https://127.0.0.1:" + std::to_string(port_),
                                    own("evil.example"), own("127.0.0.1.evil.example"), own() + "/x", own("user@127.0.0.1")})
    expect_error(client().Post("/api/sessions", {{"Origin", origin}}, "", "application/json"), 403, "cross-origin");
  // Reads and deletes under /api too; an event stream cannot be opened from another page.
  expect_error(client().Get("/api/graphs", evil), 403, "cross-origin");
  expect_error(client().Delete("/api/sessions/0123456789abcdef", evil), 403, "cross-origin");
  expect_error(client().Get("/api/sessions/0123456789abcdef/events", {{"Sec-Fetch-Site", "cross-site"}}), 403,
               "cross-site request refused");
  // Sec-Fetch-Site: cross-site is refused even without an Origin header.
  expect_error(client().Post("/api/sessions", {{"Sec-Fetch-Site", "cross-site"}}, "", "application/json"), 403,
               "Sec-Fetch-Site: cross-site");
  expect_error(client().Put("/api/graphs/x.sumi.json", {{"Sec-Fetch-Site", "cross-site"}}, kGraph, "application/json"),
               403, "cross-site");
  EXPECT_FALSE(fs::exists(dir_ / "graphs/x.sumi.json"));
  // A link from another site to the editor's page itself still opens it.
  auto page = client().Get("/", {{"Sec-Fetch-Site", "cross-site"}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);

  // The editor's own page, as a browser sends its requests (Chromium sends Origin on POST/PUT/DELETE).
  for (const std::string& origin : {own(), own("localhost"), own("[::1]"), own("LOCALHOST") + "/"}) {
    httplib::Headers same = {{"Origin", origin}, {"Sec-Fetch-Site", "same-origin"}};
    auto r = client().Post("/api/sessions", same, "", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 201) << origin << ": " << r->body;
    r = client().Put("/api/graphs/x.sumi.json", same, kGraph, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << origin << ": " << r->body;
  }
  auto r = client().Get("/api/graphs", {{"Sec-Fetch-Site", "same-origin"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(EditorSecurityTest, AllowOriginTrustsOneMoreOrigin) {
  start({"http://localhost:5173"});  // sumi serve --allow-origin http://localhost:5173 (the Vite dev server)
  auto r = client().Post("/api/sessions", {{"Origin", "http://localhost:5173"}}, "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  expect_error(client().Post("/api/sessions", {{"Origin", "http://localhost:5174"}}, "", "application/json"), 403,
               "--allow-origin");
}

// Which origins count as the server's own, per bind address (no socket needed).
TEST(EditorRequestGuard, OwnOriginPerBindAddress) {
  auto origin_ok = [](const std::string& bound, const std::string& host_header, const std::string& origin) {
    httplib::Request req;
    req.method = "POST";
    req.path = "/api/sessions";
    req.headers = {{"Host", host_header}, {"Origin", origin}};
    auto refusal = check_request(req, RequestPolicy{bound, 8188, {}});
    return !refusal;
  };
  EXPECT_TRUE(origin_ok("127.0.0.1", "127.0.0.1:8188", "http://localhost:8188"));
  EXPECT_TRUE(origin_ok("::1", "[::1]:8188", "http://[::1]:8188"));
  EXPECT_FALSE(origin_ok("127.0.0.1", "127.0.0.1:8188", "http://192.168.1.5:8188"));
  EXPECT_FALSE(origin_ok("127.0.0.1", "evil.example:8188", "http://evil.example:8188"));  // DNS rebinding: Host refused
  // A named address: only that name.
  EXPECT_TRUE(origin_ok("192.168.1.5", "192.168.1.5:8188", "http://192.168.1.5:8188"));
  EXPECT_FALSE(origin_ok("192.168.1.5", "evil.example:8188", "http://evil.example:8188"));
  EXPECT_FALSE(origin_ok("192.168.1.5", "192.168.1.5:8188", "http://192.168.1.5:9999"));
  // Every interface: the IP address the request was sent to, never a DNS name (it could be rebound).
  EXPECT_TRUE(origin_ok("0.0.0.0", "10.0.0.7:8188", "http://10.0.0.7:8188"));
  EXPECT_TRUE(origin_ok("0.0.0.0", "localhost:8188", "http://127.0.0.1:8188"));
  EXPECT_FALSE(origin_ok("0.0.0.0", "evil.example:8188", "http://evil.example:8188"));
  EXPECT_FALSE(origin_ok("0.0.0.0", "10.0.0.7:8188", "http://10.0.0.8:8188"));

  EXPECT_FALSE(json_content_type_problem("application/json; charset=utf-8"));
  EXPECT_TRUE(json_content_type_problem("text/plain; charset=application/json"));
  EXPECT_TRUE(json_content_type_problem(""));
}

TEST_F(EditorSecurityTest, DeeplyNestedJsonIsA400NotACrash) {
  start();
  std::string s = Json::parse(client().Post("/api/sessions")->body)["session"];
  // 200 KB nested 100 000 deep (this crashed the server before).
  const std::string deep = nested(100000);
  ASSERT_GE(deep.size(), 200000u);
  expect_error(client().Put("/api/graphs/x.sumi.json", deep, "application/json"), 400,
               "request body: JSON nested deeper than 256 levels of arrays/objects at line 1, column 257");
  EXPECT_FALSE(fs::exists(dir_ / "graphs/x.sumi.json"));
  expect_error(client().Post(("/api/sessions/" + s + "/run").c_str(), "{\"graph\": " + deep + "}", "application/json"),
               400, "nested deeper than 256");
  // Inside a graph and inside strokes: the same.
  std::string graph = std::string(kGraph);
  graph.insert(graph.size() - 1, ", \"layout\": " + nested(300));
  expect_error(client().Put("/api/graphs/x.sumi.json", graph, "application/json"), 400, "nested deeper than 256");
  expect_error(client().Post(("/api/sessions/" + s + "/run").c_str(),
                             "{\"graph\": \"g.sumi.json\", \"inputs\": {\"draw\": " + nested(5000) + "}}", "application/json"),
               400, "nested deeper");
  expect_still_serving();
  // Depth 256 is fine as far as JSON goes (the graph's own checks then answer).
  std::string ok = std::string(kGraph);
  ok.insert(ok.size() - 1, ", \"layout\": {\"src\": " + nested(254) + "}");
  auto r = client().Put("/api/graphs/y.sumi.json", ok, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;

  // A deep manifest in the models folder does not take down the model listing.
  fs::create_directories(dir_ / "models/parts");
  std::ofstream(dir_ / "models/parts/manifest.json") << nested(100000);
  r = client().Get("/api/models");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json models = Json::parse(r->body)["models"];
  ASSERT_EQ(models.size(), 1u);
  EXPECT_NE(models[0]["error"].get<std::string>().find("nested deeper than 256"), std::string::npos) << models;
}

TEST_F(EditorSecurityTest, InvalidUtf8IsA400) {
  start();
  std::string s = Json::parse(client().Post("/api/sessions")->body)["session"];
  // In a graph name (percent-encoded in the path; the server decodes it).
  expect_error(client().Put("/api/graphs/%FF.sumi.json", kGraph, "application/json"), 400,
               "the request path is not valid UTF-8 (byte 0xFF at offset 12)");
  expect_error(client().Get("/api/graphs/a%C3%28.sumi.json"), 400, "not valid UTF-8");
  expect_error(client().Get("/api/graphs/%ED%A0%80.sumi.json"), 400, "not valid UTF-8");  // a UTF-16 surrogate
  expect_error(client().Get("/api/graphs/%C0%AF.sumi.json"), 400, "not valid UTF-8");     // an overlong '/'
  expect_error(client().Get("/api/graphs?x=%FF"), 400, "not valid UTF-8");
  // In a body: inside a string, in a graph's name, outside strings.
  expect_error(client().Post(("/api/sessions/" + s + "/run").c_str(), "{\"graph\": \"\xff.sumi.json\"}", "application/json"),
               400, "request body: invalid UTF-8 (byte 0xFF) at line 1, column 12");
  std::string graph = std::string(kGraph);
  graph.insert(graph.size() - 1, ", \"name\": \"caf\xe9\"");  // Latin-1, not UTF-8
  expect_error(client().Put("/api/graphs/x.sumi.json", graph, "application/json"), 400, "invalid UTF-8 (byte 0xE9)");
  expect_error(client().Put("/api/graphs/x.sumi.json", "{\xc3}", "application/json"), 400, "invalid UTF-8");
  EXPECT_FALSE(fs::exists(dir_ / "graphs/x.sumi.json"));
  // Valid UTF-8 names are only refused by the name rules.
  expect_error(client().Get("/api/graphs/caf%C3%A9.sumi.json"), 400, "not a graph file name");
  // A syntax error right at a multi-byte character: the message stays valid UTF-8.
  expect_error(client().Put("/api/graphs/x.sumi.json", "{\xc3\xa9}", "application/json"), 400, "malformed JSON");
  expect_still_serving();
}

}  // namespace
}  // namespace sumi::editor
