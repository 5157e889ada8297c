// The executor's LibTorch thread rule: a model node (one with a model
// parameter) running alone gets every core's intra-op threads (under
// BoostPolicy::Always; `auto` only while the machine has idle cores); model
// nodes side by side keep the budget's share; the budget is restored
// afterwards, and the caller's own setting after the run.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "engine/graph.h"
#include "engine/node_context.h"
#include "engine/registry.h"
#include "engine/runtime.h"
#include "engine/session.h"

namespace sumi::test {
namespace {

struct Seen {
  std::mutex mutex;
  std::map<std::string, int> threads;  // node id -> LibTorch threads seen inside compute
};

void register_model_stub(Registry& reg, Seen& seen) {
  NodeDescriptor d;
  d.id = "test.model_threads";
  d.doc = "records the LibTorch intra-op threads it was given";
  d.inputs = {PortSpec::optional("in", ValueKind::Scalar, "ordering only"),
              PortSpec::optional("in2", ValueKind::Scalar, "ordering only")};
  d.outputs = {PortSpec::out("out", ValueKind::Scalar, "1")};
  d.params = {ParamSpec::model("model", "", "unused: makes this a model node"),
              ParamSpec::number("ms", 0.0, "sleep, so that branches overlap").range(0, 1000),
              ParamSpec::number("id", 0.0, "keeps cache keys apart").range(0, 1e9)};
  d.compute = [&seen](NodeContext& ctx) {
    const int n = at::get_num_threads();
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ctx.param_float("ms")));
    {
      std::lock_guard<std::mutex> lock(seen.mutex);
      seen.threads[ctx.node_id()] = n;
    }
    ctx.set_output("out", Value::make_scalar(1.0));
  };
  reg.add(d);
}

// The mechanics of the boost, whatever the machine's load.
SessionOptions always_boost() {
  SessionOptions o;
  o.boost = BoostPolicy::Always;
  return o;
}

TEST(ModelThreads, ALoneModelNodeGetsEveryCoreAndSideBySideTheyShare) {
  const ThreadBudget b = configure_threads(0);
  if (b.cores < 2) GTEST_SKIP() << "needs 2 cores";
  Registry reg;
  Seen seen;
  register_model_stub(reg, seen);
  Session session(reg, always_boost());
  Graph g;
  g.add_node("first", "test.model_threads");  // alone
  g.add_node("left", "test.model_threads");   // left and right overlap
  g.add_node("right", "test.model_threads");
  g.add_node("last", "test.model_threads");   // alone again
  g.set_param("left", "ms", 150.0);
  g.set_param("right", "ms", 150.0);
  g.set_param("right", "id", 1.0);
  g.set_param("last", "id", 2.0);
  g.link("first.out", "left.in");
  g.link("first.out", "right.in");
  g.link("left.out", "last.in");
  g.link("right.out", "last.in2");
  g.set_output("end", "last.out");
  session.run(g);
  EXPECT_EQ(seen.threads.at("first"), b.cores);
  EXPECT_EQ(seen.threads.at("left"), b.torch_threads);
  EXPECT_EQ(seen.threads.at("right"), b.torch_threads);
  EXPECT_EQ(seen.threads.at("last"), b.cores);
  EXPECT_EQ(at::get_num_threads(), b.torch_threads);  // the budget is back on this thread
}

