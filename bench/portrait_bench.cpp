// End-to-end portrait speed: strokes -> portrait with a shipped graph on this
// machine, median of repeated runs:
//   * cold: every node computed (the cache off; models already loaded);
//   * one extra stroke: the previous drawing is in the cache and one stroke is
//     added inside the mouth window - only the mouth branch, the paste and the
//     generator should re-run, the other parts are cache hits;
// plus the first run of a fresh session (model loading included), the nodes
// each kind of run computed, the share of time spent in model forwards, and
// the generator's size from its manifest. Prints medians and ratios.
//
//   build/bench/sumi_portrait_bench                                  # deepfacedrawing, 15 repetitions
//   build/bench/sumi_portrait_bench --graph graphs/sketch2anime.sumi.json --reps 9 --threads 1
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include "engine/graph_file.h"
#include "engine/runtime.h"
#include "engine/session.h"
#include "nodes/common/strokes_file.h"
#include "nodes/nodes.h"

namespace sumi {
namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

bool is_model_forward(const std::string& type) {
  static const std::set<std::string> kinds = {"latent.encode",       "latent.decode",      "synth.feature_map",
                                              "synth.image",         "latent.encode_image", "latent.encode_sketch",
                                              "synth.stylegan"};
  return kinds.count(type) > 0;
}

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

struct Timing {
  double wall_ms = 0, model_ms = 0, node_ms = 0;
  double faults = 0;  // minor page faults of the whole process during the run
  std::vector<std::string> computed;
  std::vector<std::pair<double, std::string>> node_times;  // ms, id
};

Timing timed_run(Session& s, const Graph& g, const Strokes& strokes, const std::vector<std::string>& outputs, bool cache) {
  RunOptions opts;
  opts.outputs = outputs;
  opts.use_cache = cache;
  opts.inputs["draw"] = make_strokes(strokes);
  const long f0 = minor_faults();
  const auto t0 = Clock::now();
  RunResult r = s.run(g, opts);
  Timing t;
  t.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  t.faults = static_cast<double>(minor_faults() - f0);
  for (const NodeRun& n : r.nodes) {
    if (n.status != NodeStatus::Computed) continue;
    t.computed.emplace_back(n.id);
    t.node_times.emplace_back(n.ms, n.id);
    t.node_ms += n.ms;
    if (is_model_forward(std::string(n.type))) t.model_ms += n.ms;
  }
  return t;
}

// A short stroke inside the mouth (the shipped models' window [70, 134, 86] on a
// 256 canvas), moved a little each time so that every one is new.
Stroke mouth_stroke(const Strokes& s, int i) {
  const float kx = static_cast<float>(s.width) / 256.0f, ky = static_cast<float>(s.height) / 256.0f;
  Stroke st;
  st.width = 3.0f;
  const float y = 207.0f + static_cast<float>(i % 9);  // below the nose window (ends at 204)
  st.points = {{(100.0f + static_cast<float>(i % 5)) * kx, y * ky, 1.0f}, {126.0f * kx, (y + 2.0f) * ky, 1.0f}};
  return st;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

int main_impl(int argc, char** argv) {
  std::string graph_path = std::string(SUMI_SOURCE_DIR) + "/graphs/deepfacedrawing.sumi.json";
  std::string strokes_path;
  std::vector<std::string> outputs = {"portrait"};
  int reps = 15, threads = 0, session_threads = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw Error("missing value after " + a);
      return argv[++i];
    };
    if (a == "--graph") graph_path = next();
    else if (a == "--strokes") strokes_path = next();
    else if (a == "--reps") reps = std::max(1, std::atoi(next().c_str()));
    else if (a == "--threads") threads = std::atoi(next().c_str());
    else if (a == "--session-threads") session_threads = std::atoi(next().c_str());
    else if (a == "--outputs") {
      outputs.clear();
      std::string v = next();
      for (std::size_t p = 0; p != std::string::npos;) {
        const std::size_t c = v.find(',', p);
        outputs.push_back(v.substr(p, c == std::string::npos ? c : c - p));
        p = c == std::string::npos ? c : c + 1;
      }
    } else {
      std::printf("usage: sumi_portrait_bench [--graph G] [--strokes S] [--reps N] [--threads N] [--session-threads N] [--outputs a,b]\n"
                  "  --threads: the process budget (TBB threads; LibTorch gets cores / N each)\n"
                  "  --session-threads: the session's own TBB arena (0 = the budget's)\n");
      return a == "--help" ? 0 : 2;
    }
  }
  const ThreadBudget budget = configure_threads(threads);
  Registry reg;
  register_all_nodes(reg);
  const Graph g = load_graph_file(graph_path);
  if (strokes_path.empty()) {  // the graph's own drawing; relative paths are relative to the graph file
    const std::filesystem::path p = std::get<std::string>(g.node("draw")->params.at("path"));
    strokes_path = (p.is_absolute() ? p : std::filesystem::path(g.base_dir) / p).lexically_normal().string();
  }
  const Strokes base = load_strokes_file(strokes_path);
  std::printf("graph %s, strokes %s (%zu strokes), outputs %s\n", graph_path.c_str(), strokes_path.c_str(),
              base.strokes.size(), join(outputs).c_str());
  std::printf("threads: %d TBB x %d LibTorch on %d cores%s\n", budget.tbb_threads, budget.torch_threads, budget.cores,
              session_threads > 0 ? (", session arena " + std::to_string(session_threads)).c_str() : "");

