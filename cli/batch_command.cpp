// sumi batch GRAPH --in node=DIR|GLOB|LIST.txt [--in node=...]... --out DIR [--jobs N] [--resume]
//                  [--name PATTERN] [--set node.param=value]... [--output NAME]... [--device cpu]
//
// One process and one session for many inputs: models load once, and items
// run side by side on --jobs threads, each run's LibTorch threads shrinking so
// that jobs x LibTorch threads never exceed the cores. An item's outputs are
// written (atomically) only after its run succeeded, then a stamp for
// --resume; OUT/results.jsonl gets one line per item. A failed item is
// reported and skipped; Ctrl-C stops between items.
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/graph_setup.h"
#include "cli/plugin_setup.h"
#include "engine/atomic_file.h"
#include "engine/graph_file.h"
#include "engine/hash.h"
#include "engine/subgraph.h"
#include "engine/plan.h"
#include "engine/runtime.h"
#include "engine/session.h"
#include "nodes/nodes.h"

namespace fs = std::filesystem;

namespace sumi::cli {
namespace {

struct BatchArgs {
  std::string graph, out_dir, name = "{stem}/{output}", device = "cpu";
  std::vector<std::string> sets, ins, outputs, plugins;
  int jobs = 0;
  bool resume = false;
};

// Default --jobs: one run per core, each with one LibTorch thread. Measured
// on 2 loaded cores (README, "Many drawings"), deepfacedrawing: 4.1
// portraits/s side by side against 1.1 for one run at a time with both
// cores' LibTorch threads, which wait on each other in every small layer.
int default_jobs(int cores) { return cores; }

// Ctrl-C cancels the runs in progress (at a node boundary; they write
// nothing) and takes no further item; a second Ctrl-C exits at once.
CancelToken* g_cancel = nullptr;
extern "C" void on_batch_sigint(int) {
  if (g_cancel && !g_cancel->cancelled()) {
    g_cancel->cancel();
    return;
  }
  std::_Exit(130);
}

bool ends_with(const std::string& s, std::string_view end) {
  if (s.size() < end.size()) return false;
  return std::equal(end.rbegin(), end.rend(), s.rbegin(), [](char a, char b) { return a == std::tolower(b); });
}

// One --in: one file that every item reads, or a set of files, one per item.
struct InputSpec {
  std::string node;
  std::vector<std::string> files;
  bool many = false;
};

// The files of a folder that this input node can read, sorted; hidden files skipped.
std::vector<std::string> folder_files(const std::string& dir, const std::string& node_type) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.' || !e.is_regular_file()) continue;
    std::string lower = name;  // A.PNG from a camera or Windows is an image too
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (node_type == "io.strokes_input" && !ends_with(lower, ".json")) continue;
    if (node_type == "io.load_image" && !ends_with(lower, ".png") && !ends_with(lower, ".jpg") &&
        !ends_with(lower, ".jpeg") && !ends_with(lower, ".bmp") && !ends_with(lower, ".webp"))
      continue;
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> glob_files(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> files;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)  // sorted
    for (std::size_t i = 0; i < g.gl_pathc; ++i) {
      std::error_code ec;
      if (fs::is_regular_file(g.gl_pathv[i], ec)) files.emplace_back(g.gl_pathv[i]);
    }
  ::globfree(&g);
  return files;
}

// A list file: one path a line, relative to the list's folder; blank lines and '#' comments skipped.
std::vector<std::string> list_files(const std::string& list) {
  std::istringstream in(read_file(list));
  std::vector<std::string> files;
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    fs::path p(line);
    if (p.is_relative()) p = fs::path(list).parent_path() / p;
    files.push_back(p.lexically_normal().string());
  }
  return files;
}

