// The editor server under sustained, mixed, partly hostile load (issue 21,
// item 7): 8 clients send 2 000 requests over loopback (after a warm-up of
// 2 000): runs of real graphs, runs cancelled by newer ones, clients that walk
// away mid-run, session churn (ended and abandoned sessions, more clients
// than the session cap), event streams, output PNGs, and malformed or
// refused requests of a dozen kinds. Checked: every request gets an answer,
// none is a 5xx, each status is one the request may get, every error is JSON,
// and the process's RSS after the 2 000 is at most 1.2x what it was after the
// warm-up. RSS is read after release_free_memory() both times, so that it
// counts memory held rather than free pages glibc keeps by its thresholds
// (engine/runtime.h); both figures are printed. Half the clients keep their
// session for the whole soak, so that without the server's cache limit their
// caches grow (1.9x measured with the limits lifted). Loopback only; stops at
// a deadline whatever happens.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "engine/runtime.h"
#include "tests/editor_test_server.h"

namespace sumi::editor::test {
namespace {

using Clock = std::chrono::steady_clock;

// This process's resident memory in kB (VmRSS in /proc/self/status).
long rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// What all clients saw.
struct Tally {
  std::atomic<int> requests{0};  // answered or not
  std::atomic<int> no_reply{0}, server_errors{0}, unexpected{0}, not_json{0};
  std::atomic<int> recovered{0};  // 410 Gone followed by a new session and a re-sent graph that ran
  std::mutex mu;
  std::map<int, int> statuses;
  std::vector<std::string> problems;  // the first few, for the failure message

  void problem(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    if (problems.size() < 20) problems.push_back(what);
  }
};

// Sends `request` on a fresh loopback connection and closes it at once,
// without reading the reply: a client that walks away mid-run.
void send_and_walk_away(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  ::close(fd);
}

class SoakClient {
 public:
  SoakClient(const EditorTestServer& server, int index, Tally& tally)
      : s_(server),
        tally_(tally),
        rng_(1234u + static_cast<unsigned>(index)),
        keep_alive_(s_.client()),
        keeps_session_(index % 2 == 0) {}

  // Runs scenarios until `counter` reaches `until` or `deadline` passes, then
  // one run of a 512-pixel sketch, so that each phase leaves the server in a
  // like state (a session per client holding such a result) to measure.
  void work(std::atomic<int>& counter, int until, Clock::time_point deadline) {
    while (counter.load() < until && Clock::now() < deadline) counter += step();
    if (session_.empty()) counter += open_session();
    if (!session_.empty()) counter += run_sketch(512);
  }

 private:
  // One scenario; returns the number of HTTP requests it made.
  int step() {
    const int pick = pick_int(0, 99);
    if (session_.empty()) return open_session();
    if (pick < 28) return run_sketch();
    if (pick < 36) return cancel_by_newer_run();
    if (pick < 40) return walk_away();
    if (pick < 48) return keeps_session_ ? run_sketch() : churn();
    if (pick < 56) return get_output();
    if (pick < 58) return follow_events();
    if (pick < 64) return read_catalogue();
    return bad_request();
  }

  int pick_int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string run_path() const { return "/api/sessions/" + session_ + "/run"; }

  // Checks one reply against the statuses this request may get.
  bool check(const httplib::Result& r, std::set<int> allowed, const std::string& what) {
    ++tally_.requests;
    if (!r) {
      ++tally_.no_reply;
      tally_.problem(what + ": no reply (" + httplib::to_string(r.error()) + ")");
      return false;
    }
    {
      std::lock_guard<std::mutex> lock(tally_.mu);
      ++tally_.statuses[r->status];
    }
    if (r->status >= 500) {
      ++tally_.server_errors;
      tally_.problem(what + ": " + std::to_string(r->status) + " " + r->body.substr(0, 300));
    } else if (!allowed.count(r->status)) {
      ++tally_.unexpected;
      tally_.problem(what + ": unexpected " + std::to_string(r->status) + " " + r->body.substr(0, 300));
    }
    if (r->status >= 400) {
      Json j = Json::parse(r->body, nullptr, false);
      if (!j.is_object() || !j.contains("error")) {
        ++tally_.not_json;
        tally_.problem(what + ": error reply is not JSON: " + r->body.substr(0, 200));
      }
    }
    return true;
  }

  int open_session() {
    auto r = keep_alive_.Post("/api/sessions");
    check(r, {201, 429}, "POST /api/sessions");
    if (r && r->status == 201) session_ = Json::parse(r->body)["session"];
    else std::this_thread::sleep_for(std::chrono::milliseconds(20));  // all sessions running: as Retry-After says
    return 1;
  }

  Json sketch_body(int size) {
    return {{"graph", sketch_graph(size)}, {"inputs", {{"draw", strokes(pick_int(0, 200))}}}};
  }

