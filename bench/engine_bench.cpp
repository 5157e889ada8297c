// Engine overhead against raw oneTBB flow_graph on the same shapes with empty
// node bodies, plus cached re-runs, printed as medians and ratios.
//
//   build/bench/sumi_bench                      # 15 repetitions, summary table at the end
//   build/bench/sumi_bench --benchmark_filter=Chain
//
// Shapes: "portrait" = source -> split -> 5 x (encode -> project) -> merge ->
// synth (14 nodes); "chain" = 1000 nodes in a line. "sketch_parts" is the
// shipped graph with its real nodes (rasterise, split, contact sheet).
#include <benchmark/benchmark.h>
#include <tbb/flow_graph.h>

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/graph_file.h"
#include "engine/node_context.h"
#include "engine/runtime.h"
#include "engine/session.h"
#include "nodes/common/strokes_file.h"
#include "nodes/nodes.h"

namespace sumi {
namespace {

constexpr int kChain = 1000;
constexpr int kPortraitNodes = 14;

// ---- raw oneTBB -----------------------------------------------------------
using Continue = tbb::flow::continue_node<tbb::flow::continue_msg>;
using Msg = tbb::flow::continue_msg;

struct RawPortrait {
  tbb::flow::graph g;
  tbb::flow::broadcast_node<Msg> start{g};
  std::vector<std::unique_ptr<Continue>> nodes;
  RawPortrait() {
    auto make = [&] {
      nodes.push_back(std::make_unique<Continue>(g, [](const Msg&) {}));
      return nodes.back().get();
    };
    Continue* split = make();
    tbb::flow::make_edge(start, *split);
    Continue* merge = make();
    for (int p = 0; p < 5; ++p) {
      Continue* enc = make();
      Continue* proj = make();
      tbb::flow::make_edge(*split, *enc);
      tbb::flow::make_edge(*enc, *proj);
      tbb::flow::make_edge(*proj, *merge);
    }
    Continue* synth = make();
    tbb::flow::make_edge(*merge, *synth);
    Continue* src_stand_in = make();  // the engine's source node: 14 nodes in all
    tbb::flow::make_edge(start, *src_stand_in);
  }
  void run() {
    start.try_put(Msg());
    g.wait_for_all();
  }
};

struct RawChain {
  tbb::flow::graph g;
  std::vector<std::unique_ptr<Continue>> nodes;
  RawChain() {
    for (int i = 0; i < kChain; ++i) {
      nodes.push_back(std::make_unique<Continue>(g, [](const Msg&) {}));
      if (i) tbb::flow::make_edge(*nodes[static_cast<std::size_t>(i - 1)], *nodes.back());
    }
  }
  void run() {
    nodes.front()->try_put(Msg());
    g.wait_for_all();
  }
};

void BM_RawTbb_Portrait(benchmark::State& state) {
  RawPortrait raw;
  for (auto _ : state) raw.run();
  state.counters["nodes"] = kPortraitNodes;
}
void BM_RawTbb_Chain(benchmark::State& state) {
  RawChain raw;
  for (auto _ : state) raw.run();
  state.counters["nodes"] = kChain;
}

// ---- the engine -----------------------------------------------------------
// bench.empty: passes a constant through; the "id" parameter keeps every
// node's cache key distinct, as real nodes' parameters would.
void register_bench_nodes(Registry& reg) {
  static const Value constant = Value::make_int(1);
  NodeDescriptor src;
  src.id = "bench.source";
  src.outputs = {PortSpec::out("out", ValueKind::Int, "constant")};
  src.params = {ParamSpec::integer("id", 0, "distinguishes nodes")};
  src.compute = [](NodeContext& ctx) { ctx.set_output("out", constant); };
  reg.add(src);
  NodeDescriptor empty;
  empty.id = "bench.empty";
  empty.inputs = {PortSpec::in("a", ValueKind::Int, "input"), PortSpec::optional("b", ValueKind::Int, "input"),
                  PortSpec::optional("c", ValueKind::Int, "input"), PortSpec::optional("d", ValueKind::Int, "input"),
                  PortSpec::optional("e", ValueKind::Int, "input")};
  empty.outputs = {PortSpec::out("out", ValueKind::Int, "constant")};
  empty.params = {ParamSpec::integer("id", 0, "distinguishes nodes")};
  empty.compute = [](NodeContext& ctx) { ctx.set_output("out", constant); };
  reg.add(empty);
}

// `salt` shifts every node's "id" parameter: variants with different salts
// share no cache keys (used to time cold runs without emptying the cache).
Graph portrait_graph(int salt = 0) {
  Graph g;
  int id = salt * 100;
  auto add = [&](const std::string& name, const char* type) {
    g.add_node(name, type);
    g.set_param(name, "id", std::int64_t{id++});
  };
  add("source", "bench.source");
  add("split", "bench.empty");
  g.link("source.out", "split.a");
  add("merge", "bench.empty");
  const char* ports[] = {"a", "b", "c", "d", "e"};
  for (int p = 0; p < 5; ++p) {
    const std::string enc = "enc" + std::to_string(p), proj = "proj" + std::to_string(p);
    add(enc, "bench.empty");
    add(proj, "bench.empty");
    g.link("split.out", enc + ".a");
    g.link(enc + ".out", proj + ".a");
    g.link(proj + ".out", std::string("merge.") + ports[p]);
  }
  add("synth", "bench.empty");
  g.link("merge.out", "synth.a");
  g.set_output("image", "synth.out");
  return g;
}

Graph chain_graph(int salt = 0) {
  Graph g;
  g.add_node("n0", "bench.source");
  g.set_param("n0", "id", std::int64_t{salt * 100000});
  for (int i = 1; i < kChain; ++i) {
    const std::string id = "n" + std::to_string(i);
    g.add_node(id, "bench.empty");
    g.set_param(id, "id", std::int64_t{salt * 100000 + i});
    g.link("n" + std::to_string(i - 1) + ".out", id + ".a");
  }
  g.set_output("end", "n" + std::to_string(kChain - 1) + ".out");
  return g;
}

struct EngineFixture {
  Registry reg;
  EngineFixture() {
    register_bench_nodes(reg);
    register_all_nodes(reg);
  }
};

EngineFixture& fixture() {
  static EngineFixture f;
  return f;
}

// mode 0: no cache; 1: cold cache; 2: unchanged re-run (warm).
// Cold runs cycle through `variants` copies of the graph whose cache keys all
// differ, emptying the cache once per cycle (that cost, amortised, is counted):
// pausing the timer around every clear() would cost more than a small run.
void run_engine(benchmark::State& state, const std::function<Graph(int)>& make, int nodes, int variants) {
  Session session(fixture().reg);
  const int mode = static_cast<int>(state.range(0));
  std::vector<std::shared_ptr<const Plan>> plans;
  for (int v = 0; v < (mode == 1 ? variants : 1); ++v) plans.push_back(compile(make(v), fixture().reg));
  RunOptions opts;
  opts.use_cache = mode != 0;
  if (mode == 2) session.run(plans[0], opts);
  std::size_t i = 0;
  for (auto _ : state) {
    if (mode == 1 && i % plans.size() == 0) session.cache().clear();
    RunResult r = session.run(plans[i++ % plans.size()], opts);
    benchmark::DoNotOptimize(r);
  }
  state.counters["nodes"] = nodes;
}

void BM_Engine_Portrait(benchmark::State& state) { run_engine(state, portrait_graph, kPortraitNodes, 256); }
void BM_Engine_Chain(benchmark::State& state) { run_engine(state, chain_graph, kChain, 8); }

void BM_Engine_SketchParts(benchmark::State& state) {
  Graph g = load_graph_file(std::string(SUMI_SOURCE_DIR) + "/graphs/sketch_parts.sumi.json");
  run_engine(state, [&](int) { return g; }, static_cast<int>(g.nodes().size()), 1);
}

BENCHMARK(BM_RawTbb_Portrait);
BENCHMARK(BM_Engine_Portrait)->ArgName("mode")->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_RawTbb_Chain);
BENCHMARK(BM_Engine_Chain)->ArgName("mode")->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_Engine_SketchParts)->ArgName("mode")->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);

