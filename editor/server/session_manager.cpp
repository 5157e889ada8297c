#include "editor/server/session_manager.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <tuple>

#include "engine/model_store.h"
#include "engine/runtime.h"

namespace sumi::editor {

// ---- EventHub ------------------------------------------------------------
void EventHub::publish(std::string event_json) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(event_json));
    while (events_.size() > keep_) {
      events_.pop_front();
      ++first_;
    }
  }
  cv_.notify_all();
}

std::uint64_t EventHub::end() const {
  std::lock_guard<std::mutex> lock(mu_);
  return first_ + events_.size();
}

std::uint64_t EventHub::wait(std::uint64_t cursor, std::vector<std::string>& out, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto end_now = [&] { return first_ + events_.size(); };
  if (cursor == 0) return end_now();
  cv_.wait_for(lock, timeout, [&] { return closed_ || end_now() > cursor; });
  if (closed_) return cursor;
  std::uint64_t from = std::max(cursor, first_);  // events older than the window are gone
  for (std::uint64_t i = from; i < end_now(); ++i) out.push_back(events_[static_cast<std::size_t>(i - first_)]);
  return end_now();
}

void EventHub::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool EventHub::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

// ---- EditorSession ---------------------------------------------------------
EditorSession::EditorSession(std::string id, const Registry& registry, SessionOptions options)
    : id_(std::move(id)), engine_(registry, std::move(options)), last_used_(std::chrono::steady_clock::now()) {}

std::pair<std::uint64_t, CancelToken> EditorSession::begin_run() {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_.cancel();
  in_flight_ = CancelToken();
  last_used_ = std::chrono::steady_clock::now();
  ++running_;
  return {next_run_++, in_flight_};
}

void EditorSession::end_run() {
  std::lock_guard<std::mutex> lock(mu_);
  --running_;
  last_used_ = std::chrono::steady_clock::now();
}

bool EditorSession::busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_ > 0;
}

std::size_t EditorSession::cache_bytes() { return engine_.cache().stats().bytes; }

void EditorSession::store_outputs(std::uint64_t run, std::map<std::string, StoredOutput> outputs) {
  std::lock_guard<std::mutex> lock(mu_);
  if (run < stored_run_) return;
  stored_run_ = run;
  outputs_ = std::move(outputs);
}

Value EditorSession::output(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = outputs_.find(name);
  return it == outputs_.end() ? Value() : it->second.value;
}

void EditorSession::cancel_in_flight() {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_.cancel();
}

void EditorSession::touch() {
  std::lock_guard<std::mutex> lock(mu_);
  last_used_ = std::chrono::steady_clock::now();
}

std::chrono::steady_clock::time_point EditorSession::last_used() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_used_;
}

// ---- SessionManager --------------------------------------------------------
namespace {

constexpr std::size_t kRememberEvicted = 4096;

std::string mb(std::size_t bytes) { return std::to_string((bytes + (std::size_t{1} << 19)) >> 20) + " MB"; }

// A session's cache, results and outputs go back to the system once its last
// user (a request still holding it) lets go.
void end_session(EditorSession* s) {
  delete s;
  release_free_memory();
}

}  // namespace

SessionManager::SessionManager(const Registry& registry, SessionLimits limits)
    : registry_(registry), limits_(limits), models_(std::make_shared<ModelStore>()) {
  limits_.max_sessions = std::max<std::size_t>(1, limits_.max_sessions);
  limits_.session_cache_bytes = std::min(limits_.session_cache_bytes, limits_.cache_bytes);
}

std::map<std::string, std::shared_ptr<EditorSession>>::iterator SessionManager::lru_idle_locked(const EditorSession* keep,
                                                                                                bool holding_cache) {
  auto best = sessions_.end();
  auto best_time = std::chrono::steady_clock::time_point::max();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    EditorSession& s = *it->second;
    if (&s == keep || s.busy() || (holding_cache && s.cache_bytes() == 0)) continue;
    const auto t = s.last_used();
    if (t < best_time) best = it, best_time = t;
  }
  return best;
}

