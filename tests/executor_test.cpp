// The executor and cache. Every test body runs four ways: cache on/off x
// 1/2 threads, and must give the same results each way.
#include <chrono>
#include <thread>

#include "engine/graph_file.h"
#include "engine/runtime.h"
#include "engine/session.h"
#include "tests/stub_nodes.h"
#include "tests/test_util.h"

namespace sumi::test {
namespace {

struct Mode {
  bool cache;
  int threads;
};

class Executor : public ::testing::TestWithParam<Mode> {
 protected:
  Executor() {
    configure_threads(0);
    register_stub_nodes(reg, counters);
    SessionOptions so;
    so.threads = GetParam().threads;
    session = std::make_unique<Session>(reg, so);
    opts.use_cache = GetParam().cache;
  }

  static Graph parse(const std::string& nodes, const std::string& outputs) {
    return parse_graph(R"({"format":"sumi.graph","version":1,"nodes":)" + nodes + R"(,"outputs":)" + outputs + "}",
                       "exec.sumi.json");
  }

  // a(1) ─► b = a + 10 ─► c = round(b) ─► d = c + 100
  //      └► e = a + 1000 (another branch, output "other")
  static Graph diamond() {
    return parse(R"({"a":{"type":"test.source","params":{"value":1}},
        "b":{"type":"test.add","in":{"a":"a.out"},"params":{"bias":10}},
        "c":{"type":"test.round","in":{"in":"b.out"}},
        "d":{"type":"test.add","in":{"a":"c.out"},"params":{"bias":100}},
        "e":{"type":"test.add","in":{"a":"a.out"},"params":{"bias":1000}}})",
                 R"({"result":"d.out","other":"e.out"})");
  }

  bool cache() const { return GetParam().cache; }

  StubCounters counters;
  Registry reg;
  std::unique_ptr<Session> session;
  RunOptions opts;
};

TEST_P(Executor, ComputesAllOutputs) {
  RunResult r = session->run(diamond(), opts);
  EXPECT_DOUBLE_EQ(r.outputs.at("result").scalar(), 111.0);
  EXPECT_DOUBLE_EQ(r.outputs.at("other").scalar(), 1001.0);
  EXPECT_EQ(r.computed, 5u);
  EXPECT_EQ(counters.total(), 5);
}

TEST_P(Executor, PartialExecutionRunsOnlyWhatTheOutputNeeds) {
  opts.outputs = {"other"};
  RunResult r = session->run(diamond(), opts);
  EXPECT_EQ(r.outputs.size(), 1u);
  EXPECT_DOUBLE_EQ(r.outputs.at("other").scalar(), 1001.0);
  EXPECT_EQ(counters.count("a"), 1);
  EXPECT_EQ(counters.count("e"), 1);
  EXPECT_EQ(counters.count("b") + counters.count("c") + counters.count("d"), 0);
  opts.outputs = {"c.out"};  // a node's port works too
  r = session->run(diamond(), opts);
  EXPECT_DOUBLE_EQ(r.outputs.at("c.out").scalar(), 11.0);
  EXPECT_EQ(counters.count("d"), 0);
  opts.outputs = {"nothing"};
  EXPECT_SUMI_ERROR(session->run(diamond(), opts), "unknown output 'nothing'");
}

TEST_P(Executor, UnchangedGraphRerunExecutesNothing) {
  Graph g = diamond();
  session->run(g, opts);
  counters.reset();
  RunResult r = session->run(g, opts);
  EXPECT_DOUBLE_EQ(r.outputs.at("result").scalar(), 111.0);
  if (cache()) {
    EXPECT_EQ(counters.total(), 0);
    EXPECT_EQ(r.cached, 5u);
  } else {
    EXPECT_EQ(counters.total(), 5);
  }
}

TEST_P(Executor, ChangedParameterRerunsOnlyDownstream) {
  Graph g = diamond();
  session->run(g, opts);
  counters.reset();
  g.set_param("e", "bias", 2000.0);
  RunResult r = session->run(g, opts);
  EXPECT_DOUBLE_EQ(r.outputs.at("other").scalar(), 2001.0);
  EXPECT_DOUBLE_EQ(r.outputs.at("result").scalar(), 111.0);
  EXPECT_EQ(counters.count("e"), 1);
  EXPECT_EQ(counters.total(), cache() ? 1 : 5);
}

