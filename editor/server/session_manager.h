// Editor sessions: one per browser tab. Each keeps an engine Session (so its
// cache survives between runs and only what a stroke changed re-runs), the
// latest outputs, the cancel token of the run in flight, and an event hub for
// server-sent events. All sessions share one model store, so N tabs hold one
// copy of each model.
//
//   SessionManager sessions(registry, {.max_sessions = 32, .cache_bytes = 1 << 30});
//   std::optional<std::string> id = sessions.create();   // none: all sessions busy
//   std::shared_ptr<EditorSession> s = sessions.find(*id);   // null when unknown
//
// Limits (SessionLimits): at most `max_sessions` live; creating one more ends
// the least recently used idle one (idle = no run in flight), and when every
// session is running, create() refuses. The sessions' result caches together
// stay under `cache_bytes`: after each run, least recently used idle sessions
// that hold cached results (never the one that just ran) end until they fit. An ended session's id is
// remembered (the last 4096), so that a request for it can be told why it is
// gone (evicted()) rather than "unknown". Memory a session held is handed back
// to the system when its last user lets go (release_free_memory).
//
// Thread safety: everything here is safe to use from several request threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/progress.h"
#include "engine/registry.h"
#include "engine/session.h"
#include "engine/value.h"

namespace sumi::editor {

// A bounded queue of text events (each a JSON object) with sequence numbers;
// any number of readers follow it with their own cursor.
class EventHub {
 public:
  explicit EventHub(std::size_t keep = 1024) : keep_(keep) {}
  void publish(std::string event_json);
  // Waits up to `timeout` for events after `cursor` (0 = from now on: returns
  // the current end), appends them to `out` and returns the new cursor.
  // Returns early, with nothing, once closed.
  std::uint64_t wait(std::uint64_t cursor, std::vector<std::string>& out, std::chrono::milliseconds timeout);
  std::uint64_t end() const;
  void close();
  bool closed() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> events_;
  std::uint64_t first_ = 1;  // sequence number of events_.front()
  std::size_t keep_;
  bool closed_ = false;
};

struct StoredOutput {
  std::string name;  // as served: NAME.png
  Value value;       // an Image or Mask
};

class EditorSession {
 public:
  EditorSession(std::string id, const Registry& registry, SessionOptions options);
  const std::string& id() const { return id_; }
  Session& engine() { return engine_; }
  EventHub& events() { return events_; }

  // Starts a run: cancels the one in flight and returns the new run's number
  // and cancel token. Every begin_run() is paired with an end_run() (RunScope).
  std::pair<std::uint64_t, CancelToken> begin_run();
  void end_run();
  bool busy() const;  // a run is in flight
  std::size_t cache_bytes();
  // Stores a finished run's outputs unless a later run has stored already.
  void store_outputs(std::uint64_t run, std::map<std::string, StoredOutput> outputs);
  // The latest output `name` ("parts" or "split_mouth"); empty when none.
  Value output(const std::string& name) const;
  void cancel_in_flight();
  void touch();
  std::chrono::steady_clock::time_point last_used() const;

 private:
  std::string id_;
  Session engine_;
  EventHub events_;
  mutable std::mutex mu_;
  std::uint64_t next_run_ = 1;
  std::uint64_t stored_run_ = 0;
  int running_ = 0;  // runs between begin_run() and end_run()
  CancelToken in_flight_;
  std::map<std::string, StoredOutput> outputs_;
  std::chrono::steady_clock::time_point last_used_;
};

struct SessionLimits {
  std::size_t max_sessions = 32;
  std::size_t cache_bytes = std::size_t{1} << 30;          // all sessions' caches together
  std::size_t session_cache_bytes = std::size_t{256} << 20;  // one session's (at most cache_bytes)
};

class SessionManager {
 public:
  explicit SessionManager(const Registry& registry, SessionLimits limits = {});
  // A new session's id; none when `max_sessions` are live and all are running.
  std::optional<std::string> create();
  std::shared_ptr<EditorSession> find(const std::string& id);
  // Why the session `id` was ended by the server (to make room), or none when
  // it was not (unknown, or ended by its client).
  std::optional<std::string> evicted(const std::string& id) const;
  bool remove(const std::string& id);
  std::size_t size() const;
  std::size_t cache_bytes() const;  // all live sessions' caches together
  const SessionLimits& limits() const { return limits_; }
  // Ends least recently used idle sessions other than `keep` until the caches
  // fit `limits().cache_bytes`. Called after every run.
  void enforce_cache_limit(const EditorSession* keep);
  // Cancels every run and closes every event stream (server shutdown).
  void close_all();

 private:
  // Removes `it` and records why (mu_ held); the caller ends it unlocked.
  std::shared_ptr<EditorSession> evict_locked(std::map<std::string, std::shared_ptr<EditorSession>>::iterator it,
                                              const std::string& reason);
  // The least recently used idle session other than `keep`, with a non-empty
  // cache if `holding_cache` (mu_ held); end() when there is none.
  std::map<std::string, std::shared_ptr<EditorSession>>::iterator lru_idle_locked(const EditorSession* keep,
                                                                                   bool holding_cache);

  const Registry& registry_;
  SessionLimits limits_;
  std::shared_ptr<ModelStore> models_;  // shared by every session
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<EditorSession>> sessions_;
  std::map<std::string, std::string> evicted_;  // id -> why
  std::deque<std::string> evicted_order_;       // oldest first, to forget the oldest
};

// Marks a session's run in flight for as long as it lives (busy sessions are
// never evicted), then applies the cache limit.
class RunScope {
 public:
  RunScope(SessionManager& manager, std::shared_ptr<EditorSession> session);
  ~RunScope();
  RunScope(const RunScope&) = delete;
  RunScope& operator=(const RunScope&) = delete;
  std::uint64_t run() const { return run_; }
  const CancelToken& cancel() const { return cancel_; }

 private:
  SessionManager& manager_;
  std::shared_ptr<EditorSession> session_;
  std::uint64_t run_;
  CancelToken cancel_;
};

}  // namespace sumi::editor