InputSpec parse_input(const std::string& text, const Graph& g, const Registry& reg) {
  auto [node, value] = split_assignment(text, "--in");
  check_input_node(g, reg, node);
  const std::string& type = g.node(node)->type;
  InputSpec in{node, {}, true};
  std::error_code ec;
  const std::string what = "--in " + node;
  if (fs::is_directory(value, ec)) {
    in.files = folder_files(value, type);
    if (in.files.empty()) throw Error(ErrorContext{value, {}, {}, {}, {}}, what + ": the folder holds no file this input reads");
  } else if (fs::is_regular_file(value, ec) && ends_with(value, ".txt")) {
    in.files = list_files(value);
    if (in.files.empty()) throw Error(ErrorContext{value, {}, {}, {}, {}}, what + ": the list names no file");
  } else if (fs::is_regular_file(value, ec)) {
    in = {node, {value}, false};
  } else if (value.find_first_of("*?[") != std::string::npos) {
    in.files = glob_files(value);
    if (in.files.empty()) throw Error(ErrorContext{value, {}, {}, {}, {}}, what + ": no file matches the pattern");
  } else {
    throw Error(ErrorContext{value, {}, {}, {}, {}}, what + ": file not found");
  }
  return in;
}

// "faces/a.strokes.json" -> "a"; "b.png" -> "b".
std::string stem_of(const std::string& file) {
  std::string s = fs::path(file).filename().string();
  for (std::string_view ext : {".strokes.json", ".sumi.json"})
    if (ends_with(s, ext)) return s.substr(0, s.size() - ext.size());
  if (auto dot = s.rfind('.'); dot != std::string::npos && dot > 0) s.resize(dot);
  return s;
}

struct Item {
  std::string input;  // the file that names the item (from the first set of files)
  std::string stem;
  std::vector<std::pair<std::string, std::string>> files;  // input node -> file
  std::string error;  // why the item cannot run (a second set lacks its stem)
};

// Items follow the first set of files; other sets are matched to it by stem.
std::vector<Item> make_items(const std::vector<InputSpec>& specs) {
  const InputSpec* lead = nullptr;
  std::map<std::string, std::map<std::string, std::string>> by_stem;  // node -> stem -> file
  for (const InputSpec& s : specs) {
    if (!s.many) continue;
    if (!lead) lead = &s;
    for (const auto& f : s.files) by_stem[s.node].emplace(stem_of(f), f);
  }
  if (!lead) throw Error("sumi batch needs an --in NODE=FOLDER, GLOB or LIST.txt (for one file: sumi run)");
  std::vector<Item> items;
  for (const std::string& file : lead->files) {
    Item it{file, stem_of(file), {}, {}};
    for (const InputSpec& s : specs) {
      if (!s.many || &s == lead) {
        it.files.emplace_back(s.node, &s == lead ? file : s.files.front());
      } else if (auto f = by_stem[s.node].find(it.stem); f != by_stem[s.node].end()) {
        it.files.emplace_back(s.node, f->second);
      } else if (it.error.empty()) {
        it.error = "no --in " + s.node + " file named like it (stem '" + it.stem + "')";
      }
    }
    items.push_back(std::move(it));
  }
  return items;
}

std::string expand_name(const std::string& pattern, const Item& it, std::size_t index, int width,
                        const std::string& output) {
  std::string s = pattern;
  auto replace = [&s](std::string_view key, const std::string& value) {
    for (auto p = s.find(key); p != std::string::npos; p = s.find(key, p + value.size())) s.replace(p, key.size(), value);
  };
  replace("{stem}", it.stem);
  replace("{index}", fmt::format("{:0{}}", index, width));
  // The input's folder name (as Python's sumi.batch): sketches/a/x and sketches/b/x stay apart.
  replace("{parent}", fs::absolute(fs::path(it.input)).parent_path().filename().string());
  replace("{output}", output);
  return s;
}

// What --resume compares: the graph with this item's parameters (inputs
// included), the outputs asked for, the naming and the inputs' contents.
std::string item_digest(const Graph& g, const Registry& reg, const Item& it, const BatchArgs& a) {
  Hasher h;
  const std::string json = graph_to_json(g);
  h.add(std::string_view("sumi batch 1")).add(json).add(a.device).add(a.name);
  // A graph with subgraph instances or variables: also what it expands to, so that an edited
  // subgraph file is not skipped on resume (python/sumi/_batch.py computes the same digest).
  if (std::string flat = graph_to_json(expand_graph(g, reg)); flat != json) h.add(std::string_view("expanded")).add(flat);
  for (const auto& o : a.outputs) h.add(o);
  for (const auto& [node, file] : it.files) h.add(node).add(read_file(file));
  return fmt::format("{:016x}", h.digest());
}

