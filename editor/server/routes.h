// Route groups of the editor server, each in its own file.
//
// Thread safety: handlers run concurrently; the state they share is thread-safe.
#pragma once

#include <vector>

#include <httplib.h>

#include "editor/server/graph_store.h"
#include "editor/server/session_manager.h"
#include "engine/error.h"
#include "engine/registry.h"

namespace sumi::editor {

struct ServerContext {
  const Registry& registry;
  GraphStore& graphs;
  SessionManager& sessions;
};

void add_catalogue_routes(httplib::Server& srv, ServerContext& ctx);  // /api/nodes
void add_graph_routes(httplib::Server& srv, ServerContext& ctx);      // /api/graphs
void add_run_routes(httplib::Server& srv, ServerContext& ctx);        // /api/sessions, run, outputs
void add_event_routes(httplib::Server& srv, ServerContext& ctx);      // /api/sessions/ID/events

// The session named in the path, or ApiError 404.
// [{"message", "node"?, "port"?, "param"?}] for validation problems.
Json validation_errors_json(const std::vector<Error>& errors);

std::shared_ptr<EditorSession> session_or_404(ServerContext& ctx, const std::string& id);

}  // namespace sumi::editor
