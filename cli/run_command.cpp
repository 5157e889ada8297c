// sumi run GRAPH [--set node.param=value]... [--in node=file]... [--out DIR]
//               [--device cpu] [--threads N] [--profile] [--output NAME]... [--sandbox DIR[,DIR]...]
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/graph_setup.h"
#include "cli/plugin_setup.h"
#include "engine/graph_file.h"
#include "engine/runtime.h"
#include "engine/sandbox.h"
#include "engine/session.h"
#include "nodes/nodes.h"

namespace sumi::cli {
namespace {

struct RunArgs {
  std::string graph;
  std::vector<std::string> sets, ins, outputs, sandbox, plugins;
  std::string out_dir = "out";
  std::string device = "cpu";
  int threads = 0;
  bool profile = false;
  bool no_cache = false;
  bool verbose = false;
};

// Cancels the run on Ctrl-C; a second Ctrl-C exits at once.
CancelToken* g_cancel = nullptr;
extern "C" void on_sigint(int) {
  if (g_cancel && !g_cancel->cancelled()) {
    g_cancel->cancel();
    return;
  }
  std::_Exit(130);
}

class TerminalProgress {
 public:
  explicit TerminalProgress(bool enabled) : enabled_(enabled) {}
  void operator()(const ProgressEvent& ev) {
    if (!enabled_) return;
    if (ev.kind == ProgressEvent::Kind::Started || ev.kind == ProgressEvent::Kind::Cached ||
        ev.kind == ProgressEvent::Kind::Finished) {
      std::fprintf(stderr, "\r\033[K[%3.0f%%] %s %s (%s)", ev.fraction * 100.0,
                   std::string(progress_kind_name(ev.kind)).c_str(), ev.node->c_str(), ev.type->c_str());
      std::fflush(stderr);
      shown_ = true;
    }
  }
  void done() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool enabled_;
  bool shown_ = false;
};

// One row per node: its time split into loading models and files (the
// ModelStore's first use of each) and compute, which a second run would repeat.
void print_profile(const RunResult& r) {
  std::cout << fmt::format("{:<20} {:<24} {:<10} {:>10} {:>10} {:>10}\n", "node", "type", "status", "ms", "load ms",
                           "compute ms");
  double load = 0;
  for (const NodeRun& n : r.nodes) {
    if (n.status == NodeStatus::NotNeeded) continue;
    load += n.load_ms;
    std::cout << fmt::format("{:<20} {:<24} {:<10} {:>10.3f} {:>10.3f} {:>10.3f}\n", n.id, n.type,
                             node_status_name(n.status), n.ms, n.load_ms, n.ms - n.load_ms);
  }
  std::cout << fmt::format(
      "total {:.3f} ms: {} computed, {} cached; model loading {:.3f} ms summed over the nodes (they overlap)\n",
      r.total_ms, r.computed, r.cached, load);
}

int run(const RunArgs& a) {
  ThreadBudget budget = configure_threads(a.threads);
  set_optimise_models(false);  // one run: each model is called once or twice (engine/runtime.h)
  Registry reg;
  load_node_types(reg, a.plugins);
  Graph g = load_graph_file(a.graph);
  for (const auto& s : a.sets) apply_set(g, reg, s);
  for (const auto& s : a.ins) apply_in(g, reg, s);

  std::shared_ptr<Sandbox> box;
  if (!a.sandbox.empty()) {
    box = std::make_shared<Sandbox>();
    for (const auto& dir : a.sandbox) box->allow(dir, Sandbox::kRead | Sandbox::kWrite);
    check_write(box.get(), a.out_dir, {});
  }

  std::error_code ec;
  std::filesystem::create_directories(a.out_dir, ec);
  if (ec) throw Error(ErrorContext{a.out_dir, {}, {}, {}, {}}, "cannot create the output folder: " + ec.message());

  Session session(reg);
  RunOptions opts;
  opts.outputs = a.outputs;
  opts.device = a.device;
  opts.use_cache = !a.no_cache;
  opts.sandbox = box;
  auto progress = std::make_shared<TerminalProgress>(!a.verbose && ::isatty(STDERR_FILENO) != 0);
  std::shared_ptr<spdlog::logger> log;
  if (a.verbose) {
    log = spdlog::stderr_color_mt("sumi");
    log->set_pattern("%H:%M:%S.%e %v");
  }
  opts.progress = [progress, log](const ProgressEvent& ev) {
    (*progress)(ev);
    if (!log || ev.kind == ProgressEvent::Kind::Progress) return;
    if (ev.kind == ProgressEvent::Kind::Failed)
      log->error("{} ({}) failed: {}", *ev.node, *ev.type, ev.message);
    else if (ev.kind == ProgressEvent::Kind::Finished)
      log->info("{} ({}) finished in {:.3f} ms", *ev.node, *ev.type, ev.ms);
    else
      log->info("{} ({}) {}", *ev.node, *ev.type, progress_kind_name(ev.kind));
  };
  g_cancel = &opts.cancel;
  std::signal(SIGINT, on_sigint);
  RunResult r;
  // Ctrl-C cancels the run and the encoding of its outputs (a file is
  // written only once whole).
  try {
    r = session.run(g, opts);
    progress->done();
    for (const NodeRun& n : r.nodes)
      if (!n.warning.empty()) std::cerr << fmt::format("sumi: warning: node '{}' ({}): {}\n", n.id, n.type, n.warning);
    for (const auto& [name, value] : r.outputs) {
      WrittenOutput w =
          write_output((std::filesystem::path(a.out_dir) / name).string(), name, value, box.get(), &opts.cancel);
      std::cout << "wrote " << (w.files.empty() ? w.text : fmt::format("{}", fmt::join(w.files, ", "))) << "\n";
    }
  } catch (...) {
    progress->done();
    g_cancel = nullptr;
    throw;
  }
  g_cancel = nullptr;
  if (a.profile) {
    std::cout << fmt::format("threads: {} TBB x {} LibTorch on {} cores\n", budget.tbb_threads, budget.torch_threads,
                             budget.cores);
    print_profile(r);
  }
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Run a graph file and write its outputs");
  cmd->add_option("graph", a->graph, "graph file (*.sumi.json)")->required();
  add_plugins_option(cmd, a->plugins);
  cmd->add_option("--set", a->sets, "override a parameter: node.param=value (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--in", a->ins, "input file for an input node: node=file (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--out", a->out_dir, "folder for the outputs (created if needed)")->capture_default_str();
  cmd->add_option("--output", a->outputs, "compute only this graph output (repeatable; default: all)");
  cmd->add_option("--device", a->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--threads", a->threads, "worker threads (0 = all cores)")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--sandbox", a->sandbox,
                  "let the graph's file parameters (images, strokes, models, banks, manifests it reads or writes) "
                  "and the outputs name only files inside these folders, after symlinks (comma-separated or "
                  "repeated; default: no restriction). The nodes' own default manifests stay readable")
      ->delimiter(',');
  cmd->add_flag("--profile", a->profile, "print a per-node timing table");
  cmd->add_flag("--no-cache", a->no_cache, "compute every node, ignoring the cache");
  cmd->add_flag("-v,--verbose", a->verbose, "log every node event (started, cached, finished with time) to stderr");
  cmd->callback([a, &exit_code] {
    try {
      exit_code = run(*a);
    } catch (const Cancelled&) {
      print_error("cancelled");
      exit_code = 130;
    } catch (const std::exception& e) {
      print_error(e.what());
      exit_code = 1;
    }
  });
}

}  // namespace sumi::cli
