// Editor sessions: one per browser tab. Each keeps an engine Session (so its
// cache survives between runs and only what a stroke changed re-runs), the
// latest outputs, the cancel token of the run in flight, and an event hub for
// server-sent events.
//
//   SessionManager sessions(registry);
//   std::string id = sessions.create();
//   std::shared_ptr<EditorSession> s = sessions.find(id);   // null when unknown
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
  EditorSession(std::string id, const Registry& registry);
  const std::string& id() const { return id_; }
  Session& engine() { return engine_; }
  EventHub& events() { return events_; }

  // Starts a run: cancels the one in flight and returns the new run's number
  // and cancel token.
  std::pair<std::uint64_t, CancelToken> begin_run();
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
  CancelToken in_flight_;
  std::map<std::string, StoredOutput> outputs_;
  std::chrono::steady_clock::time_point last_used_;
};

class SessionManager {
 public:
  // At most `max_sessions` live; creating one more drops the least recently used.
  explicit SessionManager(const Registry& registry, std::size_t max_sessions = 32);
  std::string create();
  std::shared_ptr<EditorSession> find(const std::string& id);
  bool remove(const std::string& id);
  std::size_t size() const;
  // Cancels every run and closes every event stream (server shutdown).
  void close_all();

 private:
  const Registry& registry_;
  std::size_t max_sessions_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<EditorSession>> sessions_;
};

}  // namespace sumi::editor
