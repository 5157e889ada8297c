#include "editor/server/http_util.h"
#include "editor/server/routes.h"
#include "editor/server/run_request.h"
#include "editor/server/subgraph_info.h"
#include "engine/graph_file.h"
#include "engine/validate.h"

namespace sumi::editor {

namespace {
Json errors_to_json(const std::vector<Error>& errors) {
  Json out = Json::array();
  for (const Error& e : errors) {
    Json j = {{"message", e.what()}};
    const ErrorContext& c = e.context();
    if (!c.node.empty()) j["node"] = c.node;
    if (!c.port.empty()) j["port"] = c.port;
    if (!c.param.empty()) j["param"] = c.param;
    out.push_back(j);
  }
  return out;
}
}  // namespace

void add_graph_routes(httplib::Server& srv, ServerContext& ctx) {
  srv.Get("/api/graphs", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
            send_json(res, {{"graphs", ctx.graphs.list()}});
          }));

  srv.Get(R"(/api/graphs/(.*))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            Graph g = ctx.graphs.load(req.matches[1]);
            Json j = Json::parse(graph_to_json(g));
            // The graph as a subgraph (the palette's instances), and the files its instances name.
            send_json(res, {{"file", std::string(req.matches[1])}, {"graph", j},
                            {"interface", interface_json(g, ctx.registry, ctx.sandbox.get())},
                            {"subgraphs", subgraphs_json(g, ctx.registry, ctx.sandbox.get())},
                            {"problems", errors_to_json(validate(g, ctx.registry, ctx.sandbox.get()))}});
          }));

  // Saves the body (a graph file's JSON): its structure must load; problems
  // found by validation are saved too (work in progress) and reported.
  srv.Put(R"(/api/graphs/(.*))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
            std::string file = req.matches[1];
            ctx.graphs.resolve(file);  // refuse bad names before reading the body
            Json body = parse_body(req);
            Graph g;
            try {
              g = parse_graph(body.dump(), file);
            } catch (const Error& e) {
              throw ApiError(400, e.what());
            }
            ctx.graphs.save(file, g);
            send_json(res, {{"saved", file}, {"problems", errors_to_json(validate(g, ctx.registry, ctx.sandbox.get()))}});
          }));
}

Json validation_errors_json(const std::vector<Error>& errors) { return errors_to_json(errors); }

}  // namespace sumi::editor