struct ItemResult {
  std::string input, status, error;
  std::vector<std::string> outputs, warnings;
  double ms = 0;
};

// Progress on stderr: a bar with rate and ETA on a terminal, a line per item otherwise.
class BatchProgress {
 public:
  BatchProgress(std::size_t total, bool tty) : total_(total), tty_(tty), t0_(Clock::now()) {}

  void item(const ItemResult& r) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++finished_;
    ++counts_[r.status];
    std::vector<std::string> news;  // warnings not shown yet
    for (const auto& w : r.warnings)
      if (warned_.insert(w).second) news.push_back(w);
    // A terminal cannot show thousands of redraws a second: at most ten, and after any message.
    const bool message = r.status == "failed" || !news.empty();
    if (tty_ && !message && finished_ < total_ && seconds() - drawn_at_ < 0.1) return;
    clear();
    if (r.status == "failed")  // the reason usually names the file already; name it otherwise
      print_error(r.error.find(r.input) != std::string::npos ? r.error : r.input + ": " + r.error);
    for (const auto& w : news) std::cerr << "sumi: warning: " << r.input << ": " << w << "\n";
    if (tty_) {
      draw();
      drawn_at_ = seconds();
    } else if (r.status != "cancelled") {
      std::cerr << fmt::format("[{}/{}] {}: {} ({:.0f} ms)\n", finished_, total_, r.input, r.status, r.ms);
    }
    std::cerr.flush();
  }
  void finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    clear();
  }
  std::size_t count(const std::string& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    return counts_[status];
  }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - t0_).count(); }

 private:
  using Clock = std::chrono::steady_clock;
  void clear() {
    if (tty_ && drawn_) std::cerr << "\r\033[K";
    drawn_ = false;
  }
  void draw() {
    const std::size_t ran = counts_["done"] + counts_["failed"];  // skipped items take no time
    const double rate = ran > 0 ? static_cast<double>(ran) / seconds() : 0;
    const int filled = static_cast<int>(24 * finished_ / std::max<std::size_t>(total_, 1));
    std::string eta = "--";
    if (rate > 0) {
      const auto s = static_cast<long>(static_cast<double>(total_ - finished_) / rate);
      eta = fmt::format("{}:{:02}", s / 60, s % 60);
    }
    std::cerr << fmt::format("[{}{}] {}/{}  {:.2f}/s  ETA {}", std::string(filled, '#'), std::string(24 - filled, '.'),
                             finished_, total_, rate, eta);
    if (counts_["failed"]) std::cerr << fmt::format("  ({} failed)", counts_["failed"]);
    drawn_ = true;
  }

  std::mutex mutex_;
  std::size_t total_, finished_ = 0;
  bool tty_, drawn_ = false;
  double drawn_at_ = -1;
  Clock::time_point t0_;
  std::map<std::string, std::size_t> counts_;
  std::set<std::string> warned_;
};

