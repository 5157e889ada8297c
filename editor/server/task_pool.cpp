#include "editor/server/task_pool.h"

#include <algorithm>
#include <system_error>

namespace sumi::editor {

ElasticTaskPool::ElasticTaskPool(std::size_t min_threads, std::size_t max_threads, std::chrono::milliseconds idle_ttl)
    : min_threads_(std::max<std::size_t>(1, min_threads)),
      max_threads_(std::max(min_threads_, max_threads)),
      idle_ttl_(idle_ttl) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t i = 0; i < min_threads_; ++i) start_worker();
}

ElasticTaskPool::~ElasticTaskPool() { shutdown(); }

void ElasticTaskPool::start_worker() {
  std::thread t([this] { work(); });
  const std::thread::id id = t.get_id();
  workers_.emplace(id, std::move(t));
  peak_ = std::max(peak_, workers_.size() - finished_.size());
}

void ElasticTaskPool::take_finished(std::vector<std::thread>& out) {
  for (const std::thread::id& id : finished_) {
    auto it = workers_.find(id);
    if (it == workers_.end()) continue;
    out.push_back(std::move(it->second));
    workers_.erase(it);
  }
  finished_.clear();
}

void ElasticTaskPool::enqueue(std::function<void()> fn) {
  std::vector<std::thread> done;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;  // httplib stops accepting before it shuts the pool down
    jobs_.push_back(std::move(fn));
    take_finished(done);
    // More connections waiting than idle workers to take them: one more worker.
    if (jobs_.size() > idle_ && workers_.size() < max_threads_) {
      try {
        start_worker();
      } catch (const std::system_error&) {
        // No thread to be had (process limits): the job waits for a busy worker.
      }
    }
  }
  cv_.notify_one();
  for (std::thread& t : done) t.join();  // already returned from work()
}

void ElasticTaskPool::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (jobs_.empty()) {
      if (stopping_) break;
      ++idle_;
      const bool woken = cv_.wait_for(lock, idle_ttl_, [this] { return stopping_ || !jobs_.empty(); });
      --idle_;
      const std::size_t alive = workers_.size() - finished_.size();
      if (!woken && alive > min_threads_) break;  // idle too long: an extra worker retires
      continue;
    }
    std::function<void()> fn = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    try {
      fn();
    } catch (...) {
      // httplib's connection tasks handle their own errors; nothing may end a worker.
    }
    lock.lock();
  }
  if (!stopping_) finished_.push_back(std::this_thread::get_id());  // shutdown() joins the rest
}

void ElasticTaskPool::shutdown() {
  std::map<std::thread::id, std::thread> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    all.swap(workers_);
    finished_.clear();
  }
  cv_.notify_all();
  for (auto& [id, t] : all)
    if (t.joinable()) t.join();
}

std::size_t ElasticTaskPool::threads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return workers_.size() - finished_.size();
}

std::size_t ElasticTaskPool::peak_threads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return peak_;
}

}  // namespace sumi::editor