TEST_P(Executor, IdenticalRecomputedInputCutsOffDownstream) {
  Graph g = diamond();
  session->run(g, opts);
  counters.reset();
  // b changes 11 -> 11.2, but round() still gives 11: d must not re-run.
  g.set_param("b", "bias", 10.2);
  RunResult r = session->run(g, opts);
  EXPECT_DOUBLE_EQ(r.outputs.at("result").scalar(), 111.0);
  EXPECT_EQ(counters.count("b"), 1);
  EXPECT_EQ(counters.count("c"), 1);
  EXPECT_EQ(counters.count("d"), cache() ? 0 : 1);
  EXPECT_EQ(counters.count("a"), cache() ? 0 : 1);
}

TEST_P(Executor, IndependentSlowBranchesOverlap) {
  if (GetParam().threads < 2 || thread_budget().tbb_threads < 2) GTEST_SKIP() << "needs 2 threads";
  Graph g = parse(R"({"a":{"type":"test.source"},
      "s1":{"type":"test.slow","in":{"in":"a.out"},"params":{"ms":200}},
      "s2":{"type":"test.slow","in":{"in":"a.out"},"params":{"ms":200}},
      "j":{"type":"test.add","in":{"a":"s1.out","b":"s2.out"}}})",
                  R"({"sum":"j.out"})");
  RunResult r = session->run(g, opts);
  EXPECT_DOUBLE_EQ(r.outputs.at("sum").scalar(), 2.0);
  // Serial would take >= 400 ms of sleeping; overlapped ~200 ms.
  EXPECT_LT(r.total_ms, 380.0) << "the two slow branches did not overlap";
}

TEST_P(Executor, OneThreadRunsBranchesInTurn) {
  if (GetParam().threads != 1) GTEST_SKIP();
  Graph g = parse(R"({"a":{"type":"test.source"},
      "s1":{"type":"test.slow","in":{"in":"a.out"},"params":{"ms":60}},
      "s2":{"type":"test.slow","in":{"in":"a.out"},"params":{"ms":61}}})",
                  R"({"x":"s1.out","y":"s2.out"})");
  RunResult r = session->run(g, opts);
  EXPECT_GE(r.total_ms, 119.0);
}

TEST_P(Executor, NodeErrorFailsTheRunNamingTheNodeAndKeepsCacheConsistent) {
  Graph g = parse(R"({"a":{"type":"test.source"},
      "ok":{"type":"test.add","in":{"a":"a.out"}},
      "bad":{"type":"test.fail","in":{"in":"ok.out"},"params":{"message":"the model exploded"}},
      "after":{"type":"test.add","in":{"a":"bad.out"},"params":{"bias":5}}})",
                  R"({"x":"after.out","y":"ok.out"})");
  try {
    session->run(g, opts);
    FAIL() << "expected a RunError";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("exec.sumi.json: node 'bad' (test.fail): the model exploded"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.context().node, "bad");
    const auto& nodes = e.partial().nodes;
    auto status = [&](const std::string& id) {
      for (const auto& n : nodes)
        if (n.id == id) return n.status;
      return NodeStatus::NotNeeded;
    };
    EXPECT_EQ(status("bad"), NodeStatus::Failed);
    EXPECT_EQ(status("after"), NodeStatus::NotRun);
  }
  EXPECT_EQ(counters.count("after"), 0);
  // Fix the graph: the good nodes come from the cache, nothing stale is reused.
  counters.reset();
  g.link("ok.out", "after.a");
  g.remove_node("bad");
  RunResult r = session->run(g, opts);
  EXPECT_DOUBLE_EQ(r.outputs.at("x").scalar(), 6.0);
  EXPECT_EQ(counters.count("ok"), cache() ? 0 : 1);
  EXPECT_EQ(counters.count("after"), 1);
}

TEST_P(Executor, StdExceptionsAndMissingOutputsBecomeNodeErrors) {
  Graph g = parse(R"({"a":{"type":"test.source"},"t":{"type":"test.throw_std","in":{"in":"a.out"}}})", R"({"x":"t.out"})");
  EXPECT_SUMI_ERROR(session->run(g, opts), "node 't' (test.throw_std): std failure");
  Graph lazy = parse(R"({"a":{"type":"test.source"},"l":{"type":"test.lazy","in":{"in":"a.out"}}})", R"({"x":"l.out"})");
  EXPECT_SUMI_ERROR(session->run(lazy, opts), "node 'l' (test.lazy)", "port 'other'", "did not produce");
}

