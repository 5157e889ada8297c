// Route groups of the editor server, each in its own file.
//
// Thread safety: handlers run concurrently; the state they share is thread-safe.
#pragma once

#include <atomic>
#include <vector>

#include <httplib.h>

#include "editor/server/graph_store.h"
#include "editor/server/session_manager.h"
#include "engine/error.h"
#include "engine/registry.h"
#include "engine/sandbox.h"

namespace sumi::editor {

struct ServerContext {
  const Registry& registry;
  GraphStore& graphs;
  SessionManager& sessions;
  std::string models_dir;
  std::string references_dir;
  std::shared_ptr<const Sandbox> sandbox;  // every run's (server.h)
  // Each open event stream holds a request thread: at most this many at once,
  // so that other requests are always served.
  int max_streams = 12;
  std::atomic<int> open_streams{0};
};

void add_catalogue_routes(httplib::Server& srv, ServerContext& ctx);  // /api/nodes, /api/models, /api/references
void add_graph_routes(httplib::Server& srv, ServerContext& ctx);      // /api/graphs
void add_run_routes(httplib::Server& srv, ServerContext& ctx);        // /api/sessions, run, outputs
void add_event_routes(httplib::Server& srv, ServerContext& ctx);      // /api/sessions/ID/events

// The session named in the path, or ApiError 404.
// [{"message", "node"?, "port"?, "param"?}] for validation problems.
Json validation_errors_json(const std::vector<Error>& errors);

std::shared_ptr<EditorSession> session_or_404(ServerContext& ctx, const std::string& id);

}  // namespace sumi::editor