// Runs side by side in one session (`sumi batch`) never boost: each already
// has the budget's share of the cores.
TEST(ModelThreads, ARunBesideAnotherKeepsTheBudget) {
  const ThreadBudget b = configure_threads(0);
  if (b.cores < 2) GTEST_SKIP() << "needs 2 cores";
  Registry reg;
  Seen seen;
  register_model_stub(reg, seen);
  Session session(reg, always_boost());
  Graph first, second;
  first.add_node("first", "test.model_threads");
  first.set_param("first", "ms", 500.0);
  second.add_node("second", "test.model_threads");
  second.set_param("second", "id", 1.0);
  std::thread t([&] { session.run(first); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // `first` is computing
  session.run(second);
  t.join();
  EXPECT_EQ(seen.threads.at("first"), b.cores);  // alone when it started
  EXPECT_EQ(seen.threads.at("second"), b.torch_threads);
}

bool thread_exists(pid_t tid) { return std::filesystem::exists("/proc/self/task/" + std::to_string(tid)); }

// A boosted node's OpenMP helper threads end with the node: libgomp stops
// letting idle helpers spin between parallel regions once all threads' helpers
// outnumber the cores, and every small region then waits for a wake-up.
TEST(ModelThreads, ABoostedNodesHelperThreadsEndWithIt) {
#ifndef _OPENMP
  GTEST_SKIP() << "built without OpenMP";
#else
  const ThreadBudget b = configure_threads(0);
  if (b.cores < 2) GTEST_SKIP() << "needs 2 cores";
  std::mutex m;
  std::set<pid_t> helpers;  // threads other than the node's own that ran a share of its parallel loop
  Registry reg;
  NodeDescriptor d;
  d.id = "test.parallel_model";
  d.doc = "runs a LibTorch parallel loop and records which threads ran it";
  d.outputs = {PortSpec::out("out", ValueKind::Scalar, "1")};
  d.params = {ParamSpec::model("model", "", "unused: makes this a model node")};
  d.compute = [&](NodeContext& ctx) {
    const pid_t own = gettid();
    at::parallel_for(0, b.cores, 1, [&](int64_t, int64_t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::lock_guard<std::mutex> lock(m);
      if (gettid() != own) helpers.insert(gettid());
    });
    ctx.set_output("out", Value::make_scalar(1.0));
  };
  reg.add(d);
  Session session(reg, always_boost());
  Graph g;
  g.add_node("alone", "test.parallel_model");
  g.set_output("out", "alone.out");
  session.run(g);
  ASSERT_EQ(helpers.size(), static_cast<std::size_t>(b.cores - 1)) << "the lone model node was not given every core";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (pid_t tid : helpers) {
    while (thread_exists(tid) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_FALSE(thread_exists(tid)) << "OpenMP helper thread " << tid << " outlived the node";
  }
#endif
}

// OpenBLAS's own thread pool would oversubscribe the cores beside TBB and
// LibTorch's threads (and its idle threads spin): the budget keeps BLAS calls
// on the calling thread.
TEST(ModelThreads, OpenBlasRunsOnTheCallingThread) {
  using GetThreads = int (*)();
  auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (!get) GTEST_SKIP() << "the BLAS behind LibTorch is not OpenBLAS";
  configure_threads(0);
  EXPECT_EQ(get(), 1);
  configure_threads(1);  // one TBB thread: LibTorch gets every core, BLAS still one
  EXPECT_EQ(get(), 1);
  configure_threads(0);
}

TEST(ModelThreads, NeverKeepsTheBudgetAndTheCallersSettingComesBack) {
  const ThreadBudget b = configure_threads(0);
  if (b.cores < 2) GTEST_SKIP() << "needs 2 cores";
  Registry reg;
  Seen seen;
  register_model_stub(reg, seen);
  SessionOptions o;
  o.boost = BoostPolicy::Never;
  Session session(reg, o);
  Graph g;
  g.add_node("alone", "test.model_threads");
  g.set_output("end", "alone.out");
  set_intra_op_threads_here(b.cores);  // the caller's own choice for its own torch code
  session.run(g);
  EXPECT_EQ(seen.threads.at("alone"), b.torch_threads);  // not the caller's, not boosted
  EXPECT_EQ(intra_op_threads_here(), b.cores);          // the caller's setting is back
  set_intra_op_threads_here(b.torch_threads);
}

// `auto`: every core while the rest of the machine is idle, fewer as other
// work takes cores (the 1-minute load average, or the runnable threads now,
// of which this one and possibly one of Sumi's own spinning TBB threads).
TEST(ModelThreads, AutoBoostsOnlyIntoIdleCores) {
  EXPECT_EQ(lone_model_threads(2, 0.05, 1), 2);  // idle
  EXPECT_EQ(lone_model_threads(2, 0.4, 2), 2);   // idle, a TBB thread of ours still spinning
  EXPECT_EQ(lone_model_threads(2, 1.0, 2), 1);   // one core busy for the last minute
  EXPECT_EQ(lone_model_threads(2, 0.1, 4), 1);   // two other threads runnable now
  EXPECT_EQ(lone_model_threads(2, 7.5, 9), 1);   // a loaded machine: never below one
  EXPECT_EQ(lone_model_threads(8, 2.2, 3), 6);
  EXPECT_EQ(lone_model_threads(8, -1.0, 1), 8);  // unreadable load: as idle
  const int now = lone_model_threads_now(4);
  EXPECT_GE(now, 1);
  EXPECT_LE(now, 4);
}

TEST(ModelThreads, SumiBoostEnvironmentVariable) {
  const char* old = std::getenv("SUMI_BOOST");
  const std::string saved = old ? old : "";
  unsetenv("SUMI_BOOST");
  EXPECT_EQ(boost_policy_from_env(), BoostPolicy::Auto);
  setenv("SUMI_BOOST", "never", 1);
  EXPECT_EQ(boost_policy_from_env(), BoostPolicy::Never);
  setenv("SUMI_BOOST", "always", 1);
  EXPECT_EQ(boost_policy_from_env(), BoostPolicy::Always);
  setenv("SUMI_BOOST", "sometimes", 1);
  try {
    boost_policy_from_env();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("SUMI_BOOST='sometimes'"), std::string::npos) << e.what();
  }
  if (old) setenv("SUMI_BOOST", saved.c_str(), 1); else unsetenv("SUMI_BOOST");
}

// `auto` keeps, per node, whichever way its lone runs were faster: the
// figures are deepfacedrawing's after a stroke on 2 quiet cores.
TEST(ModelThreads, AutoKeepsWhicheverWayIsFasterForEachNode) {
  auto run = [](LoneNodeTimes& t, double boosted_ms, double plain_ms) {
    const bool boost = boost_this_lone_run(t);
    record_lone_run(t, boost, boost ? boosted_ms : plain_ms);
    return boost;
  };
  LoneNodeTimes locate;  // a small network: slower on two threads
  for (unsigned i = 0; i < kLoneWarmRuns; ++i) EXPECT_TRUE(run(locate, 60, 50)) << "warming up: boosted as before";
  EXPECT_LT(locate.boosted_ms, 0) << "first calls (profiled, rewritten) are not timed";
  EXPECT_TRUE(run(locate, 7.6, 4.7));   // timed boosted
  EXPECT_FALSE(run(locate, 7.6, 4.7));  // timed on one thread
  for (unsigned r = locate.runs + 1; r < kLoneRecheck; ++r) EXPECT_FALSE(run(locate, 7.6, 4.7)) << "run " << r;
  EXPECT_TRUE(run(locate, 7.6, 4.7)) << "every kLoneRecheck-th run tries the other way again";
  EXPECT_FALSE(run(locate, 7.6, 4.7));

  LoneNodeTimes generator;  // a large one: faster boosted
  for (unsigned i = 0; i < kLoneWarmRuns; ++i) run(generator, 13.3, 15.5);
  EXPECT_TRUE(run(generator, 13.3, 15.5));
  EXPECT_FALSE(run(generator, 13.3, 15.5));
  for (unsigned r = generator.runs + 1; r < kLoneRecheck; ++r) EXPECT_TRUE(run(generator, 13.3, 15.5)) << "run " << r;
  EXPECT_FALSE(run(generator, 13.3, 15.5)) << "the recheck";
  // The machine got busy: one slow boosted run, and the node stays on one thread.
  EXPECT_TRUE(run(generator, 40, 15.5));
  EXPECT_FALSE(run(generator, 40, 15.5)) << "boosted mean " << generator.boosted_ms << " vs plain " << generator.plain_ms;
}

}  // namespace
}  // namespace sumi::test
