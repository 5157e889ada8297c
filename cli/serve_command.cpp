// sumi serve [--plugins DIR]... [--host 127.0.0.1] [--port N] [--graphs DIR] [--static DIR] [--allow-origin URL]...
//            [--outputs DIR] [--read DIR]... [--max-sessions N] [--cache-mb MB] [--read-timeout S]
// The editor: a local web app and its JSON API (editor/server).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/plugin_setup.h"
#include "editor/server/server.h"
#include "engine/data_root.h"
#include "engine/error.h"
#include "engine/runtime.h"
#include "nodes/nodes.h"

namespace sumi::cli {
namespace {

struct ServeArgs {
  std::string host = "127.0.0.1";
  int port = 8188;
  std::string graphs;
  std::string static_dir;
  std::string models = data_path("models");  // where the engine's default manifests live
  std::string references = data_path("examples/references");  // colour reference images for AniFaceDrawing
  std::string outputs = "outputs";
  std::vector<std::string> reads = {data_path("examples")};  // the strokes files the shipped graphs name
  int threads = 0;
  std::vector<std::string> allow_origins;
  std::vector<std::string> plugins;
  editor::ServerOptions limits;  // max_sessions, cache_mb, read_timeout_s
};

// The first Ctrl-C / SIGTERM asks a watcher thread to stop the server; a second exits at once.
volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) {
  if (g_stop) std::_Exit(130);
  g_stop = 1;
}

// The built front end: --static, else editor/web/dist under the data root
// (engine/data_root.h), else ./editor/web/dist.
std::string find_static(const std::string& given) {
  if (!given.empty()) return given;
  std::error_code ec;
  const std::string dist = data_path("editor/web/dist");
  if (std::filesystem::is_regular_file(std::filesystem::path(dist) / "index.html", ec)) return dist;
  return "editor/web/dist";
}

// --graphs, else ./graphs, else the graphs folder under the data root.
std::string find_graphs(const std::string& given) {
  if (!given.empty()) return given;
  std::error_code ec;
  if (!std::filesystem::is_directory("graphs", ec)) return data_path("graphs");
  return "graphs";
}

// True when `inner` is `outer` or lies inside it (symlinks resolved).
bool inside(const std::string& inner, const std::string& outer) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path in = fs::weakly_canonical(fs::absolute(inner, ec), ec);
  const fs::path out = fs::weakly_canonical(fs::absolute(outer, ec), ec);
  auto i = in.begin();
  for (auto o = out.begin(); o != out.end(); ++o, ++i)
    if (o->empty() && std::next(o) == out.end()) break;  // a trailing separator
    else if (i == in.end() || *i != *o) return false;
  return true;
}

// Plugins run with the server's rights, so they come only from folders named
// when it starts, never from one the API writes (graphs are saved into the
// graphs folder, io.save_image writes the outputs folder): a page could plant
// a plugin there for the next start.
void check_plugin_folders(const std::vector<std::string>& plugin_dirs, const editor::ServerOptions& o) {
  for (const std::string& dir : plugin_dirs)
    for (const auto& [writable, what] : {std::pair{o.graphs_dir, "graphs"}, std::pair{o.outputs_dir, "outputs"}})
      if (!writable.empty() && (inside(dir, writable) || inside(writable, dir)))
        throw Error("plugin folder '" + dir + "' overlaps the " + what + " folder '" + writable +
                    "', which the editor's API writes: keep plugins in a folder of their own");
}

int serve(const ServeArgs& a) {
  configure_threads(a.threads);
  editor::ServerOptions o;
  o.host = a.host;
  o.port = a.port;
  o.graphs_dir = find_graphs(a.graphs);
  o.static_dir = find_static(a.static_dir);
  o.models_dir = a.models;
  o.references_dir = a.references;
  o.allowed_origins = a.allow_origins;
  o.outputs_dir = a.outputs;
  o.read_dirs = a.reads;
  o.max_sessions = a.limits.max_sessions;
  o.cache_mb = a.limits.cache_mb;
  o.read_timeout_s = a.limits.read_timeout_s;
  check_plugin_folders(plugin_folders(a.plugins), o);
  Registry reg;
  std::vector<std::string> plugins;
  load_node_types(reg, a.plugins, &plugins);  // at start only: the API cannot load plugins
  editor::EditorServer server(reg, o);
  int port = server.bind();
  std::error_code ec;
  bool built = std::filesystem::is_regular_file(std::filesystem::path(o.static_dir) / "index.html", ec);
  std::string host = a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host;
  std::cout << "Sumi editor: http://" << host << ":" << port << "/" << "  (graphs: "
            << std::filesystem::absolute(o.graphs_dir).lexically_normal().string() << ", outputs: "
            << std::filesystem::absolute(o.outputs_dir).lexically_normal().string() << ")\n";
  for (const std::string& p : plugins) std::cout << "plugin: " << p << "\n";
  if (!built) std::cout << "note: the front end is not built (" << o.static_dir << "); serving the API only\n";
  std::cout << "Ctrl-C stops the server.\n" << std::flush;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGPIPE, SIG_IGN);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done && !g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
  });
  bool ok = server.serve();
  done = true;
  watcher.join();
  return ok ? 0 : 1;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Start the editor: a local web app and its JSON API");
  add_plugins_option(cmd, a->plugins);
  cmd->add_option("--host", a->host, "address to listen on (loopback by default)")->capture_default_str();
  cmd->add_option("--port", a->port, "port (0 = any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--graphs", a->graphs, "folder of graph files the editor lists, loads and saves (default: ./graphs)");
  cmd->add_option("--static", a->static_dir, "folder of the built front end (default: editor/web/dist)");
  cmd->add_option("--models", a->models, "folder of model files and manifests listed by the editor")->capture_default_str();
  cmd->add_option("--references", a->references, "folder of reference images the editor offers for colour")
      ->capture_default_str();
  cmd->add_option("--outputs", a->outputs,
                  "the only folder graphs run by the editor may write (io.save_image); created if needed")
      ->capture_default_str();
  cmd->add_option("--read", a->reads,
                  "another folder graphs run by the editor may read, besides graphs, models, references and outputs "
                  "(repeatable; replaces the default)")
      ->capture_default_str();
  cmd->add_option("--max-sessions", a->limits.max_sessions,
                  "most editor sessions (tabs) at once; the least recently used idle one is ended to make room, "
                  "and a new one is refused (429) while all are running")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--cache-mb", a->limits.cache_mb,
                  "most memory, in MB, that all sessions' result caches hold together; over it, the least recently "
                  "used idle sessions are ended (their next request gets 410 Gone)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--read-timeout", a->limits.read_timeout_s,
                  "seconds a connection may take to send each part of a request (line, headers, body) and may idle "
                  "between requests before it is closed")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--threads", a->threads, "engine worker threads (0 = all cores)")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--allow-origin", a->allow_origins,
                  "another web origin allowed to call the API, e.g. http://localhost:5173 for the Vite dev server "
                  "(repeatable; pages of other origins are refused)");
  cmd->callback([a, &exit_code] {
    try {
      exit_code = serve(*a);
    } catch (const std::exception& e) {
      print_error(e.what());
      exit_code = 1;
    }
  });
}

}  // namespace sumi::cli
