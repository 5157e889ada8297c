#include <chrono>

#include "editor/server/http_util.h"
#include "editor/server/routes.h"

namespace sumi::editor {

// Server-sent events: one "data: {json}" message per node event (kind
// started / cached / finished with ms / failed with message) and per run
// (run_started, run_finished, run_cancelled, run_failed); a comment line
// every few seconds keeps the connection alive and notices closed clients.
void add_event_routes(httplib::Server& srv, ServerContext& ctx) {
  srv.Get(R"(/api/sessions/([^/]+)/events)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            auto session = session_or_404(ctx, req.matches[1]);
            if (++ctx.open_streams > ctx.max_streams) {
              --ctx.open_streams;
              throw ApiError(503, "too many event streams open (" + std::to_string(ctx.max_streams) +
                                      "); close another editor tab and retry");
            }
            auto cursor = std::make_shared<std::uint64_t>(session->events().end());
            res.set_header("Cache-Control", "no-store");
            res.set_header("X-Accel-Buffering", "no");
            res.set_chunked_content_provider(
                "text/event-stream", [session, cursor](std::size_t, httplib::DataSink& sink) {
                  // A closed hub (the session ended or was evicted, or the
                  // server stops) ends the stream cleanly with its last chunk.
                  EventHub& hub = session->events();
                  if (hub.closed()) return sink.done(), true;
                  std::vector<std::string> events;
                  *cursor = hub.wait(*cursor, events, std::chrono::milliseconds(2000));
                  if (hub.closed()) return sink.done(), true;
                  std::string text;
                  if (events.empty()) text = ": keep-alive\n\n";
                  for (const std::string& e : events) text += "data: " + e + "\n\n";
                  return sink.write(text.data(), text.size());
                },
                [&ctx](bool) { --ctx.open_streams; });
          }));
}

}  // namespace sumi::editor
