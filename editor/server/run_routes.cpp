#include <chrono>
#include <cstdio>
#include <optional>

#include "editor/server/http_util.h"
#include "editor/server/pixel_reply.h"
#include "editor/server/routes.h"
#include "editor/server/run_request.h"
#include "engine/kind_registry.h"
#include "engine/session.h"
#include "engine/validate.h"
#include "nodes/common/image_mat.h"
#include "nodes/common/part_set.h"
#include "nodes/common/png.h"

namespace sumi::editor {

std::shared_ptr<EditorSession> session_or_404(ServerContext& ctx, const std::string& id) {
  auto s = ctx.sessions.find(id);
  if (s) return s;
  if (auto why = ctx.sessions.evicted(id))
    throw ApiError(410,
                   "session '" + id + "' was evicted: " + *why +
                       ". Create a new session with POST /api/sessions and send the graph again (its results are "
                       "recomputed there)",
                   {{"session", id}, {"evicted", true}});
  throw ApiError(404, "no session '" + id + "' (it ended or never existed; create one with POST /api/sessions)");
}

namespace {

Json nodes_json(const RunResult& r) {
  Json out = Json::array();
  for (const NodeRun& n : r.nodes) {
    if (n.status == NodeStatus::NotNeeded) continue;
    Json j = {{"id", n.id}, {"type", n.type}, {"status", node_status_name(n.status)}, {"ms", n.ms}, {"load_ms", n.load_ms}};
    if (!n.warning.empty()) j["warning"] = n.warning;
    out.push_back(std::move(j));
  }
  return out;
}

Json event_json(std::uint64_t run, const ProgressEvent& ev) {
  Json j = {{"run", run}, {"kind", progress_kind_name(ev.kind)}, {"node", *ev.node}, {"type", *ev.type}};
  if (ev.kind == ProgressEvent::Kind::Finished) j["ms"] = ev.ms;
  if (ev.kind == ProgressEvent::Kind::Failed) j["message"] = ev.message;
  j["fraction"] = ev.fraction;
  return j;
}

// The content hash of a value as 16 hex digits.
std::string hash_hex(const Value& v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v.hash()));
  return buf;
}

// Image-like outputs are kept for GET .../outputs/NAME.png; a PartSet gives
// one image per part (NAME_part); other kinds are described in the reply.
// Each image carries its content hash, so that a client shows only the
// outputs that changed and fetches nothing for the others. A record kind's
// reply also carries its document.
void collect_outputs(const RunResult& r, const std::string& session, std::uint64_t run,
                     std::map<std::string, StoredOutput>& stored, Json& listed) {
  auto add_image = [&](const std::string& name, const Value& v) {
    stored[name] = StoredOutput{name, v};
    listed.push_back({{"name", name},
                      {"kind", kind_name(v.kind())},
                      {"hash", hash_hex(v)},
                      {"url", "/api/sessions/" + session + "/outputs/" + name + ".png?run=" + std::to_string(run)}});
  };
  for (const auto& [name, v] : r.outputs) {
    if (v.kind() == ValueKind::Image || v.kind() == ValueKind::Mask) {
      add_image(name, v);
    } else if (v.kind() == parts_kind()) {
      for (const Part& p : parts_of(v)) add_image(name + "_" + p.name, p.image);
    } else {
      listed.push_back({{"name", name}, {"kind", kind_name(v.kind())}, {"value", v.describe()}});
      if (is_record_kind(v.kind())) listed.back()["record"] = v.record();  // e.g. a Frame's matrix and boxes
    }
  }
}