// Collects the medians and prints ratios after the normal report.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
      // Without repetitions there is one run per benchmark: take it as the median.
      medians_[r.run_name.str()] = r.GetAdjustedRealTime() * to_ns(r.time_unit);
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    auto get = [&](const std::string& name) {
      auto it = medians_.find(name);
      return it == medians_.end() ? -1.0 : it->second;
    };
    std::printf("\nMedians (ns per run) and ratios, measured in this run:\n");
    for (const auto& [shape, nodes] : std::vector<std::pair<std::string, int>>{{"Portrait", kPortraitNodes}, {"Chain", kChain}}) {
      const double raw = get("BM_RawTbb_" + shape);
      const double off = get("BM_Engine_" + shape + "/mode:0");
      const double cold = get("BM_Engine_" + shape + "/mode:1");
      const double warm = get("BM_Engine_" + shape + "/mode:2");
      if (raw < 0 || off < 0 || cold < 0 || warm < 0) continue;
      std::printf("  %-8s %4d nodes: raw TBB %9.0f ns (%.1f ns/node)\n", shape.c_str(), nodes, raw, raw / nodes);
      std::printf("           engine, no cache   %9.0f ns (%.1f ns/node, %.2fx raw)\n", off, off / nodes, off / raw);
      std::printf("           engine, cold cache %9.0f ns (%.1f ns/node, %.2fx raw)\n", cold, cold / nodes, cold / raw);
      std::printf("           engine, re-run     %9.0f ns (%.1f ns/node, %.1f%% of cold)\n", warm, warm / nodes,
                  100.0 * warm / cold);
    }
    const double sp_cold = get("BM_Engine_SketchParts/mode:0"), sp_warm = get("BM_Engine_SketchParts/mode:2");
    if (sp_cold > 0 && sp_warm > 0)
      std::printf("  sketch_parts graph (real nodes): cold %.3f ms, unchanged re-run %.4f ms = %.2f%% of cold\n",
                  sp_cold / 1e6, sp_warm / 1e6, 100.0 * sp_warm / sp_cold);
  }

 private:
  static double to_ns(benchmark::TimeUnit u) {
    switch (u) {
      case benchmark::kNanosecond: return 1;
      case benchmark::kMicrosecond: return 1e3;
      case benchmark::kMillisecond: return 1e6;
      case benchmark::kSecond: return 1e9;
    }
    return 1;
  }
  std::map<std::string, double> medians_;
};

}  // namespace
}  // namespace sumi

int main(int argc, char** argv) {
  sumi::configure_threads(0);
  std::vector<char*> args(argv, argv + argc);
  bool has_reps = false;
  for (int i = 1; i < argc; ++i) has_reps = has_reps || std::string(argv[i]).rfind("--benchmark_repetitions", 0) == 0;
  // Repetitions of all benchmarks are interleaved in random order, so that the
  // machine's load drifting during the run hits raw TBB and the engine alike
  // (otherwise the ratios moved by a third between runs here).
  std::string reps = "--benchmark_repetitions=15", agg = "--benchmark_report_aggregates_only=true",
              interleave = "--benchmark_enable_random_interleaving=true";
  if (!has_reps) {
    args.push_back(reps.data());
    args.push_back(agg.data());
    args.push_back(interleave.data());
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  sumi::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
