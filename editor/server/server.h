// The editor's HTTP server: the JSON API over the engine, server-sent events
// of run progress, and the built front end.
//
//   Registry reg; register_all_nodes(reg);
//   EditorServer server(reg, {.graphs_dir = "graphs", .static_dir = "editor/web/dist"});
//   int port = server.bind();          // port 0 = any free port
//   server.serve();                    // blocks until stop() (from another thread)
//
// Endpoints (all answers JSON unless noted; errors are {"error": "..."} with a 4xx):
//   GET  /api/nodes                        the node catalogue (registry_to_json)
//   GET  /api/models                       model files and manifests under the models folder
//   GET  /api/references[/NAME]            colour reference images (the list, or one image by its listed name)
//   GET  /api/graphs                       graph files in the graphs folder
//   GET  /api/graphs/NAME.sumi.json        one graph;  PUT saves one (validated structure)
//   POST /api/sessions                     {"session": id} (429 when all max_sessions are running);
//                                          DELETE /api/sessions/ID ends one
//   POST /api/sessions/ID/run              runs a graph (see run_request.h); a newer run cancels this one;
//                                          each image output in the reply has "url" and "hash" (its
//                                          content, 16 hex digits: a client skips the ones it shows)
//   GET  /api/sessions/ID/outputs/NAME.png the latest output as PNG
//   GET  /api/sessions/ID/events           text/event-stream of node started/cached/finished/failed
//
// Graphs run through the API are sandboxed (engine/sandbox.h): their file
// parameters may only read the graphs, models, references, read_dirs and
// outputs folders and only write the outputs folder; anything else is a 403
// naming the node, the parameter and the path, and nothing of the run is done.
//
// Requests from other web pages are refused (Origin / Sec-Fetch-Site, 403), API
// bodies must be Content-Type: application/json (415), JSON must be UTF-8 and
// nest at most 256 deep (400): see request_guard.h and engine/json_util.h.
//
// Limits (defaults; sumi serve flags): at most `max_sessions` sessions (32,
// --max-sessions) and `cache_mb` of results in all their caches together
// (1024, --cache-mb); the least recently used idle sessions are evicted to
// stay within both (session_manager.h), and a request naming an evicted
// session gets 410 Gone saying why and to create a new one. A connection must
// deliver each part of its request within `read_timeout_s` (5 s,
// --read-timeout) or it is closed; connections are served by a pool that
// grows from `threads` up to `max_threads` workers when all are busy
// (task_pool.h), so stalled connections cannot keep other requests waiting.
//
// Thread safety: bind/serve from one thread, stop() from any; requests are
// served concurrently on a thread pool. The Registry must outlive the server.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "engine/registry.h"

namespace sumi::editor {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8188;  // 0 = any free port
  std::string graphs_dir = "graphs";
  std::string static_dir;  // the built front end; empty or missing = a short notice page
  std::string models_dir = "models";  // listed by GET /api/models (missing = an empty list)
  std::string references_dir;         // reference images listed by GET /api/references (empty/missing = none)
  std::vector<std::string> read_dirs;  // more folders graphs may read (e.g. examples with strokes files)
  std::string outputs_dir;             // the one folder graphs may write (io.save_image); created; empty = none
  std::size_t max_body_bytes = std::size_t{8} << 20;
  std::size_t max_sessions = 32;
  std::size_t cache_mb = 1024;  // all sessions' result caches together; each has at most min(256, this)
  int read_timeout_s = 5;       // per read of a request's line, headers or body; also the keep-alive wait
  // Origins trusted besides the server's own (request_guard.h), e.g. the Vite
  // dev server "http://localhost:5173" proxying /api here.
  std::vector<std::string> allowed_origins;
  int threads = 16;  // request threads kept ready; event streams may hold all but 4 of them
  int max_threads = 128;  // the pool grows to this many while every worker is busy
};

class EditorServer {
 public:
  EditorServer(const Registry& registry, ServerOptions options);
  ~EditorServer();
  EditorServer(const EditorServer&) = delete;
  EditorServer& operator=(const EditorServer&) = delete;

  // Binds the socket; returns the port. Throws sumi::Error when it cannot.
  int bind();
  // Serves until stop(). Returns false when the server failed.
  bool serve();
  void stop();
  bool running() const;
  int port() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sumi::editor
