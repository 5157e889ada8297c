// Progress events and cancellation for runs.
//
//   CancelToken cancel;                       // share with another thread
//   opts.cancel = cancel; ...; cancel.cancel(); // the run stops at the next node boundary
//                                               // or the next check inside a long node
//   cancel.check();                           // in long loops: throws Cancelled once cancelled
//
// Thread safety: CancelToken is safe to use from any thread; progress
// callbacks are invoked from worker threads, one at a time (serialised).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "engine/error.h"

namespace sumi {

class CancelToken {
 public:
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void cancel() const { flag_->store(true, std::memory_order_relaxed); }
  bool cancelled() const { return flag_->load(std::memory_order_relaxed); }
  void reset() const { flag_->store(false, std::memory_order_relaxed); }
  // Throws Cancelled once cancel() was called: long node code calls it
  // between row bands, segments or chunks (a relaxed load, a few ns).
  void check() const {
    if (cancelled()) throw Cancelled();
  }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

struct ProgressEvent {
  enum class Kind { Started, Finished, Cached, Failed, Progress };
  Kind kind;
  const std::string* node;  // node id; valid during the callback only
  const std::string* type;  // node type id
  double ms = 0;            // Finished: compute time
  double fraction = 0;      // share of the run's needed nodes done (Progress: of this node)
  std::string message;      // Failed: the error
};

std::string_view progress_kind_name(ProgressEvent::Kind kind);

using ProgressFn = std::function<void(const ProgressEvent&)>;

}  // namespace sumi
