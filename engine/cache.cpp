#include "engine/cache.h"

#include <algorithm>

namespace sumi {
namespace {

constexpr std::size_t kInitialSlots = 1024;

std::uint64_t stored_key(std::uint64_t key) { return key == 0 ? 1 : key; }

}  // namespace

Cache::Cache(std::size_t budget_bytes) : keys_(kInitialSlots), slot_entry_(kInitialSlots) {
  stats_.budget = budget_bytes;
}

std::size_t Cache::find(std::uint64_t key) const {
  const std::size_t mask = keys_.size() - 1;
  std::size_t i = static_cast<std::size_t>(key) & mask;
  while (keys_[i] != 0 && keys_[i] != key) i = (i + 1) & mask;
  return i;
}

void Cache::erase_slot(std::size_t slot) {
  // Swap-remove the entry from the dense array, repointing the moved one's slot.
  const std::size_t e = slot_entry_[slot];
  if (e + 1 != entries_.size()) {
    entries_[e] = std::move(entries_.back());
    slot_entry_[find(entries_[e].key)] = static_cast<std::uint32_t>(e);
  }
  entries_.pop_back();
  // Backward-shift deletion keeps every probe sequence unbroken.
  const std::size_t mask = keys_.size() - 1;
  std::size_t i = slot;
  keys_[i] = 0;
  for (std::size_t j = i;;) {
    j = (j + 1) & mask;
    if (keys_[j] == 0) return;
    const std::size_t home = static_cast<std::size_t>(keys_[j]) & mask;
    // Move j back to i when its home is not cyclically within (i, j].
    if (((j - home) & mask) >= ((j - i) & mask)) {
      keys_[i] = keys_[j];
      slot_entry_[i] = slot_entry_[j];
      keys_[j] = 0;
      i = j;
    }
  }
}

void Cache::rebuild_index(std::size_t slots) {
  keys_.assign(slots, 0);
  slot_entry_.assign(slots, 0);
  for (std::size_t e = 0; e < entries_.size(); ++e) {
    const std::size_t i = find(entries_[e].key);
    keys_[i] = entries_[e].key;
    slot_entry_[i] = static_cast<std::uint32_t>(e);
  }
}

OutputsPtr Cache::get(std::uint64_t key) {
  std::uint64_t filtered = 0;
  OutputsPtr hit = get(key, &filtered);
  if (filtered) count_misses(filtered);
  return hit;
}

OutputsPtr Cache::get(std::uint64_t key, std::uint64_t* uncounted_misses) {
  key = stored_key(key);
  if (!maybe_present(key)) {
    ++*uncounted_misses;
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t i = find(key);
  if (keys_[i] == 0) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  Entry& entry = entries_[slot_entry_[i]];
  entry.last_use = ++clock_;
  return entry.outputs;
}

void Cache::put(std::uint64_t key, OutputsPtr outputs) {
  key = stored_key(key);
  std::size_t bytes = sizeof(Entry) + sizeof(std::uint64_t) + 32;
  for (const Value& v : *outputs) bytes += v.bytes();
  std::lock_guard<std::mutex> lock(mutex_);
  if (bytes > stats_.budget) return;
  mark_present(key);
  // Load under 50 %: an insert into a linear-probing table probes ~2.5 slots
  // there against ~6 at 70 % (12 bytes a slot, so the index stays small).
  if ((entries_.size() + 1) * 2 > keys_.size()) rebuild_index(keys_.size() * 2);
  const std::size_t i = find(key);
  if (keys_[i] == 0) {
    keys_[i] = key;
    slot_entry_[i] = static_cast<std::uint32_t>(entries_.size());
    entries_.push_back(Entry{key, nullptr, 0, 0});
  } else {
    stats_.bytes -= entries_[slot_entry_[i]].bytes;  // the same key stored again (e.g. by two identical branches)
  }
  Entry& s = entries_[slot_entry_[i]];
  s.outputs = std::move(outputs);
  s.bytes = bytes;
  s.last_use = ++clock_;
  stats_.bytes += bytes;
  if (stats_.bytes > stats_.budget) {
    // Evict down to 90 % so that a full cache sorts once per many puts, not on every put.
    s.last_use = ~std::uint64_t{0};  // never evict what was just stored
    evict_to(stats_.budget - stats_.budget / 10);
    entries_[slot_entry_[find(key)]].last_use = clock_;  // eviction may have moved it (never removed it)
  }
  stats_.entries = entries_.size();
}

void Cache::evict_to(std::size_t budget) {
  if (stats_.bytes <= budget) return;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> order;  // (last_use, key)
  order.reserve(entries_.size());
  for (const Entry& e : entries_) order.emplace_back(e.last_use, e.key);
  std::sort(order.begin(), order.end());
  for (const auto& [use, key] : order) {
    if (stats_.bytes <= budget) break;
    if (use == ~std::uint64_t{0}) continue;  // the entry put() is storing
    const std::size_t i = find(key);
    stats_.bytes -= entries_[slot_entry_[i]].bytes;
    erase_slot(i);
    ++stats_.evictions;
  }
  stats_.entries = entries_.size();
}

void Cache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& word : filter_) word.store(0, std::memory_order_relaxed);
  entries_.clear();  // keeps the capacity for the next run
  std::fill(keys_.begin(), keys_.end(), 0);
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
