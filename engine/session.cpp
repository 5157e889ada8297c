#include "engine/session.h"

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <unordered_map>

#include <tbb/task_arena.h>
#include <tbb/scalable_allocator.h>
#include <tbb/task_group.h>

#include "engine/file_fingerprint.h"
#include "engine/hash.h"
#include "engine/model_store.h"
#include "engine/node_context.h"
#include "engine/runtime.h"
#include "engine/sandbox.h"
#include "engine/tick_clock.h"

namespace sumi {

std::string_view node_status_name(NodeStatus s) {
  switch (s) {
    case NodeStatus::NotNeeded: return "not needed";
    case NodeStatus::Computed: return "computed";
    case NodeStatus::Cached: return "cached";
    case NodeStatus::Fed: return "fed";
    case NodeStatus::Failed: return "failed";
    case NodeStatus::NotRun: return "not run";
  }
  return "?";
}

struct Session::Impl {
  Impl(const Registry& reg, SessionOptions opts)
      : registry(reg),
        options(opts),
        threads(opts.threads > 0 ? std::min(opts.threads, thread_budget().tbb_threads) : thread_budget().tbb_threads),
        arena(threads),
        cache(opts.cache_bytes),
        models(opts.models ? opts.models : std::make_shared<ModelStore>()),
        boost(opts.boost ? *opts.boost : boost_policy_from_env()) {}

  const Registry& registry;
  SessionOptions options;
  int threads;
  tbb::task_arena arena;
  Cache cache;
  std::shared_ptr<ModelStore> models;  // this session's own, or one shared (SessionOptions::models)
  BoostPolicy boost;
  FileFingerprints files;

  // What each cached output-node result wrote: the fingerprints of its
  // written files just after the write, by cache key. A hit whose files no
  // longer match (deleted, changed) runs the node again.
  std::mutex written_mutex;
  std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> written;

  // Runs in progress: a model node is boosted to every core only when its run
  // is the session's only one (`sumi batch` runs several side by side).
  std::atomic<int> active_runs{0};

  // Each model node's lone runs, timed boosted and plain (engine/runtime.h),
  // by node type and id.
  std::mutex lone_mutex;
  std::unordered_map<std::string, LoneNodeTimes> lone_times;

  std::mutex plan_mutex;
  std::uint64_t plan_uid = 0, plan_revision = 0, plan_registry_revision = 0;
  std::shared_ptr<const Plan> plan;
  std::vector<std::uint64_t> plan_subgraph_fps;  // of plan->subgraph_files when compiled
};

namespace {

// Node results come from TBB's scalable allocator: thread-local pools, and
// freeing thousands of them (cache eviction, a finished run) never triggers
// glibc's fastbin consolidation inside the next run.
std::shared_ptr<Outputs> new_outputs(std::size_t n) {
  return std::allocate_shared<Outputs>(tbb::scalable_allocator<Outputs>(), n);
}

// The state of one run. Nodes become ready when all their needed
// predecessors are done; a finished node runs its first ready successor
// itself and hands the others to TBB.
class Run {
 public:
  Run(std::shared_ptr<const Plan> plan, const RunOptions& opts, Session::Impl& impl)
      : holder_(std::move(plan)),
        plan_(*holder_),
        opts_(opts),
        impl_(impl),
        results_(plan_.nodes.size()),
        stats_(plan_.nodes.size()) {}

