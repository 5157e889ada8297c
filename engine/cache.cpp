#include "engine/cache.h"

#include <algorithm>

namespace sumi {
namespace {

constexpr std::size_t kInitialSlots = 1024;

std::uint64_t stored_key(std::uint64_t key) { return key == 0 ? 1 : key; }

}  // namespace

Cache::Cache(std::size_t budget_bytes) : keys_(kInitialSlots), entries_(kInitialSlots) { stats_.budget = budget_bytes; }

std::size_t Cache::find(std::uint64_t key) const {
  const std::size_t mask = keys_.size() - 1;
  std::size_t i = static_cast<std::size_t>(key) & mask;
  while (keys_[i] != 0 && keys_[i] != key) i = (i + 1) & mask;
  return i;
}

void Cache::erase_at(std::size_t i) {
  // Backward-shift deletion keeps every probe sequence unbroken.
  const std::size_t mask = keys_.size() - 1;
  keys_[i] = 0;
  entries_[i] = Entry{};
  --used_;
  std::size_t j = i;
  for (;;) {
    j = (j + 1) & mask;
    if (keys_[j] == 0) return;
    const std::size_t home = static_cast<std::size_t>(keys_[j]) & mask;
    // Move j back to i when its home is not cyclically within (i, j].
    if (((j - home) & mask) >= ((j - i) & mask)) {
      keys_[i] = keys_[j];
      entries_[i] = std::move(entries_[j]);
      keys_[j] = 0;
      entries_[j] = Entry{};
      i = j;
    }
  }
}

void Cache::grow() {
  std::vector<std::uint64_t> old_keys(keys_.size() * 2);
  std::vector<Entry> old_entries(entries_.size() * 2);
  old_keys.swap(keys_);
  old_entries.swap(entries_);
  for (std::size_t i = 0; i < old_keys.size(); ++i) {
    if (old_keys[i] == 0) continue;
    const std::size_t j = find(old_keys[i]);
    keys_[j] = old_keys[i];
    entries_[j] = std::move(old_entries[i]);
  }
}

OutputsPtr Cache::get(std::uint64_t key) {
  key = stored_key(key);
  if (!maybe_present(key)) {
    filtered_misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t i = find(key);
  if (keys_[i] == 0) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  entries_[i].last_use = ++clock_;
  return entries_[i].outputs;
}

void Cache::put(std::uint64_t key, OutputsPtr outputs) {
  key = stored_key(key);
  std::size_t bytes = sizeof(Entry) + sizeof(std::uint64_t) + 32;
  for (const Value& v : *outputs) bytes += v.bytes();
  std::lock_guard<std::mutex> lock(mutex_);
  if (bytes > stats_.budget) return;
  mark_present(key);
  if ((used_ + 1) * 10 > keys_.size() * 7) grow();  // keep the load under 70 %
  const std::size_t i = find(key);
  Entry& s = entries_[i];
  if (keys_[i] == 0) {
    keys_[i] = key;
    ++used_;
  } else {
    stats_.bytes -= s.bytes;  // the same key stored again (e.g. by two identical branches)
  }
  s.outputs = std::move(outputs);
  s.bytes = bytes;
  s.last_use = ++clock_;
  stats_.bytes += bytes;
  if (stats_.bytes > stats_.budget) {
    // Evict down to 90 % so that a full cache sorts once per many puts, not on every put.
    s.last_use = ~std::uint64_t{0};  // never evict what was just stored
    evict_to(stats_.budget - stats_.budget / 10);
    entries_[find(key)].last_use = clock_;  // eviction may have moved it
  }
  stats_.entries = used_;
}

void Cache::evict_to(std::size_t budget) {
  if (stats_.bytes <= budget) return;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> order;  // (last_use, key)
  order.reserve(used_);
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i] != 0) order.emplace_back(entries_[i].last_use, keys_[i]);
  std::sort(order.begin(), order.end());
  for (const auto& [use, key] : order) {
    if (stats_.bytes <= budget) break;
    const std::size_t i = find(key);
    stats_.bytes -= entries_[i].bytes;
    erase_at(i);
    ++stats_.evictions;
  }
  stats_.entries = used_;
}

void Cache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& word : filter_) word.store(0, std::memory_order_relaxed);
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i] != 0) {
      keys_[i] = 0;
      entries_[i] = Entry{};
    }
  used_ = 0;
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
  CacheStats s = stats_;
  s.misses += filtered_misses_.load(std::memory_order_relaxed);
  return s;
}

void Cache::reset_stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.hits = stats_.misses = stats_.evictions = 0;
  filtered_misses_.store(0, std::memory_order_relaxed);
}

}  // namespace sumi
