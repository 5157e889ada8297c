// Tiny node types for graph tests: numbers flowing through adders, slow and
// failing nodes, with per-node execution counters.
//
//   StubCounters counters; Registry reg; register_stub_nodes(reg, counters);
//   ... run ...; EXPECT_EQ(counters.count("b"), 1);
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "engine/registry.h"

namespace sumi::test {

class StubCounters {
 public:
  void hit(const std::string& node) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counts_[node];
  }
  int count(const std::string& node) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = counts_.find(node);
    return it == counts_.end() ? 0 : it->second;
  }
  int total() const {
    std::lock_guard<std::mutex> lock(mutex_);
    int t = 0;
    for (const auto& [n, c] : counts_) t += c;
    return t;
  }
  void reset() {
    std::lock_guard<std::mutex> lock(mutex_);
    counts_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int> counts_;
};

// test.source   (param value)            -> out: Scalar
// test.add      (a, b optional)          -> out = a + b (+ param bias)
// test.round    (in)                     -> out = round(in)    (for early cutoff)
// test.slow     (in, param ms)           -> out = in, after sleeping ms
// test.spin     (in, param ms)           -> out = in, checking cancellation every ms
// test.fail     (in, param message)      -> throws sumi::Error
// test.throw_std (in)                    -> throws std::runtime_error
// test.lazy     (in)                     -> declares an output it never sets (a buggy node)
// Every compute bumps counters.hit(node id).
void register_stub_nodes(Registry& reg, StubCounters& counters);

}  // namespace sumi::test
