#include "editor/server/http_util.h"
#include "editor/server/routes.h"
#include "engine/introspect.h"

namespace sumi::editor {

void add_catalogue_routes(httplib::Server& srv, ServerContext& ctx) {
  // The catalogue does not change while serving: render it once.
  auto catalogue = std::make_shared<std::string>(registry_to_json(ctx.registry));
  srv.Get("/api/nodes", guarded([catalogue](const httplib::Request&, httplib::Response& res) {
            res.set_content(*catalogue, "application/json");
          }));
}

}  // namespace sumi::editor
