// The editor server's connection pool: cpp-httplib gives each connection one
// worker thread for its whole life (request line, headers, body, keep-alive
// waits), so with a fixed pool a handful of clients that open connections and
// never finish their headers hold every worker until the read timeout, and
// every other request waits (20 such connections stalled the old 16-thread
// server for 34 s). This pool grows instead: a connection that finds no idle
// worker starts one more, up to `max_threads`; workers beyond `min_threads`
// end after `idle_ttl` without work. At the bound, connections wait in line.
//
//   srv.new_task_queue = [] { return new ElasticTaskPool(16, 128); };
//
// Thread safety: enqueue() may be called from any thread; shutdown() once,
// from the thread that owns the pool (httplib calls both from its listen loop).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace sumi::editor {

class ElasticTaskPool : public httplib::TaskQueue {
 public:
  ElasticTaskPool(std::size_t min_threads, std::size_t max_threads,
                  std::chrono::milliseconds idle_ttl = std::chrono::seconds(10));
  ~ElasticTaskPool() override;
  ElasticTaskPool(const ElasticTaskPool&) = delete;
  ElasticTaskPool& operator=(const ElasticTaskPool&) = delete;

  void enqueue(std::function<void()> fn) override;
  // Runs what is queued, then ends and joins every worker.
  void shutdown() override;

  std::size_t threads() const;       // workers alive now
  std::size_t peak_threads() const;  // most alive at once

 private:
  void work();
  void start_worker();                                   // mutex_ held
  void take_finished(std::vector<std::thread>& out);  // mutex_ held

  const std::size_t min_threads_, max_threads_;
  const std::chrono::milliseconds idle_ttl_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::map<std::thread::id, std::thread> workers_;
  std::vector<std::thread::id> finished_;  // retired workers not joined yet
  std::size_t idle_ = 0, peak_ = 0;
  bool stopping_ = false;
};

}  // namespace sumi::editor
