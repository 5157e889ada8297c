#include <algorithm>
#include <filesystem>
#include <fstream>

#include "editor/server/http_util.h"
#include "editor/server/routes.h"
#include "engine/introspect.h"

namespace sumi::editor {

namespace {
namespace fs = std::filesystem;

bool is_model_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::string name = p.filename().string();
  return ext == ".pt" || ext == ".pth" || ext == ".ts" || ext == ".torchscript" || name == "manifest.json" ||
         (name.size() > 14 && name.compare(name.size() - 14, 14, ".manifest.json") == 0);
}

// Model files (TorchScript) and manifests under `dir`, with paths relative to it;
// manifests carry their parsed content. Skips node_modules and hidden folders.
// `graph_path`: the file as a graph in the graphs folder names it (graph
// files resolve relative paths against their own folder).
Json list_models(const std::string& dir, const std::string& graphs_dir) {
  Json out = Json::array();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    if (it->is_directory(ec)) {
      if (name == "node_modules" || name[0] == '.' || it.depth() >= 4) it.disable_recursion_pending();
      continue;
    }
    if (!is_model_file(p)) continue;
    Json m = {{"path", fs::relative(p, dir, ec).generic_string()},
              {"graph_path", fs::proximate(fs::absolute(p, ec), fs::absolute(graphs_dir, ec), ec).generic_string()},
              {"bytes", fs::file_size(p, ec)}};
    if (p.extension() == ".json") {
      std::ifstream f(p);
      Json j = Json::parse(f, nullptr, false);
      if (j.is_discarded()) m["error"] = "malformed JSON";
      else m["manifest"] = j;
    }
    out.push_back(m);
  }
  std::sort(out.begin(), out.end(), [](const Json& a, const Json& b) { return a["path"] < b["path"]; });
  return out;
}
}  // namespace

void add_catalogue_routes(httplib::Server& srv, ServerContext& ctx) {
  // The catalogue does not change while serving: render it once.
  auto catalogue = std::make_shared<std::string>(registry_to_json(ctx.registry));
  srv.Get("/api/nodes", guarded([catalogue](const httplib::Request&, httplib::Response& res) {
            res.set_content(*catalogue, "application/json");
          }));
  srv.Get("/api/models", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
            send_json(res, {{"models", list_models(ctx.models_dir, ctx.graphs.dir())}});
          }));
}

}  // namespace sumi::editor