  RunResult execute() {
    const std::uint64_t t0 = tick_now();
    check_device(opts_.device);
    need_holder_ = plan_.needed_for(opts_.outputs);
    need_ = need_holder_->data();
    device_hash_ = hash_bytes(opts_.device.data(), opts_.device.size());
    feed_inputs();
    if (opts_.sandbox) {  // before any node runs: a refused run reads and writes nothing
      std::vector<bool> fed(plan_.nodes.size());
      for (std::size_t i = 0; i < fed.size(); ++i) fed[i] = results_[i] != nullptr;
      check_sandbox(*opts_.sandbox, plan_, need_, fed);
    }
    pending_.reset(new std::atomic<int>[plan_.nodes.size()]);
    std::vector<int> roots;
    for (std::size_t i = 0; i < plan_.nodes.size(); ++i) {
      const PlanNode& n = plan_.nodes[i];
      stats_[i].id = n.id;
      stats_[i].type = n.desc->id;
      if (!need_[i]) continue;
      ++needed_;
      if (results_[i]) {  // fed: counts as done, successors see it as ready
        stats_[i].status = NodeStatus::Fed;
        done_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      stats_[i].status = NodeStatus::NotRun;
      int waiting = 0;
      for (int p : n.predecessors)
        if (!results_[static_cast<std::size_t>(p)]) ++waiting;
      pending_[i].store(waiting, std::memory_order_relaxed);
      if (waiting == 0) roots.push_back(static_cast<int>(i));
    }
    // Nodes set the LibTorch threads of whichever thread computes them; the
    // caller's thread (which joins the arena) gets its own setting back.
    const int caller_threads = intra_op_threads_here();
    impl_.arena.execute([&] {
      tbb::task_group tg;
      tg_ = &tg;
      ready_.store(static_cast<int>(roots.size()), std::memory_order_release);
      for (std::size_t r = 1; r < roots.size(); ++r) spawn(roots[r]);
      if (!roots.empty()) run_from(roots.front());
      tg.wait();
    });
    if (intra_op_threads_here() != caller_threads) set_intra_op_threads_here(caller_threads);

    RunResult result;
    result.total_ms = ticks_to_ms(tick_now() - t0);
    for (std::size_t i = 0; i < stats_.size(); ++i) {
      result.computed += stats_[i].status == NodeStatus::Computed;
      result.cached += stats_[i].status == NodeStatus::Cached;
      if (results_[i] && !results_[i]->warning().empty()) stats_[i].warning = results_[i]->warning();
    }
    result.nodes = std::move(stats_);
    result.plan = holder_;
    if (error_) {
      try {
        std::rethrow_exception(error_);
      } catch (const Cancelled&) {
        throw;
      } catch (const Error& e) {
        throw RunError(e, std::move(result));
      }
    }
    if (opts_.cancel.cancelled()) throw Cancelled();
    collect_outputs(result);
    return result;
  }

 private:
  void feed_inputs() {
    if (opts_.inputs.empty()) return;
    std::vector<std::vector<Value>> fed(plan_.nodes.size());  // per node, per output port
    for (const auto& [name, value] : opts_.inputs) {
      auto dot = name.find('.');
      int n = plan_.index_of(dot == std::string::npos ? std::string_view(name) : std::string_view(name).substr(0, dot));
      ErrorContext ctx;
      ctx.file = plan_.source_file;
      if (n < 0) throw Error(ctx, "input '" + name + "': no node '" + name.substr(0, dot) + "' in the graph");
      const PlanNode& pn = plan_.nodes[static_cast<std::size_t>(n)];
      ctx.node = pn.id;
      ctx.type = pn.desc->id;
      int port = dot == std::string::npos ? 0 : pn.desc->output_index(name.substr(dot + 1));
      if (port < 0 && dot != std::string::npos && feed_input_port(pn, n, name, name.substr(dot + 1), value, ctx))
        continue;
      if (port < 0 || pn.desc->outputs.empty()) throw Error(ctx, "input '" + name + "': the node has no such output");
      const PortSpec& spec = pn.desc->outputs[static_cast<std::size_t>(port)];
      ctx.port = spec.name;
      if (value.empty() || !kind_accepts(spec.kind, value.kind()))
        throw Error(ctx, "fed a " + (value.empty() ? std::string("empty value") : std::string(kind_name(value.kind()))) +
                             ", the output is " + std::string(kind_name(spec.kind)));
      auto& slot = fed[static_cast<std::size_t>(n)];
      slot.resize(pn.desc->outputs.size());
      slot[static_cast<std::size_t>(port)] = value;
    }
    for (std::size_t i = 0; i < fed.size(); ++i) {
      if (fed[i].empty()) continue;
      auto outs = new_outputs(fed[i].size());
      for (std::size_t p = 0; p < fed[i].size(); ++p) (*outs)[p] = fed[i][p];
      results_[i] = std::move(outs);
    }
  }

  // "node.port" naming an optional input that the graph leaves unlinked (and no output of that name): the
  // value stands in for the missing link - the node still runs, and the value is part of its cache key.
  // False when the node has no such input.
  bool feed_input_port(const PlanNode& pn, int n, const std::string& name, const std::string& port_name,
                       const Value& value, ErrorContext& ctx) {
    const int port = pn.desc->input_index(port_name);
    if (port < 0) return false;
    const PortSpec& spec = pn.desc->inputs[static_cast<std::size_t>(port)];
    ctx.port = spec.name;
    if (spec.required || pn.inputs[static_cast<std::size_t>(port)].node >= 0)
      throw Error(ctx, "input '" + name + "': only an optional input left unlinked can be fed (this one is " +
                           (spec.required ? "required" : "linked") + "); feed the output that links to it instead");
    if (value.empty() || !kind_accepts(spec.kind, value.kind()))
      throw Error(ctx, "fed a " + (value.empty() ? std::string("empty value") : std::string(kind_name(value.kind()))) +
                           ", the input takes " + std::string(kind_name(spec.kind)));
    if (fed_inputs_.empty()) fed_inputs_.resize(plan_.nodes.size());
    auto& slot = fed_inputs_[static_cast<std::size_t>(n)];
    slot.resize(pn.desc->inputs.size());
    slot[static_cast<std::size_t>(port)] = value;
    return true;
  }

  // The value fed to node i's unlinked input p, or null.
  const Value* fed_input(std::size_t i, std::size_t p) const {
    if (fed_inputs_.empty() || fed_inputs_[i].empty() || fed_inputs_[i][p].empty()) return nullptr;
    return &fed_inputs_[i][p];
  }

  void emit(ProgressEvent::Kind kind, const PlanNode& n, double ms, std::string message = {}) {
    if (!opts_.progress) return;
    const double fraction = static_cast<double>(done_.load(std::memory_order_relaxed)) /
                            static_cast<double>(needed_ ? needed_ : 1);
    ProgressEvent ev{kind, &n.id, &n.desc->id, ms, fraction, std::move(message)};
    std::lock_guard<std::mutex> lock(progress_mutex_);
    opts_.progress(ev);
  }

  void fail(std::exception_ptr e) {
    stop_.store(true, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (!error_) error_ = e;
  }

  // One-shot hash over a small word buffer: the streaming hasher's set-up
  // would cost more than the whole key for typical nodes.
  std::uint64_t cache_key(const PlanNode& n) {
    constexpr std::size_t kInline = 16;
    std::uint64_t inline_words[kInline];
    std::vector<std::uint64_t> heap;
    const std::size_t count = 2 + n.read_params.size() + n.inputs.size();
    std::uint64_t* w = inline_words;
    if (count > kInline) {
      heap.resize(count);
      w = heap.data();
    }
    std::size_t k = 0;
    w[k++] = n.static_key;
    w[k++] = device_hash_;
    for (int p : n.read_params) w[k++] = impl_.files.get(std::get<std::string>(n.params[static_cast<std::size_t>(p)]));
    const std::size_t i = static_cast<std::size_t>(&n - plan_.nodes.data());
    for (std::size_t p = 0; p < n.inputs.size(); ++p) {
      const PortRef& in = n.inputs[p];
      const Value* fed = in.node < 0 ? fed_input(i, p) : nullptr;
      w[k++] = in.node >= 0 ? (*results_[static_cast<std::size_t>(in.node)])[static_cast<std::size_t>(in.port)].hash()
                            : fed ? fed->hash() : 0;
    }
    return hash_bytes(w, k * sizeof(std::uint64_t));
  }

  // Runs node i; returns false when the run must stop. Certain cache misses
  // are counted in `misses` (the caller reports them to the cache). `clock`
  // is the tick of the previous node boundary on this thread's chain: a
  // computed node's time runs from there (so it includes its few hundred
  // nanoseconds of cache lookup) and its end becomes the next boundary, one
  // clock read per node (the reads were ~8 % of a cold run's cycles).
  bool run_node(std::size_t i, std::uint64_t& misses, std::uint64_t& clock) {
    const PlanNode& n = plan_.nodes[i];
    Ready ready{ready_};  // this node counts as ready until it starts computing (or leaves)
    if (stop_.load(std::memory_order_relaxed)) return false;
    if (opts_.cancel.cancelled()) {
      fail(std::make_exception_ptr(Cancelled()));
      return false;
    }
    const bool cacheable = opts_.use_cache && n.desc->cacheable;
    std::uint64_t key = 0;
    if (cacheable) {
      key = cache_key(n);
      OutputsPtr hit = impl_.cache.get(key, &misses);
      if (hit && !n.written_params.empty() && !files_still_written(n, key)) hit = nullptr;
      if (hit) {
        results_[i] = std::move(hit);
        stats_[i].status = NodeStatus::Cached;
        if (opts_.progress) done_.fetch_add(1, std::memory_order_relaxed);
        emit(ProgressEvent::Kind::Cached, n, 0);
        return true;
      }
    }
    emit(ProgressEvent::Kind::Started, n, 0);
    constexpr std::size_t kInline = 16;
    const Value* inline_inputs[kInline];
    std::vector<const Value*> heap_inputs;
    const Value** inputs = inline_inputs;
    if (n.inputs.size() > kInline) {
      heap_inputs.resize(n.inputs.size());
      inputs = heap_inputs.data();
    }
    for (std::size_t p = 0; p < n.inputs.size(); ++p) {
      const PortRef& in = n.inputs[p];
      inputs[p] = in.node < 0 ? fed_input(i, p) : &(*results_[static_cast<std::size_t>(in.node)])[static_cast<std::size_t>(in.port)];
    }
    auto outputs = new_outputs(n.desc->outputs.size());
    const ProgressFn* progress = opts_.progress ? &serial_progress_ : nullptr;
    const std::uint64_t t0 = clock;
    const double load0 = ModelStore::thread_load_ms();
    try {
      ModelThreads threads(*this, n);
      ready.release();
      NodeContext ctx(n, inputs, *outputs, opts_.device, *impl_.models, opts_.cancel, progress);
      n.desc->compute(ctx);
      for (std::size_t o = 0; o < outputs->size(); ++o)
        if ((*outputs)[o].empty()) throw ctx.port_error(n.desc->outputs[o].name, "node did not produce this output");
    } catch (const Cancelled&) {
      stats_[i].ms = ticks_to_ms(tick_now() - t0);
      fail(std::current_exception());
      return false;
    } catch (const Error& e) {
      stats_[i].status = NodeStatus::Failed;
      stats_[i].ms = ticks_to_ms(tick_now() - t0);
      ErrorContext ctx = e.context();
      ctx.node = n.id;
      ctx.type = n.desc->id;
      if (ctx.file.empty()) ctx.file = plan_.source_file;
      emit(ProgressEvent::Kind::Failed, n, stats_[i].ms, e.message());
      fail(std::make_exception_ptr(Error(ctx, e.message())));
      return false;
    } catch (const std::exception& e) {
      stats_[i].status = NodeStatus::Failed;
      stats_[i].ms = ticks_to_ms(tick_now() - t0);
      std::string msg = e.what();
      if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);  // LibTorch appends backtraces
      emit(ProgressEvent::Kind::Failed, n, stats_[i].ms, msg);
      fail(std::make_exception_ptr(Error(ErrorContext{plan_.source_file, n.id, n.desc->id, {}, {}}, msg)));
      return false;
    } catch (...) {
      stats_[i].status = NodeStatus::Failed;
      fail(std::make_exception_ptr(Error(ErrorContext{plan_.source_file, n.id, n.desc->id, {}, {}}, "unknown exception")));
      return false;
    }
    clock = tick_now();
    stats_[i].ms = ticks_to_ms(clock - t0);
    stats_[i].load_ms = ModelStore::thread_load_ms() - load0;
    stats_[i].status = NodeStatus::Computed;
    results_[i] = outputs;
    if (cacheable) {
      if (!n.written_params.empty()) record_written(n, key);
      impl_.cache.put(key, std::move(outputs));
    }
    if (opts_.progress) done_.fetch_add(1, std::memory_order_relaxed);
    emit(ProgressEvent::Kind::Finished, n, stats_[i].ms);
    return true;
  }

  std::vector<std::uint64_t> written_fingerprints(const PlanNode& n) {
    std::vector<std::uint64_t> fps;
    for (int p : n.written_params) fps.push_back(impl_.files.get(std::get<std::string>(n.params[static_cast<std::size_t>(p)])));
    return fps;
  }
  bool files_still_written(const PlanNode& n, std::uint64_t key) {
    auto now = written_fingerprints(n);
    std::lock_guard<std::mutex> lock(impl_.written_mutex);
    auto it = impl_.written.find(key);
    return it != impl_.written.end() && it->second == now;
  }
  void record_written(const PlanNode& n, std::uint64_t key) {
    auto fps = written_fingerprints(n);
    std::lock_guard<std::mutex> lock(impl_.written_mutex);
    if (impl_.written.size() >= 4096) impl_.written.clear();  // bounded: a forgotten entry costs one rewrite
    impl_.written[key] = std::move(fps);
  }

  void spawn(int node) {
    tg_->run([this, node] { run_from(node); });
  }

  // Counts a ready node until it has registered as running (ModelThreads) or
  // left run_node: a model node may take every core only when no other node is
  // about to start beside it - including one whose task has been picked up
  // but has not yet registered.
  struct Ready {
    std::atomic<int>& count;
    bool held = true;
    void release() {
      if (held) count.fetch_sub(1, std::memory_order_acq_rel);
      held = false;
    }
    ~Ready() { release(); }
  };

  // A node with a model parameter, starting while no other model node runs,
  // no other node is ready to start and no other run of the session is in progress, gets every
  // core's LibTorch threads for its forward pass (the last generator of a
  // portrait, a one-stroke re-run's chain);
  // side by side, model nodes keep the budget's share so the cores are never
  // oversubscribed. Non-model nodes pay nothing for this.
  class ModelThreads {
   public:
    ModelThreads(Run& run, const PlanNode& n) {
      // Whatever the thread did before (another session's run, the caller's
      // own torch code), this node starts with the budget's share.
      if (intra_op_threads_here() != run.base_threads_) set_intra_op_threads_here(run.base_threads_);
      if (run.boost_threads_ <= run.base_threads_ || !uses_models(*n.desc)) return;
      run_ = &run;
      const bool alone = run.running_models_.fetch_add(1, std::memory_order_acq_rel) == 0 &&
                         run.ready_.load(std::memory_order_acquire) == 1 &&  // only this node
                         run.impl_.active_runs.load(std::memory_order_acquire) == 1;
      if (!alone) return;
      timed_ = n.desc->id + " " + n.id;
      bool boost = true;
      {
        std::lock_guard<std::mutex> lock(run.impl_.lone_mutex);
        boost = boost_this_lone_run(run.impl_.lone_times[timed_]);
      }
      if (boost) {
        set_intra_op_threads_here(run.boost_threads_);
        boosted_ = true;
      }
      exceptions_ = std::uncaught_exceptions();
      load0_ = ModelStore::thread_load_ms();
      t0_ = std::chrono::steady_clock::now();
    }
    ~ModelThreads() {
      if (!run_) return;
      if (!timed_.empty() && std::uncaught_exceptions() == exceptions_) {  // a node that failed is not timed
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count() -
                          (ModelStore::thread_load_ms() - load0_);
        std::lock_guard<std::mutex> lock(run_->impl_.lone_mutex);
        record_lone_run(run_->impl_.lone_times[timed_], boosted_, ms);
      }
      if (boosted_) {
        set_intra_op_threads_here(run_->base_threads_);
        release_intra_op_threads_here();
      }
      run_->running_models_.fetch_sub(1, std::memory_order_acq_rel);
    }
    ModelThreads(const ModelThreads&) = delete;
    ModelThreads& operator=(const ModelThreads&) = delete;

   private:
    static bool uses_models(const NodeDescriptor& d) {
      for (const ParamSpec& p : d.params)
        if (p.type == ParamType::Model) return true;
      return false;
    }
    Run* run_ = nullptr;
    bool boosted_ = false;
    std::string timed_;  // the lone_times key of a lone run; empty = not alone, not timed
    int exceptions_ = 0;
    double load0_ = 0;
    std::chrono::steady_clock::time_point t0_;
  };

  void run_from(int start) {
    std::uint64_t misses = 0;
    struct Report {  // one atomic add per chain of nodes, not one per node
      Cache& cache;
      std::uint64_t& n;
      ~Report() {
        if (n) cache.count_misses(n);
      }
    } report{impl_.cache, misses};
    std::uint64_t clock = tick_now();
    int current = start;
    while (current >= 0) {
      const auto i = static_cast<std::size_t>(current);
      if (!run_node(i, misses, clock)) return;
      current = -1;
      for (int s : plan_.nodes[i].successors) {
        const auto si = static_cast<std::size_t>(s);
        if (!need_[si] || results_[si]) continue;
        if (pending_[si].fetch_sub(1, std::memory_order_acq_rel) != 1) continue;
        ready_.fetch_add(1, std::memory_order_acq_rel);
        if (current < 0) {
          current = s;  // continue the chain on this thread
        } else {
          spawn(s);
        }
      }
    }
  }

  void collect_outputs(RunResult& result) {
    std::vector<std::string> names = opts_.outputs;
    if (names.empty())
      for (const auto& [name, ref] : plan_.outputs) names.push_back(name);
    for (const auto& name : names) {
      PortRef ref = plan_.resolve(name);
      const auto& outs = results_[static_cast<std::size_t>(ref.node)];
      if (outs) result.outputs[name] = (*outs)[static_cast<std::size_t>(ref.port)];
    }
  }

  std::shared_ptr<const Plan> holder_;
  const Plan& plan_;
  const RunOptions& opts_;
  Session::Impl& impl_;
  std::shared_ptr<const std::vector<char>> need_holder_;
  const char* need_ = nullptr;  // need_holder_'s data: 1 = the requested outputs need this node
  std::vector<OutputsPtr> results_;
  std::vector<std::vector<Value>> fed_inputs_;  // per node, per input port: values fed to unlinked inputs (often none)
  std::vector<NodeRun> stats_;
  std::unique_ptr<std::atomic<int>[]> pending_;
  std::size_t needed_ = 0;
  std::atomic<std::size_t> done_{0};
  std::uint64_t device_hash_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;
  std::mutex progress_mutex_;
  ProgressFn serial_progress_ = [this](const ProgressEvent& ev) {
    std::lock_guard<std::mutex> lock(progress_mutex_);
    opts_.progress(ev);
  };
  tbb::task_group* tg_ = nullptr;
  std::atomic<int> ready_{0};           // nodes ready to run that have not started computing
  std::atomic<int> running_models_{0};  // model nodes computing now
  const ThreadBudget budget_ = thread_budget();
  const int base_threads_ = budget_.torch_threads;
  const int boost_threads_ = boost_threads(impl_.boost, budget_);

  // Decided once per run: under `auto` (the default) /proc/loadavg is read,
  // some microseconds, and only when a boost could change anything.
  static int boost_threads(BoostPolicy policy, const ThreadBudget& b) {
    if (b.cores <= b.torch_threads || policy == BoostPolicy::Never) return b.torch_threads;
    if (policy == BoostPolicy::Always) return b.cores;
    return std::max(b.torch_threads, lone_model_threads_now(b.cores));
  }
};

}  // namespace

Session::Session(const Registry& registry, SessionOptions options)
    : impl_(std::make_unique<Impl>(registry, options)) {}

Session::~Session() = default;

RunResult Session::run(const Graph& graph, const RunOptions& options) {
  std::shared_ptr<const Plan> plan;
  {
    std::lock_guard<std::mutex> lock(impl_->plan_mutex);
    // An edited subgraph file changes the plan as much as an edited graph does.
    auto subgraph_fingerprints = [&](const Plan& p) {
      std::vector<std::uint64_t> fps;
      for (const auto& f : p.subgraph_files) fps.push_back(impl_->files.get(f));
      return fps;
    };
    if (!impl_->plan || impl_->plan_uid != graph.uid() || impl_->plan_revision != graph.revision() ||
        impl_->plan_registry_revision != impl_->registry.revision() ||
        (!impl_->plan->subgraph_files.empty() && subgraph_fingerprints(*impl_->plan) != impl_->plan_subgraph_fps)) {
      impl_->plan = compile(graph, impl_->registry, options.sandbox.get());
      impl_->plan_uid = graph.uid();
      impl_->plan_revision = graph.revision();
      impl_->plan_registry_revision = impl_->registry.revision();
      impl_->plan_subgraph_fps = subgraph_fingerprints(*impl_->plan);
    }
    plan = impl_->plan;
  }
  return run(std::move(plan), options);
}

RunResult Session::run(std::shared_ptr<const Plan> plan, const RunOptions& options) {
  struct Active {
    std::atomic<int>& n;
    ~Active() { n.fetch_sub(1, std::memory_order_acq_rel); }
  } active{impl_->active_runs};
  active.n.fetch_add(1, std::memory_order_acq_rel);
  Run r(std::move(plan), options, *impl_);
  return r.execute();
}

Cache& Session::cache() { return impl_->cache; }
ModelStore& Session::models() { return *impl_->models; }
const Registry& Session::registry() const { return impl_->registry; }
int Session::threads() const { return impl_->threads; }

}  // namespace sumi
