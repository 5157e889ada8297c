#include "engine/cache.h"

#include <algorithm>

namespace sumi {

Cache::Cache(std::size_t budget_bytes) {
  stats_.budget = budget_bytes;
  map_.reserve(1024);
}

OutputsPtr Cache::get(std::uint64_t key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = map_.find(key);
  if (it == map_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  it->second.last_use = ++clock_;
  return it->second.outputs;
}

void Cache::put(std::uint64_t key, OutputsPtr outputs) {
  std::size_t bytes = sizeof(Entry) + 32;
  for (const Value& v : *outputs) bytes += v.bytes();
  std::lock_guard<std::mutex> lock(mutex_);
  if (bytes > stats_.budget) return;
  // (try_emplace would move `outputs` into a temporary even when the key
  // exists, so look up first.)
  auto it = map_.find(key);
  if (it != map_.end()) {
    stats_.bytes -= it->second.bytes;
    it->second = Entry{std::move(outputs), bytes, ++clock_};
  } else {
    it = map_.emplace(key, Entry{std::move(outputs), bytes, ++clock_}).first;
  }
  stats_.bytes += bytes;
  if (stats_.bytes > stats_.budget) {
    it->second.last_use = ~std::uint64_t{0};  // never evict what was just stored
    evict_to(stats_.budget);
    it->second.last_use = clock_;
  }
  stats_.entries = map_.size();
}

void Cache::evict_to(std::size_t budget) {
  if (stats_.bytes <= budget) return;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> order;  // (last_use, key)
  order.reserve(map_.size());
  for (const auto& [key, e] : map_) order.emplace_back(e.last_use, key);
  std::sort(order.begin(), order.end());
  for (const auto& [use, key] : order) {
    if (stats_.bytes <= budget) break;
    auto it = map_.find(key);
    stats_.bytes -= it->second.bytes;
    map_.erase(it);
    ++stats_.evictions;
  }
  stats_.entries = map_.size();
}

void Cache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  map_.clear();
  stats_.bytes = 0;
  stats_.entries = 0;
}

void Cache::set_budget(std::size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.budget = bytes;
  evict_to(bytes);
}

CacheStats Cache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void Cache::reset_stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.hits = stats_.misses = stats_.evictions = 0;
}

}  // namespace sumi
