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
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <unordered_map>
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

 private:
  static constexpr std::size_t kInline = 4;
  std::size_t n_;
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
  // Stores `outputs` unless it alone exceeds the budget; evicts LRU entries to fit.
  void put(std::uint64_t key, OutputsPtr outputs);
  void clear();
  void set_budget(std::size_t bytes);
  CacheStats stats() const;
  void reset_stats();

 private:
  // Recency is a use counter per entry rather than a linked list: get() and
  // put() then cost one hash-map operation, and the rare eviction sorts.
  struct Entry {
    OutputsPtr outputs;
    std::size_t bytes;
    std::uint64_t last_use;
  };
  void evict_to(std::size_t budget);
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Entry> map_;
  std::uint64_t clock_ = 0;
  CacheStats stats_;
};

}  // namespace sumi