void run_handler(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const auto received = std::chrono::steady_clock::now();
  auto session = session_or_404(ctx, req.matches[1]);
  Json body = parse_body(req);
  RunRequest rr = parse_run_request(body, ctx.registry, ctx.graphs);

  RunScope scope(ctx.sessions, session);  // busy until the reply; then the cache limit applies
  const std::uint64_t run = scope.run();
  EventHub& hub = session->events();
  RunOptions opts;
  opts.inputs = std::move(rr.inputs);
  opts.outputs = std::move(rr.outputs);
  opts.cancel = scope.cancel();
  opts.sandbox = ctx.sandbox;
  opts.progress = [&hub, run = run](const ProgressEvent& ev) {
    if (ev.kind == ProgressEvent::Kind::Progress) return;
    hub.publish(event_json(run, ev).dump(-1, ' ', false, Json::error_handler_t::replace));
  };
  hub.publish(Json({{"run", run}, {"kind", "run_started"}}).dump());
  auto t0 = std::chrono::steady_clock::now();
  auto finish = [&](const char* state, const Json& extra) {
    Json j = {{"run", run}, {"kind", "run_" + std::string(state)}};
    for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
    hub.publish(j.dump(-1, ' ', false, Json::error_handler_t::replace));  // messages may quote non-UTF-8 names
  };
  try {
    RunResult r = session->engine().run(rr.graph, opts);
    double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::map<std::string, StoredOutput> stored;
    Json outputs = Json::array();
    collect_outputs(r, session->id(), run, stored, outputs);
    Json reply = {{"run", run},          {"status", "ok"},       {"total_ms", r.total_ms}, {"wall_ms", wall_ms},
                  {"computed", r.computed}, {"cached", r.cached}, {"nodes", nodes_json(r)}, {"outputs", outputs}};
    finish("finished", {{"total_ms", r.total_ms}, {"computed", r.computed}, {"cached", r.cached}});
    // The request as the server spent it up to here (parsing, checks, the run), for latency breakdowns.
    reply["server_ms"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - received).count();
    if (rr.inline_pixels)
      send_with_pixels(res, std::move(reply), stored, rr.shown);
    else
      send_json(res, reply);
    session->store_outputs(run, std::move(stored));
  } catch (const Cancelled&) {
    finish("cancelled", Json::object());
    send_error(res, 409, "run " + std::to_string(run) + " cancelled: a newer run for this session started",
               {{"run", run}, {"status", "cancelled"}});
  } catch (const SandboxError& e) {  // checked before any node ran
    finish("failed", {{"message", e.what()}});
    send_error(res, 403, e.what(),
               {{"run", run}, {"status", "refused"}, {"node", e.context().node}, {"param", e.context().param}});
  } catch (const ValidationError& e) {
    finish("failed", {{"message", e.what()}});
    send_error(res, 400, e.what(), {{"run", run}, {"status", "invalid"}, {"problems", validation_errors_json(e.errors())}});
  } catch (const RunError& e) {
    finish("failed", {{"message", e.what()}});
    Json extra = {{"run", run}, {"status", "failed"}, {"nodes", nodes_json(e.partial())}};
    if (!e.context().node.empty()) extra["node"] = e.context().node;
    send_error(res, 422, e.what(), extra);
  } catch (const std::exception& e) {
    finish("failed", {{"message", e.what()}});
    throw;
  }
}

}  // namespace

void add_run_routes(httplib::Server& srv, ServerContext& ctx) {
  srv.Post("/api/sessions", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
             std::optional<std::string> id = ctx.sessions.create();
             if (!id) {
               const std::size_t max = ctx.sessions.limits().max_sessions;
               res.set_header("Retry-After", "1");
               throw ApiError(429,
                              "all " + std::to_string(max) +
                                  " sessions are running graphs, so none can be ended to make room for another; "
                                  "retry when a run has finished, end an unused session (DELETE /api/sessions/ID), "
                                  "or start the server with a larger --max-sessions",
                              {{"max_sessions", max}});
             }
             send_json(res, {{"session", *id}}, 201);
           }));

  srv.Delete(R"(/api/sessions/([^/]+))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
               if (!ctx.sessions.remove(req.matches[1])) session_or_404(ctx, req.matches[1]);
               send_json(res, {{"ended", std::string(req.matches[1])}});
             }));

  srv.Post(R"(/api/sessions/([^/]+)/run)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
             run_handler(ctx, req, res);
           }));

  srv.Get(R"(/api/sessions/([^/]+)/outputs/([^/]+)\.png)",
          guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            auto session = session_or_404(ctx, req.matches[1]);
            std::string name = req.matches[2];
            Value v = session->output(name);
            if (v.empty()) throw ApiError(404, "no image output '" + name + "' in this session's latest run");
            res.set_header("Cache-Control", "no-store");
            res.set_content(encode_png(image_to_mat(v)), "image/png");
          }));
}

}  // namespace sumi::editor