TEST_P(Executor, CancellationStopsAtNodeBoundariesAndInsideLongNodes) {
  Graph g = parse(R"({"a":{"type":"test.source"},
      "spin":{"type":"test.spin","in":{"in":"a.out"},"params":{"ms":5000}},
      "after":{"type":"test.add","in":{"a":"spin.out"}}})",
                  R"({"x":"after.out"})");
  std::thread canceller([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    opts.cancel.cancel();
  });
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(session->run(g, opts), Cancelled);
  canceller.join();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);
  EXPECT_EQ(counters.count("after"), 0);
  // A token cancelled before the run starts stops it before any node.
  counters.reset();
  EXPECT_THROW(session->run(g, opts), Cancelled);
  EXPECT_EQ(counters.total(), 0);
  opts.cancel.reset();
  g.set_param("spin", "ms", 1.0);
  EXPECT_DOUBLE_EQ(session->run(g, opts).outputs.at("x").scalar(), 1.0);
}

TEST_P(Executor, ProgressEventsCoverEveryNeededNode) {
  std::vector<std::string> events;
  double last_fraction = -1;
  bool monotonic = true;
  opts.progress = [&](const ProgressEvent& ev) {
    events.push_back(std::string(progress_kind_name(ev.kind)) + ":" + *ev.node);
    if (ev.fraction < last_fraction) monotonic = false;
    last_fraction = ev.fraction;
  };
  Graph g = diamond();
  session->run(g, opts);
  EXPECT_EQ(std::count_if(events.begin(), events.end(), [](const std::string& e) { return e.rfind("finished:", 0) == 0; }), 5);
  EXPECT_TRUE(monotonic);
  EXPECT_DOUBLE_EQ(last_fraction, 1.0);
  events.clear();
  session->run(g, opts);
  const auto cached = std::count_if(events.begin(), events.end(), [](const std::string& e) { return e.rfind("cached:", 0) == 0; });
  EXPECT_EQ(cached, cache() ? 5 : 0);
}

TEST_P(Executor, FedValuesReplaceNodes) {
  opts.inputs["a"] = Value::make_scalar(5.0);
  RunResult r = session->run(diamond(), opts);
  EXPECT_DOUBLE_EQ(r.outputs.at("result").scalar(), 115.0);
  EXPECT_EQ(counters.count("a"), 0);
  opts.inputs["a"] = Value::make_string("five");
  EXPECT_SUMI_ERROR(session->run(diamond(), opts), "node 'a'", "fed a String", "Scalar");
}

TEST_P(Executor, FedValuesFillUnlinkedOptionalInputs) {
  opts.inputs["d.b"] = Value::make_scalar(4.0);  // d's optional input b, unlinked in the graph
  EXPECT_DOUBLE_EQ(session->run(diamond(), opts).outputs.at("result").scalar(), 115.0);
  opts.inputs["d.b"] = Value::make_scalar(5.0);  // part of d's cache key: d runs again
  EXPECT_DOUBLE_EQ(session->run(diamond(), opts).outputs.at("result").scalar(), 116.0);
  opts.inputs.clear();
  EXPECT_DOUBLE_EQ(session->run(diamond(), opts).outputs.at("result").scalar(), 111.0);
  EXPECT_EQ(counters.count("d"), 3);
  opts.inputs = {{"d.a", Value::make_scalar(1.0)}};
  EXPECT_SUMI_ERROR(session->run(diamond(), opts), "node 'd'", "port 'a'", "only an optional input left unlinked",
                    "required");
  opts.inputs = {{"d.b", Value::make_string("five")}};
  EXPECT_SUMI_ERROR(session->run(diamond(), opts), "node 'd'", "port 'b'", "fed a String", "takes Scalar");
  opts.inputs = {{"d.nope", Value::make_scalar(1.0)}};
  EXPECT_SUMI_ERROR(session->run(diamond(), opts), "node 'd'", "no such output");
}