int batch(BatchArgs a) {
  Registry reg;
  load_node_types(reg, a.plugins);
  Graph base = load_graph_file(a.graph);
  for (const auto& s : a.sets) apply_set(base, reg, s);
  std::vector<InputSpec> specs;
  for (const auto& s : a.ins) specs.push_back(parse_input(s, base, reg));
  std::vector<Item> items = make_items(specs);

  // Check the graph, the outputs asked for and the naming before any item runs.
  {
    Graph g = base;
    for (const auto& [node, file] : items.front().files) g.set_param(node, "path", absolute(file));
    auto plan = compile(g, reg);
    plan->needed_for(a.outputs);
    if (a.outputs.empty())
      for (const auto& [name, ref] : plan->outputs) a.outputs.push_back(name);
  }
  const int width = static_cast<int>(std::to_string(items.size() - 1).size());
  if (a.name.find("{output}") == std::string::npos && a.outputs.size() > 1)
    throw Error("--name '" + a.name + "' needs {output}: the graph writes several outputs");
  std::map<std::string, std::string> taken;  // name -> input
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto [at, fresh] = taken.emplace(expand_name(a.name, items[i], i, width, ""), items[i].input);
    if (!fresh)
      throw Error("--name '" + a.name + "' gives " + at->second + " and " + items[i].input +
                  " the same output files (use {index} or {parent}, or inputs with different names)");
  }

  const fs::path out(a.out_dir), stamps = out / ".sumi-batch";
  if (std::error_code ec; fs::create_directories(stamps, ec), ec)
    throw Error(ErrorContext{a.out_dir, {}, {}, {}, {}}, "cannot create the output folder: " + ec.message());
  std::ofstream results(out / "results.jsonl", std::ios::trunc);
  if (!results) throw Error(ErrorContext{(out / "results.jsonl").string(), {}, {}, {}, {}}, "cannot write the results file");

  // jobs x LibTorch threads <= cores (engine/runtime.h).
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  const int jobs = std::clamp(a.jobs > 0 ? a.jobs : default_jobs(cores), 1, std::min(cores, static_cast<int>(items.size())));
  configure_threads(jobs);
  SessionOptions so;
  so.cache_bytes = std::size_t{256} << 20;  // items rarely share results; models live in the model store
  Session session(reg, so);

  CancelToken cancel;
  g_cancel = &cancel;
  std::signal(SIGINT, on_batch_sigint);
  BatchProgress progress(items.size(), ::isatty(STDERR_FILENO) != 0);
  std::mutex results_mutex;

  auto process = [&](std::size_t i) {
    const Item& it = items[i];
    ItemResult r;
    r.input = it.input;
    const auto t0 = std::chrono::steady_clock::now();
    std::error_code ec;
    try {
      if (!it.error.empty()) throw Error(ErrorContext{it.input, {}, {}, {}, {}}, it.error);
      Graph g = base;
      for (const auto& [node, file] : it.files) {
        if (!fs::is_regular_file(file, ec))
          throw Error(ErrorContext{file, {}, {}, {}, {}},
                      "--in " + node + (fs::exists(file, ec) ? ": not a regular file (a device, FIFO or socket)" : ": file not found"));
        g.set_param(node, "path", absolute(file));
      }
      const std::string digest = item_digest(g, reg, it, a);
      // The same stamp from any working folder; one per input AND output name, so an input listed twice
      // under different names ({index}) is not skipped on the strength of the other's files.
      const std::string key = absolute(it.input) + "\n" + expand_name(a.name, it, i, width, "");
      const fs::path stamp = stamps / fmt::format("{:016x}.json", hash_bytes(key.data(), key.size()));
      if (a.resume && fs::exists(stamp, ec)) {
        nlohmann::json s = nlohmann::json::parse(read_file(stamp.string()), nullptr, false);
        bool ok = s.is_object() && s.value("digest", "") == digest && s.contains("outputs") && s["outputs"].is_array();
        for (const auto& f : ok ? s["outputs"] : nlohmann::json::array()) ok = ok && f.is_string() && fs::exists(f.get<std::string>(), ec);
        if (ok) {
          r.status = "skipped";
          r.outputs = s["outputs"].get<std::vector<std::string>>();
          return r;
        }
      }
      RunOptions opts;
      opts.outputs = a.outputs;
      opts.device = a.device;
      opts.cancel = cancel;  // copies share the flag
      RunResult run = session.run(compile(g, reg), opts);
      for (const NodeRun& n : run.nodes)
        if (!n.warning.empty()) r.warnings.push_back(fmt::format("node '{}' ({}): {}", n.id, n.type, n.warning));
      for (const auto& [name, value] : run.outputs) {
        const fs::path file_base = out / expand_name(a.name, it, i, width, name);
        fs::create_directories(file_base.parent_path(), ec);
        if (ec) throw Error(ErrorContext{file_base.parent_path().string(), {}, {}, {}, {}}, "cannot create the folder: " + ec.message());
        WrittenOutput w = write_output(file_base.string(), name, value, nullptr, &cancel);  // Ctrl-C stops the encoding too
        r.outputs.insert(r.outputs.end(), w.files.begin(), w.files.end());
      }
      write_file_atomic(stamp.string(), nlohmann::json{{"input", it.input}, {"digest", digest}, {"outputs", r.outputs}}.dump());
      r.status = "done";
    } catch (const Cancelled&) {
      r.status = "cancelled";
    } catch (const std::exception& e) {
      r.status = "failed";
      r.error = e.what();
    }
    r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return r;
  };

  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; !cancel.cancelled() && (i = next++) < items.size();) {
      ItemResult r = process(i);
      if (r.status != "cancelled") {
        nlohmann::json line{{"input", r.input}, {"outputs", r.outputs}, {"status", r.status},
                            {"ms", std::round(r.ms * 10) / 10}};
        if (!r.error.empty()) line["error"] = r.error;
        std::lock_guard<std::mutex> lock(results_mutex);
        results << line.dump() << "\n" << std::flush;
      }
      progress.item(r);
    }
  };
  std::vector<std::thread> workers;
  for (int j = 1; j < jobs; ++j) workers.emplace_back(work);
  work();
  for (auto& t : workers) t.join();
  progress.finish();
  g_cancel = nullptr;
  std::signal(SIGINT, SIG_DFL);

  const std::size_t done = progress.count("done"), skipped = progress.count("skipped"), failed = progress.count("failed");
  const double secs = progress.seconds();
  std::cout << fmt::format("batch: {} done, {} skipped, {} failed of {} in {:.1f} s ({:.2f} items/s, {} jobs); results in {}\n",
                           done, skipped, failed, items.size(), secs, static_cast<double>(done) / secs, jobs,
                           (out / "results.jsonl").string());
  if (cancel.cancelled()) {
    print_error(fmt::format("stopped by Ctrl-C after {} of {} items; run again with --resume to go on",
                            done + skipped + failed, items.size()));
    return 130;
  }
  if (failed) {
    print_error(fmt::format("{} of {} items failed (listed above and in {})", failed, items.size(),
                            (out / "results.jsonl").string()));
    return 1;
  }
  return 0;
}

}  // namespace

