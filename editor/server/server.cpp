#include "editor/server/server.h"

#include <filesystem>

#include <httplib.h>

#include "editor/server/graph_store.h"
#include "editor/server/http_util.h"
#include "editor/server/request_guard.h"
#include "editor/server/routes.h"
#include "editor/server/session_manager.h"
#include "editor/server/task_pool.h"
#include "engine/error.h"

namespace sumi::editor {

namespace {
const char* kNotBuilt = R"(<!doctype html><html><head><meta charset="utf-8"><title>Sumi editor</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>Sumi editor</h1><p>The editor's front end is not built. Build it with
<code>npm ci &amp;&amp; npm run build</code> in <code>editor/web</code> (or <code>scripts/build.sh</code>),
then start <code>sumi serve</code> again. The JSON API is available under <code>/api/</code>.</p></body></html>)";

const char* status_text(int status) {
  switch (status) {
    case 400: return "bad request";
    case 403: return "forbidden";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 413: return "request body too large";
    case 414: return "request URI too long";
    case 415: return "unsupported media type: send JSON with Content-Type: application/json";
    case 429: return "too many requests";
    default: return status >= 500 ? "internal server error" : "request refused";
  }
}
// What graphs run through the API may read and write (server.h).
std::shared_ptr<const Sandbox> make_sandbox(const ServerOptions& o) {
  auto box = std::make_shared<Sandbox>();
  for (const std::string& dir : {o.graphs_dir, o.models_dir, o.references_dir})
    if (!dir.empty()) box->allow(dir, Sandbox::kRead);
  for (const std::string& dir : o.read_dirs) box->allow(dir, Sandbox::kRead);
  if (!o.outputs_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.outputs_dir, ec);
    if (ec) throw Error(ErrorContext{o.outputs_dir, {}, {}, {}, {}}, "cannot create the outputs folder: " + ec.message());
    box->allow(o.outputs_dir, Sandbox::kRead | Sandbox::kWrite);
  }
  return box;
}

SessionLimits session_limits(const ServerOptions& o) {
  SessionLimits l;
  l.max_sessions = o.max_sessions;
  l.cache_bytes = std::max<std::size_t>(1, o.cache_mb) << 20;
  return l;
}

}  // namespace

struct EditorServer::Impl {
  Impl(const Registry& reg, ServerOptions o)
      : options(std::move(o)), graphs(options.graphs_dir), sessions(reg, session_limits(options)), ctx{reg, graphs, sessions, options.models_dir, options.references_dir,
                                                                 make_sandbox(options), std::max(1, options.threads - 4)} {}
  ServerOptions options;
  GraphStore graphs;
  SessionManager sessions;
  ServerContext ctx;
  httplib::Server srv;
  int port = -1;
};

EditorServer::EditorServer(const Registry& registry, ServerOptions options)
    : impl_(std::make_unique<Impl>(registry, std::move(options))) {
  auto& srv = impl_->srv;
  const ServerOptions& o = impl_->options;
  std::error_code ec;
  if (!std::filesystem::is_directory(impl_->graphs.dir(), ec))
    throw Error(ErrorContext{o.graphs_dir, {}, {}, {}, {}}, "the graphs folder does not exist");

  const int threads = std::max(5, o.threads);
  const int max_threads = std::max(threads, o.max_threads);
  srv.new_task_queue = [threads, max_threads] {
    return new ElasticTaskPool(static_cast<std::size_t>(threads), static_cast<std::size_t>(max_threads));
  };
  srv.set_payload_max_length(o.max_body_bytes);
  // A connection that stops sending mid-request (or idles between keep-alive
  // requests) is closed after the read timeout and gives its worker back.
  const int read_timeout = std::max(1, o.read_timeout_s);
  srv.set_read_timeout(read_timeout);
  srv.set_keep_alive_timeout(read_timeout);
  srv.set_write_timeout(30);

  // Host (DNS rebinding), UTF-8 paths, Origin / Sec-Fetch-Site (other web
  // pages) and JSON-only bodies: see request_guard.h. The body is read after
  // this handler, so a refused request's body is never read.
  Impl* impl = impl_.get();
  srv.set_pre_routing_handler([impl](const httplib::Request& req, httplib::Response& res) {
    RequestPolicy policy{impl->options.host, impl->port, impl->options.allowed_origins};
    if (auto refusal = check_request(req, policy)) {
      send_error(res, refusal->status, refusal->message);
      res.set_header("Connection", "close");  // the unread body must not be taken for the next request
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  add_catalogue_routes(srv, impl_->ctx);
  add_graph_routes(srv, impl_->ctx);
  add_run_routes(srv, impl_->ctx);
  add_event_routes(srv, impl_->ctx);

  bool have_static = !o.static_dir.empty() && std::filesystem::is_regular_file(std::filesystem::path(o.static_dir) / "index.html", ec);
  if (have_static) {
    srv.set_mount_point("/", o.static_dir);
  } else {
    srv.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(kNotBuilt, "text/html"); });
  }
  // Every refusal the library makes itself (unknown route, 413, ...) gets a JSON body.
  srv.set_error_handler([max_body = o.max_body_bytes](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string msg = status_text(res.status);
    if (res.status == 404) msg = "no such endpoint or file: " + req.method + " " + req.path;
    if (res.status == 413 && req.get_header_value("Content-Type").find("x-www-form-urlencoded") != std::string::npos)
      msg += " for a form-encoded body (limit 8 KB): send JSON with Content-Type: application/json";
    else if (res.status == 413)
      msg += " (limit " + std::to_string(max_body >> 20) + " MB)";
    send_error(res, res.status, msg);
  });
  srv.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what += std::string(": ") + e.what();
    } catch (...) {
    }
    send_error(res, 500, what);
  });
}

EditorServer::~EditorServer() { stop(); }

int EditorServer::bind() {
  const ServerOptions& o = impl_->options;
  auto& srv = impl_->srv;
  if (o.port == 0) {
    impl_->port = srv.bind_to_any_port(o.host);
    if (impl_->port < 0) throw Error("cannot listen on " + o.host + " (any port)");
  } else {
    if (!srv.bind_to_port(o.host, o.port))
      throw Error("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (in use? try --port 0 for any free port)");
    impl_->port = o.port;
  }
  return impl_->port;
}

bool EditorServer::serve() { return impl_->srv.listen_after_bind(); }

void EditorServer::stop() {
  impl_->sessions.close_all();
  impl_->srv.stop();
}

bool EditorServer::running() const { return impl_->srv.is_running(); }
int EditorServer::port() const { return impl_->port; }

}  // namespace sumi::editor
