// The result cache: node outputs keyed by a 64-bit hash of (node type,
// version, parameters, file fingerprints, device, input content hashes).
// Memory-bounded, least-recently-used entries evicted first.
//
//   Cache cache(512 << 20);
//   if (auto hit = cache.get(key)) use(*hit); else cache.put(key, outputs);
//
// Entries are shared pointers to immutable values: evicting one never
// invalidates a result a run is still using.
//
// Thread safety: all members are safe to call concurrently.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/value.h"

namespace sumi {

// A node's output values, one per declared output port. Up to four are
// stored inline so a node result costs one allocation (with make_shared).
class Outputs {
 public:
  explicit Outputs(std::size_t n = 0) : n_(n) {
    if (n > kInline) heap_.resize(n);
  }
  Outputs(std::initializer_list<Value> values) : Outputs(values.size()) {
    std::size_t i = 0;
    for (const Value& v : values) (*this)[i++] = v;
  }
  std::size_t size() const { return n_; }
  Value& operator[](std::size_t i) { return n_ > kInline ? heap_[i] : inline_[i]; }
  const Value& operator[](std::size_t i) const { return n_ > kInline ? heap_[i] : inline_[i]; }
  const Value* begin() const { return n_ > kInline ? heap_.data() : inline_.data(); }
  const Value* end() const { return begin() + n_; }
  // A warning the node gave with these outputs (NodeContext::warn); cached with them.
  const std::string& warning() const { return warning_; }
  void set_warning(std::string w) { warning_ = std::move(w); }

 private:
  static constexpr std::size_t kInline = 4;
  std::size_t n_;
  std::string warning_;
  std::array<Value, kInline> inline_;
  std::vector<Value> heap_;
};
using OutputsPtr = std::shared_ptr<const Outputs>;

struct CacheStats {
  std::uint64_t hits = 0, misses = 0, evictions = 0;
  std::size_t entries = 0, bytes = 0, budget = 0;
};

class Cache {
 public:
  explicit Cache(std::size_t budget_bytes = std::size_t{1} << 30);
  OutputsPtr get(std::uint64_t key);
  // The same, but a certain miss (the filter below) is added to
  // `*uncounted_misses` instead of the shared counter; the caller reports the
  // sum later with count_misses(). Saves an atomic add per node of a cold run.
  OutputsPtr get(std::uint64_t key, std::uint64_t* uncounted_misses);
  void count_misses(std::uint64_t n) { filtered_misses_.fetch_add(n, std::memory_order_relaxed); }
  // Stores `outputs` unless it alone exceeds the budget. When over budget,
  // evicts least-recently-used entries down to 90 % of it.
  void put(std::uint64_t key, OutputsPtr outputs);
  void clear();
  void set_budget(std::size_t bytes);
  CacheStats stats() const;
  void reset_stats();

 private:
  // An open-addressing index (linear probing, backward-shift deletion) keyed
  // by the already well-mixed 64-bit cache keys, over a dense array of
  // entries: no allocation per entry, one probe per lookup, and a store
  // appends to the entries instead of writing a random slot of a large table
  // (in a cold run that cache miss was most of put()'s time). Keys live in
  // their own array (8 bytes a slot, so probing stays in the CPU cache).
  // Recency is a use counter per entry; the rare eviction sorts by it.
  struct Entry {
    std::uint64_t key = 0;
    OutputsPtr outputs;
    std::size_t bytes = 0;
    std::uint64_t last_use = 0;
  };
  std::size_t find(std::uint64_t key) const;  // slot index, or the empty slot where it would go
  void erase_slot(std::size_t slot);
  void rebuild_index(std::size_t slots);
  void evict_to(std::size_t budget);
  // A lock-free filter of keys ever stored since the last clear(): a get()
  // for a key whose bit is unset is a certain miss and skips the lock (every
  // node of a cold run). Evictions leave bits set; that only costs a lookup.
  static constexpr std::size_t kFilterWords = 8192;  // 512 Ki bits: ~1 % false hits at 5k entries
  std::array<std::atomic<std::uint64_t>, kFilterWords> filter_{};
  bool maybe_present(std::uint64_t key) const {
    const std::size_t bit = static_cast<std::size_t>(key >> 40) % (kFilterWords * 64);
    return (filter_[bit / 64].load(std::memory_order_relaxed) >> (bit % 64)) & 1u;
  }
  void mark_present(std::uint64_t key) {  // called with mutex_ held: writers never race, so no locked RMW
    const std::size_t bit = static_cast<std::size_t>(key >> 40) % (kFilterWords * 64);
    auto& word = filter_[bit / 64];
    word.store(word.load(std::memory_order_relaxed) | (std::uint64_t{1} << (bit % 64)), std::memory_order_relaxed);
  }
  std::atomic<std::uint64_t> filtered_misses_{0};

  mutable std::mutex mutex_;
  std::vector<std::uint64_t> keys_;       // 0 = empty (a real key of 0 is stored as 1); size is a power of two
  std::vector<std::uint32_t> slot_entry_;  // same size as keys_: the entry a used slot points at
  std::vector<Entry> entries_;            // dense, in no particular order
  std::uint64_t clock_ = 0;
  CacheStats stats_;
};

}  // namespace sumi
