#include "editor/server/session_manager.h"

#include <algorithm>
#include <cstdio>
#include <random>

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
namespace {
SessionOptions editor_session_options() {
  SessionOptions o;
  o.cache_bytes = std::size_t{256} << 20;  // per tab
  return o;
}
}  // namespace

EditorSession::EditorSession(std::string id, const Registry& registry)
    : id_(std::move(id)), engine_(registry, editor_session_options()), last_used_(std::chrono::steady_clock::now()) {}

std::pair<std::uint64_t, CancelToken> EditorSession::begin_run() {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_.cancel();
  in_flight_ = CancelToken();
  last_used_ = std::chrono::steady_clock::now();
  return {next_run_++, in_flight_};
}

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
SessionManager::SessionManager(const Registry& registry, std::size_t max_sessions)
    : registry_(registry), max_sessions_(std::max<std::size_t>(1, max_sessions)) {}

std::string SessionManager::create() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  std::string id(buf);
  auto session = std::make_shared<EditorSession>(id, registry_);
  std::shared_ptr<EditorSession> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sessions_.size() >= max_sessions_) {
      auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
        return a.second->last_used() < b.second->last_used();
      });
      dropped = oldest->second;
      sessions_.erase(oldest);
    }
    sessions_[id] = session;
  }
  if (dropped) {
    dropped->cancel_in_flight();
    dropped->events().close();
  }
  return id;
}

std::shared_ptr<EditorSession> SessionManager::find(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  it->second->touch();
  return it->second;
}

bool SessionManager::remove(const std::string& id) {
  std::shared_ptr<EditorSession> s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    s = it->second;
    sessions_.erase(it);
  }
  s->cancel_in_flight();
  s->events().close();
  return true;
}

std::size_t SessionManager::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

void SessionManager::close_all() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, s] : sessions_) {
    s->cancel_in_flight();
    s->events().close();
  }
}

}  // namespace sumi::editor