  SessionOptions so;
  so.threads = session_threads;
  Session s(reg, so);
  const Timing first = timed_run(s, g, base, outputs, false);
  std::printf("first run of a fresh session (loads the models): %.1f ms\n", first.wall_ms);

  // Cold and one-stroke runs alternate, so that the machine's load drifting
  // during the benchmark hits both alike; the ratio is also taken per pair.
  std::vector<double> cold, cold_model, cold_nodes, inc, pair_ratio, cold_faults, inc_faults;
  std::map<std::string, std::vector<double>> inc_node_ms;  // per computed node of the one-stroke runs
  Timing cold_last, inc_last;
  Strokes drawing = base;
  timed_run(s, g, drawing, outputs, true);  // the drawing so far is in the cache
  for (int i = 0; i < reps; ++i) {
    cold_last = timed_run(s, g, drawing, outputs, false);
    cold.push_back(cold_last.wall_ms);
    cold_model.push_back(cold_last.model_ms);
    cold_nodes.push_back(cold_last.node_ms);
    cold_faults.push_back(cold_last.faults);
    drawing.strokes.push_back(mouth_stroke(base, i));
    inc_last = timed_run(s, g, drawing, outputs, true);
    inc.push_back(inc_last.wall_ms);
    inc_faults.push_back(inc_last.faults);
    for (const auto& [ms, id] : inc_last.node_times) inc_node_ms[id].push_back(ms);
    pair_ratio.push_back(inc_last.wall_ms / cold_last.wall_ms);
  }
  const double c = median(cold), r = median(inc);
  std::printf("\n%-34s %10s\n", ("run (median of " + std::to_string(reps) + ")").c_str(), "ms");
  std::printf("%-34s %10.1f   (%zu nodes computed)\n", "cold, every node", c, cold_last.computed.size());
  std::printf("%-34s %10.1f   = %.2f x cold (median of per-pair ratios %.2f)\n", "one extra stroke in the mouth", r,
              r / c, median(pair_ratio));
  std::printf("computed after the stroke (median ms):");
  for (std::size_t i = 0; i < inc_last.node_times.size(); ++i) {
    const std::string& id = inc_last.node_times[i].second;
    std::printf(" %s %.1f%s", id.c_str(), median(inc_node_ms[id]), i + 1 < inc_last.node_times.size() ? "," : "");
  }
  std::printf("\n");
  std::printf("page faults per run (median): cold %.0f, one stroke %.0f\n", median(cold_faults), median(inc_faults));
  std::sort(cold_last.node_times.rbegin(), cold_last.node_times.rend());
  std::printf("slowest nodes of the last cold run:");
  for (std::size_t i = 0; i < std::min<std::size_t>(6, cold_last.node_times.size()); ++i)
    std::printf(" %s %.1f ms%s", cold_last.node_times[i].second.c_str(), cold_last.node_times[i].first, i < 5 ? "," : "");
  std::printf("\n");
  const double model_share = median(cold_model) / std::max(median(cold_nodes), 1e-9);
  std::printf("cold: model forwards %.1f ms of %.1f ms node time: %.0f %% of the time outside model forwards "
              "(nodes run in parallel, so node time can exceed wall time)\n",
              median(cold_model), median(cold_nodes), 100.0 * (1.0 - model_share));

  // The models' size, from the manifest next to the weights (models/synth or, for StyleGAN graphs,
  // models/stylegan: written by their export.py).
  bool stylegan = false;
  for (const auto& [id, node] : g.nodes()) stylegan = stylegan || node.type == "synth.stylegan";
  std::ifstream mf(std::string(SUMI_SOURCE_DIR) + (stylegan ? "/models/stylegan" : "/models/synth") + "/manifest.json");
  if (mf) {
    const auto m = nlohmann::json::parse(mf, nullptr, false);
    if (!m.is_discarded() && m.contains("cost"))
      std::printf("synthesis model cost (per portrait): %s\n", m["cost"].dump().c_str());
  }
  return 0;
}

}  // namespace
}  // namespace sumi

int main(int argc, char** argv) {
  try {
    return sumi::main_impl(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sumi_portrait_bench: error: %s\n", e.what());
    return 1;
  }
}