std::shared_ptr<EditorSession> SessionManager::evict_locked(
    std::map<std::string, std::shared_ptr<EditorSession>>::iterator it, const std::string& reason) {
  std::shared_ptr<EditorSession> s = std::move(it->second);
  sessions_.erase(it);
  if (evicted_.emplace(s->id(), reason).second) evicted_order_.push_back(s->id());
  while (evicted_order_.size() > kRememberEvicted) {
    evicted_.erase(evicted_order_.front());
    evicted_order_.pop_front();
  }
  return s;
}

namespace {
void end_all(std::vector<std::shared_ptr<EditorSession>>& ended) {
  for (auto& s : ended) {
    s->cancel_in_flight();
    s->events().close();
  }
  ended.clear();  // the last reference, unless a request still holds one
}
}  // namespace

std::optional<std::string> SessionManager::create() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  std::string id(buf);
  SessionOptions options;
  options.cache_bytes = limits_.session_cache_bytes;
  options.models = models_;
  std::shared_ptr<EditorSession> session(new EditorSession(id, registry_, std::move(options)), end_session);
  std::vector<std::shared_ptr<EditorSession>> ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sessions_.size() >= limits_.max_sessions) {
      auto oldest = lru_idle_locked(nullptr, false);
      if (oldest == sessions_.end()) return std::nullopt;  // every session is running
      ended.push_back(evict_locked(oldest, "the server keeps at most " + std::to_string(limits_.max_sessions) +
                                               " sessions (sumi serve --max-sessions) and this was the least "
                                               "recently used idle one when another was created"));
    }
    sessions_[id] = session;
  }
  end_all(ended);
  return id;
}

std::shared_ptr<EditorSession> SessionManager::find(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  it->second->touch();
  return it->second;
}

std::optional<std::string> SessionManager::evicted(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = evicted_.find(id);
  if (it == evicted_.end()) return std::nullopt;
  return it->second;
}

bool SessionManager::remove(const std::string& id) {
  std::vector<std::shared_ptr<EditorSession>> ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    ended.push_back(std::move(it->second));
    sessions_.erase(it);
  }
  end_all(ended);
  return true;
}

std::size_t SessionManager::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

std::size_t SessionManager::cache_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t total = 0;
  for (const auto& [id, s] : sessions_) total += s->cache_bytes();
  return total;
}

void SessionManager::enforce_cache_limit(const EditorSession* keep) {
  std::vector<std::shared_ptr<EditorSession>> ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t total = 0;
    for (const auto& [id, s] : sessions_) total += s->cache_bytes();
    while (total > limits_.cache_bytes) {
      // Ending a session whose cache is empty would free nothing.
      auto victim = lru_idle_locked(keep, true);
      if (victim == sessions_.end()) break;  // the rest are running: checked again after their runs
      const std::size_t bytes = victim->second->cache_bytes();
      total -= std::min(total, bytes);
      ended.push_back(evict_locked(victim, "the sessions' caches together held " + mb(total + bytes) +
                                               ", over the server's limit of " + mb(limits_.cache_bytes) +
                                               " (sumi serve --cache-mb), and this was the least recently used "
                                               "idle session"));
    }
  }
  end_all(ended);
}

void SessionManager::close_all() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, s] : sessions_) {
    s->cancel_in_flight();
    s->events().close();
  }
}

// ---- RunScope --------------------------------------------------------------
RunScope::RunScope(SessionManager& manager, std::shared_ptr<EditorSession> session)
    : manager_(manager), session_(std::move(session)) {
  std::tie(run_, cancel_) = session_->begin_run();
}

RunScope::~RunScope() {
  session_->end_run();
  try {
    manager_.enforce_cache_limit(session_.get());
  } catch (...) {
    // Nothing to report from a destructor: the next run checks again.
  }
}

}  // namespace sumi::editor