  // A good run; an evicted session is recovered as the web editor does it.
  // (409: a run of this session's walked-away client started after it.)
  int run_sketch(int size = 0) {
    static const int sizes[] = {256, 512, 768};  // 0.25, 1, 2.3 MB results
    const Json body = sketch_body(size ? size : sizes[pick_int(0, 2)]);
    auto r = keep_alive_.Post(run_path().c_str(), body.dump(), "application/json");
    check(r, {200, 409, 410}, "run");
    if (!r || r->status != 410) return 1;
    session_.clear();
    int n = 1 + open_session();
    if (session_.empty()) return n;
    r = keep_alive_.Post(run_path().c_str(), body.dump(), "application/json");
    if (check(r, {200, 409, 410}, "re-sent run") && r->status == 200) ++tally_.recovered;
    return n + 1;
  }

  // A slow run, then a quick one on the same session: the slow one is
  // cancelled (or, when the server happened to take them in the other
  // order, the quick one is and the slow one runs to its end).
  int cancel_by_newer_run() {
    const std::string path = run_path();
    auto slow = std::async(std::launch::async, [this, path] {
      return s_.client().Post(path.c_str(), Json{{"graph", spin_graph(1500)}}.dump(), "application/json");
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(pick_int(0, 30)));
    auto quick = keep_alive_.Post(path.c_str(), Json{{"graph", spin_graph(1)}}.dump(), "application/json");
    check(quick, {200, 409, 410}, "quick run");
    check(slow.get(), {409, 410, 200}, "slow run");
    return 2;
  }

  int walk_away() {
    const std::string body = Json{{"graph", spin_graph(150)}}.dump();
    send_and_walk_away(s_.port(), "POST " + run_path() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    ++tally_.requests;
    return 1;
  }

  // Ends the session (or abandons it, as a closed tab does) and opens another.
  int churn() {
    int n = 0;
    if (pick_int(0, 1) == 0) {
      check(keep_alive_.Delete(("/api/sessions/" + session_).c_str()), {200, 410}, "DELETE session");
      ++n;
    }
    session_.clear();
    return n + open_session();
  }

  int get_output() {
    check(keep_alive_.Get(("/api/sessions/" + session_ + "/outputs/sketch.png").c_str()), {200, 404, 410}, "GET output");
    return 1;
  }

  // Opens the session's event stream, starts a run, and leaves the stream at
  // its first event (a refusal's body is read whole).
  int follow_events() {
    const std::string path = "/api/sessions/" + session_ + "/events";
    std::promise<void> opened;
    auto stream = std::async(std::launch::async, [&] {
      auto c = s_.client(10);
      int status = 0;
      std::string body;
      auto r = c.Get(
          path.c_str(),
          [&](const httplib::Response& res) {
            status = res.status;
            opened.set_value();
            return true;
          },
          [&](const char* data, std::size_t n) {
            if (status == 200) return false;  // leave at the first event
            body.append(data, n);
            return true;
          });
      if (r) r->body = body;  // a receiver takes the body in its place
      return r;
    });
    opened.get_future().wait_for(std::chrono::seconds(5));
    check(keep_alive_.Post(run_path().c_str(), Json{{"graph", spin_graph(1)}}.dump(), "application/json"),
          {200, 409, 410}, "run with a stream open");
    auto r = stream.get();
    if (r) {
      // A whole reply: refused (410), or the stream ended because the session
      // was evicted meanwhile (200).
      check(r, {200, 410}, "events");
    } else {
      ++tally_.requests;
      if (r.error() != httplib::Error::Canceled) {
        ++tally_.no_reply;
        tally_.problem("events: " + httplib::to_string(r.error()));
      }
    }
    return 2;
  }

  int read_catalogue() {
    switch (pick_int(0, 2)) {
      case 0: check(keep_alive_.Get("/api/nodes"), {200}, "GET /api/nodes"); break;
      case 1: check(keep_alive_.Get("/api/graphs"), {200}, "GET /api/graphs"); break;
      default: check(keep_alive_.Get("/api/graphs/soak.sumi.json"), {200, 404}, "GET graph");
    }
    return 1;
  }

  int bad_request() {
    auto c = s_.client();  // a fresh connection: refusals may close it
    const std::string run = run_path();
    switch (pick_int(0, 12)) {
      case 0: check(c.Post(run.c_str(), "{\"graph\": ", "application/json"), {400, 410}, "malformed JSON"); break;
      case 1: check(c.Put("/api/graphs/x.sumi.json", "{}", "text/plain"), {415}, "text/plain body"); break;
      case 2:
        check(c.Post(run.c_str(), std::string(300, '[') + std::string(300, ']'), "application/json"), {400, 410},
              "nested too deep");
        break;
      case 3: {
        Json g = spin_graph(1);
        g["nodes"]["spin"]["type"] = "test.no_such_node";
        check(c.Post(run.c_str(), Json{{"graph", g}}.dump(), "application/json"), {400, 410}, "unknown node type");
        break;
      }
      case 4: check(c.Get("/api/graphs/%FF%FE.sumi.json"), {400}, "invalid UTF-8 path"); break;
      case 5:
        check(c.Post("/api/sessions/0123456789abcdef0123456789abcdef/run", Json{{"graph", spin_graph(1)}}.dump(),
                     "application/json"),
              {404}, "unknown session");
        break;
      case 6: check(c.Get("/api/no/such/endpoint"), {404}, "unknown endpoint"); break;
      case 7:
        check(c.Post(run.c_str(), std::string(std::size_t{2} << 20, ' '), "application/json"), {413}, "huge body");
        break;
      case 8: {
        Json g = {{"format", "sumi.graph"}, {"version", 1},
                  {"nodes", {{"img", {{"type", "io.load_image"}, {"params", {{"path", "/etc/hostname"}}}}}}},
                  {"outputs", {{"x", "img.image"}}}};
        check(c.Post(run.c_str(), Json{{"graph", g}}.dump(), "application/json"), {403, 410}, "file outside the sandbox");
        break;
      }
      case 9: {
        Json g = spin_graph(1);
        g["nodes"]["spin"]["type"] = "test.fail";
        g["nodes"]["spin"]["params"] = {{"message", "soak failure"}};
        check(c.Post(run.c_str(), Json{{"graph", g}}.dump(), "application/json"), {422, 409, 410}, "failing node");
        break;
      }
      case 10:
        check(c.Post("/api/sessions", {{"Origin", "http://evil.example"}}, "", "application/json"), {403}, "other origin");
        break;
      case 11: check(c.Get("/api/graphs/..%2F..%2Fetc%2Fpasswd"), {403}, "path traversal"); break;
      default:
        check(c.Put("/api/graphs/soak.sumi.json", spin_graph(1).dump(), "application/json"), {200}, "PUT graph");
    }
    return 1;
  }

  const EditorTestServer& s_;
  Tally& tally_;
  std::mt19937 rng_;
  httplib::Client keep_alive_;
  // Half the clients are long-lived tabs that never end their session (only
  // the server evicts it): without the cache limit their caches would grow.
  bool keeps_session_;
  std::string session_;
};

TEST(EditorSoak, TwoThousandMixedRequestsFromEightClients) {
  EditorTestServer s;
  s.options.max_sessions = 6;  // fewer than the clients: sessions are evicted and re-created
  s.options.cache_mb = 12;     // a few sketches: caches are evicted too
  s.options.threads = 32;      // event streams may take 28: left streams linger until their next write
  s.start();
  constexpr int kClients = 8, kWarmUp = 2000, kRequests = 2000;
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::seconds(100);
  Tally tally;
  std::vector<std::unique_ptr<SoakClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(std::make_unique<SoakClient>(s, i, tally));
  auto phase = [&](int requests) {
    std::atomic<int> counter{0};
    std::vector<std::thread> threads;
    for (auto& c : clients) threads.emplace_back([&, c = c.get()] { c->work(counter, requests, deadline); });
    for (auto& t : threads) t.join();
    return counter.load();
  };

  phase(kWarmUp);
  const long rss_warm_untrimmed = rss_kb();
  release_free_memory();
  const long rss_warm = rss_kb();
  const auto t1 = Clock::now();
  const int done = phase(kRequests);
  const double soak_s = std::chrono::duration<double>(Clock::now() - t1).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // walked-away runs finish
  const long rss_after_untrimmed = rss_kb();
  release_free_memory();
  const long rss_after = rss_kb();

  std::ostringstream report;
  report << "soak: " << done << " requests in " << soak_s << " s after a warm-up of " << kWarmUp << "; RSS "
         << rss_warm / 1024 << " MB after warm-up, " << rss_after / 1024 << " MB after ("
         << static_cast<double>(rss_after) / static_cast<double>(rss_warm) << "x; before trimming " << rss_warm_untrimmed / 1024
         << " and " << rss_after_untrimmed / 1024 << " MB); recovered from 410: " << tally.recovered
         << "; statuses:";
  for (const auto& [status, n] : tally.statuses) report << " " << status << "x" << n;
  std::cout << report.str() << "\n";
  for (const std::string& p : tally.problems) ADD_FAILURE() << p;

  EXPECT_GE(done, kRequests) << "the soak ran into its deadline";
  EXPECT_EQ(tally.no_reply, 0);
  EXPECT_EQ(tally.server_errors, 0);
  EXPECT_EQ(tally.unexpected, 0);
  EXPECT_EQ(tally.not_json, 0);
  EXPECT_GT(tally.statuses[410], 0) << "no session was evicted: the limits were not exercised";
  EXPECT_GT(tally.statuses[409], 0) << "no run was cancelled";
#ifndef __SANITIZE_ADDRESS__  // ASan's allocator quarantines freed memory: RSS says nothing there
  EXPECT_LE(static_cast<double>(rss_after), 1.2 * static_cast<double>(rss_warm)) << report.str();
#endif
  // Still serving, and the process is alive to say so.
  auto r = s.client().Get("/api/nodes");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace sumi::editor::test