TEST_P(Executor, ResultsMatchAcrossCacheAndThreadModes) {
  // A wider graph: 8 branches of varying depth joined pairwise.
  std::string nodes = R"({"src":{"type":"test.source","params":{"value":3}})";
  for (int i = 0; i < 8; ++i) {
    std::string prev = "src";
    for (int k = 0; k <= i % 3; ++k) {
      std::string id = "n" + std::to_string(i) + "_" + std::to_string(k);
      nodes += ",\"" + id + R"(":{"type":"test.add","in":{"a":")" + prev + R"(.out"},"params":{"bias":)" +
               std::to_string(i * 10 + k) + "}}";
      prev = id;
    }
    nodes += ",\"end" + std::to_string(i) + R"(":{"type":"test.add","in":{"a":")" + prev + R"(.out"}})";
  }
  nodes += R"(,"j":{"type":"test.add","in":{"a":"end0.out","b":"end7.out"}}})";
  Graph g = parse(nodes, R"({"j":"j.out","e3":"end3.out"})");
  RunResult r = session->run(g, opts);
  // Same numbers whatever the mode: 3 + 0 and 3 + 70 + 71.
  EXPECT_DOUBLE_EQ(r.outputs.at("j").scalar(), 3.0 + 3.0 + 70 + 71);
  EXPECT_DOUBLE_EQ(r.outputs.at("e3").scalar(), 3.0 + 30);
  EXPECT_EQ(r.outputs.at("j").hash(), Value::make_scalar(147.0).hash());
}

INSTANTIATE_TEST_SUITE_P(Modes, Executor,
                         ::testing::Values(Mode{true, 1}, Mode{true, 2}, Mode{false, 1}, Mode{false, 2}),
                         [](const ::testing::TestParamInfo<Mode>& p) {
                           return std::string(p.param.cache ? "Cache" : "NoCache") + "_" +
                                  std::to_string(p.param.threads) + "Threads";
                         });

TEST(Cache, EvictsLeastRecentlyUsedWithinBudget) {
  auto out = [](double v) { return std::make_shared<const Outputs>(Outputs{Value::make_scalar(v)}); };
  const std::size_t one = [&] {
    Cache probe(1 << 20);
    probe.put(1, out(1));
    return probe.stats().bytes;
  }();
  Cache cache(one * 10);
  for (int k = 1; k <= 10; ++k) cache.put(static_cast<std::uint64_t>(k), out(k));
  ASSERT_NE(cache.get(1), nullptr);  // 1 is now most recent; 2 and 3 are the oldest
  cache.put(11, out(11));            // over budget: evicts down to 90 % (9 entries)
  EXPECT_EQ(cache.get(2), nullptr);
  EXPECT_EQ(cache.get(3), nullptr);
  EXPECT_NE(cache.get(1), nullptr);
  EXPECT_NE(cache.get(4), nullptr);
  EXPECT_NE(cache.get(11), nullptr);
  CacheStats s = cache.stats();
  EXPECT_EQ(s.entries, 9u);
  EXPECT_LE(s.bytes, s.budget);
  EXPECT_EQ(s.evictions, 2u);
  EXPECT_GE(s.hits, 4u);
  cache.set_budget(one);
  EXPECT_EQ(cache.stats().entries, 1u);
  cache.clear();
  EXPECT_EQ(cache.stats().bytes, 0u);
}

TEST(Cache, StoringAKeyAgainReplacesTheEntry) {
  // Two identical branches computed in parallel both store the same key.
  Cache cache(1 << 20);
  cache.put(9, std::make_shared<const Outputs>(Outputs{Value::make_scalar(1)}));
  const std::size_t bytes = cache.stats().bytes;
  cache.put(9, std::make_shared<const Outputs>(Outputs{Value::make_scalar(2)}));
  OutputsPtr hit = cache.get(9);
  ASSERT_NE(hit, nullptr);
  EXPECT_DOUBLE_EQ((*hit)[0].scalar(), 2.0);
  EXPECT_EQ(cache.stats().entries, 1u);
  EXPECT_EQ(cache.stats().bytes, bytes);
}

TEST(Cache, AnEntryNearTheBudgetEvictsTheOthersButStays) {
  auto out = [](int n) {
    Outputs o(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) o[static_cast<std::size_t>(i)] = Value::make_scalar(i);
    return std::make_shared<const Outputs>(std::move(o));
  };
  Cache probe(1 << 20);
  probe.put(1, out(8));
  const std::size_t big = probe.stats().bytes;
  Cache cache(big + big / 20);  // the big entry alone is over the 90 % eviction target
  cache.put(1, out(1));
  cache.put(2, out(8));
  EXPECT_EQ(cache.get(1), nullptr);
  ASSERT_NE(cache.get(2), nullptr);
  EXPECT_EQ(cache.stats().entries, 1u);
  EXPECT_EQ(cache.stats().bytes, big);
  cache.clear();
  EXPECT_EQ(cache.get(2), nullptr);
  cache.put(3, out(1));  // usable again after clear()
  EXPECT_NE(cache.get(3), nullptr);
}

