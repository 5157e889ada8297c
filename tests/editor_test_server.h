// An editor server on an ephemeral loopback port in this test process, with
// the real nodes and the stub nodes (tests/stub_nodes.h), a temporary graphs
// folder, and helpers to call it. For the limits and soak tests.
//
//   EditorTestServer s;
//   s.options.max_sessions = 2;   // before start()
//   s.start();
//   auto r = s.post_json("/api/sessions/" + id + "/run", body);
//
// Thread safety: start()/stop() from the test thread; the call helpers from any.
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "editor/server/server.h"
#include "nodes/nodes.h"
#include "tests/stub_nodes.h"

namespace sumi::editor::test {

using Json = nlohmann::json;

class EditorTestServer {
 public:
  EditorTestServer() {
    register_all_nodes(reg_);
    sumi::test::register_stub_nodes(reg_, counters);
    dir_ = std::filesystem::temp_directory_path() /
           ("sumi_editor_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "graphs");
    options.port = 0;
    options.graphs_dir = (dir_ / "graphs").string();
    options.models_dir = (dir_ / "models").string();
    options.max_body_bytes = 1 << 20;
    options.threads = 6;
  }
  ~EditorTestServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void start() {
    server_ = std::make_unique<EditorServer>(reg_, options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->serve(); });
    for (int i = 0; i < 400 && !server_->running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void stop() {
    if (!server_) return;
    server_->stop();
    thread_.join();
    server_.reset();
  }

  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  Registry& registry() { return reg_; }  // e.g. to load plugins, before start()

  httplib::Client client(int read_timeout_s = 30) const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(read_timeout_s);
    c.set_connection_timeout(5);
    return c;
  }
  httplib::Result post_json(const std::string& path, const Json& body) const {
    return client().Post(path.c_str(), body.dump(), "application/json");
  }
  // A new session's id; "" (and a test failure) when refused.
  std::string new_session() const {
    auto r = client().Post("/api/sessions");
    EXPECT_TRUE(r);
    if (!r || r->status != 201) {
      ADD_FAILURE() << "POST /api/sessions: " << (r ? r->body : "no response");
      return "";
    }
    return Json::parse(r->body)["session"];
  }

  // The refusal `r`: status `status` and a JSON {"error": ...} containing `text`.
  static void expect_error(const httplib::Result& r, int status, const std::string& text) {
    ASSERT_TRUE(r) << "no response";
    EXPECT_EQ(r->status, status) << r->body;
    Json j = Json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r->body;
    ASSERT_TRUE(j.contains("error")) << r->body;
    EXPECT_NE(j["error"].get<std::string>().find(text), std::string::npos) << j["error"];
  }

  ServerOptions options;
  sumi::test::StubCounters counters;

 private:
  Registry reg_;
  std::filesystem::path dir_;
  std::unique_ptr<EditorServer> server_;
  std::thread thread_;
  int port_ = 0;
};

// A graph of stub nodes: test.source -> test.spin (`ms`, cancellable) -> output "x".
inline Json spin_graph(double ms) {
  return Json{{"format", "sumi.graph"},
              {"version", 1},
              {"nodes",
               {{"src", {{"type", "test.source"}}},
                {"spin", {{"type", "test.spin"}, {"in", {{"in", "src.out"}}}, {"params", {{"ms", ms}}}}}}},
              {"outputs", {{"x", "spin.out"}}}};
}

// Strokes -> a `size`-pixel sketch (one float channel: size^2 * 4 bytes cached).
inline Json sketch_graph(int size) {
  return Json{{"format", "sumi.graph"},
              {"version", 1},
              {"nodes",
               {{"draw", {{"type", "io.strokes_input"}}},
                {"sketch", {{"type", "sketch.rasterise"}, {"in", {{"strokes", "draw.strokes"}}}, {"params", {{"size", size}}}}}}},
              {"outputs", {{"sketch", "sketch.image"}}}};
}

// A short stroke set; `shift` moves its line so that each one differs.
inline Json strokes(int shift = 0) {
  return Json{{"format", "sumi.strokes"},
              {"version", 1},
              {"canvas", {512, 512}},
              {"strokes",
               {{{"kind", "line"}, {"width", 3}, {"color", "#000000"}, {"points", {{100 + shift, 100}, {300, 260 + shift}}}}}}};
}

}  // namespace sumi::editor::test
