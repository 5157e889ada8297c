// Sessions run graphs: the executor (oneTBB), the result cache, the model
// store and file fingerprints live here, so consecutive runs of a changing
// graph recompute only what changed.
//
//   Registry reg; register_all_nodes(reg);
//   Session session(reg);
//   RunOptions opts; opts.outputs = {"image"};
//   RunResult r = session.run(graph, opts);   // throws sumi::Error on failure
//   const Value& img = r.outputs.at("image");
//
// Independent branches run in parallel within the session's thread budget;
// a chain runs on one thread without task hand-offs. A node result is cached
// under a key made of its type, version, parameters, the fingerprints of the
// files it names, the device, and its inputs' *content* hashes: an input that
// is recomputed but identical does not re-run its consumers.
//
// Thread safety: run() may be called from several threads at once (each run
// has its own state; cache and model store are shared and thread-safe, and a
// model store may also be shared by several sessions: SessionOptions::models).
// The Registry must outlive the session and not change during a run.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cache.h"
#include "engine/error.h"
#include "engine/graph.h"
#include "engine/plan.h"
#include "engine/progress.h"
#include "engine/registry.h"
#include "engine/runtime.h"

namespace sumi {

class ModelStore;
class Sandbox;

struct SessionOptions {
  int threads = 0;  // TBB threads for this session's runs; 0 = the process budget
  std::size_t cache_bytes = std::size_t{1} << 30;
  // A model store to share with other sessions (the editor server gives every
  // tab the same one, so N tabs hold one copy of each model, not N); null =
  // the session has its own.
  std::shared_ptr<ModelStore> models;
  // Whether a model node running alone gets every core's LibTorch threads
  // (engine/runtime.h); unset: the SUMI_BOOST environment variable, else auto.
  std::optional<BoostPolicy> boost;
};

struct RunOptions {
  // Graph outputs to compute (or "node.port" / node ids); empty = all graph outputs.
  std::vector<std::string> outputs;
  // Values fed in place of node outputs: "node" (its first output) or
  // "node.port". A node with a fed output is not computed. "node.port" may
  // also name an optional input that the graph leaves unlinked (when the node
  // has no output of that name): the node runs with the value as that input
  // (e.g. face.locate's `previous` frame).
  std::map<std::string, Value> inputs;
  std::string device = "cpu";
  bool use_cache = true;
  ProgressFn progress;  // called from worker threads, serialised
  CancelToken cancel;
  // Folders the run's file parameters may name (engine/sandbox.h); checked
  // before any node runs, a SandboxError otherwise. Null = full access.
  std::shared_ptr<const Sandbox> sandbox;
};

enum class NodeStatus { NotNeeded, Computed, Cached, Fed, Failed, NotRun };
std::string_view node_status_name(NodeStatus s);

// One node's part in a run. `id` and `type` view the run's plan, which the
// RunResult holding them keeps alive: copy them into strings to keep them
// longer (a run of a thousand nodes spent ~3 % of its time copying them).
struct NodeRun {
  std::string_view id;
  std::string_view type;
  NodeStatus status = NodeStatus::NotNeeded;
  double ms = 0;  // compute time (Computed/Failed), load_ms included
  double load_ms = 0;  // of ms: loading models and other files through the ModelStore (first use, or a changed file)
  std::string warning;  // what the node warned of (also when its result came from the cache)
};

struct RunResult {
  std::map<std::string, Value> outputs;  // by requested name
  std::vector<NodeRun> nodes;            // plan (topological) order
  std::size_t computed = 0, cached = 0;
  double total_ms = 0;
  std::shared_ptr<const Plan> plan;  // what ran: keeps `nodes`' ids alive
};

// A failed run: the error of the first node that failed, plus what ran.
class RunError : public Error {
 public:
  RunError(const Error& cause, RunResult partial) : Error(cause), partial_(std::move(partial)) {}
  const RunResult& partial() const { return partial_; }

 private:
  RunResult partial_;
};

class Session {
 public:
  explicit Session(const Registry& registry, SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Compiles (validating; the plan is reused while the graph is unchanged) and
  // runs. Throws ValidationError, SandboxError (a file parameter outside
  // options.sandbox; nothing ran), RunError (a node failed; names the node)
  // or Cancelled.
  RunResult run(const Graph& graph, const RunOptions& options = {});
  RunResult run(std::shared_ptr<const Plan> plan, const RunOptions& options = {});

  Cache& cache();
  ModelStore& models();
  const Registry& registry() const;
  int threads() const;

  struct Impl;  // opaque (executor state lives in session.cpp)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sumi