void add_batch_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<BatchArgs>();
  auto* cmd = app.add_subcommand("batch", "Run a graph over many inputs in one process (models load once)");
  cmd->add_option("graph", a->graph, "graph file (*.sumi.json)")->required();
  cmd->add_option("--in", a->ins,
                  "inputs of an input node: node=FOLDER, node='GLOB', node=LIST.txt (one path a line, relative to the "
                  "list) or node=FILE (the same for every item); several sets are matched by file stem (repeatable)")
      ->required()
      ->allow_extra_args(false);
  cmd->add_option("--out", a->out_dir, "folder for the outputs, stamps and results.jsonl (created if needed)")->required();
  cmd->add_option("--name", a->name, "output files under --out, without extension: {stem}, {index}, {parent} (the input's folder), {output}")
      ->capture_default_str();
  cmd->add_option("--jobs", a->jobs, "items run side by side (0 = one per core; each gets cores / jobs LibTorch threads)")
      ->capture_default_str();
  cmd->add_flag("--resume", a->resume, "skip items whose outputs exist from the same graph, parameters and inputs");
  add_plugins_option(cmd, a->plugins);
  cmd->add_option("--set", a->sets, "override a parameter: node.param=value (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--output", a->outputs, "compute only this graph output (repeatable; default: all)");
  cmd->add_option("--device", a->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->callback([a, &exit_code] {
    try {
      exit_code = batch(*a);
    } catch (const std::exception& e) {
      print_error(e.what());
      exit_code = 1;
    }
  });
}

}  // namespace sumi::cli
