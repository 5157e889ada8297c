// The editor server's resource limits (issue 21): the cap on sessions, the cap
// on all sessions' cache memory (LRU eviction of idle sessions, 410 Gone for
// an evicted one), read timeouts, and a connection pool that stalled
// connections cannot exhaust.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <vector>

#include <gtest/gtest.h>

#include "editor/server/task_pool.h"
#include "tests/editor_test_server.h"

namespace sumi::editor::test {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

Json run_body(const Json& graph, int shift = 0) { return {{"graph", graph}, {"inputs", {{"draw", strokes(shift)}}}}; }

std::string run_path(const std::string& session) { return "/api/sessions/" + session + "/run"; }

// A raw loopback connection (a client that may stop half way through a request).
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  bool connected() const { return connected_; }
  bool send(const std::string& s) { return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()); }
  // Waits up to `timeout` for the server to close the connection (reading
  // and dropping anything it sends first). True when it did.
  bool closed_within(std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<long>(timeout.count() / 1000);
    tv.tv_usec = static_cast<long>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[512];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST(EditorLimits, TheSessionCapEvictsTheLeastRecentlyUsedIdleSession) {
  EditorTestServer s;
  s.options.max_sessions = 2;
  s.start();
  const std::string a = s.new_session(), b = s.new_session();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto r = s.post_json(run_path(a), {{"graph", spin_graph(1)}});  // a is now used more recently than b
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string c = s.new_session();
  ASSERT_FALSE(c.empty());

  // b was evicted: 410 Gone, saying why and how to go on, for every route.
  r = s.post_json(run_path(b), {{"graph", spin_graph(1)}});
  EditorTestServer::expect_error(r, 410, "session '" + b + "' was evicted");
  EditorTestServer::expect_error(r, 410, "--max-sessions");
  EditorTestServer::expect_error(r, 410, "Create a new session with POST /api/sessions and send the graph again");
  EXPECT_EQ(Json::parse(r->body)["evicted"], true);
  EditorTestServer::expect_error(s.client().Get(("/api/sessions/" + b + "/outputs/x.png").c_str()), 410, "evicted");
  EditorTestServer::expect_error(s.client().Get(("/api/sessions/" + b + "/events").c_str()), 410, "evicted");
  // An id that never existed is still a plain 404, and one its client ended too.
  EditorTestServer::expect_error(s.post_json(run_path("0123456789abcdef"), {{"graph", spin_graph(1)}}), 404, "no session");
  ASSERT_EQ(s.client().Delete(("/api/sessions/" + c).c_str())->status, 200);
  EditorTestServer::expect_error(s.post_json(run_path(c), {{"graph", spin_graph(1)}}), 404, "no session");

  r = s.post_json(run_path(a), {{"graph", spin_graph(1)}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST(EditorLimits, ANewSessionIsRefusedWhileEverySessionIsRunning) {
  EditorTestServer s;
  s.options.max_sessions = 2;
  s.start();
  const std::string a = s.new_session(), b = s.new_session();
  auto slow_a = std::async(std::launch::async, [&] { return s.post_json(run_path(a), {{"graph", spin_graph(20000)}}); });
  auto slow_b = std::async(std::launch::async, [&] { return s.post_json(run_path(b), {{"graph", spin_graph(20000)}}); });
  const auto t0 = Clock::now();
  while (s.counters.count("spin") < 2 && seconds_since(t0) < 10) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(s.counters.count("spin"), 2);

  auto r = s.client().Post("/api/sessions");
  EditorTestServer::expect_error(r, 429, "all 2 sessions are running graphs");
  EditorTestServer::expect_error(r, 429, "--max-sessions");
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  EXPECT_EQ(Json::parse(r->body)["max_sessions"], 2);
  // Neither running session was touched by the refusal.
  EXPECT_EQ(s.counters.count("spin"), 2);

  // A quick run on `a` cancels its slow one; `a` is then idle and makes room.
  r = s.post_json(run_path(a), {{"graph", spin_graph(1)}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EditorTestServer::expect_error(slow_a.get(), 409, "cancelled");
  EXPECT_FALSE(s.new_session().empty());
  EditorTestServer::expect_error(s.post_json(run_path(a), {{"graph", spin_graph(1)}}), 410, "evicted");
  // b still runs (never evicted while running); end it.
  r = s.post_json(run_path(b), {{"graph", spin_graph(1)}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EditorTestServer::expect_error(slow_b.get(), 409, "cancelled");
}

TEST(EditorLimits, TheCacheLimitEvictsIdleSessionsLeastRecentlyUsedFirst) {
  EditorTestServer s;
  s.options.cache_mb = 2;  // one 600-pixel sketch (1.4 MB) fits; two do not
  s.start();
  const std::string a = s.new_session(), b = s.new_session(), c = s.new_session();
  for (const std::string& id : {a, b}) {
    auto r = s.post_json(run_path(id), run_body(sketch_graph(600)));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  // a ran first: evicted when b's results pushed the total over 2 MB.
  auto r = s.post_json(run_path(a), run_body(sketch_graph(600)));
  EditorTestServer::expect_error(r, 410, "was evicted");
  EditorTestServer::expect_error(r, 410, "over the server's limit of 2 MB (sumi serve --cache-mb)");
  // b, the session that ran, is kept; c (small cache) is untouched.
  auto png = s.client().Get(("/api/sessions/" + b + "/outputs/sketch.png").c_str());
  ASSERT_TRUE(png);
  EXPECT_EQ(png->status, 200);
  r = s.post_json(run_path(c), {{"graph", spin_graph(1)}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  // Small results never evict anyone.
  r = s.post_json(run_path(b), {{"graph", spin_graph(1)}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

// 20 clients that open a connection and stop in the middle of their headers:
// every other request is still answered at once (the fixed pool of 16
// threads used to make it wait 34 s), and the stalled connections are closed
// after the read timeout.
TEST(EditorLimits, StalledConnectionsDoNotKeepOtherRequestsWaiting) {
  EditorTestServer s;
  s.options.threads = 6;
  s.options.read_timeout_s = 2;
  s.start();
  std::vector<std::unique_ptr<RawConnection>> stalled;
  for (int i = 0; i < 20; ++i) {
    stalled.push_back(std::make_unique<RawConnection>(s.port()));
    ASSERT_TRUE(stalled.back()->connected());
    ASSERT_TRUE(stalled.back()->send("GET /api/nodes HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: app"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the server take them all
  auto t0 = Clock::now();
  for (int i = 0; i < 3; ++i) {
    auto r = s.client().Get("/api/graphs");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_LT(seconds_since(t0), 1.0) << "requests waited for stalled connections";
  t0 = Clock::now();
  for (auto& c : stalled) EXPECT_TRUE(c->closed_within(std::chrono::milliseconds(6000)));
  EXPECT_LT(seconds_since(t0), 4.0);
}

TEST(EditorLimits, IdleAndDripFedConnectionsAreClosedAfterTheReadTimeout) {
  EditorTestServer s;
  s.options.read_timeout_s = 1;
  s.start();
  RawConnection idle(s.port()), half_body(s.port());
  ASSERT_TRUE(idle.connected() && half_body.connected());
  ASSERT_TRUE(half_body.send("PUT /api/graphs/x.sumi.json HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                             "Content-Length: 100\r\n\r\n{\"format\": "));
  auto t0 = Clock::now();
  EXPECT_TRUE(idle.closed_within(std::chrono::milliseconds(5000)));
  EXPECT_TRUE(half_body.closed_within(std::chrono::milliseconds(5000)));
  const double took = seconds_since(t0);
  EXPECT_GT(took, 0.5);
  EXPECT_LT(took, 3.5);
  EXPECT_FALSE(std::filesystem::exists(s.dir() / "graphs/x.sumi.json"));
}

TEST(ElasticTaskPool, GrowsWhileEveryWorkerIsBlockedAndShrinksWhenIdle) {
  ElasticTaskPool pool(2, 8, std::chrono::milliseconds(200));
  EXPECT_EQ(pool.threads(), 2u);
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> started{0}, done{0};
  for (int i = 0; i < 12; ++i)
    pool.enqueue([&] {
      ++started;
      std::unique_lock<std::mutex> lock(m);
      cv.wait(lock, [&] { return release; });
      ++done;
    });
  const auto t0 = Clock::now();
  while (started < 8 && seconds_since(t0) < 5) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(started, 8);  // grew to the bound, no further: the other 4 wait in line
  EXPECT_EQ(pool.threads(), 8u);
  {
    std::lock_guard<std::mutex> lock(m);
    release = true;
  }
  cv.notify_all();
  while (done < 12 && seconds_since(t0) < 5) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(done, 12);
  EXPECT_EQ(pool.peak_threads(), 8u);
  while (pool.threads() > 2 && seconds_since(t0) < 5) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(pool.threads(), 2u);  // the extra workers retired after 200 ms idle
  // Still works after shrinking; shutdown runs what is queued.
  for (int i = 0; i < 5; ++i) pool.enqueue([&] { ++done; });
  pool.shutdown();
  EXPECT_EQ(done, 17);
  EXPECT_EQ(pool.threads(), 0u);
}

}  // namespace
}  // namespace sumi::editor::test