TEST(Cache, AnEvictedEntryStaysValidForItsHolder) {
  Cache cache(1);  // nothing fits: put() stores nothing
  auto v = std::make_shared<const Outputs>(Outputs{Value::make_scalar(1)});
  cache.put(7, v);
  EXPECT_EQ(cache.get(7), nullptr);
  EXPECT_DOUBLE_EQ((*v)[0].scalar(), 1.0);
}

// A session over the stub nodes, running a graph of one source node `id`.
struct OneSourceSession {
  explicit OneSourceSession(const std::string& id) {
    register_stub_nodes(reg, counters);
    g.add_node(id, "test.source");
    g.set_output("x", id + ".out");
  }
  StubCounters counters;
  Registry reg;
  Session s{reg};
  Graph g;
};

TEST(SessionPlan, ReusesThePlanWhileTheGraphIsUnchanged) {
  OneSourceSession one("a");
  Session& s = one.s;
  Graph& g = one.g;
  EXPECT_DOUBLE_EQ(s.run(g).outputs.at("x").scalar(), 1.0);
  g.set_param("a", "value", 4.0);  // revision bump: recompiled
  EXPECT_DOUBLE_EQ(s.run(g).outputs.at("x").scalar(), 4.0);
  g.set_param("a", "value", std::string("bad"));
  EXPECT_SUMI_ERROR(s.run(g), "node 'a'", "param 'value'");
}

// A result's node ids view its plan: the result keeps that plan alive after
// the session has compiled the edited graph and dropped its own reference.
TEST(SessionPlan, AResultKeepsItsNodeIdsAfterTheGraphChanges) {
  OneSourceSession one("a_source_with_a_long_id_beyond_small_strings");
  Session& s = one.s;
  Graph& g = one.g;
  RunResult first = s.run(g);
  g.remove_node("a_source_with_a_long_id_beyond_small_strings");
  g.add_node("b", "test.source");
  g.set_output("x", "b.out");
  RunResult second = s.run(g);  // the session now holds only the new plan
  ASSERT_EQ(first.nodes.size(), 1u);
  EXPECT_EQ(first.nodes[0].id, "a_source_with_a_long_id_beyond_small_strings");
  EXPECT_EQ(first.nodes[0].type, "test.source");
  EXPECT_EQ(second.nodes[0].id, "b");
}

}  // namespace
}  // namespace sumi::test

namespace sumi::test {
namespace {

// The open-addressing table under churn: every stored key stays findable
// through growth and evictions, and every evicted one is gone.
TEST(Cache, ManyKeysSurviveGrowthAndEviction) {
  auto out = [](double v) { return std::make_shared<const Outputs>(Outputs{Value::make_scalar(v)}); };
  Cache probe(1 << 20);
  probe.put(1, out(1));
  const std::size_t one = probe.stats().bytes;
  Cache cache(one * 3000);
  for (std::uint64_t k = 0; k < 5000; ++k) cache.put(k * 0x9e3779b97f4a7c15ULL, out(static_cast<double>(k)));
  CacheStats s = cache.stats();
  EXPECT_LE(s.entries, 3000u);
  EXPECT_GE(s.entries, 2700u);  // evictions go down to 90 % of the budget
  EXPECT_EQ(s.evictions + s.entries, 5000u);
  const std::uint64_t first_kept = 5000 - s.entries;
  for (std::uint64_t k = 0; k < 5000; ++k) {
    OutputsPtr hit = cache.get(k * 0x9e3779b97f4a7c15ULL);
    if (k < first_kept) {
      EXPECT_EQ(hit, nullptr) << k;  // the oldest were evicted
    } else {
      ASSERT_NE(hit, nullptr) << k;
      EXPECT_DOUBLE_EQ((*hit)[0].scalar(), static_cast<double>(k));
    }
  }
}

}  // namespace
}  // namespace sumi::test
